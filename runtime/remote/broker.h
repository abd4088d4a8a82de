/* broker.h -- what the files of the runtime's side of subprocess actors
 * share (remote.h is the contract): broker.c owns the sandboxed hosts and
 * the child made for each spawn; breader.c the reader thread, which reads
 * every child's channel and writes what waits for it; bhandle.c the
 * handles a child holds; bproxy.c is the stand-in's Lua module, which
 * forwards the stand-in's mailbox and performs the child's calls through
 * the functions below. Internal to runtime/. Prefix ward_broker_. */
#ifndef WARD_BROKER_H
#define WARD_BROKER_H

#include <pthread.h>
#include <stdatomic.h>
#include "remote.h"
#include "wire.h"
#include "sandbox.h"

#define SEND_TIMEOUT_S 2        /* a child that reads nothing this long is ended */
/* Bytes of frames waiting for a child past which its stand-in forwards
 * nothing more (its calls are still answered): the rest waits in its
 * mailbox, under the mailbox's limits. */
#define TX_LIMIT (1u << 20)

#define F_ENDED 0xff            /* a WIRE message of the reader: the child ended */
#define F_REFUSED 0xfe          /* a WIRE message of the reader: a CALL whose
                                   descriptors were refused (body: why) */

struct ward_remote {
  ward_remote *next;
  ward_proc *proxy;             /* a reference, once the proxy exists */
  wsb_child child;
  const struct sbx_host *sh;     /* NULL for spawn_vm's subprocess table */
  int counted;                  /* counted in sbx_live (vm_live without sh) */
  ward_fdtally *tally;          /* descriptors the child has in flight */
  uint64_t memory;              /* the child's Lua heap cap */
  int64_t mailbox;
  uint64_t owner;               /* serial of spawn_vm's caller, 0 = none */
  char owner_pid[64];
  int detached;
  ward_wire_rx rx;
  /* When the frame being reassembled in rx last grew (ns); 0 = none. A
   * frame that does not grow for the stall time ends the child: a child
   * cannot keep the runtime holding half a frame. */
  int64_t rx_since;
  int64_t rx_started;           /* when that frame began (ns) */
  size_t rx_counted;            /* its storage, as counted in the reader's total */
  int rx_waiting;               /* not read: the total is at its limit */
  int polling;                  /* the channel is in the epoll set */
  int ended;                    /* the exit record came */
  int broken;                   /* ended for breaking the protocol */
  int rx_fds_judged;            /* the descriptors of the frame in rx were judged */
  int rx_fds_refused;           /* ... and refused (closed; its call fails) */
  int64_t closed_at;            /* when its channel read as closed (ns), 0 = not */
  /* touched only by the proxy's thread */
  int got_exit;                 /* an EXIT frame arrived */
  int exit_abnormal;
  uint8_t *exit_data;
  size_t exit_len;
  char ended_why[256];
  char own_why[256];            /* why the stand-in ended it, if it did */
  int boot_failed;              /* set by ward_broker_boot, before the proxy runs */
  ward_err boot_err;
  /* Non-zero while the channel is not free for a message sent straight
   * from a sender's thread (ward_broker_forward_now): until BOOT has gone,
   * and while the proxy writes (a frame of several datagrams must not be
   * cut by another's, and what the proxy forwards keeps its order). */
  atomic_int busy;
  int told_senders;             /* what the child was last told (ward_broker_senders_now) */
  ward_err refused;             /* why the reader refused a CALL's descriptors */
  int collect;                  /* a large call was performed: collect before idling */
  /* The handles (channels) the runtime has sent the child, each with how
   * many copies: the only ones a frame from the child may name. Each copy
   * counted an open channel when it was encoded; a DROP frame from the
   * child (it holds no copy of that channel any more: bhandle.c) and the
   * child's end drop them.
   * held_lock is taken last (by the reader under ward_broker_rd.lock, by a
   * sender's thread under its own). */
  pthread_mutex_t held_lock;
  struct held_ref *held;
  size_t nheld, held_cap;
  /* Frames for the child are written without waiting; what the channel
   * cannot take yet waits in tx and the reader writes it as the child
   * reads, so that a child that reads slowly holds up no thread. A child
   * that takes nothing for SEND_TIMEOUT_S while frames wait is ended.
   * tx_lock is taken after ward_broker_rd.lock and a stand-in's own lock. */
  pthread_mutex_t tx_lock;
  ward_wire_tx tx;
  int out_fd;                   /* a dup of the channel, watched for room */
  int out_watched;              /* out_fd is in the epoll set */
  atomic_int in_call;           /* the stand-in performs one of its calls */
  /* the CPU time the runtime's work for the child took (the stand-in's
   * slices, the sends the reader performs), charged to the child's limit
   * (the profile's cpu, 0 = none) */
  _Atomic int64_t cpu_used_ns;
  int64_t cpu_limit_ns;
  atomic_int cpu_spent;
  int rearm_on_room;            /* its channel is watched again once tx has room */
  int64_t stalled_since;        /* frames wait and none went since (ns); 0 = none */
  int tx_ended;                 /* nothing more is written */
};

/* The children and the reader thread that watches them (breader.c). lock
 * guards the list and what the reader touches in each child; a stand-in's
 * own lock and a child's tx_lock are taken after it. */
struct ward_broker_rd {
  pthread_mutex_t lock;
  pthread_t thread;
  int started, stop, ep, wake[2];
  int64_t stall_ns;             /* SEND_TIMEOUT_S, or the tests' */
  size_t rx_total;              /* bytes of unfinished frames, all children */
  size_t rx_limit;              /* RX_TOTAL_LIMIT, or the tests' */
  ward_remote *list;
};
extern struct ward_broker_rd ward_broker_rd;

/* Start the reader (a no-op once it runs). With the lock. On failure
 * nothing it made is left (err says which call failed). */
int ward_broker_start_reader (ward_err *err);
/* Wake the reader: a wait of its ends at once. */
void ward_broker_wake_reader (void);
/* Each of the following is called with the reader's lock. */
/* SIGKILL r's child (unless it ended or is detached). */
void ward_broker_kill_child (ward_remote *r);
/* Read r's channel no more. */
void ward_broker_stop_polling (ward_remote *r);
/* Watch r's channel for its next frame; when the kernel refuses, r's
 * child is ended and its stand-in told why. */
void ward_broker_rewatch (ward_remote *r);
/* End r's child for `action`, a breach the runtime decides: the child is
 * killed, the event audited against its stand-in, the stand-in told why. */
void ward_broker_end_audited (ward_remote *r, const char *action, const char *why);
/* Write what still waits for a detached child, for at most the stall
 * time. r is off the list, or the reader has stopped. */
void ward_broker_flush_detached (ward_remote *r);

/* The handles in a value sent to r's child (encoded: data, len) become
 * ones it holds and may name. */
void ward_broker_grant_handles (ward_remote *r, const uint8_t *data, size_t len);
/* The same for a message forwarded to r's child: only its values, never
 * an event's error text, can hold handles. ungrant takes the copies back
 * when the message was not sent after all (it is granted again when it
 * is). */
void ward_broker_grant_msg (ward_remote *r, const ward_msg *m);
void ward_broker_ungrant_msg (ward_remote *r, const ward_msg *m);
/* The DROP frame in r->rx: the child gives back n copies of a channel it
 * holds (all the runtime sent it since its last DROP of it: it holds none
 * any more), which count as open no more. NULL, or why the frame is
 * malformed (not a PID and a count, or more copies than it holds). Called
 * with the reader's lock. */
const char *ward_broker_take_drop (ward_remote *r);
/* Whether the CALL or EXIT frame in r->rx names a handle the child does
 * not hold: a forged one. */
int ward_broker_forged_handle (ward_remote *r, int type);
/* r is freed: the copies its child held count as open no more. */
void ward_broker_held_free (ward_remote *r);
/* Queue a frame for r's child and write what the channel takes now. 0, or
 * -1 when the child can take nothing more (err says why). */
int ward_broker_put_frame (ward_remote *r, int type, const void *body, size_t len,
                           const ward_fdvec *fds, ward_err *err);
/* Whether so much waits for r's child that its stand-in forwards nothing
 * more for now. */
int ward_broker_tx_full (ward_remote *r);
/* Writing to r's child failed: end it with this reason (_locked: with the
 * reader's lock held). */
void ward_broker_channel_broken (ward_remote *r, const ward_err *err);
void ward_broker_channel_broken_locked (ward_remote *r, const ward_err *err);
/* Whether any channel names the stand-in p (0 or 1), and the same as the
 * child is to be told now (UINT32_MAX for the run's first process). */
unsigned ward_broker_senders_peek (ward_proc *p);
uint32_t ward_broker_senders_now (ward_proc *p);
/* The stand-in found what a frame of r's child holds malformed (what, a
 * phrase): end the child and audit it as sandbox.malformed_frame; the
 * stand-in's end then reads "subprocess actor ended: malformed frame:
 * what". */
void ward_broker_malformed (ward_remote *r, const char *what);
/* Watch r's channel again after the stand-in took a frame (_locked: with
 * the reader's lock held). */
void ward_broker_rearm (ward_remote *r);
void ward_broker_rearm_locked (ward_remote *r);

/* The reader performs a child's send itself, as the stand-in would --
 * judged by the permission engine as the stand-in's actor, the denial
 * audited, the message delivered from it -- and writes the REPLY: the
 * stand-in's thread is not woken for the commonest call. Only a plain one
 * (op "send" to a PID -- a name is looked up under a lock that ranks
 * before the reader's --, no descriptors, no handles, arguments of at most
 * SEND_NOW_MAX bytes) while the stand-in performs no call and its child
 * runs; the reader then watches the channel again. r->rx holds the CALL.
 * Returns 1 when done, 0 when the stand-in must perform it. Called with
 * the reader's lock. */
#define SEND_NOW_MAX (64u << 10)
int ward_broker_send_now (ward_remote *r);
/* ward_broker_charge_cpu for the reader, with its lock held. */
void ward_broker_charge_cpu_locked (ward_remote *r, int64_t ns);
/* The reader thread ends: what ward_broker_send_now kept goes. */
void ward_broker_send_now_end (void);

#endif
