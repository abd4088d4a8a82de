/* pattern.h -- bounded Lua pattern matching for untrusted processes.
 * The stock string.find/match/gmatch/gsub can backtrack for minutes inside
 * one C call, where no count hook fires (DESIGN 2.0). ward replaces them
 * with a matcher of the same language and results that counts its steps
 * and raises "pattern too complex" past a budget proportional to the work
 * a sane pattern needs. */
#ifndef WARD_PATTERN_H
#define WARD_PATTERN_H

#include <lua.h>

/* Steps allowed per call: WARD_PATTERN_BASE_STEPS plus
 * WARD_PATTERN_STEPS_PER_BYTE times the subject length. */
#define WARD_PATTERN_BASE_STEPS 1000000
#define WARD_PATTERN_STEPS_PER_BYTE 100

/* Replace find, match, gmatch and gsub in the table at stack index idx
 * (the process's `string` table, which also serves as the string
 * metatable's __index). */
void ward_pattern_install (lua_State *L, int idx);

#endif
