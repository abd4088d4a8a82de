/* test-wire.c -- frames over SOCK_SEQPACKET (runtime/remote/wire.c): round trips
 * of every size class, and every malformed input a hostile child could
 * write, each refused with an error and never a crash. */
#include "config.h"
#include "wire.h"
#include "tap.h"
#include "rt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>


/* the runtime's end of the first process: not reached from these tests */
void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
  (void) p;
  (void) abnormal;
  (void) error;
}

static int sv[2];

static void
pair (void)
{
  close (sv[0]);
  close (sv[1]);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    abort ();
  int sz = 4 << 20;
  setsockopt (sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  setsockopt (sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
}

/* Send size bytes as one frame from a child process (big frames would
 * fill the socket buffer), read it here; 1 when it came back whole. */
static int
round_trip (size_t size)
{
  pair ();
  uint8_t *body = malloc (size ? size : 1);
  for (size_t i = 0; i < size; i++)
    body[i] = (uint8_t) (i * 31 + 7);
  pid_t pid = fork ();
  if (pid == 0)
    {
      ward_err err;
      _exit (ward_wire_send (sv[0], WARD_F_CALL, body, size, &err) == 0 ? 0 : 1);
    }
  ward_wire_rx rx;
  ward_wire_rx_init (&rx);
  ward_err err;
  int rc = ward_wire_read (sv[1], &rx, &err);
  int good = rc == 1 && rx.type == WARD_F_CALL && rx.body.len == size
             && (size == 0 || memcmp (rx.body.data, body, size) == 0);
  ward_wire_rx_free (&rx);
  free (body);
  int st;
  waitpid (pid, &st, 0);
  return good && WIFEXITED (st) && WEXITSTATUS (st) == 0;
}

/* Write raw datagrams, then read: the result of ward_wire_read. */
static int
raw_read (const uint8_t *const *dgrams, const size_t *lens, int n, int close_after,
          ward_err *err)
{
  pair ();
  for (int i = 0; i < n; i++)
    if (send (sv[0], dgrams[i], lens[i], 0) < 0)
      abort ();
  if (close_after)
    {
      close (sv[0]);
      sv[0] = -1;
    }
  ward_wire_rx rx;
  ward_wire_rx_init (&rx);
  rx.nonblock = 1;
  int rc = ward_wire_read (sv[1], &rx, err);
  ward_wire_rx_free (&rx);
  return rc;
}

static int
malformed (const uint8_t *d, size_t len, const char *what)
{
  ward_err err = { 0 };
  const uint8_t *ds[1] = { d };
  size_t ls[1] = { len };
  int rc = raw_read (ds, ls, 1, 0, &err);
  return ok (rc == -1 && err.kind == WARD_E_INVALID && strstr (err.msg, "malformed"),
             "%s is refused as malformed", what);
}

int
main (void)
{
  plan (49);
  sv[0] = sv[1] = -1;
  ok (round_trip (0), "an empty frame");
  ok (round_trip (100), "a small frame");
  ok (round_trip (WARD_WIRE_CHUNK), "a frame of exactly one chunk");
  ok (round_trip (WARD_WIRE_CHUNK + 1), "one byte more: two datagrams");
  ok (round_trip (3 * WARD_WIRE_CHUNK + 17), "a frame of several chunks");
  ok (round_trip (16u << 20), "a 16 MiB frame");

  ward_err err;
  pair ();
  ok (ward_wire_send (sv[0], WARD_F_CALL, "", (size_t) WARD_WIRE_MAX + 1, &err) == -1
      && err.kind == WARD_E_INVALID, "a sender refuses a frame over the limit");

  uint8_t bad_magic[] = { 0x58, WARD_F_CALL, 0, 0, 'x' };
  malformed (bad_magic, sizeof bad_magic, "a wrong magic byte");
  uint8_t too_short[] = { 0x57, WARD_F_CALL };
  malformed (too_short, sizeof too_short, "a datagram shorter than its header");
  uint8_t bad_type[] = { 0x57, 99, 0, 0 };
  malformed (bad_type, sizeof bad_type, "an unknown frame type");
  uint8_t zero_type[] = { 0x57, 0, 0, 0 };
  malformed (zero_type, sizeof zero_type, "frame type 0");
  uint8_t bad_flags[] = { 0x57, WARD_F_CALL, 4, 0 };
  malformed (bad_flags, sizeof bad_flags, "unknown flag bits");
  uint8_t bad_pad[] = { 0x57, WARD_F_CALL, 0, 9 };
  malformed (bad_pad, sizeof bad_pad, "a non-zero reserved byte");
  uint8_t *huge = calloc (1, WARD_WIRE_CHUNK + 64);
  huge[0] = 0x57;
  huge[1] = WARD_F_CALL;
  malformed (huge, WARD_WIRE_CHUNK + 64, "a datagram longer than a chunk");
  free (huge);

  /* the type changes inside a frame */
  uint8_t first[] = { 0x57, WARD_F_CALL, 1, 0, 'a' };
  uint8_t second[] = { 0x57, WARD_F_EXIT, 0, 0, 'b' };
  const uint8_t *ds[2] = { first, second };
  size_t ls[2] = { sizeof first, sizeof second };
  int rc = raw_read (ds, ls, 2, 0, &err);
  ok (rc == -1 && strstr (err.msg, "unexpected type"), "a frame whose type changes midway");

  /* a frame cut short by the end of the stream */
  rc = raw_read (ds, ls, 1, 1, &err);
  ok (rc == -1 && strstr (err.msg, "truncated"), "a frame cut short by the channel's end");
  /* the first datagram of a frame, nothing more yet: not an error */
  rc = raw_read (ds, ls, 1, 0, &err);
  is_int (rc, 0, "half a frame on a non-blocking read: wait for more");
  /* an orderly end between frames */
  rc = raw_read (ds, ls, 0, 1, &err);
  is_int (rc, 2, "the end of the stream between frames");

  /* a frame larger than the limit, in legal datagrams: the sender lies
   * about nothing but sends too much */
  pair ();
  pid_t pid = fork ();
  if (pid == 0)
    {
      uint8_t *d = calloc (1, WARD_WIRE_CHUNK + 4);
      d[0] = 0x57;
      d[1] = WARD_F_CALL;
      d[2] = 1;
      for (unsigned i = 0; i < WARD_WIRE_MAX / WARD_WIRE_CHUNK + 2; i++)
        if (send (sv[0], d, WARD_WIRE_CHUNK + 4, MSG_NOSIGNAL) < 0)
          break;
      _exit (0);
    }
  close (sv[0]);
  sv[0] = -1;
  ward_wire_rx rx;
  ward_wire_rx_init (&rx);
  rc = ward_wire_read (sv[1], &rx, &err);
  ward_wire_rx_free (&rx);
  close (sv[1]);
  sv[1] = -1;
  waitpid (pid, NULL, 0);
  ok (rc == -1 && strstr (err.msg, "over"), "a frame growing past the limit is refused");

  /* a peer that ends with unread data in its own queue: its last frame
   * still arrives (the kernel reports ECONNRESET once, before it) */
  pair ();
  {
    ward_err e2;
    ward_wire_send (sv[1], WARD_F_MSG, "unread", 6, &e2);     /* never read */
    ward_wire_send (sv[0], WARD_F_EXIT, "last", 4, &e2);
    close (sv[0]);
    sv[0] = -1;
    ward_wire_rx r2;
    ward_wire_rx_init (&r2);
    r2.nonblock = 1;
    int a = ward_wire_read (sv[1], &r2, &e2);
    ok (a == 1 && r2.type == WARD_F_EXIT && r2.body.len == 4,
        "the last frame of a peer that left data unread arrives");
    ward_wire_rx_reset (&r2);
    is_int (ward_wire_read (sv[1], &r2, &e2), 2, "then the end of the stream");
    ward_wire_rx_free (&r2);
  }

  /* a receive buffer does not keep the size of the largest frame it read:
   * one buffer per child, idle children would hold it all */
  pair ();
  {
    ward_err e3;
    ward_wire_rx r3;
    ward_wire_rx_init (&r3);
    pid_t big = fork ();
    if (big == 0)
      {
        size_t n = 4u << 20;
        uint8_t *d = calloc (1, n);
        _exit (d && ward_wire_send (sv[0], WARD_F_CALL, d, n, &e3) == 0
               && ward_wire_send (sv[0], WARD_F_CALL, d, 100, &e3) == 0 ? 0 : 1);
      }
    int a = ward_wire_read (sv[1], &r3, &e3);
    ok (a == 1 && r3.body.len == 4u << 20 && r3.body.cap >= 4u << 20,
        "a 4 MiB frame is read whole");
    ward_wire_rx_reset (&r3);
    ok (r3.body.cap <= WARD_WIRE_RX_KEEP, "after it, the buffer keeps %zu bytes (at most %u)",
        r3.body.cap, WARD_WIRE_RX_KEEP);
    a = ward_wire_read (sv[1], &r3, &e3);
    ok (a == 1 && r3.body.len == 100, "the next frame is read into a fresh buffer");
    ward_wire_rx_reset (&r3);
    ok (r3.body.cap > 0 && r3.body.cap <= WARD_WIRE_RX_KEEP,
        "a small frame's storage is kept for the next one");
    ward_wire_rx_free (&r3);
    int st;
    waitpid (big, &st, 0);
  }

  /* descriptors: they come with the frame, and only SCM_RIGHTS may */
  {
    pair ();
    int pp[2];
    if (pipe (pp) < 0)
      abort ();
    ward_fdvec v = { 0 };
    ward_fdvec_dup (&v, pp[1], &err);
    ward_fdvec_dup (&v, pp[1], &err);
    size_t big = 2 * WARD_WIRE_CHUNK + 5;
    uint8_t *body = calloc (1, big);
    ward_err e2;
    int sent = ward_wire_send_fds (sv[0], WARD_F_CALL, body, big, &v, &e2);
    ward_fdvec_close (&v);
    ward_wire_rx r2;
    ward_wire_rx_init (&r2);
    int a = ward_wire_read (sv[1], &r2, &e2);
    ok (sent == 0 && a == 1 && r2.body.len == big && r2.fds.n == 2 && r2.fds.fd[0] >= 0
        && r2.fds.fd[1] >= 0, "a frame of three datagrams brings its two descriptors");
    ok (r2.fds.n == 2 && write (r2.fds.fd[1], "z", 1) == 1 && read (pp[0], body, 1) == 1
        && body[0] == 'z', "a received descriptor is the sent pipe");
    is_int (fcntl (r2.fds.fd[0], F_GETFD), FD_CLOEXEC, "received descriptors are close-on-exec");
    int kept = r2.fds.fd[0];
    ward_wire_rx_reset (&r2);
    ok (fcntl (kept, F_GETFD) < 0 && r2.fds.n == 0, "what the reader did not take closes "
        "with the frame");

    /* a sender's list with a taken slot is not sent: indices would shift */
    ward_fdvec_dup (&v, pp[1], &err);
    ward_fdvec_dup (&v, pp[1], &err);
    close (v.fd[0]);
    v.fd[0] = -1;
    is_int (ward_wire_send_fds (sv[0], WARD_F_MSG, "m", 1, &v, &e2), -1,
            "a list with a hole is refused by the sender");
    ward_fdvec_close (&v);

    /* a hostile peer: too many descriptors, or another control message */
    int many[WARD_FD_MAX + 1];
    for (int i = 0; i <= WARD_FD_MAX; i++)
      many[i] = pp[1];
    union { struct cmsghdr align; char buf[CMSG_SPACE (sizeof many)]; } ctl;
    uint8_t hdr[4] = { 0x57, WARD_F_CALL, 0, 0 };
    struct iovec iov = { hdr, sizeof hdr };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                         .msg_controllen = sizeof ctl.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN (sizeof many);
    memcpy (CMSG_DATA (c), many, sizeof many);
    int open_before = 0, open_after = 0;
    for (int f = 3; f < 256; f++)
      open_before += fcntl (f, F_GETFD) >= 0;
    if (sendmsg (sv[0], &mh, 0) < 0)
      abort ();
    ward_wire_rx_reset (&r2);
    a = ward_wire_read (sv[1], &r2, &e2);
    for (int f = 3; f < 256; f++)
      open_after += fcntl (f, F_GETFD) >= 0;
    ok (a == -1 && strstr (e2.msg, "malformed") && r2.fds.n == 0 && open_after == open_before,
        "%d descriptors in one frame: malformed, and every one closed", WARD_FD_MAX + 1);

    int on = 1;
    setsockopt (sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    ward_wire_rx_reset (&r2);
    a = ward_wire_send (sv[0], WARD_F_CALL, "x", 1, &e2) == 0
        ? ward_wire_read (sv[1], &r2, &e2) : 0;
    ok (a == -1 && strstr (e2.msg, "control message"), "credentials (another control "
        "message) are refused as malformed");
    ward_wire_rx_free (&r2);
    free (body);
    close (pp[0]);
    close (pp[1]);
  }

  /* the outgoing queue: frames written without waiting, in order, their
   * descriptors with them; a full channel keeps the rest for later */
  {
    pair ();
    int pp[2];
    if (pipe (pp) < 0)
      abort ();
    ward_fdvec v = { 0 };
    ward_fdvec_dup (&v, pp[1], &err);
    ward_wire_tx tx;
    ward_wire_tx_init (&tx);
    size_t big = 3 * WARD_WIRE_CHUNK + 9;
    uint8_t *body = calloc (1, big);
    body[big - 1] = 'e';
    int progress = 0;
    ward_err e4;
    int q = ward_wire_tx_put (&tx, WARD_F_MSG, "one", 3, NULL, &e4) == 0
            && ward_wire_tx_put (&tx, WARD_F_REPLY, body, big, &v, &e4) == 0
            && ward_wire_tx_put (&tx, WARD_F_SENDERS, "four", 4, NULL, &e4) == 0;
    ward_fdvec_close (&v);
    ok (q && tx.bytes == 3 + 4 + big + 6 * 4, "three frames in six datagrams queued: "
        "%zu bytes, headers included", tx.bytes);
    int f = ward_wire_tx_flush (sv[0], &tx, &progress, &e4);
    ok (f == 0 && progress && tx.bytes == 0 && tx.head == NULL, "a channel with room takes "
        "them all at once");
    ward_wire_rx r4;
    ward_wire_rx_init (&r4);
    int a = ward_wire_read (sv[1], &r4, &e4);
    int good = a == 1 && r4.type == WARD_F_MSG && r4.body.len == 3 && r4.fds.n == 0;
    ward_wire_rx_reset (&r4);
    a = ward_wire_read (sv[1], &r4, &e4);
    good = good && a == 1 && r4.type == WARD_F_REPLY && r4.body.len == big
           && r4.body.data[big - 1] == 'e' && r4.fds.n == 1
           && write (r4.fds.fd[0], "q", 1) == 1 && read (pp[0], body, 1) == 1 && body[0] == 'q';
    ward_wire_rx_reset (&r4);
    a = ward_wire_read (sv[1], &r4, &e4);
    good = good && a == 1 && r4.type == WARD_F_SENDERS && r4.body.len == 4;
    ward_wire_rx_reset (&r4);
    ok (good, "they arrive whole, in order, the descriptor with its frame");

    /* a channel that is not read: the queue keeps what it cannot take */
    for (int i = 0; i < 512; i++)
      if (ward_wire_tx_put (&tx, WARD_F_MSG, body, WARD_WIRE_CHUNK, NULL, &e4) < 0)
        abort ();
    progress = 0;
    f = ward_wire_tx_flush (sv[0], &tx, &progress, &e4);
    size_t left = tx.bytes;
    ok (f == 1 && progress && left > 0 && left < 512u * (WARD_WIRE_CHUNK + 4),
        "a full channel takes part: %zu bytes wait", left);
    progress = 0;
    ok (ward_wire_tx_flush (sv[0], &tx, &progress, &e4) == 1 && !progress && tx.bytes == left,
        "... and nothing more until it is read");
    a = ward_wire_read (sv[1], &r4, &e4);
    ward_wire_rx_reset (&r4);
    progress = 0;
    ok (a == 1 && ward_wire_tx_flush (sv[0], &tx, &progress, &e4) >= 0 && progress
        && tx.bytes < left, "once a frame is read, more goes");
    int frames = 1;
    while ((a = ward_wire_tx_flush (sv[0], &tx, &progress, &e4)) >= 0)
      {
        if (ward_wire_read (sv[1], &r4, &e4) != 1)
          break;
        ward_wire_rx_reset (&r4);
        frames++;
        if (a == 0 && frames == 512)
          break;
      }
    ok (frames == 512 && tx.bytes == 0, "every queued frame arrives, once (%d)", frames);
    ward_wire_rx_free (&r4);

    /* what is still queued is dropped, its descriptors closed */
    ward_fdvec_dup (&v, pp[1], &err);
    int put = ward_wire_tx_put (&tx, WARD_F_MSG, "x", 1, &v, &e4);
    ward_fdvec_close (&v);
    int open_queued = 0, open_dropped = 0;
    for (int fd = 3; fd < 256; fd++)
      open_queued += fcntl (fd, F_GETFD) >= 0;
    ward_wire_tx_free (&tx);
    for (int fd = 3; fd < 256; fd++)
      open_dropped += fcntl (fd, F_GETFD) >= 0;
    ok (put == 0 && open_dropped == open_queued - 1 && tx.head == NULL && tx.bytes == 0,
        "a dropped queue closes its descriptors");
    ok (ward_wire_tx_put (&tx, WARD_F_MSG, body, (size_t) WARD_WIRE_MAX + 1, NULL, &e4) == -1
        && e4.kind == WARD_E_INVALID && tx.head == NULL, "a frame over the limit is not queued");
    free (body);
    close (pp[0]);
    close (pp[1]);
  }

  /* fields */
  wbuf b;
  wbuf_init (&b, 0);
  ward_wire_put_u32 (&b, 0xdeadbeef, &err);
  ward_wire_put_i64 (&b, -42, &err);
  ward_wire_put_str (&b, "hello", 5, &err);
  ward_wire_put_str (&b, "a\0b", 3, &err);
  ward_wire_in in = { b.data, b.data + b.len };
  uint32_t u;
  int64_t v;
  char buf[16];
  ok (ward_wire_get_u32 (&in, &u, &err) == 0 && u == 0xdeadbeef, "u32 round trip");
  ok (ward_wire_get_i64 (&in, &v, &err) == 0 && v == -42, "i64 round trip");
  ok (ward_wire_get_cstr (&in, buf, sizeof buf, &err) == 0 && strcmp (buf, "hello") == 0,
      "string round trip");
  ok (ward_wire_get_cstr (&in, buf, sizeof buf, &err) == -1 && err.kind == WARD_E_INVALID,
      "a string field holding a NUL is refused where a C string is needed");
  ok (ward_wire_get_u32 (&in, &u, &err) == -1 && strstr (err.msg, "truncated"),
      "reading past the end is a truncated frame");
  ward_wire_in in2 = { b.data, b.data + 3 };
  is_int (ward_wire_get_u32 (&in2, &u, &err), -1, "a u32 cut short");
  uint8_t lie[] = { 0xff, 0xff, 0xff, 0x7f, 'x' };
  ward_wire_in in3 = { lie, lie + sizeof lie };
  const char *sp;
  size_t sl;
  is_int (ward_wire_get_str (&in3, &sp, &sl, &err), -1, "a string longer than its frame");
  ward_wire_in in4 = { b.data + 12, b.data + b.len };
  is_int (ward_wire_get_cstr (&in4, buf, 4, &err), -1, "a string longer than the buffer");
  wbuf_free (&b);
  return done ();
}
