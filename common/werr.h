/* werr.h -- ward's one error convention.
 * Every fallible function takes a trailing `ward_err *err`, returns -1 (or
 * NULL) on failure and fills err with a kind, an errno (0 if none) and a
 * sentence. The kinds map one to one onto the Lua `errors.*` strings. */
#ifndef WARD_WERR_H
#define WARD_WERR_H

#include <stddef.h>

typedef enum ward_kind {
  WARD_OK = 0,
  WARD_E_INVALID,           /* bad argument, malformed input */
  WARD_E_NOT_FOUND,         /* no such process, name, definition or host */
  WARD_E_PERMISSION_DENIED, /* the permission engine said no */
  WARD_E_ALREADY_EXISTS,    /* name taken, link/monitor already there */
  WARD_E_UNAVAILABLE,       /* a limit was reached: full mailbox, too many children */
  WARD_E_INTERNAL           /* a fault of ward itself or of the system */
} ward_kind;

#define WARD_ERR_MSG_MAX 512

typedef struct ward_err {
  ward_kind kind;
  int errnum;
  char msg[WARD_ERR_MSG_MAX];
} ward_err;

/* Fill err (when not NULL) and return -1, so that callers can write
 * `return ward_err_set (err, WARD_E_INVALID, 0, "bad %s", what);`. */
int ward_err_set (ward_err *err, ward_kind kind, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));

/* Prefix the message already in err with a sentence of context:
 * "loading x: " + old message. Returns -1. */
int ward_err_prefix (ward_err *err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

void ward_err_clear (ward_err *err);

/* "INVALID", "NOT_FOUND", ... -- the value of errors.KIND in Lua. */
const char *ward_kind_name (ward_kind kind);

#endif
