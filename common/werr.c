/* werr.c -- ward's error convention: kind + errno + sentence. */
#include "config.h"
#include "werr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
ward_err_set (ward_err *err, ward_kind kind, int errnum, const char *fmt, ...)
{
  if (err == NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
  if (errnum != 0)
    {
      size_t n = strlen (err->msg);
      snprintf (err->msg + n, sizeof err->msg - n, ": %s", strerror (errnum));
    }
  err->kind = kind;
  err->errnum = errnum;
  return -1;
}

int
ward_err_prefix (ward_err *err, const char *fmt, ...)
{
  if (err == NULL)
    return -1;
  char head[WARD_ERR_MSG_MAX], old[WARD_ERR_MSG_MAX];  /* truncation is fine */
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (head, sizeof head, fmt, ap);
  va_end (ap);
  memcpy (old, err->msg, sizeof old);
  snprintf (err->msg, sizeof err->msg, "%s: %s", head, old);
  return -1;
}

void
ward_err_clear (ward_err *err)
{
  if (err == NULL)
    return;
  err->kind = WARD_OK;
  err->errnum = 0;
  err->msg[0] = '\0';
}

const char *
ward_kind_name (ward_kind kind)
{
  switch (kind)
    {
    case WARD_OK: return "OK";
    case WARD_E_INVALID: return "INVALID";
    case WARD_E_NOT_FOUND: return "NOT_FOUND";
    case WARD_E_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case WARD_E_ALREADY_EXISTS: return "ALREADY_EXISTS";
    case WARD_E_UNAVAILABLE: return "UNAVAILABLE";
    case WARD_E_INTERNAL: return "INTERNAL";
    }
  return "INTERNAL";
}
