/* lproc.h -- what the files of the `process` module share: lproc.c (the
 * module, identity, send, options, topics, the context), lspawn.c (spawn,
 * exec, upgrade, SpawnBuilder) and llink.c (terminate, cancel, links,
 * monitors, the registry). Each gives its functions for both faces of
 * the API (face.h). Internal to runtime/lua/. Prefix ward_lproc_. */
#ifndef WARD_LPROC_H
#define WARD_LPROC_H

#include "vm.h"
#include "remote.h"

/* A function of the subprocess face that only forwards its call, with
 * its arguments, to the actor's stand-in in the runtime (remote.h). */
#define WARD_LPROC_FORWARD(fn, op) \
  static int fn (lua_State *L) { return ward_remote_call (L, op); }

/* Argument helpers: bad input is an error (INVALID), never a raise. The
 * string at idx, which must be one, not empty, without a NUL byte. */
const char *ward_lproc_arg_string (lua_State *L, int idx, const char *what, ward_err *err);
/* The process named at idx, for the caller to do `action` on it: asked
 * before it is looked up (ward_proc_target), so that a caller that may
 * not learns nothing of which PIDs or names exist. */
ward_proc *ward_lproc_arg_target (lua_State *L, int idx, const char *action,
                                  const char *resource, ward_err *err);
/* A topic a script may use (none starts with @). */
int ward_lproc_check_topic (const char *topic, ward_err *err);
/* A name a process may be registered under. */
int ward_lproc_check_name (const char *name, ward_err *err);

/* The n values at idx encoded (as between processes) into the thread's
 * scratch buffer, which the next encoding reuses; NULL with err. */
const wbuf *ward_lproc_encode (lua_State *L, int idx, int n, ward_err *err);
/* Push fresh copies of the n values at idx (a snapshot: later changes to
 * the originals change nothing); how many, or -1 with err when one
 * cannot be sent. */
int ward_lproc_snapshot (lua_State *L, int idx, int n, ward_err *err);
/* Deliver the n values at first, a message on topic from p, to t, which
 * p was allowed to send to. */
int ward_lproc_send_to (lua_State *L, ward_proc *p, ward_proc *t, const char *topic, int first,
                        int n, ward_err *err);
/* The end of a call acting on t (a reference from ward_lproc_arg_target,
 * which goes): rc < 0 gives (nil, err), else true. */
int ward_lproc_target_done (lua_State *L, ward_proc *t, int rc, const ward_err *err);

#endif
