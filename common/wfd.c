/* wfd.c -- descriptors sent over a unix socket (wfd.h). */
#include "config.h"
#include "wfd.h"

#include <string.h>

void
wfd_attach (struct msghdr *mh, void *buf, const int *fds, size_t n)
{
  memset (buf, 0, WFD_SPACE (n));
  mh->msg_control = buf;
  mh->msg_controllen = WFD_SPACE (n);
  struct cmsghdr *c = CMSG_FIRSTHDR (mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (n * sizeof (int));
  memcpy (CMSG_DATA (c), fds, n * sizeof (int));
}
