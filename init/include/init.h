/* init.h -- the init script: Lua run in a sandboxed child before its actor,
 * in a fresh restricted state (DESIGN 4.1). The script sees a global `init`
 * table: init.arg (the fd given, or nil) and the calls mount, umount2,
 * pivot_root, chroot, chdir, mkdir, symlink, open, read, write, close,
 * sethostname, setdomainname, setsid, setresuid, setresgid, setgroups,
 * cap_clear/cap_keep/cap_drop/cap_apply/cap_has (libcap-ng),
 * seccomp_allow/seccomp_deny/seccomp_kill (libseccomp), set_no_new_privs,
 * send_with_fd, receive_with_fd and mode, plus the MS_*, MNT_*, O_* and E*
 * constants. Emilua's spellings are there too: `C` is the same table, `arg`
 * is init.arg, and mode/send_with_fd/receive_with_fd are also globals.
 * doc/ward-sandbox.7 (INIT SCRIPT) documents every call.
 *
 * A failing call raises an error that ends the script (unless the script
 * catches it with pcall); winit_run then returns -1 with the message
 * "SCRIPT:LINE: CALL: strerror", err->errnum = errno and kind
 * WARD_E_INTERNAL. Bad arguments (wrong type, NUL in a string, unknown flag,
 * capability or system call name), syntax errors, binary chunks and the
 * script's own error() are WARD_E_INVALID; the memory cap and the
 * instruction budget are WARD_E_UNAVAILABLE.
 *
 * Seccomp: seccomp_allow adds to the filter given (the profile's, loaded
 * later by the sandbox); seccomp_deny/seccomp_kill go into a filter of the
 * script's own that winit_run loads when the script ends well, so that they
 * hold even where the profile allows the call (libseccomp keeps the first
 * rule for a call, so adding them to the profile's filter could not).
 *
 * Errors follow common/werr.h. */
#ifndef WARD_INIT_H
#define WARD_INIT_H

#include <stddef.h>
#include <seccomp.h>
#include "werr.h"

/* What one init script may use. */
#define WINIT_MEMORY_MAX ((size_t) 16 << 20)        /* bytes held by its Lua state */
/* Lua VM instructions: ~0.15 s of busy Lua, far past any real init script
 * (a few dozen calls), yet short enough not to hold up a spawn for long */
#define WINIT_INSTRUCTIONS_MAX 10000000LL

/* Run script (len bytes, text only, chunkname name) in a new restricted Lua
 * state. arg_fd is init.arg (-1 = nil). filter receives the script's
 * seccomp_allow rules (may be NULL: every call is allowed anyway). When the
 * script has deny/kill rules their filter is loaded before returning 0.
 * Single-threaded callers only (libcap-ng's state is per process). 0 or -1. */
int winit_run (const char *script, size_t len, const char *name, int arg_fd,
               scmp_filter_ctx filter, ward_err *err);

/* A script made ready to run, by a process that then forks the children
 * that run it: winit_run's steps before the script runs (the state with
 * its calls, the chunk compiled) done once, each child running its own
 * copy. The failures winit_run would report before the script runs are
 * reported here (NULL with err); arg_fd is -1 (init.arg is nil). */
typedef struct winit_ready winit_ready;
winit_ready *winit_ready_new (const char *script, size_t len, const char *name,
                              scmp_filter_ctx filter, ward_err *err);
/* Run it, in a child of the process that made it, as winit_run does (and
 * filter is the child's copy of the one given): 0 or -1 with err. r is
 * used up, in that process only. */
int winit_ready_run (winit_ready *r, ward_err *err);
/* Free it, in the process that made it. */
void winit_ready_free (winit_ready *r);

/* How many seccomp_allow calls of the last winit_run reached its filter
 * (0 before any run). The sandbox uses it to load its precompiled profile
 * when the script changed nothing in the filter. */
unsigned winit_seccomp_allows (void);

/* The init scripts built into ward, by file name: "empty-root.lua" is the
 * strict profile's empty root. Its text (NUL-terminated) and length in
 * *len, or NULL for an unknown name. Also installed as
 * $(pkgdatadir)/init/NAME. */
const char *winit_builtin (const char *name, size_t *len);

/* Generated from the files by build-aux/embed.sh (init/builtin.c). */
extern const char *const winit_builtin_names[];
extern const char *const winit_builtin_texts[];
extern const size_t winit_builtin_lens[];
extern const size_t winit_builtin_count;

#endif
