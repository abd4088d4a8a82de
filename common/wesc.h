/* wesc.h -- text a script controls, made safe to show on a terminal: every
 * text view of ward (ward audit, ward policy explain, ward run's stderr)
 * prints such strings through ward_esc, so none can forge a line, move the
 * cursor or retitle the terminal.
 *
 * Escapes: \\ for a backslash; \n \r \t; \xNN for other C0 controls, DEL
 * and each byte of invalid UTF-8; \u{N} for C1 controls (U+0080..U+009F),
 * bidirectional formatting marks and the Unicode line/paragraph
 * separators. Other valid UTF-8 passes unchanged. A string longer than
 * max bytes (max > 0) is cut at a character boundary and ends with
 * "…(N bytes)", N its full length. */
#ifndef WARD_WESC_H
#define WARD_WESC_H

#include <stddef.h>
#include <stdio.h>
#include "wbuf.h"

#define WARD_ESC_MAX 200          /* bytes shown of a long string (--full: all) */

/* Append the escaped form of s[0..len) to b; -1 with err when out of memory. */
int ward_esc (wbuf *b, const char *s, size_t len, size_t max, ward_err *err);
/* The escaped form of the NUL-terminated s, malloc'd (NULL: out of memory). */
char *ward_esc_str (const char *s, size_t max);
/* Write the escaped form of s to f (s NULL: nothing). */
void ward_esc_fputs (const char *s, size_t max, FILE *f);

#endif
