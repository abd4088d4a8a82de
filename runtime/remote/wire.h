/* wire.h -- frames between the runtime and a subprocess actor, over the
 * SOCK_SEQPACKET channel the sandbox made. A frame is a type and a body of
 * up to WARD_WIRE_MAX bytes, cut into datagrams of at most WARD_WIRE_CHUNK
 * body bytes, each with a 4-byte header (magic, type, flags, 0). Anything
 * else on the channel -- a wrong magic, a type that changes inside a frame,
 * a datagram too long, a frame too big -- is malformed: the reader ends
 * that child. A frame may carry up to WARD_FD_MAX descriptors (SCM_RIGHTS
 * on its first datagram); more, or any other control message, is malformed.
 * Prefix ward_wire_. */
#ifndef WARD_WIRE_H
#define WARD_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "wbuf.h"
#include "werr.h"
#include "fdvec.h"

#define WARD_WIRE_CHUNK 32768
#define WARD_WIRE_MAX (17u << 20)       /* a 16 MiB message and its envelope */

enum ward_frame {
  WARD_F_BOOT = 1,     /* runtime -> child: what to run (once, first) */
  WARD_F_MSG,          /* runtime -> child: a message or event for the actor */
  WARD_F_REPLY,        /* runtime -> child: the result of a CALL */
  WARD_F_CALL,         /* child -> runtime: a process API call to perform */
  WARD_F_EXIT,         /* child -> runtime: how the actor ended (last) */
  WARD_F_SENDERS,      /* runtime -> child: how many spawn_vm channels name the
                          actor (u32), when that goes to or from zero */
  WARD_F_DROP,         /* child -> runtime: the actor holds no copy of a
                          channel any more (it closed, or collected, the
                          last): str, the PID it names; u32 n >= 1, the
                          copies the runtime sent of it since the last
                          DROP of it, given back (remote.h) */
  WARD_F_DETACHED,     /* runtime -> child: it was detached (spawn_vm's
                          detach): it goes on when the channel closes */
  WARD_F_LAST = WARD_F_DETACHED
};

/* Send one frame; blocks until every datagram is queued (the runtime's end
 * has a send timeout: a child that stops reading fails the send). */
int ward_wire_send (int fd, int type, const void *body, size_t len, ward_err *err);
/* The same with the descriptors of fds (NULL or none: plain); the
 * descriptors stay the caller's (the receiver gets its own). */
int ward_wire_send_fds (int fd, int type, const void *body, size_t len,
                        const ward_fdvec *fds, ward_err *err);
/* The same in one datagram without waiting: 0 sent, 1 not sent (the frame
 * needs more than one datagram, or the channel is full), -1 on an error. */
int ward_wire_send_now (int fd, int type, const void *body, size_t len,
                        const ward_fdvec *fds, ward_err *err);

/* A frame of one datagram built in buf (cap bytes) without allocating,
 * for a signal handler to send: its length, or 0 when body (len bytes,
 * at most WARD_WIRE_CHUNK) does not fit. */
size_t ward_wire_frame_into (uint8_t *buf, size_t cap, int type, const void *body, size_t len);

/* Frames waiting to be written to a non-blocking channel: whole
 * datagrams, in order, each frame's descriptors (dups, the queue's own)
 * with its first. */
typedef struct ward_wire_tx {
  struct ward_wire_dgram *head, *tail;
  size_t bytes;        /* queued, headers included */
} ward_wire_tx;
void ward_wire_tx_init (ward_wire_tx *tx);
/* Drop what is queued (its descriptors closed). */
void ward_wire_tx_free (ward_wire_tx *tx);
/* Queue one frame after what is queued (fds as for ward_wire_send_fds). */
int ward_wire_tx_put (ward_wire_tx *tx, int type, const void *body, size_t len,
                      const ward_fdvec *fds, ward_err *err);
/* Write what is queued without waiting: 0 when all is written, 1 when
 * some is left (the channel is full), -1 on an error; *progress is set
 * when at least one datagram went. */
int ward_wire_tx_flush (int fd, ward_wire_tx *tx, int *progress, ward_err *err);

/* Reassembly of frames from a non-blocking or blocking fd. */
typedef struct ward_wire_rx {
  int type;            /* of the frame being assembled, 0 = none yet */
  int nonblock;        /* read with MSG_DONTWAIT */
  wbuf body;
  ward_fdvec fds;      /* descriptors that came with the frame (the caller
                          takes them; reset and free close what is left) */
} ward_wire_rx;

void ward_wire_rx_init (ward_wire_rx *rx);
void ward_wire_rx_free (ward_wire_rx *rx);

/* Between frames, a receive buffer keeps at most this much storage: a
 * channel that carried one large frame does not hold its size for life. */
#define WARD_WIRE_RX_KEEP (64u << 10)

/* Read datagrams until a frame is whole. Returns 1 with the frame in
 * rx->type/rx->body (the caller takes it, then calls ward_wire_rx_reset),
 * 0 when a non-blocking fd has no more for now, 2 at end of stream, -1 on
 * a malformed frame or a read error (err says which). */
int ward_wire_read (int fd, ward_wire_rx *rx, ward_err *err);
/* Ready for the next frame: the descriptors left are closed, and storage
 * over WARD_WIRE_RX_KEEP is released. */
void ward_wire_rx_reset (ward_wire_rx *rx);

/* Little-endian fields of frame bodies, shared by both ends. */
int ward_wire_put_u32 (wbuf *b, uint32_t v, ward_err *err);
int ward_wire_put_i64 (wbuf *b, int64_t v, ward_err *err);
int ward_wire_put_str (wbuf *b, const char *s, size_t len, ward_err *err);

typedef struct ward_wire_in ward_wire_in;
struct ward_wire_in {
  const uint8_t *p, *end;
};

/* Each returns -1 (INVALID, "truncated frame") past the end. get_str
 * points into the frame: *s is not NUL-terminated unless the sender put
 * one; *len is its length. */
int ward_wire_get_u32 (ward_wire_in *in, uint32_t *v, ward_err *err);
int ward_wire_get_i64 (ward_wire_in *in, int64_t *v, ward_err *err);
int ward_wire_get_str (ward_wire_in *in, const char **s, size_t *len, ward_err *err);
/* A string copied into buf (NUL-terminated); INVALID when it does not fit
 * or holds a NUL. */
int ward_wire_get_cstr (ward_wire_in *in, char *buf, size_t size, ward_err *err);

#endif
