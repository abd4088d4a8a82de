/* vm.h -- one process's Lua VM: the capped allocator, the safe standard
 * library, the preemption hook, definition loading and the Lua modules. */
#ifndef WARD_VM_H
#define WARD_VM_H

#include <lua.h>
#include <lauxlib.h>
#include "rt.h"

/* Hook ticks: the count hook runs every WARD_HOOK_EVERY instructions and a
 * process is preempted after WARD_SLICE_TICKS ticks. A process that cannot
 * be preempted (inside a C call such as a sort comparator) for longer than
 * WARD_UNYIELDABLE_NS is ended. */
#define WARD_HOOK_EVERY 1000
#define WARD_SLICE_TICKS 20
#define WARD_UNYIELDABLE_NS (5LL * 1000000000LL)

/* Nesting bound of coroutine.close (one closing the next from a __close
 * metamethod): past it, or when less than a quarter of the worker's C
 * stack is left, the call raises "C stack overflow" (Lua 5.4.4's bug
 * "C-stack overflow with deep nesting of coroutine.close"). */
#define WARD_CLOSE_NEST_MAX 100

/* The Lua release ward was built with (LUA_VERSION_RELEASE_NUM, e.g.
 * 50404) and the one it runs against, read from the library's lua_ident
 * ("$LuaVersion: Lua 5.4.4  Copyright ..."); ward_lua_release_of gives 0
 * for text it cannot read. */
int ward_lua_release_of (const char *ident);
int ward_lua_release_running (void);
/* Fail (INTERNAL, with a sentence) unless the library runs the Lua 5.x
 * ward was built for, at a release no older than the headers': the list
 * of known Lua bugs ward disarms (ward-lua(7)) is for that release. */
int ward_vm_lua_check (ward_err *err);

/* Resolve a definition id ("a.b:c") to <root>/a/b/c.lua. */
int ward_def_resolve (const char *id, char *path, size_t pathlen, ward_err *err);
/* A compiled definition, cached for the run (never freed before exit). */
typedef struct ward_def ward_def;
/* The definition at path, compiled (cached; recompiled when the file
 * changed or fresh is set). NULL with err: NOT_FOUND, INVALID (syntax). */
const ward_def *ward_def_get (const char *path, int fresh, ward_err *err);
int ward_def_load (lua_State *L, const ward_def *d, ward_err *err);
/* The definition process p asks, with the value at idx, to upgrade to
 * (nil: its own; lspawn.c): resolved and, when it is another, asked as
 * process.spawn on its id. 0 with u filled, or -1 with err. */
typedef struct ward_upgrade {
  const ward_def *def;
  const char *id;               /* p's, or the string at idx */
  char path[4096];              /* its file */
} ward_upgrade;
int ward_upgrade_target (lua_State *L, ward_proc *p, int idx, ward_upgrade *u, ward_err *err);
/* A definition compiled from source text (a subprocess actor's, sent by
 * the runtime); name is its chunkname. Never freed. */
const ward_def *ward_def_from_source (const char *name, const char *src, size_t len,
                                      ward_err *err);
/* The compiled form of d (a dump of its text chunk), and a definition made
 * from such a dump -- a subprocess actor's, sent by the runtime, which
 * compiled it; the child loads it as it would its own. Never freed. */
void ward_def_code (const ward_def *d, const char **code, size_t *len);
const ward_def *ward_def_from_code (const char *name, const char *code, size_t len,
                                    ward_err *err);
/* The source text of the definition file at path (at most
 * WARD_DEF_SOURCE_MAX bytes); out is initialised here. */
#define WARD_DEF_SOURCE_MAX (16u << 20)
int ward_def_source (const char *path, wbuf *out, ward_err *err);
/* path relative to the root when it is under it (for chunknames). */
const char *ward_def_display (const char *path);
/* Make sure the definition at path exists and compiles (cached). */
int ward_def_check (const char *path, ward_err *err);
/* Push the compiled chunk of path onto L. fresh: bypass the cache. */
int ward_def_push (lua_State *L, const char *path, int fresh, ward_err *err);

/* Create p's VM, load its definition and arguments. */
int ward_vm_boot (ward_proc *p, ward_err *err);
void ward_vm_close (ward_proc *p);
/* Replace p's VM by a fresh one running def_path with args (upgrade). */
int ward_vm_upgrade (ward_proc *p, ward_err *err);

/* Raise the kill reason if p was killed, from any C function of the API. */
void ward_vm_check_killed (lua_State *L);
/* Describe the error object at idx without running any metamethod. */
void ward_vm_describe_error (lua_State *L, int idx, char *buf, size_t n);
/* Block the calling process until a wake (the continuation is re-entered). */
int ward_vm_block (lua_State *L, lua_KContext ctx, lua_KFunction k);

/* Modules (lproc.c with lspawn.c and llink.c, lchan.c, lemilua.c with
 * lspawnvm.c, lerr.c), each in the face of the API its VM was given
 * (face.h). The libraries are opened lazily, on a process's first use of
 * their global name; the metatables of ward's types are made on the first
 * object of any of them. */
/* A type whose objects have a finalizer (__gc) keeps its metatable in the
 * registry under its name (luaL_newmetatable, as ward_setmeta does): a
 * VM without one there is given back without lua_close (vm.c), and no
 * finalizer would run. */
typedef struct ward_type {
  const char *tname;            /* registry name, as luaL_newmetatable */
  const char *display;          /* what getmetatable() shows */
  const luaL_Reg *methods;      /* the __index table (or field "methods"
                                   when metamethods has its own __index) */
  const luaL_Reg *metamethods;  /* __gc, __tostring, __eq, __index ... */
} ward_type;
extern const ward_type ward_type_error, ward_type_channel, ward_type_case,
  ward_type_message, ward_type_builder, ward_type_vmchan, ward_type_context;
/* luaL_setmetatable for one of the types above, made on first use;
 * pushmeta pushes the metatable itself. */
void ward_setmeta (lua_State *L, const char *tname);
void ward_pushmeta (lua_State *L, const char *tname);
/* luaL_testudata and luaL_checkudata for those types, quicker: tname is
 * known by its address (the one given to ward_setmeta, face.c). */
void *ward_testudata (lua_State *L, int idx, const char *tname);
void *ward_checkudata (lua_State *L, int idx, const char *tname);
int ward_luaopen_errors (lua_State *L);
int ward_luaopen_channel (lua_State *L);
int ward_luaopen_time (lua_State *L);
int ward_luaopen_process (lua_State *L);
int ward_luaopen_inbox (lua_State *L);
/* time.sleep(d): blocks the process (yields) until d has passed. */
int ward_time_sleep (lua_State *L);
int ward_push_error (lua_State *L, ward_kind kind, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));      /* pushes nil, err; returns 2 */
int ward_push_err (lua_State *L, const ward_err *err);   /* same from a ward_err */
/* An error object's text, the string its __tostring gives: pushed when
 * the value at idx is one (returns 1), else nothing pushed (returns 0). */
int ward_push_err_text (lua_State *L, int idx);
/* Push the process's string library (package.loaded.string), opening it
 * on first use. */
void ward_push_string_lib (lua_State *L);
void ward_lproc_thread_exit (void);           /* free a worker's scratch buffers */
void ward_open_emilua (lua_State *L, int is_worker);
/* Parse a duration ("250ms", "5s", "1m", "2h", or integer ms) at idx. */
int ward_check_duration (lua_State *L, int idx, int64_t *ms, ward_err *err);
/* Push a channel reading from a mailbox port; a topic channel (listen)
 * is also what unlisten accepts. */
void ward_push_port_channel (lua_State *L, int port, int raw, int owned);
void ward_push_topic_channel (lua_State *L, int port, int raw);
int ward_channel_unlisten (lua_State *L, int idx, ward_err *err);
/* 1 when the value at idx is a listen() channel still subscribed (*raw
 * set to whether it gives raw values), else 0. */
int ward_channel_listening (lua_State *L, int idx, int *raw);
/* Hold a popped message while its values are built (a memory error may
 * interrupt); release frees it. What is held at exit is freed then. */
void ward_msg_hold (ward_proc *p, ward_msg *m);
void ward_msg_release (ward_proc *p);
/* Push the Lua value(s) of a popped message; returns how many. */
int ward_push_msg (lua_State *L, ward_proc *p, ward_msg *m, int raw);
/* Encode the n values at idx (descriptors included) into a new message of
 * kind from `from`; NULL with err when a value cannot be sent. */
ward_msg *ward_msg_encode (lua_State *L, int kind, const char *from, const char *topic,
                           int idx, int n, ward_err *err);
/* The codec options used between processes (with the spawn_vm handle). */
const struct ward_codec_opts *ward_codec_opts_rt (void);
/* The same for values a subprocess actor sent (its channel references
 * counted nothing here). */
const struct ward_codec_opts *ward_codec_opts_wire (void);
/* Drop n of the open channels counted for the process pid (copies a
 * subprocess actor held when it ended); nothing when pid names none. */
void ward_vmchan_release (const char *pid, unsigned n);
/* Count n more open channels for the process pid: copies of one encoded
 * value delivered to several processes, each of which decodes its own. */
void ward_vmchan_retain (const char *pid, unsigned n);
/* The same by delta (> 0 more, < 0 fewer) for each channel in the
 * encoded values data: a copy of them that a process keeps (its context)
 * counts its channels while it is kept. */
void ward_vmchan_adjust_values (const uint8_t *data, size_t len, int delta);
/* Close the spawn_vm channel at idx if it is one (1), else 0: its count
 * goes now, not when it is collected. */
int ward_vmchan_close_at (lua_State *L, int idx);
/* Close p's Emilua inbox (inbox:close): what is queued on it is dropped,
 * a receive raises "channel closed", and so does a send to it. */
void ward_inbox_close (ward_proc *p);

#endif
