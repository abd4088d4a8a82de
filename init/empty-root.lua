-- empty-root.lua -- the strict profile's root: an empty, read-only tmpfs.
-- Runs in the child's own mount namespace, whose mounts the sandbox has
-- already made private. The old root is gone afterwards; the stdio and the
-- channel were opened before, so they still work.
local I = init
local hidden = I.MS_NOSUID | I.MS_NODEV | I.MS_NOEXEC

-- /tmp is only a mount point here: the tmpfs hides it in this namespace.
I.mount("tmpfs", "/tmp", "tmpfs", hidden, "size=64k,nr_inodes=16,mode=0755")
I.chdir("/tmp")
-- With "." twice the old root is stacked on the new one at "/" and needs
-- no directory of its own; detaching it leaves the tmpfs alone.
I.pivot_root(".", ".")
I.umount2(".", I.MNT_DETACH)
I.chdir("/")
I.mount(nil, "/", nil, I.MS_REMOUNT | I.MS_BIND | I.MS_RDONLY | hidden)
