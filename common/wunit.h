/* wunit.h -- the one grammar for sizes and durations, shared by the
 * command line (ward run --memory), the policy language (memory, cpu,
 * wall) and the Lua faces (time.sleep, timeouts).
 *
 * A number is decimal digits, optionally followed by a point and more
 * digits: "64", "1.5". Nothing may come before it (no sign, no space) and
 * nothing but a unit after it (no space, no exponent, no hexadecimal).
 *
 * A size is a number of bytes, or a number followed at once by a unit:
 *   B                          bytes
 *   K k KB kB KiB              2^10 bytes
 *   M m MB mB MiB              2^20 bytes
 *   G g GB gB GiB              2^30 bytes
 *   T t TB tB TiB              2^40 bytes
 * Every multiple is binary: "64M", "64MB" and "64MiB" are all 64 MiB, as
 * the command line and the policy language have always read them.
 *
 * A duration is a number of milliseconds, or a number followed at once by
 * ms, s (seconds), m (minutes), h (hours) or d (days), lower case:
 * "250ms", "1.5s", "2m", "7d", "2000".
 *
 * The value is rounded to the nearest byte or millisecond, halves up
 * ("1.5ms" is 2 ms), exactly (no floating point). Each caller checks its
 * own range (a year for a Lua timeout, 64K for a process's memory). */
#ifndef WARD_WUNIT_H
#define WARD_WUNIT_H

#include <stdint.h>
#include "werr.h"

/* How to write one, as the errors below end: for messages of callers
 * that refuse a value before it is text (a list, a negative number). */
extern const char ward_size_hint[], ward_duration_hint[];

/* Parse the size s into *bytes. Returns 0, or -1 with err (WARD_E_INVALID,
 * the message naming s and what is wrong: empty, negative, no number, an
 * unknown unit, past 2^64 - 1). *bytes is untouched on failure. */
int ward_parse_size (const char *s, uint64_t *bytes, ward_err *err);

/* Parse the duration s into *ms, as ward_parse_size does sizes. */
int ward_parse_duration (const char *s, uint64_t *ms, ward_err *err);

#endif
