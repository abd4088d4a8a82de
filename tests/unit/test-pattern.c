/* test-pattern.c -- runtime/vm/pattern.c against stock Lua 5.4: a corpus and
 * generated cases run in two states must agree; hostile patterns must fail
 * fast with "pattern too complex" instead of hanging or crashing. */
#include "config.h"
#include "tap.h"
#include "pattern.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

/* Loaded into both states.  run() calls string[fname] under pcall and
 * serialises every return value with its type (or the error message);
 * a gmatch case is the list of everything the iterator produced. */
static const char harness[] =
  "local function ser(...)\n"
  "  local n, parts = select('#', ...), {}\n"
  "  for i = 1, n do\n"
  "    local v = select(i, ...)\n"
  "    local t = type(v)\n"
  "    if t == 'string' or t == 'number' then\n"
  "      parts[i] = (math.type(v) or t) .. ':' .. string.format('%q', v)\n"
  "    else\n"
  "      parts[i] = t .. ':' .. tostring(v)\n"
  "    end\n"
  "  end\n"
  "  return n .. '[' .. table.concat(parts, ' ') .. ']'\n"
  "end\n"
  "function run(fname, ...)\n"
  "  local f, res = string[fname]\n"
  "  local ok, err = pcall(function(...)\n"
  "    if fname ~= 'gmatch' then res = ser(f(...)) return end\n"
  "    local out, it = {}, f(...)\n"
  "    for _ = 1, 200 do\n"
  "      local r = table.pack(it())\n"
  "      if r.n == 0 then break end\n"
  "      out[#out + 1] = ser(table.unpack(r, 1, r.n))\n"
  "    end\n"
  "    res = table.concat(out, ';')\n"
  "  end, ...)\n"
  "  if ok then return 'OK ' .. res end\n"
  "  return 'ERR ' .. (type(err) == 'string' and err or type(err))\n"
  "end\n"
  /* Replacements for generated gsub cases. */
  "local GF = function(...)\n"
  "  local t = table.pack(...)\n"
  "  if t.n >= 3 then return nil end\n"
  "  for i = 1, t.n do t[i] = tostring(t[i]) end\n"
  "  return '{' .. table.concat(t, '|', 1, t.n) .. '}'\n"
  "end\n"
  "local GT = { a = 'A', ab = false, ['1'] = 'one', [1] = 'ONE', b = 5 }\n"
  "local REPL = { '<%0>', '%1', '[%2]', 'x%%y', GF, GT, '%', '' }\n"
  "NREPL = #REPL\n"
  "function gcase(fname, s, p, k, init)\n"
  "  if fname == 'gsub' then return run('gsub', s, p, REPL[k], init) end\n"
  "  return run(fname, s, p, init)\n"
  "end\n"
  /* The corpus: C(fname, args...). */
  "cases = {}\n"
  "local function C(...) cases[#cases + 1] = table.pack(...) end\n"
  "function run_case(i) local c = cases[i] return run(table.unpack(c, 1, c.n)) end\n"
  "local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end\n"
  "local ALL = table.concat(t)\n"
  /* find: plain searches, init, anchors, captures */
  "C('find', 'hello world', 'o')\n"
  "C('find', 'hello world', 'o', 6)\n"
  "C('find', 'hello world', 'o', -3)\n"
  "C('find', 'hello world', 'o', -100)\n"
  "C('find', 'hello world', 'o', 100)\n"
  "C('find', 'hello world', 'l', 0)\n"
  "C('find', 'hello world', '', 12)\n"
  "C('find', 'hello world', '', 13)\n"
  "C('find', 'hello world', '', -1)\n"
  "C('find', 'a.b', '.', 1, true)\n"
  "C('find', 'a+b', '+', 1, true)\n"
  "C('find', 'a+b', 'a+', 1, 1)\n"
  "C('find', 'a+b', 'a+', 1, false)\n"
  "C('find', 'a(b', '(', 1, true)\n"
  "C('find', 'a)b', ')')\n"
  "C('find', 'a]b', ']')\n"
  "C('find', 'hello', 'l+')\n"
  "C('find', 'hello', '(l)(l)')\n"
  "C('find', 'hello', '()ll()')\n"
  "C('find', 'hello', '^h')\n"
  "C('find', 'hello', '^e')\n"
  "C('find', 'hello', '^l', 3)\n"
  "C('find', 'hello', 'o$')\n"
  "C('find', 'hello', 'l$')\n"
  "C('find', 'a$b', '$b')\n"
  "C('find', 'a$b', 'a$')\n"
  "C('find', '', '')\n"
  "C('find', '', '^$')\n"
  "C('find', '', 'a*')\n"
  "C('find', '', '.')\n"
  "C('find', 12345, 3)\n"
  "C('find', 12345, '%d+', 2)\n"
  "C('find', 'x', 'x', 1.0)\n"
  "C('find', 'x', 'x', 1.5)\n"
  "C('find', 'x', 'x', '1')\n"
  "C('find', nil, 'x')\n"
  "C('find', 'x')\n"
  "C('find', 'x', {})\n"
  "C('find', 'a\\0b', '\\0')\n"
  "C('find', 'a\\0b', '[\\0]')\n"
  "C('find', 'a\\0b', '%c')\n"
  "C('find', 'a\\0b\\0', '\\0.$')\n"
  "C('find', 'a.b-c', '%-')\n"
  "C('find', 'abc', '%f[%c]')\n"
  "C('find', 'a(b)c(d)', '%b()', 4)\n"
  "C('find', 'aaa', '%f[a]', 2)\n"
  /* match: captures, quantifiers, back-references */
  "C('match', 'hello world', '(%w+) (%w+)')\n"
  "C('match', 'key = value', '(%w+)%s*=%s*(%w+)')\n"
  "C('match', '  trim me  ', '^%s*(.-)%s*$')\n"
  "C('match', '2024-01-15', '(%d+)-(%d+)-(%d+)')\n"
  "C('match', 'abc', '()b()')\n"
  "C('match', 'abc', 'b', -1)\n"
  "C('match', 'abc', 'b', -2)\n"
  "C('match', 'abc', '', 4)\n"
  "C('match', 'abc', '', 5)\n"
  "C('match', 'THE (quick) fox', '%((%a+)%)')\n"
  "C('match', 'aaa', 'a*a')\n"
  "C('match', 'aaa', 'a+a')\n"
  "C('match', 'aaa', 'a-a')\n"
  "C('match', 'aaa', '^a-a$')\n"
  "C('match', 'aaa', 'a-b')\n"
  "C('match', 'aaab', 'a-b')\n"
  "C('match', 'aaa', 'a?a?a?a?')\n"
  "C('match', 'ab', 'a?b?c?')\n"
  "C('match', 'xyz', 'x?y?z?w?$')\n"
  "C('match', 'aaa', '^(a-)(a*)$')\n"
  "C('match', 'aaa', '^(a+)(a+)$')\n"
  "C('match', '<<a>>', '<(.-)>')\n"
  "C('match', '<<a>>', '<(.*)>')\n"
  "C('match', 'hello', 'h.-o')\n"
  "C('match', 'hello', '.-')\n"
  "C('match', 'hello', '.*')\n"
  "C('match', 'hello', '.+$')\n"
  "C('match', 'a**', 'a**')\n"
  "C('match', '*', '*')\n"
  "C('match', '+a', '+a')\n"
  "C('match', '?', '?')\n"
  "C('match', '-', '-')\n"
  "C('match', 'a-', 'a-')\n"
  "C('match', '%', '%%')\n"
  "C('match', 'a.b', '%.')\n"
  "C('match', 'x^y', 'x^y')\n"
  "C('match', '^y', '^^y')\n"
  "C('match', '$', '$')\n"
  "C('match', 'a$', 'a$$')\n"
  "C('match', 'abcabc', '(abc)%1')\n"
  "C('match', 'abcabd', '(abc)%1')\n"
  "C('match', 'abab', '((a)b)%2')\n"
  "C('match', 'say \"hi\" now', '([\"\\'])(.-)%1')\n"
  "C('match', 'aaa', '()a*()')\n"
  "C('match', 'hello', '(h)(e)(l)(l)(o)')\n"
  "C('match', 'hello', '(h(e(l)))')\n"
  "C('match', 'abc', '%a+', 10)\n"
  "C('match', 'abc', '()%1')\n"
  "C('match', 'aXb', '%u')\n"
  "C('match', 'x', '%z')\n"
  "C('match', 'Z', '%Z')\n"
  "C('match', ('a'):rep(40), ('(a)'):rep(32))\n"
  "C('match', ('a'):rep(40), ('(a)'):rep(33))\n"
  "C('match', ('a'):rep(150), ('a?'):rep(150))\n"
  /* around the depth bound both implementations share (200 calls) */
  "for n = 197, 202 do\n"
  "  C('match', ('a'):rep(250), ('a?'):rep(n))\n"
  "  C('match', ('a'):rep(250), ('a-'):rep(n) .. '$')\n"
  "  C('find', ('ab'):rep(250), ('a*b'):rep(n))\n"
  "end\n"
  /* %b and %f */
  "C('match', 'f(a(b)c)d', '%b()')\n"
  "C('match', 'f(a(b)c', '%b()')\n"
  "C('match', '(()', '%b()')\n"
  "C('match', '((a)', '%b()')\n"
  "C('match', '[[x]]', '%b[]')\n"
  "C('match', 'x', '%bxx')\n"
  "C('match', 'xax', '%bxx')\n"
  "C('match', 'abba', '%bab')\n"
  "C('match', 'if (a) then', '%b()%s*(%a+)')\n"
  "C('match', 'THE (quick) fox', '%f[%a]%a+')\n"
  "C('match', 'hello world', '%f[%w]%w+$')\n"
  "C('match', 'THE (quick) fox', '%f[%l]%a+')\n"
  "C('gsub', 'THE (quick) brown fox', '%f[%a]', '|')\n"
  "C('gsub', 'THE (quick) brown fox', '%f[%A]', '|')\n"
  "C('gsub', 'hello world', '%f[%w]%w+', 'X')\n"
  "C('gsub', 'f(x) g(y(z))', '%b()', '')\n"
  /* every class and its complement, over all 256 bytes */
  "for _, c in ipairs{'a','c','d','g','l','p','s','u','w','x','z'} do\n"
  "  C('gsub', ALL, '%' .. c, '')\n"
  "  C('gsub', ALL, '%' .. c:upper(), '')\n"
  "  C('gsub', ALL, '[%' .. c .. ']+', '#')\n"
  "end\n"
  /* sets */
  "for _, set in ipairs{'[%a_]', '[^%s]', '[a-f]', '[%-]', '[a-]', '[-a]',\n"
  "    '[]]', '[^]]', '[]-a]', '[%]]', '[a%-z]', '[%w%.]', '[^%w%s]',\n"
  "    '[\\128-\\255]', '[z-a]', '[%a-z]', '[.]', '[%%]', '[^^]', '[a^]',\n"
  "    '[0-9A-Fa-f]+', '[+-]?%d+'} do\n"
  "  C('gsub', ALL, set, '.')\n"
  "end\n"
  /* malformed patterns and capture errors (some only when reached) */
  "for _, p in ipairs{'[a', '[', '[^', '[]', '[%', '[a%]', '%', 'a%', '%b',\n"
  "    '%ba', '%f', '%fa', '%f[a', '(', '(()', ')', 'a)', '%1', '(a)%2',\n"
  "    '(a%1)', '%0', 'x[', 'x%', 'c[', '(a', '(a)(b', 'a()', '%g+'} do\n"
  "  C('match', 'abc', p)\n"
  "end\n"
  "C('find', 'abc', '(a')\n"
  "C('find', 'abc', '[a', 1, true)\n"
  /* gmatch */
  "C('gmatch', 'hello world from lua', '%a+')\n"
  "C('gmatch', 'k1=v1, k2=v2', '(%w+)=(%w+)')\n"
  "C('gmatch', 'abc', '')\n"
  "C('gmatch', 'abc', '.-')\n"
  "C('gmatch', 'abc', 'a*')\n"
  "C('gmatch', 'abc', 'b*')\n"
  "C('gmatch', '^a^a', '^a')\n"
  "C('gmatch', 'hello world', '%a+', 3)\n"
  "C('gmatch', 'hello world', '%a+', -5)\n"
  "C('gmatch', 'hello world', '%a+', 100)\n"
  "C('gmatch', 'hello world', '%a+', 0)\n"
  "C('gmatch', 'hello', '()', 2)\n"
  "C('gmatch', 'abc', '()(.)')\n"
  "C('gmatch', 'a,b,,c', '([^,]*)')\n"
  "C('gmatch', 'abc', '(')\n"
  "C('gmatch', 'abc', '[')\n"
  "C('gmatch', 'abc', 'x[')\n"
  "C('gmatch', 'abc')\n"
  "C('gmatch', 'abc', '.', 1.5)\n"
  "C('gmatch', 'one two  three', '%S+$')\n"
  /* gsub: strings, counts, templates */
  "C('gsub', 'hello world', 'o', '0')\n"
  "C('gsub', 'hello world', 'o', '0', 1)\n"
  "C('gsub', 'hello world', 'o', '0', 0)\n"
  "C('gsub', 'hello world', 'o', '0', -1)\n"
  "C('gsub', 'hello world', '(o)', '[%1]')\n"
  "C('gsub', 'hello world', '%w+', '<%0>')\n"
  "C('gsub', 'hello world', '(%w+) (%w+)', '%2 %1')\n"
  "C('gsub', 'hello', '', '-')\n"
  "C('gsub', 'abc', '%w*', '-')\n"
  "C('gsub', 'abc', 'b*', '-')\n"
  "C('gsub', 'hello', 'l', '%%')\n"
  "C('gsub', 'hello', 'l', '%')\n"
  "C('gsub', 'hello', 'l', 'a%')\n"
  "C('gsub', 'hello', 'x', '%')\n"
  "C('gsub', 'hello', 'l', '%x')\n"
  "C('gsub', 'hello', 'l', '%2')\n"
  "C('gsub', 'hello', '(l)', '%2')\n"
  "C('gsub', 'hello', 'l', '%1')\n"
  "C('gsub', 'hello', '()l', '%1')\n"
  "C('gsub', 'hello', 'l()', '%1%0')\n"
  "C('gsub', 'hello', 'l', 5)\n"
  "C('gsub', 'hello', 'l', 1.5)\n"
  "C('gsub', 'hello', 'l', true)\n"
  "C('gsub', 'hello', 'l', nil)\n"
  "C('gsub', 'hello', 'l')\n"
  "C('gsub', 'hello', '^h', 'H')\n"
  "C('gsub', 'hello', '^', '>')\n"
  "C('gsub', 'hello', '$', '<')\n"
  "C('gsub', 'hello', '^l', 'L')\n"
  "C('gsub', 'a.b.c', '%.', '/')\n"
  "C('gsub', 'a.b.c', '.', '/')\n"
  "C('gsub', 'one two', '(%w+)', '%1 %1')\n"
  "C('gsub', 'x', 'x', '%0%0%0')\n"
  "C('gsub', 'abc', '%w', '%0', 2.0)\n"
  "C('gsub', 'abc', '%w', '%0', 2.5)\n"
  "C('gsub', 'abc', '%w', '%0', '2')\n"
  "C('gsub', 'abc', '%w', '%0', 'x')\n"
  "C('gsub', 123, 2, 9)\n"
  "C('gsub', 'abc', '(', 'x')\n"
  "C('gsub', 'abc', '(', '%1')\n"
  "C('gsub', 'a\\0b', '%z*', '.')\n"
  "C('gsub', 'hello world', 'l+', '')\n"
  /* gsub: tables and functions */
  "C('gsub', 'hello', 'l', {l = 'L'})\n"
  "C('gsub', 'hello', 'l', {})\n"
  "C('gsub', 'hello', '(h)(e)', {h = 'H'})\n"
  "C('gsub', 'hello', '()e', {[2] = 'TWO'})\n"
  "C('gsub', 'hello', 'l', {l = false})\n"
  "C('gsub', 'hello', 'l', {l = true})\n"
  "C('gsub', 'hello', 'l', {l = 7})\n"
  "C('gsub', 'hello', 'l', {l = 7.5})\n"
  "C('gsub', 'hello', 'l', {l = {}})\n"
  "C('gsub', 'abc', '.', {a = 1, b = true})\n"
  "C('gsub', 'abc', '(', {})\n"
  "C('gsub', '$x $y $z', '%$(%w+)', {x = 'X', y = 'Y'})\n"
  "C('gsub', 'hello world', '%w+', string.upper)\n"
  "C('gsub', 'hello world', '(%w)(%w*)', function(a, b) return a:upper() .. b end)\n"
  "C('gsub', 'hello world', '%w+', function() end)\n"
  "C('gsub', 'hello world', '%w+', function() return false end)\n"
  "C('gsub', 'hello world', '%w+', function() return 42 end)\n"
  "C('gsub', 'hello world', '%w+', function() error('boom', 0) end)\n"
  "C('gsub', 'hello world', '%w+', function() error({}) end)\n"
  "C('gsub', 'hello world', '%w+', function() return {} end)\n"
  "C('gsub', 'abc', '()', function(p) return p end)\n"
  "C('gsub', 'abc', '(', function() return 'x' end)\n"
  "C('gsub', 'abc', '(b)()', function(c, p) return c .. p end)\n"
  "C('gsub', 'a,b', '[^,]*', function(w) return '<' .. w .. '>' end)\n"
  "C('gsub', 'abc', '%w', function(c) return (c:gsub('b', 'B')) end)\n"
  "C('gsub', 'abcd', '%w', function(c) return c .. c end, 2)\n";

static lua_State *
new_state (int ward)
{
  lua_State *L = luaL_newstate ();
  luaL_openlibs (L);
  if (ward)
    {
      lua_getglobal (L, "string");
      ward_pattern_install (L, -1);
      lua_pop (L, 1);
    }
  if (luaL_dostring (L, harness) != LUA_OK)
    {
      fprintf (stderr, "harness: %s\n", lua_tostring (L, -1));
      exit (2);
    }
  return L;
}

/* Results agree if equal, or if both are "pattern too complex" errors
 * (stock says so past 200 nested calls; ward adds a reason). */
static int
same (const char *a, const char *b)
{
  static const char tc[] = "pattern too complex";
  if (strncmp (a, "ERR ", 4) == 0 && strncmp (b, "ERR ", 4) == 0
      && strstr (a, tc) != NULL && strstr (b, tc) != NULL)
    return 1;
  return strcmp (a, b) == 0;
}

/* Call the harness function the caller pushed, with its nargs arguments;
 * returns a malloc'd copy of its string result. */
static char *
call_str (lua_State *L, int nargs)
{
  if (lua_pcall (L, nargs, 1, 0) != LUA_OK)
    {
      fprintf (stderr, "harness call failed: %s\n", lua_tostring (L, -1));
      exit (2);
    }
  char *r = strdup (lua_tostring (L, -1));
  lua_pop (L, 1);
  return r;
}

/* At most max characters of s, control bytes shown as '?', for a TAP
 * description (which must stay on one line). */
static const char *
printable (const char *s, size_t max)
{
  static char buf[128];
  size_t i;
  if (max >= sizeof buf)
    max = sizeof buf - 1;
  for (i = 0; i < max && s[i] != '\0'; i++)
    buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  buf[i] = '\0';
  return buf;
}

static char *
run_case (lua_State *L, int i)
{
  lua_getglobal (L, "run_case");
  lua_pushinteger (L, i);
  return call_str (L, 1);
}

static int
count_cases (lua_State *L)
{
  lua_getglobal (L, "cases");
  int n = (int) luaL_len (L, -1);
  lua_pop (L, 1);
  return n;
}

/* ---- generated cases ------------------------------------------------------ */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd (uint32_t n)
{
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t) ((rng * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/* Pattern pieces, each with a bit of subject text it matches: random
 * subjects alone would almost never match, so most generated subjects are
 * built from the pattern's own pieces and then perturbed. */
typedef struct piece
{
  const char *pat, *text;
} piece;

/* Single-character items; these may take a quantifier. */
static const piece chars[] = {
  { "a", "a" }, { "b", "b" }, { "1", "1" }, { ".", "." }, { "%a", "b" },
  { "%d", "1" }, { "%s", " " }, { "%w", "a" }, { "%A", "(" }, { "%p", "." },
  { "[ab]", "b" }, { "[^a]", "_" }, { "[a-c]", "c" }, { "[%d_]", "_" },
  { "%%", "%" }, { "%.", "." }, { " ", " " }, { "-", "-" }, { "*", "*" },
  { "$", "$" }, { "^", "^" }, { ".", "a" }, { "a", "a" }, { "b", "b" },
  { "[%a ]", " " }, { "[]]", "]" }, { "[^%a%d]", "(" },
};
/* Captures, back-references, %b, %f, anchors. */
static const piece others[] = {
  { "(", "" }, { "(", "" }, { ")", "" }, { ")", "" }, { "()", "" },
  { "%1", "a" }, { "%2", "" }, { "%b()", "(a)" }, { "%f[%w]", "" },
  { "%f[^a]", "" }, { "$", "" }, { "(", "" }, { ")", "" },
};
/* Malformed: errors when (and only when) the matcher reaches them. */
static const piece broken[] = {
  { "[", "" }, { "%", "" }, { "[a", "a" }, { "%f", "" }, { "%b(", "(" },
};
static const char subject_chars[] = "aab1 ()_.b%-";

#define N_GENERATED 8000
#define COUNT(a) (sizeof (a) / sizeof *(a))

/* Fill p with a random pattern and w with text that would match it. */
static void
gen_pattern (char *p, char *w)
{
  p[0] = w[0] = '\0';
  if (rnd (6) == 0)
    strcat (p, "^");
  int items = (int) rnd (6);
  for (int i = 0; i < items; i++)
    {
      uint32_t r = rnd (100);
      const piece *pc;
      if (r < 3)
        pc = &broken[rnd (COUNT (broken))];
      else if (r < 25)
        pc = &others[rnd (COUNT (others))];
      else
        pc = &chars[rnd (COUNT (chars))];
      strcat (p, pc->pat);
      int copies = 1;
      if (r >= 25 && rnd (2) == 0)
        {
          char q = "*+-?"[rnd (4)];
          strncat (p, &q, 1);
          copies = (int) rnd (q == '?' ? 2 : 3) + (q == '+');
        }
      for (int k = 0; k < copies; k++)
        strcat (w, pc->text);
    }
  if (rnd (6) == 0)
    strcat (p, "$");
}

static void
generated (lua_State *stock, lua_State *ward)
{
  static const char *const fnames[] = { "find", "match", "gmatch", "gsub" };
  int bad[4] = { 0 }, total[4] = { 0 }, errors = 0, hits = 0, shown = 0;
  lua_getglobal (stock, "NREPL");
  int nrepl = (int) lua_tointeger (stock, -1);
  lua_pop (stock, 1);
  for (int c = 0; c < N_GENERATED; c++)
    {
      char pat[128], wit[64], subj[96];
      int f = c % 4;
      gen_pattern (pat, wit);
      /* Mostly: random text around the witness, sometimes one byte
       * changed; otherwise a purely random subject. */
      size_t sl = 0;
      int around = rnd (4) != 0;
      for (size_t i = rnd (around ? 4 : 15); i > 0; i--)
        subj[sl++] = subject_chars[rnd (sizeof subject_chars - 1)];
      if (around)
        {
          size_t wl = strlen (wit);
          memcpy (subj + sl, wit, wl);
          if (wl > 0 && rnd (4) == 0)
            subj[sl + rnd ((uint32_t) wl)] = subject_chars[rnd (sizeof subject_chars - 1)];
          sl += wl;
          for (size_t i = rnd (4); i > 0; i--)
            subj[sl++] = subject_chars[rnd (sizeof subject_chars - 1)];
        }
      int k = (int) rnd ((uint32_t) nrepl) + 1;
      int has_init = rnd (3) == 0;
      int init = (int) rnd (19) - 6;
      char *res[2];
      lua_State *Ls[2] = { stock, ward };
      for (int s = 0; s < 2; s++)
        {
          lua_State *L = Ls[s];
          lua_getglobal (L, "gcase");
          lua_pushstring (L, fnames[f]);
          lua_pushlstring (L, subj, sl);
          lua_pushstring (L, pat);
          lua_pushinteger (L, k);
          if (has_init)
            lua_pushinteger (L, init);
          else
            lua_pushnil (L);
          res[s] = call_str (L, 5);
        }
      total[f]++;
      if (strncmp (res[0], "ERR", 3) == 0)
        errors++;
      else if (strcmp (res[0], "OK 1[nil:nil]") != 0
               && strcmp (res[0], "OK ") != 0)
        hits++;
      if (!same (res[0], res[1]))
        {
          bad[f]++;
          if (shown++ < 8)
            printf ("# %s(\"%.*s\", \"%s\", repl %d, init %s%d)\n#   stock: %s\n"
                    "#   ward:  %s\n", fnames[f], (int) sl, subj, pat, k,
                    has_init ? "" : "nil/", init, res[0], res[1]);
        }
      free (res[0]);
      free (res[1]);
    }
  for (int f = 0; f < 4; f++)
    is_int (bad[f], 0, "%d generated %s cases agree with stock (%d differ)",
            total[f], fnames[f], bad[f]);
  printf ("# generated: %d errors, %d non-empty results\n", errors, hits);
  ok (errors > N_GENERATED / 50 && hits > N_GENERATED / 4,
      "generated cases reach both errors and matches");
}

/* ---- limits --------------------------------------------------------------- */

/* This thread's CPU time in seconds: what a pattern costs, whatever else
 * the machine is doing (wall-clock time would count the load). */
static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The bound on a pattern's cost: far below the ~35 s of stock Lua, scaled
 * by WARD_TEST_TIMEOUT_SCALE for slow machines (sanitizers, emulation). */
static double
give_up_s (void)
{
  return (double) tap_ms (2000) / 1000.0;
}

/* Run chunk (which returns a value) in L; returns a malloc'd tostring of
 * its first result, or "LOAD ERROR: ..." if the chunk itself raised. */
static char *
eval (lua_State *L, const char *chunk)
{
  char *r;
  if (luaL_dostring (L, chunk) != LUA_OK)
    {
      const char *m = lua_tostring (L, -1);
      r = malloc (strlen (m ? m : "?") + 20);
      sprintf (r, "LOAD ERROR: %s", m ? m : "?");
    }
  else
    r = strdup (luaL_tolstring (L, -1, NULL));
  lua_settop (L, 0);
  return r;
}

/* eval and check the result contains want. */
static void
expect (lua_State *L, const char *chunk, const char *want, const char *what)
{
  char *r = eval (L, chunk);
  if (!ok (strstr (r, want) != NULL, "%s", what))
    printf ("#   got \"%.300s\", want something containing \"%s\"\n", r, want);
  free (r);
}

static void
limits (lua_State *stock, lua_State *ward)
{
  /* The pathological case: about 35 s of backtracking in stock Lua. */
  double t0 = now ();
  char *r = eval (ward, "local ok, err = pcall(string.find, ('a'):rep(120),"
                  " ('a*'):rep(5) .. 'b')\n"
                  "return tostring(ok) .. ' ' .. tostring(err)");
  double dt = now () - t0;
  ok (strncmp (r, "false ", 6) == 0, "pathological find raises under pcall");
  is_str (r, "false pattern too complex: more than 1012000 matching steps "
          "(pattern 'a*a*a*a*a*b')", "error names the budget and the pattern");
  ok (dt < give_up_s (), "pathological find gives up in %.3f s of CPU (< %.0f s)", dt,
      give_up_s ());
  free (r);

  expect (ward, "return select(2, pcall(string.gsub, ('a'):rep(120),"
          " ('a*'):rep(5) .. 'b', 'x'))", "pattern too complex: more than",
          "pathological gsub raises");
  expect (ward, "return select(2, pcall(function() for _ in ('a'):rep(120)"
          ":gmatch(('a*'):rep(5) .. 'b') do end end))",
          "pattern too complex: more than", "pathological gmatch raises");
  expect (ward, "return select(2, pcall(string.match, ('a'):rep(120),"
          " ('a*'):rep(30) .. '\\1b'))",
          "(pattern 'a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*...' truncated "
          "to 40 chars)", "long patterns are truncated in the message");

  /* A big subject with ordinary patterns stays well inside the budget. */
  t0 = now ();
  expect (ward, "local s = ('word '):rep(200000)\n"
          "local r, n = s:gsub('%a+', 'x')\n"
          "return #s .. ' ' .. #r .. ' ' .. n",
          "1000000 400000 200000", "gsub over a 1 MB subject succeeds");
  expect (ward, "local s = ('word '):rep(200000)\n"
          "return tostring(s:find('%d')) .. ' ' .. #s:match('^(.-)$')"
          " .. ' ' .. select(2, s:find('%s*$'))",
          "nil 1000000 1000000", "find and match over a 1 MB subject succeed");
  expect (ward, "local n = 0 for w in ('word '):rep(200000):gmatch('%a+') do"
          " n = n + 1 end return n", "200000",
          "gmatch over a 1 MB subject succeeds");
  printf ("# 1 MB checks took %.3f s of CPU\n", now () - t0);

  /* Nesting: past the depth bound an error, not a crash. */
  expect (ward, "return select(2, pcall(string.find, ('a'):rep(1000),"
          " ('a?'):rep(1000)))", "pattern too complex (nesting)",
          "deep nesting raises instead of overflowing the C stack");
  expect (ward, "return select(2, pcall(string.match, ('a'):rep(10),"
          " ('a-'):rep(300) .. 'b'))", "pattern too complex (nesting)",
          "deep lazy nesting raises too");

  /* Work cannot hide in one item: testing a character against a 50 kB set
   * costs steps in proportion to the set. */
  t0 = now ();
  expect (ward, "return select(2, pcall(string.find, ('b'):rep(50000),"
          " '[' .. ('a'):rep(50000) .. ']'))", "pattern too complex",
          "a huge set is charged for its size");
  dt = now () - t0;
  ok (dt < give_up_s (), "and gives up in %.3f s of CPU (< %.0f s)", dt, give_up_s ());

  /* gsub's budget covers the whole call: every start position here costs
   * a scan to the end, n^2/2 steps in all. */
  expect (ward, "return select(2, pcall(string.gsub, ('a'):rep(20000),"
          " 'a-b', ''))", "pattern too complex: more than 3000000",
          "gsub's budget covers all its matches together");
  expect (ward, "return tostring(('a'):rep(20000):match('^a-b'))", "nil",
          "one anchored attempt at the same pattern is cheap");

  /* gmatch's budget is per iterator call: each "b" below costs ~600k
   * steps (budget 1.122M), the whole loop ~6M. */
  const char *per_call =
    "local s = (('a'):rep(120) .. 'cb'):rep(10)\n"
    "local n = 0\n"
    "local ok, err = pcall(function()\n"
    "  for w in s:gmatch('a*a*b') do n = n + 1 end end)\n"
    "return tostring(ok) .. ' ' .. n .. ' ' .. tostring(err)";
  char *a = eval (stock, per_call);
  r = eval (ward, per_call);
  is_str (r, a, "gmatch's budget is per call (10 costly matches in one loop)");
  free (a);
  free (r);
  expect (ward, "local s = (('a'):rep(120) .. 'cb'):rep(10)\n"
          "return select(2, pcall(string.gsub, s, 'a*a*b', ''))",
          "pattern too complex", "while gsub of the same work raises");

  /* The state is fine afterwards and method calls use the new functions. */
  expect (ward, "return ('hello'):find('l+') .. ' ' .. ('a,b'):gsub(',', ';')",
          "3 a;b", "the state still works after the errors");
}

int
main (void)
{
  lua_State *stock = new_state (0), *ward = new_state (1);
  int n = count_cases (stock);
  plan (n + 5 + 18);

  for (int i = 1; i <= n; i++)
    {
      char *a = run_case (stock, i), *b = run_case (ward, i);
      if (!ok (same (a, b), "case %d: %s", i, printable (a, 70)))
        printf ("#   stock: %s\n#   ward:  %s\n", a, b);
      free (a);
      free (b);
    }
  generated (stock, ward);
  limits (stock, ward);

  lua_close (stock);
  lua_close (ward);
  return done ();
}
