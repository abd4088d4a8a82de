/* lfs.h -- the `fs` module (DESIGN 3.3): files a policy grants.
 *
 * require "fs" asks lua.require on "fs". Every call resolves its path to
 * the canonical absolute form, asks fs.read / fs.write / fs.create /
 * fs.list / fs.remove on it (attr.path: the path as given) and acts
 * through core/fsgate.h, never through a path the kernel would resolve
 * again. fs.open gives a "ward.fd" (lfd.h).
 *
 * In a subprocess actor each call is made by its stand-in in the runtime
 * (the same functions, judged as the child's actor) and what it opened
 * comes back over the channel as a descriptor: the child, in its empty
 * root, never names a path to the kernel.
 * Prefix ward_fs_. */
#ifndef WARD_LFS_H
#define WARD_LFS_H

#include <lua.h>

/* The module as an in-process actor or a stand-in uses it. */
int ward_luaopen_fs (lua_State *L);
/* The module in a subprocess actor: each function is a call to the
 * runtime (op "fs.NAME"). */
int ward_luaopen_fs_remote (lua_State *L);

#endif
