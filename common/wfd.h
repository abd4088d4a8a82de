/* wfd.h -- open descriptors sent over a unix socket (SCM_RIGHTS): the one
 * way the runtime's wire, the sandbox supervisor and its client, and init
 * scripts attach them to a message and take them from one. Prefix wfd_. */
#ifndef WARD_WFD_H
#define WARD_WFD_H

#include <stddef.h>
#include <sys/socket.h>

/* Bytes of control buffer n descriptors need. */
#define WFD_SPACE(n) CMSG_SPACE ((n) * sizeof (int))

/* Make mh carry the n (> 0) descriptors of fds as one SCM_RIGHTS control
 * message, built in buf: WFD_SPACE(n) bytes aligned for struct cmsghdr
 * (a union with one does it). mh's other fields are left as they are. */
void wfd_attach (struct msghdr *mh, void *buf, const int *fds, size_t n);

/* The descriptors that came in mh's SCM_RIGHTS control messages, in
 * order: the first max go into fds, the rest are closed (nobody would
 * close them otherwise). Returns how many went into fds. */
size_t wfd_take (struct msghdr *mh, int *fds, size_t max);

#endif
