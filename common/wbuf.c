/* wbuf.c -- a growable byte buffer. */
#include "config.h"
#include "wbuf.h"
#include "wgrow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
wbuf_init (wbuf *b, size_t max)
{
  b->data = NULL;
  b->len = b->cap = 0;
  b->max = max;
}

void
wbuf_free (wbuf *b)
{
  free (b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void
wbuf_reset (wbuf *b)
{
  b->len = 0;
}

int
wbuf_reserve (wbuf *b, size_t extra, ward_err *err)
{
  if (extra > SIZE_MAX - b->len)
    return ward_err_set (err, WARD_E_INVALID, 0, "buffer size overflow");
  size_t need = b->len + extra;
  if (b->max != 0 && need > b->max)
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "value too large (more than %zu bytes encoded)", b->max);
  if (WARD_GROW (b->data, b->cap, need, 64) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "growing a buffer to %zu bytes", need);
  return 0;
}

int
wbuf_append (wbuf *b, const void *p, size_t n, ward_err *err)
{
  if (n == 0)
    return 0;
  if (wbuf_reserve (b, n, err) < 0)
    return -1;
  memcpy (b->data + b->len, p, n);
  b->len += n;
  return 0;
}

int
wbuf_putc (wbuf *b, uint8_t c, ward_err *err)
{
  return wbuf_append (b, &c, 1, err);
}

uint8_t *
wbuf_steal (wbuf *b, size_t *len)
{
  uint8_t *p = b->data;
  if (len)
    *len = b->len;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}
