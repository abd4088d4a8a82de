/* readfile.c -- reading a whole policy file, bounded by WPOL_MAX_FILE. */
#include "config.h"
#include "wpol.h"
#include "wgrow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

char *
wpol_read_file (const char *path, size_t *len, ward_err *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      ward_err_set (err, errno == ENOENT ? WARD_E_NOT_FOUND : WARD_E_INVALID,
                    errno, "cannot open `%s`", path);
      return NULL;
    }
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      ward_err_set (err, WARD_E_INVALID, 0, "`%s` is not a regular file", path);
      close (fd);
      return NULL;
    }
  if ((uint64_t) st.st_size > WPOL_MAX_FILE)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "`%s` is too large (%lld bytes, at most %u)",
                    path, (long long) st.st_size, WPOL_MAX_FILE);
      close (fd);
      return NULL;
    }
  size_t cap = (size_t) st.st_size + 1, n = 0;
  char *buf = malloc (cap);
  if (buf == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading `%s`", path);
      close (fd);
      return NULL;
    }
  for (;;)
    {
      if (n == cap - 1)
        {
          if (cap > WPOL_MAX_FILE)
            {
              ward_err_set (err, WARD_E_INVALID, 0, "`%s` is too large", path);
              goto fail;
            }
          if (WARD_GROW (buf, cap, cap + 1, 0) < 0)
            {
              ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading `%s`", path);
              goto fail;
            }
        }
      ssize_t r = read (fd, buf + n, cap - 1 - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          ward_err_set (err, WARD_E_INVALID, errno, "reading `%s`", path);
          goto fail;
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  close (fd);
  buf[n] = '\0';
  *len = n;
  return buf;
fail:
  free (buf);
  close (fd);
  return NULL;
}
