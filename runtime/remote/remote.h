/* remote.h -- subprocess actors, both ends.
 *
 * A process spawned on a host with a sandbox profile is two things: a
 * stand-in in the runtime (the "proxy", an ordinary ward process with the
 * PID, mailbox, links, monitors and names everyone sees) and the actor's
 * own VM in a sandboxed child made by sandbox/ (wsb_spawn). They talk over
 * the child's channel in frames (wire.h):
 *
 *   runtime -> child: BOOT once (PID, compiled definition, arguments, actor,
 *     scope, context, limits, open channels), then MSG for each message or
 *     event that reaches the proxy's mailbox, REPLY for each CALL, and
 *     SENDERS when the count of channels naming the actor goes to or from
 *     zero (so that the child's Emilua inbox reports "channel closed");
 *   child -> runtime: CALL for each process API call that touches anything
 *     outside the actor (send, spawns, exec, terminate, cancel, link,
 *     monitor, the registry, set_options), DROP when it holds no copy of a
 *     channel the runtime sent it any more (below), then EXIT with the
 *     actor's result.
 *
 * The proxy performs each CALL with the ordinary process API, as itself:
 * the permission engine judges the child's actor in the runtime, never in
 * the child (whose own gate is never started, so it denies everything it
 * is asked). Inbox, events, topics, timers, channels and the context stay
 * in the child. Prefix ward_remote_ (child side) and ward_broker_ (runtime
 * side). */
#ifndef WARD_REMOTE_H
#define WARD_REMOTE_H

#include <lua.h>
#include <lauxlib.h>
#include "rt.h"
#include "policy.h"

/* A message or event on the wire (both ends, remote.c). decode returns a
 * new message, or NULL with err (INVALID: malformed). */
struct ward_wire_in;
int ward_remote_msg_encode (const ward_msg *m, wbuf *b, ward_err *err);
ward_msg *ward_remote_msg_decode (struct ward_wire_in *in, ward_err *err);

/* ---- the child side (remote.c, rhandle.c; rchild.h between them) ---- */

/* The channel to the runtime in a subprocess actor, -1 in the runtime. */
extern int ward_remote_chan;
/* In a subprocess actor: whether the runtime counts the channels naming it
 * (every actor but the run's first process), so that its inbox can report
 * that none remains. */
extern int ward_remote_tracks_senders;
/* In a subprocess actor that was detached: the runtime has gone (its
 * channel closed). The actor goes on; every call to the runtime fails. */
extern _Atomic int ward_remote_gone;

#ifdef WARD_TEST_HOOKS
/* The compromised-child harness (tests/harness/rawwire.c): set from
 * WARD_TEST_RAW_WIRE when ward starts, it gives each subprocess actor's
 * VM a global `wire` that sends raw frames and datagrams and sets the
 * pace of the child's reader. install adds it to a VM before the actor
 * runs; pace is called by the reader before each frame it reads. */
extern int ward_remote_raw;
int ward_rawwire_install (lua_State *L, ward_err *err);
void ward_rawwire_pace (void);
#endif

/* The sandbox entry: read BOOT, run the actor, send EXIT. Returns the
 * child's exit status. */
int ward_remote_main (int chan);

/* Forward the calling API function (op, with the Lua arguments 1..top) to
 * the runtime and return what the proxy's call returned: values, or nil
 * and an error object, or a raised error. Blocks the process. */
int ward_remote_call (lua_State *L, const char *op);
/* ward_remote_call of a call whose reply brings a descriptor back: that
 * descriptor needs a free slot in this process's table, or the kernel
 * would cut it off the reply, which ends the child; a full table is the
 * caller's error (nil and a WARD_E_UNAVAILABLE error) instead. */
int ward_remote_call_fd (lua_State *L, const char *op);
/* Set, in the table on top of the stack, each name of fns (their functions
 * are not used) to a closure of f whose one upvalue is the call's name
 * "MODULE.NAME", which f forwards to the runtime. */
void ward_remote_proxies (lua_State *L, const char *module, const luaL_Reg *fns,
                          lua_CFunction f);
/* ward_remote_call of op on the nargs values on top of the stack, as a
 * call of its own: the caller goes on at k (with ctx) and the nres values
 * it returned, to work on the answer. The caller must be able to yield. */
int ward_remote_callk (lua_State *L, const char *op, int nargs, int nres, lua_KContext ctx,
                       lua_KFunction k);

/* In a subprocess actor: the definition compiled as code (a dump the
 * runtime sent, named chunk), made once per distinct code: an actor that
 * upgrades again and again to the same bodies allocates nothing more.
 * NULL with err. */
const struct ward_def *ward_remote_def (const char *chunk, const char *code, size_t len,
                                        ward_err *err);

/* The REPLY to the call the current process p forwarded, once it has
 * come: 1 with its status (0 values, 1 an error value, 2 a raised error)
 * and two strings that point into the reply, held until ward_msg_release
 * (p); 0 when it has not come yet; -1 when it is malformed. */
typedef struct ward_remote_reply {
  uint32_t st;
  const char *a, *b;
  size_t alen, blen;
} ward_remote_reply;
int ward_remote_take_reply (ward_proc *p, ward_remote_reply *r);

/* Channels (spawn_vm's, lemilua.c) in a subprocess actor. The runtime
 * counts each copy it sends the child (in a MSG, a REPLY or BOOT's
 * arguments) until the child gives it back with a DROP frame; the child
 * makes copies of its own too (process.upgrade's arguments, a snapshot of
 * values, a CALL's arguments in flight), which the runtime never sees. So
 * the child counts, per PID, the copies it holds: each channel userdata
 * that is open, each handle in a value that is not decoded yet (a message
 * or reply in its mailbox, upgrade's arguments, a CALL until its reply
 * comes). Decoding a value takes its copies over (each channel made keeps
 * one; nothing is counted again). When the count of a PID goes to zero,
 * one DROP frame gives back every copy the runtime sent of it since the
 * last one (its PID and that number): the copies the runtime sends later
 * are counted anew, so a DROP crossing a message that holds the channel
 * gives back only what the child had. A copy of the child's own address
 * that it made itself (its inbox sent as a channel) was never the
 * runtime's: it is counted here, and given back to no one. Nothing is sent
 * once the actor has ended: the runtime then drops every copy the child
 * held. */
/* The actor dropped (closed, or collected) one channel userdata naming
 * pid. */
void ward_remote_dropped (const char *pid);
/* A DROP that could not be written at once (the channel was full, or the
 * copies went where the child must not wait: under a lock, on its reader)
 * waits; the actor's thread sends what waits before each CALL and before
 * it blocks (here), when it may wait for room. */
void ward_remote_flush_drops (void);
/* The encoded values data hold copies the child keeps (until decoded, or
 * until given back with ward_remote_unhold): each handle in them is
 * counted. No-op in the runtime. */
void ward_remote_hold (const uint8_t *data, size_t len);
void ward_remote_unhold (const uint8_t *data, size_t len);
/* The message m, which holds counted copies (m->handles), is freed
 * undecoded: they are dropped (ward_msg_free). */
void ward_remote_msg_dropped (ward_msg *m);
/* Whether m's data are encoded values (which may hold handles): not an
 * event's error text. Both ends count handles in these messages only. */
int ward_remote_msg_holds_values (const ward_msg *m);

/* The actor is ending (called by proc.c, in a child, before its VM is
 * closed): the channels its VM lets go send no DROP, since its EXIT,
 * which may name them, goes after; the runtime gives back every copy the
 * child held when it ends. */
void ward_remote_ending (void);
/* The actor ended (called once, by proc.c, in a child). */
void ward_remote_exited (int abnormal, const uint8_t *result, size_t len, const char *error);

/* ---- the runtime side (broker.c, breader.c, bhandle.c, bproxy.c; broker.h) ---- */

typedef struct ward_remote ward_remote;

/* Attach a sandbox profile to a host: every process spawned on it becomes
 * a subprocess actor. init_text (init_len bytes) is the profile's init
 * script, already read. 0 or -1. */
int ward_broker_host (ward_host *h, const char *profile, const ward_profile *spec,
                      const char *init_text, size_t init_len, ward_err *err);
/* Why the sandbox supervisor could not start ("" when it runs). */
extern char ward_broker_no_supervisor[256];

/* Whether processes on h are subprocess actors. */
int ward_broker_sandboxed (const ward_host *h);
/* How many live children a process of h may have: its profile's
 * live_children (else the run's default); UINT_MAX for a host that is not
 * sandboxed. */
unsigned ward_broker_children_limit (const ward_host *h);

/* Make the sandboxed child for a spawn on h (before the proxy exists, so
 * that a failing sandbox -- an init script error -- is the spawner's
 * error). The result goes into ward_spawn_req.remote. UNAVAILABLE when h
 * already has its profile's number of live processes (`processes`, else
 * the run's default), or when the child's descriptors would reach into the
 * runtime's reserve (core/fdvec.h): the runtime and its trusted processes keep
 * theirs whatever sandboxed processes do. */
ward_remote *ward_broker_prepare (ward_host *h, ward_err *err);
/* The `subprocess` table of spawn_vm (Emilua's face): a child with these
 * namespaces, the shipped seccomp allow-list, no capabilities and the
 * run's limits. */
typedef struct ward_subprocess_opts {
  unsigned namespaces;          /* WARD_NS_* */
  const char *const *environ;   /* "K=V" list, NULL-terminated; NULL = empty */
  /* the child's standard streams: descriptors the caller gives (its own
   * 0..2 for "share"; the child gets copies); -1 = a closed pipe end */
  int stdin_fd, stdout_fd, stderr_fd;
  const char *init_script;      /* NULL = none */
  size_t init_len;
  int init_arg_fd;              /* the script's init.arg (stays the caller's); -1 = none */
} ward_subprocess_opts;
/* UNAVAILABLE (audited) when the caller already has --sandbox-children
 * live ones, or the run --sandbox-processes, as for a sandboxed host. */
ward_remote *ward_broker_prepare_vm (const ward_proc *caller, const ward_subprocess_opts *o,
                                     ward_err *err);

/* The stand-in of r exists (ward_spawn, before it can run). */
void ward_broker_attach (ward_proc *proxy);
/* The spawn is sure to happen (ward_spawn, once names, links and monitors
 * are in place, before the stand-in can run): send BOOT, so that the child
 * starts at once. A failure is raised by the stand-in when it runs. */
void ward_broker_boot (ward_proc *proxy);
/* Called by ward_deliver with the proxy's lock held, when its mailbox
 * holds nothing to forward: write a message (USER or VM) to the child at
 * once, from the sender's thread, rather than through the proxy. 0 when
 * sent (the caller frees m), -1 when it must be queued as usual. */
int ward_broker_forward_now (ward_proc *proxy, const ward_msg *m);

/* After ward_spawn: the child ends with the process `owner` unless it is
 * detached first (spawn_vm's semantics). */
int ward_broker_bind_owner (ward_proc *proxy, ward_proc *owner, ward_err *err);
/* ns of CPU time the stand-in proxy just took (a slice): its child's
 * work, charged to the child's CPU limit; past it the child is ended
 * (limit.cpu). */
void ward_broker_charge_cpu (ward_proc *proxy, int64_t ns);
/* The Lua heap a stand-in may use: what its child's may (the calls it
 * decodes are the child's values), and 1 MiB for itself; at most the
 * run's --memory. */
size_t ward_broker_proxy_memory (const ward_remote *r);
/* Whether serial is the spawn_vm caller that the stand-in p is bound to
 * (its watch of it is the runtime's: process.unmonitor keeps it). */
int ward_broker_owner_is (const ward_proc *p, uint64_t serial);

/* What spawn_vm's channel can do to its subprocess (pid: the stand-in's):
 * a signal (SIGKILL also ends the stand-in), detach, the child's pid. */
int ward_broker_kill (const char *pid, int signo, ward_err *err);
int ward_broker_detach (const char *pid, ward_err *err);
long ward_broker_child_pid (const char *pid, ward_err *err);
/* The serial of the process whose spawn_vm made the subprocess actor pid
 * (its owner, that kill, detach and child_pid answer to); 0 if none. */
uint64_t ward_broker_owner (const char *pid);

/* Undo ward_broker_prepare when the spawn failed after it. */
void ward_broker_abort (ward_remote *r);

/* The Lua body the proxy runs, and its module (pushed as its argument). */
const void *ward_broker_def (ward_err *err);
void ward_broker_push_module (lua_State *L);

/* The proxy ended: kill the child if it still runs, free everything. */
void ward_broker_release (ward_proc *proxy);

/* Stop the reader thread (end of run, after every process exited). */
void ward_broker_shutdown (void);

#endif
