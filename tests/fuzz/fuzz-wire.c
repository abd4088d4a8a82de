/* fuzz-wire.c -- the runtime's end of the wire (runtime/remote/wire.c) over a real
 * SOCK_SEQPACKET pair, with descriptors passed as SCM_RIGHTS, and what the
 * runtime does with the frames a child may send (CALL, EXIT: their fields
 * and the codec over their arguments, as runtime/remote/breader.c reads them).
 *
 * Input: datagrams, each a head byte and a 2-byte little-endian length
 * followed by that many bytes (cut short at the end of the input). The
 * head's low 5 bits say how many descriptors go with the datagram (up to
 * 31, past what a frame may carry); bit 7 shuts the writing side down
 * after the datagram. Each datagram is sent, then the reader takes every
 * frame it can, as the runtime's non-blocking reader does, until the
 * channel is done (a malformed frame ends a child). After the run no descriptor may be left
 * open. */
#include "config.h"
#include "fuzz.h"
#include "codec.h"
#include "lfd.h"
#include "rt.h"
#include "vm.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* the runtime's end of the first process: not reached from here */
void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
  (void) p;
  (void) abnormal;
  (void) error;
}

typedef struct frame_job {
  int type;
  const uint8_t *body;
  size_t len;
  ward_fdvec *fds;
} frame_job;

/* What the runtime's stand-in for the child reads out of a CALL or EXIT. */
static int
take_frame (lua_State *L)
{
  frame_job *j = lua_touserdata (L, 1);
  lua_settop (L, 0);
  ward_err err;
  ward_wire_in in = { j->body, j->body + j->len };
  int n = 0;
  if (j->type == WARD_F_EXIT)
    {
      uint32_t abnormal;
      const char *data;
      size_t dlen;
      if (ward_wire_get_u32 (&in, &abnormal, &err) < 0
          || ward_wire_get_str (&in, &data, &dlen, &err) < 0 || abnormal > 1)
        return 0;
      (void) ward_codec_decode (L, (const uint8_t *) data, dlen, ward_codec_opts_rt (), &n,
                                &err);
      return 0;
    }
  const char *op, *args;
  size_t oplen, alen;
  if (ward_wire_get_str (&in, &op, &oplen, &err) < 0
      || ward_wire_get_str (&in, &args, &alen, &err) < 0 || oplen == 0 || oplen > 64)
    return 0;
  ward_codec_opts o = *ward_codec_opts_wire ();
  o.fds = j->fds;
  (void) ward_codec_decode (L, (const uint8_t *) args, alen, &o, &n, &err);
  return 0;
}

/* Read every frame there is; 1 while the channel is usable. The Lua
 * state that takes the frames is made on the first one (*Lp). */
static int
drain (lua_State **Lp, int fd, ward_wire_rx *rx)
{
  for (;;)
    {
      ward_err err;
      int rc = ward_wire_read (fd, rx, &err);
      if (rc == 0)
        return 1;
      if (rc != 1)
        return 0;                       /* end of stream, or a malformed frame */
      if (rx->type != WARD_F_CALL && rx->type != WARD_F_EXIT)
        return 0;                       /* the runtime ends such a child */
      if (rx->body.len > WARD_WIRE_MAX)
        fuzz_fail ("a frame passed the size limit");
      /* an empty body has no storage: point at an empty string instead,
       * as the broker's copy of a frame always has storage */
      frame_job j = { rx->type, rx->body.data ? rx->body.data : (const uint8_t *) "",
                      rx->body.len,
                      rx->type == WARD_F_CALL ? &rx->fds : NULL };
      if (*Lp == NULL && (*Lp = luaL_newstate ()) == NULL)
        fuzz_fail ("luaL_newstate");
      lua_State *L = *Lp;
      lua_pushcfunction (L, take_frame);
      lua_pushlightuserdata (L, &j);
      (void) lua_pcall (L, 1, 0, 0);
      lua_settop (L, 0);
      ward_wire_rx_reset (rx);
      if (j.type == WARD_F_EXIT)
        return 0;
    }
}

static int
send_dgram (int fd, const uint8_t *p, size_t len, unsigned nfds, int devnull)
{
  struct iovec iov = { (void *) p, len };
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * 31)];
  } ctl;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (nfds > 0)
    {
      memset (&ctl, 0, sizeof ctl);
      mh.msg_control = ctl.buf;
      mh.msg_controllen = CMSG_SPACE (sizeof (int) * nfds);
      struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int) * nfds);
      int *fds = (int *) CMSG_DATA (c);
      for (unsigned i = 0; i < nfds; i++)
        fds[i] = devnull;
    }
  ssize_t n;
  do
    n = sendmsg (fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  int before = fuzz_lowest_free_fd ();
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    fuzz_fail ("socketpair");
  int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0)
    fuzz_fail ("/dev/null");
  lua_State *L = NULL;
  ward_wire_rx rx;
  ward_wire_rx_init (&rx);
  rx.nonblock = 1;
  size_t i = 0;
  int open_ = 1, writer = 1;
  while (open_ && writer && i + 3 <= size)
    {
      uint8_t head = data[i];
      size_t len = (size_t) data[i + 1] | (size_t) data[i + 2] << 8;
      i += 3;
      if (len > size - i)
        len = size - i;
      if (send_dgram (sv[1], data + i, len, head & 0x1f, devnull) < 0)
        writer = 0;                     /* too long for the socket, or full */
      i += len;
      if (head & 0x80)
        {
          shutdown (sv[1], SHUT_WR);
          writer = 0;
        }
      open_ = drain (&L, sv[0], &rx);
    }
  if (open_)
    {
      /* the child ends: what it wrote last is still read, then the end */
      close (sv[1]);
      sv[1] = -1;
      (void) drain (&L, sv[0], &rx);
    }
  ward_wire_rx_free (&rx);
  if (L != NULL)
    lua_close (L);
  close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  close (devnull);
  if (fuzz_lowest_free_fd () != before)
    fuzz_fail ("a descriptor was left open");
  return 0;
}
