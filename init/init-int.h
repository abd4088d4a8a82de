/* init-int.h -- what init.c, calls.c and guard.c share: the state of one
 * init-script run and the helpers every call uses to check its arguments
 * and to raise errors. Internal to init/. */
#ifndef WARD_INIT_INT_H
#define WARD_INIT_INT_H

#include <stddef.h>
#include <seccomp.h>
#include <lua.h>
#include "werr.h"

/* One run of winit_run(). It is the allocator's userdata, so any call can
 * reach it with lua_getallocf(). */
typedef struct winit_ctx {
  size_t mem_used, mem_max;
  long long insns, insn_max;
  int exhausted;                /* budget spent: the hook now fires each instruction */
  int mem_dead;                 /* the cap was hit: likewise */
  lua_State *L;                 /* for the allocator to set that hook */
  scmp_filter_ctx filter;       /* the profile's filter, may be NULL */
  unsigned allows;              /* seccomp_allow rules added to filter */
  scmp_filter_ctx deny;         /* the script's deny/kill rules; NULL until one is added */
  int caps_loaded;              /* libcap-ng's state holds this process's caps */
  /* the last error raised by a call, so that winit_run can tell it apart
   * from an error() of the script's own */
  ward_kind kind;
  int errnum;
  char msg[WARD_ERR_MSG_MAX];
} winit_ctx;

/* A named integer constant: flags, errno values. */
typedef struct winit_const {
  const char *name;
  long long value;
} winit_const;

winit_ctx *winit_ctx_of (lua_State *L);

/* The lua_Alloc of a script's state, ud its winit_ctx: every byte counts
 * toward mem_max; past it a request fails and, once ctx->L is set, the
 * script is ended (mem_dead). */
void *winit_alloc (void *ud, void *ptr, size_t osize, size_t nsize);

/* Raise "CHUNK:LINE: CALL: <fmt...>" as the error of call, remembering its
 * kind and errno. Never returns. */
int winit_raise (lua_State *L, ward_kind kind, int errnum, const char *call,
                 const char *fmt, ...)
  __attribute__ ((format (printf, 5, 6), noreturn));

/* winit_raise (WARD_E_INTERNAL, errnum, call, strerror (errnum)). */
int winit_raise_errno (lua_State *L, int errnum, const char *call)
  __attribute__ ((noreturn));

/* A string argument without NUL bytes (a path, a host name). opt: nil
 * gives NULL. */
const char *winit_str_arg (lua_State *L, int idx, const char *call, int opt);

/* An integer argument in [lo, hi]; dflt when absent/nil and has_dflt. */
long long winit_int_arg (lua_State *L, int idx, const char *call,
                         long long lo, long long hi, int has_dflt, long long dflt);

/* A flags argument: nil (0), an integer, or a string of names from table
 * joined by '|', e.g. "MS_BIND|MS_REC". Unknown names are INVALID. */
long long winit_flags_arg (lua_State *L, int idx, const char *call,
                           const winit_const *table);

/* Set every constant of table as a field of the table on top of the stack. */
void winit_set_consts (lua_State *L, const winit_const *table);

/* Fill the `init` table on top of the stack. */
void winit_open_calls (lua_State *L);   /* calls.c: files, ids, fds */
void winit_open_guard (lua_State *L);   /* guard.c: capabilities, seccomp */

/* The errno names accepted by seccomp_deny (and set as init.E*). */
extern const winit_const winit_errnos[];

#endif
