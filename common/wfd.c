/* wfd.c -- descriptors sent over a unix socket (wfd.h). */
#include "config.h"
#include "wfd.h"

#include <string.h>
#include <unistd.h>

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

size_t
wfd_take (struct msghdr *mh, int *fds, size_t max)
{
  size_t got = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (mh); c != NULL; c = CMSG_NXTHDR (mh, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      size_t n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < n; i++)
        {
          int fd;
          memcpy (&fd, CMSG_DATA (c) + i * sizeof (int), sizeof fd);
          if (got < max)
            fds[got++] = fd;
          else
            close (fd);
        }
    }
  return got;
}
