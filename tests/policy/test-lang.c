/* test-lang.c -- the policy language: exact error positions, suggestions,
 * hostile input (binary, truncated, huge, deep), globs, fmt idempotence. */
#include "config.h"
#include "wpol.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* Parse text; return the formatted first diagnostic (or "" when none) in a
 * static buffer; *nerr gets the number of errors. */
static const char *
first_diag (const char *text, size_t len, size_t *nerr)
{
  static char buf[1400];
  wpol_diags d;
  wpol_diags_init (&d);
  wpol_file *f = wpol_parse ("t.policy", text, len, &d);
  wpol_check (&f, 1, &d);
  wpol_analyse (&f, 1, &d);
  buf[0] = '\0';
  if (d.n)
    {
      wpol_diags_sort (&d);
      wpol_diag_format (&d.v[0], buf, sizeof buf);
    }
  if (nerr)
    *nerr = f ? f->nerrors : 999;
  wpol_file_free (f);
  wpol_diags_free (&d);
  return buf;
}

static const char *
diag1 (const char *text)
{
  return first_diag (text, strlen (text), NULL);
}

static const struct { const char *src, *want; } errors[] = {
  { "polcy \"x\" {}", "t.policy:1:1: error: expected `policy`, `actor`, `host` or `sandbox`, got `polcy`; did you mean `policy`?" },
  { "policy \"p\" {\n  alow process.send on \"*\";\n}", "t.policy:2:3: error: expected `allow` or `deny`, got `alow`; did you mean `allow`?" },
  { "policy \"p\" {\n  allow process.spwan on \"a\";\n}", "t.policy:2:9: error: unknown action `process.spwan`; did you mean `process.spawn`?" },
  { "policy \"p\" {\n  allow lua.requir on \"a\";\n}", "t.policy:2:9: error: unknown action `lua.requir`; did you mean `lua.require`?" },
  { "policy \"p\" {\n  allow process.send onn \"a\";\n}", "t.policy:2:22: error: expected `,` or `on` after the actions, got `onn`; did you mean `on`?" },
  { "policy \"p\" {\n  allow process.send on \"a\" wen true;\n}", "t.policy:2:29: error: expected `,`, `when` or `;` after the resources, got `wen`; did you mean `when`?" },
  { "policy \"p\" {\n  allow process.send on \"*\" when attr.hots == \"x\";\n}", "t.policy:2:34: error: unknown name `attr.hots` in condition; did you mean `attr.host`?" },
  { "policy \"p\" {\n  allow process.send on \"*\" when resource = \"x\";\n}", "t.policy:2:43: error: `=` is not a comparison; did you mean `==`?" },
  { "policy \"p\" {\n  allow process.send on \"*\" when attr == \"x\";\n}", "t.policy:2:34: error: `attr` is a set of attributes, not a value; name one (e.g. `attr.pid`) or test it with `has`" },
  { "policy \"p\" {\n  allow process.send on \"*\" when attr has \"pdi\";\n}", "t.policy:2:43: error: `attr` has no attribute \"pdi\"; did you mean \"pid\"?" },
  { "policy \"p\" {\n  allow process.send on \"*\" when resource in \"x\";\n}", "t.policy:2:46: error: `in` needs a list on its right (e.g. [\"a\", \"b\"])" },
  { "policy \"p\" {\n  allow process.send on \"*\" when (resource == \"x\";\n}", "t.policy:2:50: error: expected `)` to close the `(` at 2:34, got `;`" },
  { "policy \"p\" {\n  allow process.send on \"*\" when resource;\n}", "t.policy:2:34: error: a condition must be a comparison or true/false, not a lone name" },
  { "policy \"p\" {\n  allow process.send on x;\n}", "t.policy:2:25: error: expected a resource in quotes (e.g. \"app.workers:*\"), got `x`" },
  { "policy \"p\" {\n  allow process.send on \"a\"\n}", "t.policy:3:1: error: expected `,`, `when` or `;` after the resources, got `}`" },
  { "policy \"p\" {\n  allow process.send on \"\";\n}", "t.policy:2:25: error: empty resource pattern" },
  { "policy \"\" { }", "t.policy:1:8: error: the name must not be empty" },
  { "policy \"p\" {\n  allow process.send on \"a\";", "t.policy:2:29: error: unexpected end of file: the `{` at 1:12 is never closed" },
  { "policy \"p\" {\n  allow process.send on \"a", "t.policy:2:25: error: unterminated string" },
  { "policy \"p\" {\n  allow process.send on \"a\\q\";\n}", "t.policy:2:27: error: unknown escape `\\q` (use \\\\, \\\", \\n, \\t, \\r or \\xHH)" },
  { "policy \"p\" {\n  allow process.send on \"a\\x00\";\n}", "t.policy:2:27: error: \\x00 is not allowed in a string" },
  { "policy \"p\" { allow process.spawn on \"a\"; }\npolicy \"p\" { }", "t.policy:2:8: error: policy \"p\" is already defined at t.policy:1" },
  { "sandbox \"s\" {\n  memroy = \"1G\";\n}", "t.policy:2:3: error: unknown field `memroy` in sandbox \"s\"; did you mean `memory`?" },
  { "sandbox \"s\" {\n  memory = \"12Q\";\n}", "t.policy:2:12: error: `memory`: bad size \"12Q\": unknown unit \"Q\"; use bytes or a number with K, M, G or T (binary multiples), like \"64M\"" },
  { "sandbox \"s\" {\n  cpu = \"soon\";\n}", "t.policy:2:9: error: `cpu`: bad duration \"soon\": it does not start with a digit; use milliseconds or a number with ms, s, m, h or d, like \"250ms\" or \"1.5s\"" },
  { "sandbox \"s\" {\n  memory = -5;\n}", "t.policy:2:12: error: `memory`: bad size \"-5\": it is negative; use bytes or a number with K, M, G or T (binary multiples), like \"64M\"" },
  { "sandbox \"s\" {\n  cpu = [1];\n}", "t.policy:2:9: error: `cpu` must be a duration, not a list; use milliseconds or a number with ms, s, m, h or d, like \"250ms\" or \"1.5s\"" },
  { "sandbox \"s\" {\n  namespaces = [user, pdi];\n}", "t.policy:2:23: error: unknown namespace `pdi`; did you mean `pid`? (known: user, pid, net, mount, ipc, uts, cgroup)" },
  { "sandbox \"s\" {\n  nofile = \"x\";\n}", "t.policy:2:12: error: `nofile` must be a number, not a string" },
  { "sandbox \"s\" {\n  nofile = -1;\n}", "t.policy:2:12: error: `nofile` must be between 0 and 1048576, not -1" },
  { "sandbox \"s\" {\n  capabilities = [net_bind_servce];\n}", "t.policy:2:19: error: unknown capability `net_bind_servce`; did you mean `net_bind_service`?" },
  { "sandbox \"s\" {\n  nofile = 1;\n  nofile = 2;\n}", "t.policy:3:3: error: field `nofile` is already set at line 2" },
  { "sandbox \"s\" {\n  processes = 0;\n}", "t.policy:2:15: error: `processes` must be between 1 and 1000000, not 0" },
  { "sandbox \"s\" {\n  live_childs = 2;\n}", "t.policy:2:3: error: unknown field `live_childs` in sandbox \"s\"; did you mean `live_children`?" },
  { "host \"h\" {\n  threads = \"many\";\n}", "t.policy:2:13: error: `threads` must be a number, not a string" },
  { "host \"h\" {\n  thread = 2;\n}", "t.policy:2:3: error: unknown field `thread` in host \"h\"; did you mean `threads`?" },
  { "actor \"a\" {\n  scope = \"x\";\n}", "t.policy:2:11: error: `scope` must be a list of policy names, e.g. [\"untrusted\"]" },
  { "actor \"a\" {\n  tier = untrusted;\n}", "t.policy:2:10: error: metadata `tier` must be a string, number or boolean (put names in quotes)" },
  { "policy \"p\" {\n  allow process.send on \"é\" when é;\n}", "t.policy:2:34: error: unexpected character `é` (only strings and comments may hold non-ASCII text)" },
  { "policy \"p\" { allow process.send on \"*\" when 99999999999999999999 == 1; }", "t.policy:1:45: error: number out of range" },
};

static const struct { const char *src, *want; } warnings[] = {
  { "policy \"p\" {\n  deny process.** on \"**\";\n  allow process.send on \"a\";\n}", "t.policy:3:3: warning: this allow never takes effect: the deny at line 2 denies everything it matches" },
  { "policy \"p\" {\n  deny process.spawn on \"a.*\";\n  deny process.spawn on \"a.b\";\n}", "t.policy:3:3: warning: this deny adds nothing: the deny at line 2 already covers it" },
  { "policy \"p\" {\n  allow gpu.compute on \"a\";\n}", "t.policy:2:9: warning: unknown action `gpu.compute` (ward checks process.*, lua.require, sandbox.spawn, io.*, env.read, fs.* and net.*)" },
  { "policy \"p\" {\n  allow proc.* on \"a\";\n}", "t.policy:2:9: warning: action pattern `proc.*` matches no known action, so this rule never matches" },
  { "policy \"p\" {\n  allow process.send on \"a\" when false;\n}", "t.policy:2:3: warning: this rule's condition is `false`: it never matches" },
  { "policy \"p\" {\n  allow process.spawn on \"a\" when attr.pid < 3;\n}", "t.policy:2:44: warning: this comparison always errors (it orders a string against a number), so its rule fails closed" },
  { "host \"h\" {\n  sandbox = \"nope\";\n}", "t.policy:1:1: warning: host \"h\" uses sandbox profile \"nope\", which these files do not define" },
};

/* A deny with a condition does not shadow; a narrower earlier deny does not. */
static const char *const no_warning[] = {
  "policy \"p\" {\n  deny process.spawn on \"a\" when attr.pid == \"x\";\n  allow process.spawn on \"a\";\n}",
  "policy \"p\" {\n  deny process.spawn on \"a.b\";\n  allow process.spawn on \"a.*\";\n}",
  "policy \"p\" {\n  deny process.spawn on \"**\";\n  allow lua.require on \"a\";\n}",
  "# only a comment\n",
  "",
};

static const struct { const char *pat, *s; int want; } globs[] = {
  { "a.b", "a.b", 1 }, { "a.b", "a.c", 0 }, { "a.*", "a.b", 1 }, { "a.*", "a.b.c", 0 },
  { "a.**", "a.b.c", 1 }, { "a.**", "a.", 1 }, { "a.**", "a", 0 }, { "**", "", 1 },
  { "*", "{ward:main|0x1}", 1 }, { "*", "", 1 }, { "*.b", "a.b", 1 }, { "*.b", "x.a.b", 0 },
  { "**.b", "x.a.b", 1 }, { "tools.helpers:*", "tools.helpers:zip", 1 },
  { "tools.helpers:*", "tools.helpers:zip:x", 0 }, { "tools.helpers:*", "tools.helpers.zip", 0 },
  { "a?c", "abc", 1 }, { "a?c", "a.c", 0 }, { "a?c", "ac", 0 }, { "a\\*", "a*", 1 },
  { "a\\*", "ab", 0 }, { "process.spawn.*", "process.spawn.linked", 1 },
  { "process.*", "process.spawn.linked", 0 }, { "process.**", "process.spawn.linked", 1 },
  { "*:*", "ward:main", 1 }, { "*:*", "ward.x:main", 0 }, { "a*b*c", "aXbYc", 1 },
  { "a*b*c", "aXbY", 0 }, { "**a**a**a**a**a**b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
  { "", "", 1 }, { "", "x", 0 },
};

static const struct { const char *outer, *inner; int want; } covers[] = {
  { "**", "a.b", 1 }, { "a.*", "a.b", 1 }, { "a.*", "a.*", 1 }, { "a.*", "a.**", 0 },
  { "a.**", "a.*", 1 }, { "a.b", "a.*", 0 }, { "*", "anything:at.all", 1 }, { "a?", "a*", 0 },
};

static const char *const fmt_inputs[] = {
  "# head\n\n\npolicy   \"p\"{allow process.send,process.host on \"a\",\"b\" when not (attr.pid==\"x\" or attr.host!=\"y\") and resource matches \"a*\";# trailing\n# inside\n\n\ndeny process.spawn on \"**\" ; }\n# between\nactor \"a.*\" { scope=[\"p\",]; tier=\"x\"; level=3; ok=true; }\n\n\n\n# tail\n",
  "sandbox \"s\" { namespaces = [user,pid]; memory = 64M; cpu = 250ms; capabilities = [\"CAP_NET_RAW\"]; environment=[\"A=1\"]; stdout = null; }\nhost \"h\" { threads = 2; sandbox = \"s\"; }",
  "policy \"p\" {\n  allow \"process.send\" on \"x\" when ((attr has \"pid\" or target has \"actor\") and (actor.meta.tier in [\"a\", 1, true] or \"x\" in actor.scope)) or actor.scope has \"q\";\n  allow process.send on \"y\" when actor.meta.n >= -5 and actor.id <= \"m\" and action > \"a\" and resource < \"z\";\n}\n",
  "policy \"p\" {\n  allow process.send # a\n    , process.host # b\n    on \"x\"; # c\n}\n",
  "policy \"p\" { allow process.send on \"x\" when (a.b == \"x\"); }\n",   /* has an error: not formatted */
};

static char *
format_text (const char *text, size_t *nerr)
{
  wpol_diags d;
  wpol_diags_init (&d);
  wpol_file *f = wpol_parse ("t.policy", text, strlen (text), &d);
  wpol_diags_free (&d);
  *nerr = f->nerrors;
  wpol_buf b = { 0 };
  if (f->nerrors == 0)
    wpol_format (f, &b);
  wpol_file_free (f);
  return b.s ? b.s : strdup ("");
}

int
main (void)
{
  size_t nerrors = sizeof errors / sizeof errors[0], nwarn = sizeof warnings / sizeof warnings[0];
  size_t nno = sizeof no_warning / sizeof no_warning[0], nglob = sizeof globs / sizeof globs[0];
  size_t ncov = sizeof covers / sizeof covers[0], nfmt = sizeof fmt_inputs / sizeof fmt_inputs[0];
  plan ((int) (nerrors + nwarn + nno + nglob + ncov + 3 * (nfmt - 1) + 1 + 12));

  for (size_t i = 0; i < nerrors; i++)
    is_str (diag1 (errors[i].src), errors[i].want, "error %zu: %.50s", i, errors[i].want + 9);
  for (size_t i = 0; i < nwarn; i++)
    is_str (diag1 (warnings[i].src), warnings[i].want, "warning %zu: %.50s", i, warnings[i].want + 9);
  for (size_t i = 0; i < nno; i++)
    is_str (diag1 (no_warning[i]), "", "no diagnostic for case %zu", i);

  wpol_arena a = { 0 };
  for (size_t i = 0; i < nglob; i++)
    is_int (wpol_glob_match (wpol_glob_compile (&a, globs[i].pat), globs[i].s), globs[i].want,
            "glob `%s` %s `%s`", globs[i].pat, globs[i].want ? "matches" : "does not match", globs[i].s);
  for (size_t i = 0; i < ncov; i++)
    is_int (wpol_glob_covers (wpol_glob_compile (&a, covers[i].outer),
                              wpol_glob_compile (&a, covers[i].inner)), covers[i].want,
            "`%s` %s `%s`", covers[i].outer, covers[i].want ? "covers" : "does not cover", covers[i].inner);
  wpol_arena_free (&a);

  for (size_t i = 0; i + 1 < nfmt; i++)
    {
      size_t e1, e2, e3;
      char *once = format_text (fmt_inputs[i], &e1);
      char *twice = format_text (once, &e2);
      is_int (e1 + e2, 0, "fmt input %zu parses, and so does its canonical form", i);
      is_str (twice, once, "fmt of fmt is identity (input %zu)", i);
      /* the canonical form keeps every comment */
      size_t c_in = 0, c_out = 0;
      for (const char *p = fmt_inputs[i]; *p; p++)
        c_in += *p == '#';
      for (const char *p = once; *p; p++)
        c_out += *p == '#';
      is_int (c_out, c_in, "fmt keeps all comments (input %zu)", i);
      free (once);
      free (twice);
      (void) e3;
    }
  {
    size_t e;
    char *s = format_text (fmt_inputs[nfmt - 1], &e);
    ok (e == 1 && s[0] == '\0', "fmt refuses a file with an error");
    free (s);
  }
  {
    size_t e;
    char *s = format_text (fmt_inputs[0], &e);
    const char *want =
      "# head\n\npolicy \"p\" {\n"
      "  allow process.send, process.host on \"a\", \"b\" when not (attr.pid == \"x\" or attr.host != \"y\") and resource matches \"a*\";  # trailing\n"
      "  # inside\n\n  deny process.spawn on \"**\";\n}\n\n# between\nactor \"a.*\" {\n"
      "  scope = [\"p\"];\n  tier = \"x\";\n  level = 3;\n  ok = true;\n}\n\n# tail\n";
    is_str (s, want, "canonical form of the first input");
    free (s);
  }

  /* hostile input */
  size_t ne;
  const char *msg = first_diag ("policy \"p\" {\x00 }", 15, &ne);
  is_str (msg, "t.policy:1:13: error: NUL byte in policy text (is this a binary file?)", "NUL byte is an error at its position");
  msg = first_diag ("policy \"p\xff\" {}", 14, &ne);
  is_str (msg, "t.policy:1:10: error: invalid UTF-8 byte 0xff", "invalid UTF-8 in a string");
  msg = first_diag ("# \xc0\xaf overlong\n", 13, &ne);
  is_str (msg, "t.policy:1:3: error: invalid UTF-8 byte 0xc0", "overlong UTF-8 in a comment");
  {
    unsigned char bin[4096];
    unsigned s = 12345;
    for (size_t i = 0; i < sizeof bin; i++)
      {
        s = s * 1103515245u + 12345u;
        bin[i] = (unsigned char) (s >> 16);
      }
    first_diag ((const char *) bin, sizeof bin, &ne);
    ok (ne >= 1 && ne <= WPOL_MAX_ERRORS + 1, "random bytes: errors, bounded (%zu)", ne);
  }
  {
    size_t n = 200000;
    char *deep = malloc (2 * n + 100);
    strcpy (deep, "policy \"p\" { allow process.spawn on \"a\" when ");
    size_t l = strlen (deep);
    memset (deep + l, '(', n);
    deep[l + n] = '\0';
    msg = first_diag (deep, strlen (deep), &ne);
    ok (strstr (msg, "nested too deeply") != NULL, "200000 open parentheses: depth error, no crash");
    strcpy (deep + l, "not ");
    for (size_t i = 0; i < n / 4; i++)
      memcpy (deep + l + 4 * i, "not ", 4);
    strcpy (deep + l + n, "true; }");
    msg = first_diag (deep, strlen (deep), &ne);
    ok (strstr (msg, "nested too deeply") != NULL, "50000 `not`s: depth error, no crash");
    /* a long flat chain is fine: and/or are n-ary */
    l = strlen ("policy \"p\" { allow process.spawn on \"a\" when ");
    size_t k = 0;
    for (; k < 20000; k++)
      memcpy (deep + l + 9 * k, "true or ", 8), deep[l + 9 * k + 8] = ' ';
    strcpy (deep + l + 9 * k, "true; }");
    msg = first_diag (deep, strlen (deep), &ne);
    ok (ne == 0 && strstr (msg, "always true") != NULL,
        "20000-term `or` chain parses (and is found always true)");
    free (deep);
  }
  {
    size_t n = 8u << 20;
    char *huge = malloc (n + 1);
    memset (huge, 'x', n);
    for (size_t i = 0; i < n; i += 64)
      huge[i] = '#', huge[i + 63] = '\n';
    huge[n] = '\0';
    msg = first_diag (huge, n, &ne);
    is_str (msg, "", "8 MiB of comments parse cleanly");
    msg = first_diag (huge, WPOL_MAX_FILE + 1, &ne);
    ok (strstr (msg, "file too large") != NULL, "more than 16 MiB is refused");
    free (huge);
  }
  {
    char *longs = malloc (WPOL_MAX_STRING + 100);
    strcpy (longs, "policy \"");
    memset (longs + 8, 'x', WPOL_MAX_STRING + 1);
    strcpy (longs + 8 + WPOL_MAX_STRING + 1, "\" {}");
    msg = first_diag (longs, strlen (longs), &ne);
    is_str (msg, "t.policy:1:8: error: string longer than 4096 bytes", "over-long string");
    free (longs);
  }
  {
    /* every prefix of a valid file: errors or success, never a crash */
    const char *src = fmt_inputs[2];
    size_t len = strlen (src), crashes = 0;
    for (size_t i = 0; i < len; i++)
      {
        first_diag (src, i, &ne);
        crashes += ne > WPOL_MAX_ERRORS + 1;
      }
    is_int (crashes, 0, "every truncation of a valid file gives a bounded error list");
  }
  return done ();
}
