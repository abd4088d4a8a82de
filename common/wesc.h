/* wesc.h -- text a script controls, made safe to show on a terminal: every
 * text view of ward (ward audit, ward policy explain, ward run's stderr)
 * prints such strings through ward_esc, so none can forge a line, move the
 * cursor or retitle the terminal.
 *
 * Escapes: \\ for a backslash; \n \r \t; \xNN for other C0 controls, DEL
 * and each byte of invalid UTF-8; \u{N} for the characters ward_esc_hidden
 * names: C1 controls (U+0080..U+009F), every format character (category
 * Cf: bidirectional marks and overrides, zero-width and invisible ones,
 * the byte-order mark, tags) and the Unicode line/paragraph separators.
 * Other valid UTF-8 passes unchanged. A string longer than
 * max bytes (max > 0) is cut at a character boundary and ends with
 * "…(N bytes)", N its full length. */
#ifndef WARD_WESC_H
#define WARD_WESC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "wbuf.h"

#define WARD_ESC_MAX 200          /* bytes shown of a long string (--full: all) */

/* The length of the valid UTF-8 sequence at p (of at most n bytes, n > 0)
 * and its code point, or 0 when it is not one (overlong, surrogate, past
 * U+10FFFF, cut short). */
size_t ward_utf8_seq (const unsigned char *p, size_t n, uint32_t *cp);
/* 1 for a character that is invisible or steers the terminal, so that
 * every view shows it escaped: C1 controls, format characters (Cf), line
 * and paragraph separators. */
int ward_esc_hidden (uint32_t cp);

/* Append the escaped form of s[0..len) to b; -1 with err when out of memory. */
int ward_esc (wbuf *b, const char *s, size_t len, size_t max, ward_err *err);
/* The escaped form of the NUL-terminated s, malloc'd (NULL: out of memory). */
char *ward_esc_str (const char *s, size_t max);
/* Write the escaped form of s to f (s NULL: nothing). */
void ward_esc_fputs (const char *s, size_t max, FILE *f);

#endif
