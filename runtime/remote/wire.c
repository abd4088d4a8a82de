/* wire.c -- frames over the SOCK_SEQPACKET channel of a subprocess actor. */
#include "config.h"
#include "wire.h"
#include "wfd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAGIC 0x57                      /* 'W' */
#define F_MORE 1

int
ward_wire_send (int fd, int type, const void *body, size_t len, ward_err *err)
{
  return ward_wire_send_fds (fd, type, body, len, NULL, err);
}

static int send_frame (int fd, int type, const void *body, size_t len, const ward_fdvec *fds,
                       int flags, ward_err *err);

int
ward_wire_send_fds (int fd, int type, const void *body, size_t len, const ward_fdvec *fds,
                    ward_err *err)
{
  return send_frame (fd, type, body, len, fds, 0, err);
}

int
ward_wire_send_now (int fd, int type, const void *body, size_t len, const ward_fdvec *fds,
                    ward_err *err)
{
  if (len > WARD_WIRE_CHUNK)
    return 1;
  int rc = send_frame (fd, type, body, len, fds, MSG_DONTWAIT, err);
  return rc < 0 && err->errnum == EAGAIN ? 1 : rc;
}

/* The frame in datagrams; flags go to each sendmsg. */
static int
send_frame (int fd, int type, const void *body, size_t len, const ward_fdvec *fds, int flags,
            ward_err *err)
{
  if (len > WARD_WIRE_MAX)
    return ward_err_set (err, WARD_E_INVALID, 0, "frame of %zu bytes is over the %u limit",
                         len, WARD_WIRE_MAX);
  const uint8_t *p = body;
  size_t off = 0;
  do
    {
      size_t n = len - off > WARD_WIRE_CHUNK ? WARD_WIRE_CHUNK : len - off;
      uint8_t hdr[4] = { MAGIC, (uint8_t) type, off + n < len ? F_MORE : 0, 0 };
      struct iovec iov[2] = { { hdr, sizeof hdr }, { (void *) (p + off), n } };
      struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n ? 2 : 1 };
      union {
        struct cmsghdr align;
        char buf[WFD_SPACE (WARD_FD_MAX)];
      } ctl;
      unsigned nfd = 0;
      if (off == 0 && fds != NULL)
        for (unsigned i = 0; i < fds->n; i++)
          if (fds->fd[i] >= 0)
            nfd++;
      if (nfd > 0)
        {
          /* every slot is sent, so that indices keep their meaning: a
           * taken one (-1) cannot be, hence the count above must match */
          if (nfd != fds->n)
            return ward_err_set (err, WARD_E_INTERNAL, 0, "a message lost a descriptor "
                                 "before it was sent");
          wfd_attach (&mh, ctl.buf, fds->fd, nfd);
        }
      ssize_t w;
      do
        w = sendmsg (fd, &mh, MSG_NOSIGNAL | flags);
      while (w < 0 && errno == EINTR);
      if (w < 0)
        return ward_err_set (err, errno == EAGAIN ? WARD_E_UNAVAILABLE : WARD_E_INTERNAL,
                             errno, "writing to the channel: %s",
                             errno == EAGAIN ? "the other end does not read"
                             : strerror (errno));
      off += n;
    }
  while (off < len);
  return 0;
}

/* ---- the outgoing queue ---- */

struct ward_wire_dgram {
  struct ward_wire_dgram *next;
  ward_fdvec fds;
  size_t len;
  uint8_t data[];
};

void
ward_wire_tx_init (ward_wire_tx *tx)
{
  tx->head = tx->tail = NULL;
  tx->bytes = 0;
}

void
ward_wire_tx_free (ward_wire_tx *tx)
{
  while (tx->head)
    {
      struct ward_wire_dgram *d = tx->head;
      tx->head = d->next;
      ward_fdvec_close (&d->fds);
      free (d);
    }
  ward_wire_tx_init (tx);
}

int
ward_wire_tx_put (ward_wire_tx *tx, int type, const void *body, size_t len,
                  const ward_fdvec *fds, ward_err *err)
{
  if (len > WARD_WIRE_MAX)
    return ward_err_set (err, WARD_E_INVALID, 0, "frame of %zu bytes is over the %u limit",
                         len, WARD_WIRE_MAX);
  struct ward_wire_dgram *first = NULL, *last = NULL;
  size_t off = 0, bytes = 0;
  const uint8_t *p = body;
  do
    {
      size_t n = len - off > WARD_WIRE_CHUNK ? WARD_WIRE_CHUNK : len - off;
      struct ward_wire_dgram *d = malloc (sizeof *d + 4 + n);
      if (d == NULL)
        goto nomem;
      d->next = NULL;
      d->fds.n = 0;
      d->len = 4 + n;
      d->data[0] = MAGIC;
      d->data[1] = (uint8_t) type;
      d->data[2] = off + n < len ? F_MORE : 0;
      d->data[3] = 0;
      if (n)
        memcpy (d->data + 4, p + off, n);
      if (last)
        last->next = d;
      else
        first = d;
      last = d;
      if (off == 0 && fds != NULL)
        for (unsigned i = 0; i < fds->n; i++)
          {
            if (fds->fd[i] < 0)
              {
                ward_err_set (err, WARD_E_INTERNAL, 0, "a message lost a descriptor "
                              "before it was sent");
                goto fail;
              }
            if (ward_fdvec_dup (&d->fds, fds->fd[i], err) < 0)
              goto fail;
          }
      bytes += d->len;
      off += n;
    }
  while (off < len);
  if (tx->tail)
    tx->tail->next = first;
  else
    tx->head = first;
  tx->tail = last;
  tx->bytes += bytes;
  return 0;
nomem:
  ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "queueing a frame");
fail:
  while (first)
    {
      struct ward_wire_dgram *d = first;
      first = d->next;
      ward_fdvec_close (&d->fds);
      free (d);
    }
  return -1;
}

int
ward_wire_tx_flush (int fd, ward_wire_tx *tx, int *progress, ward_err *err)
{
  while (tx->head)
    {
      struct ward_wire_dgram *d = tx->head;
      struct iovec iov = { d->data, d->len };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
      union {
        struct cmsghdr align;
        char buf[WFD_SPACE (WARD_FD_MAX)];
      } ctl;
      if (d->fds.n > 0)
        wfd_attach (&mh, ctl.buf, d->fds.fd, d->fds.n);
      ssize_t w;
      do
        w = sendmsg (fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
      while (w < 0 && errno == EINTR);
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 1;
      if (w < 0)
        return ward_err_set (err, WARD_E_INTERNAL, errno, "writing to the channel: %s",
                             strerror (errno));
      tx->head = d->next;
      if (tx->head == NULL)
        tx->tail = NULL;
      tx->bytes -= d->len;
      ward_fdvec_close (&d->fds);
      free (d);
      *progress = 1;
    }
  return 0;
}

void
ward_wire_rx_init (ward_wire_rx *rx)
{
  rx->type = 0;
  rx->nonblock = 0;
  rx->fds.n = 0;
  wbuf_init (&rx->body, WARD_WIRE_MAX);
}

void
ward_wire_rx_free (ward_wire_rx *rx)
{
  wbuf_free (&rx->body);
  ward_fdvec_close (&rx->fds);
  rx->type = 0;
}

void
ward_wire_rx_reset (ward_wire_rx *rx)
{
  rx->type = 0;
  ward_fdvec_close (&rx->fds);
  if (rx->body.cap > WARD_WIRE_RX_KEEP)
    wbuf_free (&rx->body);          /* (keeps its max) */
  else
    wbuf_reset (&rx->body);
}

/* Take the descriptors of a datagram into rx->fds: 0, or -1 (malformed)
 * when anything but SCM_RIGHTS came, or too many, or some were cut off --
 * every descriptor that came is then closed. */
static int
take_fds (struct msghdr *mh, ward_wire_rx *rx, ward_err *err)
{
  int bad = (mh->msg_flags & MSG_CTRUNC) != 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (mh); c; c = CMSG_NXTHDR (mh, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        {
          bad = 1;
          continue;
        }
      size_t k = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      int *v = (int *) CMSG_DATA (c);
      for (size_t i = 0; i < k; i++)
        {
          int fd;
          memcpy (&fd, v + i, sizeof fd);
          if (bad || ward_fdvec_own (&rx->fds, fd, NULL) < 0)
            {
              bad = 1;
              if (fd >= 0)
                close (fd);
            }
        }
    }
  if (!bad && rx->type != 0)
    {
      /* a frame's descriptors come with its first datagram only */
      ward_fdvec_close (&rx->fds);
      return ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: descriptors past "
                           "its first datagram");
    }
  if (bad)
    {
      ward_fdvec_close (&rx->fds);
      if (mh->msg_flags & MSG_CTRUNC)
        return ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: descriptors cut off "
                             "(more than %d, or past this process's limit of open files)",
                             WARD_FD_MAX);
      return ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: a control message "
                           "other than at most %d descriptors", WARD_FD_MAX);
    }
  return 0;
}

int
ward_wire_read (int fd, ward_wire_rx *rx, ward_err *err)
{
  static _Thread_local uint8_t dgram[WARD_WIRE_CHUNK + 8];
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * WARD_FD_MAX)];
  } ctl;
  int resets = 0;
  for (;;)
    {
      ssize_t n;
      struct iovec iov = { dgram, sizeof dgram };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                           .msg_controllen = sizeof ctl.buf };
      do
        n = recvmsg (fd, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC
                     | (rx->nonblock ? MSG_DONTWAIT : 0));
      while (n < 0 && errno == EINTR);
      if (n >= 0 && (mh.msg_controllen > 0 || (mh.msg_flags & MSG_CTRUNC))
          && take_fds (&mh, rx, err) < 0)
        return -1;
      if (n < 0)
        {
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
          /* A peer that ended with unread data in its own queue leaves us
           * ECONNRESET -- reported once, before what it wrote us last (its
           * EXIT, say), which the next read still returns. */
          if (errno == ECONNRESET && resets++ == 0)
            continue;
          if (errno == ECONNRESET)
            return 2;
          return ward_err_set (err, WARD_E_INTERNAL, errno, "reading the channel: %s",
                               strerror (errno));
        }
      if (n == 0)
        {
          if (rx->type != 0)
            return ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: truncated "
                                 "(the channel closed inside a frame)");
          return 2;
        }
      if ((size_t) n > WARD_WIRE_CHUNK + 4 || n < 4 || dgram[0] != MAGIC || dgram[3] != 0
          || (dgram[2] & ~F_MORE) != 0)
        return ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: bad datagram "
                             "(%zd bytes)", n);
      int type = dgram[1];
      if (type < WARD_F_BOOT || type > WARD_F_LAST || (rx->type != 0 && type != rx->type))
        return ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: unexpected type %d",
                             type);
      rx->type = type;
      if (wbuf_append (&rx->body, dgram + 4, (size_t) n - 4, err) < 0)
        return ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: over %u bytes",
                             WARD_WIRE_MAX);
      if (!(dgram[2] & F_MORE))
        return 1;
    }
}

size_t
ward_wire_frame_into (uint8_t *buf, size_t cap, int type, const void *body, size_t len)
{
  if (len > WARD_WIRE_CHUNK || cap < len + 4)
    return 0;
  buf[0] = MAGIC;
  buf[1] = (uint8_t) type;
  buf[2] = buf[3] = 0;
  memmove (buf + 4, body, len);
  return len + 4;
}

int
ward_wire_put_u32 (wbuf *b, uint32_t v, ward_err *err)
{
  uint8_t x[4] = { (uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24) };
  return wbuf_append (b, x, 4, err);
}

int
ward_wire_put_i64 (wbuf *b, int64_t v, ward_err *err)
{
  uint64_t u = (uint64_t) v;
  uint8_t x[8];
  for (int i = 0; i < 8; i++)
    x[i] = (uint8_t) (u >> (8 * i));
  return wbuf_append (b, x, 8, err);
}

int
ward_wire_put_str (wbuf *b, const char *s, size_t len, ward_err *err)
{
  if (len > UINT32_MAX)
    return ward_err_set (err, WARD_E_INVALID, 0, "string too long for a frame");
  if (ward_wire_put_u32 (b, (uint32_t) len, err) < 0)
    return -1;
  return len ? wbuf_append (b, s, len, err) : 0;
}

static int
truncated (ward_err *err)
{
  return ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: truncated");
}

int
ward_wire_get_u32 (ward_wire_in *in, uint32_t *v, ward_err *err)
{
  if (in->end - in->p < 4)
    return truncated (err);
  *v = (uint32_t) in->p[0] | (uint32_t) in->p[1] << 8 | (uint32_t) in->p[2] << 16
       | (uint32_t) in->p[3] << 24;
  in->p += 4;
  return 0;
}

int
ward_wire_get_i64 (ward_wire_in *in, int64_t *v, ward_err *err)
{
  if (in->end - in->p < 8)
    return truncated (err);
  uint64_t u = 0;
  for (int i = 0; i < 8; i++)
    u |= (uint64_t) in->p[i] << (8 * i);
  *v = (int64_t) u;
  in->p += 8;
  return 0;
}

int
ward_wire_get_str (ward_wire_in *in, const char **s, size_t *len, ward_err *err)
{
  uint32_t n = 0;
  if (ward_wire_get_u32 (in, &n, err) < 0)
    return -1;
  if ((size_t) (in->end - in->p) < n)
    return truncated (err);
  *s = (const char *) in->p;
  *len = n;
  in->p += n;
  return 0;
}

int
ward_wire_get_cstr (ward_wire_in *in, char *buf, size_t size, ward_err *err)
{
  const char *s;
  size_t n;
  if (ward_wire_get_str (in, &s, &n, err) < 0)
    return -1;
  if (n >= size || memchr (s, '\0', n) != NULL)
    return ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: bad string field");
  memcpy (buf, s, n);
  buf[n] = '\0';
  return 0;
}
