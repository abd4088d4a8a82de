/* fsgate.h -- the one way ward reaches a file for a script (DESIGN 3.3):
 * resolve the path the script gave to its canonical absolute form, ask
 * the gate (fs.* on that form, attr.path = what the script gave), then
 * open exactly that form without following any symbolic or magic link.
 * Both faces use it: an in-process actor's `fs` calls, and the stand-in
 * of a subprocess actor, which performs the child's calls and hands it
 * the descriptor (the child never names a path to the kernel).
 *
 * Resolution is realpath(3) done by hand: `.` and `..` are taken
 * component by component after each symbolic link is read, so `..` never
 * climbs out of a link's target lexically. A name that does not exist (or
 * cannot be looked at) ends the link resolution and the rest is taken
 * lexically, so that the gate is asked about a path whether it exists or
 * not: a denied caller learns nothing of what exists (its error is the
 * denial). Relative paths are taken from the runtime's working directory
 * (where `ward run` started), for trusted and sandboxed actors alike.
 *
 * Opening walks the canonical path again with openat2(2)
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS (or, where the kernel has
 * no openat2, component by component with O_NOFOLLOW): a link swapped in
 * after the check makes the open fail, never reach another file.
 * Prefix ward_fsgate_. */
#ifndef WARD_FSGATE_H
#define WARD_FSGATE_H

#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "rt.h"

typedef struct ward_fsgate_path {
  char canon[PATH_MAX];         /* canonical absolute path (no link, no . or ..) */
  int exists;                   /* the last name exists: st is its lstat */
  int err_no;                   /* when it does not: why (ENOENT, ENOTDIR, ELOOP ...) */
  struct stat st;
} ward_fsgate_path;

/* Resolve the len bytes of req. follow: a symbolic link as the last name
 * is followed (open, stat, list), else it is the name itself (remove,
 * rename, mkdir). -1 with INVALID only for a path that is no path: empty,
 * holding a NUL byte, PATH_MAX bytes or longer (as given or resolved). */
int ward_fsgate_resolve (const char *req, size_t len, int follow, ward_fsgate_path *out,
                         ward_err *err);

/* Ask the gate, as p, for each of the n actions on out->canon with
 * attr.path = req; all are asked (an audit shows each missing one). 0, or
 * -1 with PERMISSION_DENIED naming the path as given, never the canonical
 * one, which could tell where a link the caller may not read points
 * ("fs.read on ../x (as resolved: ...) (actor a)"); the audit holds both. */
int ward_fsgate_check (ward_proc *p, const char *const *actions, int n,
                       const ward_fsgate_path *out, const char *req, ward_err *err);

/* open(2) of the canonical path canon (flags get O_CLOEXEC | O_NOFOLLOW)
 * through no link of any kind; -1 with errno (ELOOP for a link swapped
 * in). */
int ward_fsgate_open (const char *canon, int flags, mode_t mode);
/* The directory holding canon's last name, opened O_PATH the same way,
 * and that name in *base (pointing into canon); -1 with errno (EINVAL for
 * "/"). */
int ward_fsgate_open_parent (const char *canon, const char **base);

/* The error kind of an errno of a file call. */
ward_kind ward_fsgate_kind (int e);

#endif
