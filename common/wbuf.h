/* wbuf.h -- ward's one growable byte buffer (the codec, the bridge, the CLI,
 * and under wpol_buf the policy engine's text).
 * A wbuf owns its bytes; wbuf_free releases them. Appends fail only when
 * memory runs out or the buffer would pass its cap (then -1, err filled). */
#ifndef WARD_WBUF_H
#define WARD_WBUF_H

#include <stddef.h>
#include <stdint.h>
#include "werr.h"

typedef struct wbuf {
  uint8_t *data;
  size_t len;
  size_t cap;
  size_t max;   /* 0 = no cap; otherwise appends past max fail with INVALID */
} wbuf;

void wbuf_init (wbuf *b, size_t max);
void wbuf_free (wbuf *b);
void wbuf_reset (wbuf *b);              /* len = 0, keeps the storage */
int wbuf_reserve (wbuf *b, size_t extra, ward_err *err);
int wbuf_append (wbuf *b, const void *p, size_t n, ward_err *err);
int wbuf_putc (wbuf *b, uint8_t c, ward_err *err);
/* Hand the bytes to the caller (who frees them with free()); b is emptied. */
uint8_t *wbuf_steal (wbuf *b, size_t *len);

#endif
