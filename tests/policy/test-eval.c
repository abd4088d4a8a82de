/* test-eval.c -- decisions: every condition operator, fail-closed errors,
 * deny overrides allow, scope and actor resolution, the cache (attribute
 * keys, invalidation on reload) and decisions racing reloads in threads. */
#include "config.h"
#include "wpol.h"
#include "tap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { T = 1, F = 0, E = -1 };

static const struct { const char *cond; int want; } conds[] = {
  { "resource == attr.parent", T }, { "resource != attr.parent", F },
  { "actor.id == \"a1\"", T }, { "actor.meta.level == 3", T },
  { "actor.meta.level == \"3\"", F }, { "actor.meta.level != \"3\"", T },
  { "actor.meta.level < 4", T }, { "actor.meta.level <= 3", T },
  { "actor.meta.level > 3", F }, { "actor.meta.level >= 3", T },
  { "actor.meta.level >= 4", F }, { "actor.meta.tier < 3", E },
  { "actor.meta.tier < \"h\"", T }, { "actor.meta.tier > \"h\"", F },
  { "actor.meta.flag < true", E }, { "actor.meta.missing == \"x\"", E },
  { "actor.meta has \"missing\"", F }, { "actor.meta has \"tier\"", T },
  { "actor.meta has \"level\"", T }, { "attr has \"pid\"", T },
  { "target has \"host\"", F }, { "target.host == \"x\"", E },
  { "target has \"host\" and target.host == \"x\"", F },
  { "target.host == \"x\" or true", E }, { "true or target.host == \"x\"", T },
  { "false and target.host == \"x\"", F }, { "not (actor.id == \"a1\")", F },
  { "not actor.id == \"zz\"", T }, { "not target.host == \"x\"", E },
  { "action in [\"process.send\", \"process.host\"]", T }, { "action in [\"x\"]", F },
  { "3 in [1, 2, 3]", T }, { "\"3\" in [1, 2, 3]", F }, { "\"p\" in actor.scope", T },
  { "actor.scope has \"q\"", F }, { "actor.scope has \"p\"", T },
  { "[1, 2] has 2", T }, { "actor.meta.tier in [\"gold\"]", T },
  { "actor.meta.tier in actor.meta.level", E }, { "resource matches \"{ward:*\"", T },
  { "resource matches \"{ward:main|0x9}\"", F }, { "attr.host matches \"ward:*\"", T },
  { "actor.meta.level matches \"3\"", E }, { "actor.meta.flag", T },
  { "actor.meta.tier", E }, { "[1] == [1]", E },
  { "actor.meta.level == 3 and actor.meta.flag == true", T },
  { "(actor.id == \"x\" or actor.id == \"a1\") and not (attr.pid == attr.parent)", T },
  { "false", F }, { "true", T }, { "target.actor == \"worker\"", T },
  { "target.parent == attr.pid", T }, { "attr.host != \"ward:sandbox\"", T },
};

static const char actor_decl[] = "actor \"a1\" { level = 3; flag = true; scope = [\"p\"]; }\n";

static wpol_engine *
engine_with (const char *text)
{
  ward_err err;
  wpol_diags d;
  wpol_diags_init (&d);
  wpol_engine *e = wpol_engine_new (0, &err);
  if (wpol_engine_load_text (e, "t.policy", text, strlen (text), &d, &err) < 0)
    {
      wpol_diags_print (&d, stdout);
      printf ("# load failed: %s\n", err.msg);
    }
  wpol_diags_free (&d);
  return e;
}

static void
keep_line (void *ud, const char *line)
{
  if (strstr (line, "actor \"") == line)
    snprintf (ud, 512, "%s", line);
}

static const char *const req_meta[] = { "tier", "gold" };
static const ward_attrs req_attrs = { "{ward:main|0x1}", "ward:main", "{ward:main|0x2}",
                                      "worker", NULL, "{ward:main|0x1}" };

static wpol_result
decide_a1 (wpol_engine *e, const char *action)
{
  ward_actor a = { "a1", req_meta, 1, NULL, 0 };
  return wpol_decide (e, &a, action, "{ward:main|0x2}", &req_attrs);
}

static void
test_conditions (void)
{
  char text[2048];
  for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++)
    {
      const char *c = conds[i].cond;
      int w = conds[i].want;
      snprintf (text, sizeof text, "%spolicy \"p\" { allow process.send on \"*\" when %s; }", actor_decl, c);
      wpol_engine *e = engine_with (text);
      wpol_result r = decide_a1 (e, "process.send");
      ok (r.decision == (w == T ? WARD_ALLOW : WARD_DENY)
          && r.reason == (w == T ? WPOL_BY_RULE : WPOL_NO_MATCH),
          "allow when %s: %s", c, w == T ? "allows" : w == F ? "does not match" : "errors, does not allow");
      wpol_engine_free (e);
      snprintf (text, sizeof text,
                "%spolicy \"p\" { allow process.send on \"*\"; deny process.send on \"*\" when %s; }",
                actor_decl, c);
      e = engine_with (text);
      r = decide_a1 (e, "process.send");
      ok (r.decision == (w == F ? WARD_ALLOW : WARD_DENY)
          && r.reason == (w == E ? WPOL_BY_RULE_ERROR : WPOL_BY_RULE)
          && r.rule && r.rule->line == 2 && r.rule->deny == (w != F),
          "deny when %s: %s", c, w == T ? "denies" : w == F ? "allow stands" : "errors, denies");
      wpol_engine_free (e);
    }
}

static void
test_combining (void)
{
  wpol_engine *e = engine_with (
    "policy \"p\" {\n"
    "  allow process.spawn on \"app.*:*\";\n"
    "  deny process.spawn on \"app.secret:*\";\n"
    "  allow process.spawn on \"app.secret:ok\";\n"
    "  allow process.** on \"lib:*\";\n"
    "  deny process.spawn.* on \"lib:*\";\n"
    "  allow process.spawn on \"esc\\\\.x:*\", \"seg.**\";\n"
    "}\n"
    "policy \"other\" {\n"
    "  allow process.send on \"*\";\n"
    "}\n"
    "actor \"a\" { scope = [\"p\"]; }\n"
    "actor \"plugin.*\" { scope = [\"other\"]; }\n"
    "actor \"plugin.special\" { scope = [\"p\"]; }\n"
    "actor \"**\" { scope = []; }\n");
  ward_actor a = { "a", NULL, 0, NULL, 0 };
  wpol_result r = wpol_decide (e, &a, "process.spawn", "app.x:y", NULL);
  ok (r.decision == WARD_ALLOW && r.rule && r.rule->line == 2, "allow by the matching rule (line 2)");
  r = wpol_decide (e, &a, "process.spawn", "app.secret:ok", NULL);
  ok (r.decision == WARD_DENY && r.rule && r.rule->line == 3 && strcmp (r.rule->file, "t.policy") == 0
      && strcmp (r.rule->policy, "p") == 0, "deny overrides a later, more specific allow");
  r = wpol_decide (e, &a, "process.spawn.linked", "lib:x", NULL);
  ok (r.decision == WARD_DENY && r.rule && r.rule->line == 6, "globbed deny on actions overrides globbed allow");
  r = wpol_decide (e, &a, "process.spawn", "lib:x", NULL);
  ok (r.decision == WARD_ALLOW && r.rule && r.rule->line == 5, "`process.**` matches process.spawn");
  ok (wpol_decide (e, &a, "process.spawn", "esc.x:y", NULL).decision == WARD_ALLOW
      && wpol_decide (e, &a, "process.spawn", "seg.a.b", NULL).decision == WARD_ALLOW
      && wpol_decide (e, &a, "process.spawn", "seg", NULL).decision == WARD_DENY
      && wpol_decide (e, &a, "process.spawn", "segx.a", NULL).decision == WARD_DENY,
      "resource globs filed by first segment (escaped separators, bare segment)");
  r = wpol_decide (e, &a, "process.send", "x", NULL);
  ok (r.decision == WARD_DENY && r.reason == WPOL_NO_MATCH && r.rule == NULL,
      "a policy outside the actor's scope does not apply");
  const char *scope[] = { "other" };
  ward_actor a2 = { "a", NULL, 0, scope, 1 };
  r = wpol_decide (e, &a2, "process.send", "x", NULL);
  is_int (r.decision, WARD_ALLOW, "the request's scope replaces the declared one");
  ward_actor p1 = { "plugin.x", NULL, 0, NULL, 0 }, p2 = { "plugin.special", NULL, 0, NULL, 0 };
  is_int (wpol_decide (e, &p1, "process.send", "x", NULL).decision, WARD_ALLOW, "plugin.* gets scope other");
  ok (wpol_decide (e, &p2, "process.send", "x", NULL).decision == WARD_DENY
      && wpol_decide (e, &p2, "process.spawn", "app.x:y", NULL).decision == WARD_ALLOW,
      "an exact actor declaration wins over a pattern");
  ward_actor nobody = { "nobody", NULL, 0, NULL, 0 };
  r = wpol_decide (e, &nobody, "process.spawn", "app.x:y", NULL);
  ok (r.decision == WARD_DENY && r.reason == WPOL_NO_MATCH, "default deny for an unknown actor");
  r = wpol_decide (e, &a, NULL, "x", NULL);
  ok (r.decision == WARD_DENY && r.reason == WPOL_BAD_REQUEST, "NULL action fails closed");
  ward_actor bad = { "a", NULL, 0, NULL, 3 };
  r = wpol_decide (e, &bad, "process.spawn", "app.x:y", NULL);
  ok (r.decision == WARD_DENY && r.reason == WPOL_BAD_REQUEST, "nscope without scope fails closed");
  r = wpol_decide (e, NULL, "process.spawn", "app.x:y", NULL);
  ok (r.decision == WARD_DENY && r.reason == WPOL_BAD_REQUEST, "NULL actor fails closed");
  wpol_engine_free (e);
  wpol_engine *empty = engine_with ("");
  r = wpol_decide (empty, &a, "process.spawn", "app.x:y", NULL);
  ok (r.decision == WARD_DENY && r.reason == WPOL_UNDECLARED,
      "an empty policy set denies (the actor is not declared)");
  wpol_engine_free (empty);
  ward_err err;
  wpol_engine *none = wpol_engine_new (0, &err);
  r = wpol_decide (none, &a, "process.spawn", "app.x:y", NULL);
  is_int (r.decision, WARD_DENY, "an engine with nothing loaded denies");
  wpol_engine_free (none);
}

/* target.names: the names the target holds, a list; a decision that reads
 * it is cached under the names, so one made before a register or an
 * unregister is not answered after it. */
static void
test_target_names (void)
{
  wpol_engine *e = engine_with ("policy \"p\" {\n"
                                "  allow process.send on \"*\" when target.names has \"logger\";\n"
                                "  allow process.terminate on \"*\" when \"tmp\" in target.names;\n"
                                "  allow process.monitor on \"*\" when target has \"names\";\n}\n"
                                "actor \"a\" { scope = [\"p\"]; }\n");
  ward_actor a = { "a", NULL, 0, NULL, 0 };
  const char *logger[] = { "other", "logger" }, *tmp[] = { "tmp" };
  ward_attrs none = { .pid = "{m|1}" }, empty = { .pid = "{m|1}", .target_names = tmp,
                                                  .ntarget_names = 0 },
             held = { .pid = "{m|1}", .target_names = logger, .ntarget_names = 2 },
             held2 = { .pid = "{m|1}", .target_names = tmp, .ntarget_names = 1 };
  wpol_result r1 = wpol_decide (e, &a, "process.send", "{m|2}", &held);
  wpol_result r2 = wpol_decide (e, &a, "process.send", "{m|2}", &held);
  ok (r1.decision == WARD_ALLOW && r2.decision == WARD_ALLOW && r2.cached,
      "target.names has \"logger\": allowed, then from the cache");
  wpol_result r3 = wpol_decide (e, &a, "process.send", "{m|2}", &empty);
  ok (r3.decision == WARD_DENY && !r3.cached, "... the same target without the name: denied, not the cached allow");
  wpol_result r4 = wpol_decide (e, &a, "process.send", "{m|2}", &held2);
  ok (r4.decision == WARD_DENY && !r4.cached, "... holding another name: denied");
  wpol_result r5 = wpol_decide (e, &a, "process.send", "{m|2}", &none);
  ok (r5.decision == WARD_DENY && r5.reason == WPOL_NO_MATCH,
      "target.names not set (no target): the allow does not match (fails closed)");
  wpol_result r6 = wpol_decide (e, &a, "process.terminate", "{m|2}", &held2);
  ok (r6.decision == WARD_ALLOW, "\"tmp\" in target.names");
  ok (wpol_decide (e, &a, "process.monitor", "{m|2}", &empty).decision == WARD_ALLOW
      && wpol_decide (e, &a, "process.monitor", "{m|2}", &none).decision == WARD_DENY,
      "target has \"names\": set (even empty) or not");
  wpol_engine_free (e);
}

static void
test_cache (void)
{
  const char *v1 = "policy \"p\" {\n  allow process.send on \"*\" when resource == attr.parent;\n"
                   "  allow process.spawn on \"x\" when actor.meta.tier == \"gold\";\n"
                   "  allow process.host on \"h\";\n}\nactor \"a\" { scope = [\"p\"]; }\n";
  const char *v2 = "policy \"p\" {\n  deny process.host on \"h\";\n}\nactor \"a\" { scope = [\"p\"]; }\n";
  wpol_engine *e = engine_with (v1);
  ward_actor a = { "a", NULL, 0, NULL, 0 };
  ward_attrs at1 = { .pid = "{m|1}", .parent = "{m|2}" }, at2 = { .pid = "{m|1}", .parent = "{m|3}" };
  wpol_result r1 = wpol_decide (e, &a, "process.send", "{m|2}", &at1);
  wpol_result r2 = wpol_decide (e, &a, "process.send", "{m|2}", &at1);
  ok (r1.decision == WARD_ALLOW && !r1.cached && r2.decision == WARD_ALLOW && r2.cached
      && r2.rule == r1.rule, "the second identical decision comes from the cache");
  wpol_result r3 = wpol_decide (e, &a, "process.send", "{m|2}", &at2);
  ok (r3.decision == WARD_DENY && !r3.cached, "another parent is another cache key (attribute read by the rule)");
  r3 = wpol_decide (e, &a, "process.send", "{m|2}", &at2);
  ok (r3.decision == WARD_DENY && r3.cached, "... and is cached in turn");
  ward_attrs at3 = { .pid = "{m|9}", .parent = "{m|2}" };
  r3 = wpol_decide (e, &a, "process.send", "{m|2}", &at3);
  ok (r3.decision == WARD_ALLOW && r3.cached, "an attribute no candidate rule reads is not part of the key");
  const char *gold[] = { "tier", "gold" }, *lead[] = { "tier", "lead" };
  ward_actor ag = { "a", gold, 1, NULL, 0 }, al = { "a", lead, 1, NULL, 0 };
  wpol_decide (e, &ag, "process.spawn", "x", NULL);
  ok (wpol_decide (e, &ag, "process.spawn", "x", NULL).decision == WARD_ALLOW
      && wpol_decide (e, &al, "process.spawn", "x", NULL).decision == WARD_DENY,
      "metadata read by a rule is part of the key");
  r1 = wpol_decide (e, &a, "process.host", "h", NULL);
  r2 = wpol_decide (e, &a, "process.host", "h", NULL);
  ok (r1.decision == WARD_ALLOW && r2.cached, "host allowed and cached");
  uint64_t g1 = wpol_engine_generation (e);
  ward_err err;
  int rc = wpol_engine_load_text (e, "t.policy", v2, strlen (v2), NULL, &err);
  r3 = wpol_decide (e, &a, "process.host", "h", NULL);
  ok (rc == 0 && wpol_engine_generation (e) == g1 + 1 && r3.decision == WARD_DENY && !r3.cached
      && r3.generation == g1 + 1, "a reload invalidates the cache (new generation decides)");
  const char *broken = "policy \"p\" { allow process.host on \"h\" }";
  rc = wpol_engine_load_text (e, "t.policy", broken, strlen (broken), NULL, &err);
  r3 = wpol_decide (e, &a, "process.host", "h", NULL);
  ok (rc == -1 && wpol_engine_generation (e) == g1 + 1 && r3.decision == WARD_DENY,
      "a failed reload keeps the old index and generation");
  uint64_t hits, misses;
  wpol_engine_cache_stats (e, &hits, &misses);
  ok (hits >= 5 && misses >= 5, "cache statistics count hits (%llu) and misses (%llu)",
      (unsigned long long) hits, (unsigned long long) misses);
  wpol_engine_free (e);
}

/* Threads decide while the main thread flips between two policies; every
 * answer must be the right one for the generation it reports. */
typedef struct race {
  wpol_engine *e;
  atomic_int stop;
  atomic_long wrong, total;
} race;

static void *
racer (void *p)
{
  race *rc = p;
  ward_actor a = { "a", NULL, 0, NULL, 0 };
  char res[32];
  long n = 0;
  while (!atomic_load (&rc->stop))
    {
      snprintf (res, sizeof res, "r%ld", n++ % 50);
      wpol_result r = wpol_decide (rc->e, &a, "process.send", res, NULL);
      /* odd generations allow, even ones deny */
      int want = (r.generation & 1) ? WARD_ALLOW : WARD_DENY;
      if (r.decision != (ward_decision) want || r.rule == NULL
          || r.rule->line != (r.generation & 1 ? 3u : 4u))
        atomic_fetch_add (&rc->wrong, 1);
      atomic_fetch_add (&rc->total, 1);
    }
  return NULL;
}

static void
test_threads (void)
{
  const char *va = "actor \"a\" { scope = [\"p\"]; }\npolicy \"p\" {\n  allow process.send on \"r*\";\n}\n";
  const char *vb = "actor \"a\" { scope = [\"p\"]; }\npolicy \"p\" {\n\n  deny process.send on \"r*\";\n}\n";
  race rc = { .e = engine_with (va) };
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    pthread_create (&th[i], NULL, racer, &rc);
  ward_err err;
  int failed = 0;
  int reloads = 0;
  /* reload at least 200 times, and until the threads made enough decisions */
  for (; reloads < 200 || (atomic_load (&rc.total) < 20000 && reloads < 1000000); reloads++)
    {
      const char *t = (wpol_engine_generation (rc.e) & 1) ? vb : va;
      failed += wpol_engine_load_text (rc.e, "t.policy", t, strlen (t), NULL, &err) < 0;
    }
  atomic_store (&rc.stop, 1);
  for (int i = 0; i < 4; i++)
    pthread_join (th[i], NULL);
  ok (failed == 0 && atomic_load (&rc.wrong) == 0 && atomic_load (&rc.total) >= 20000,
      "4 threads, %d reloads: %ld decisions, %ld inconsistent", reloads, (long) atomic_load (&rc.total),
      (long) atomic_load (&rc.wrong));
  wpol_engine_free (rc.e);
}

static void
test_hosts (void)
{
  wpol_engine *e = engine_with ("host \"ward:sandbox\" { threads = 2; sandbox = \"strict\"; }\n"
                                "sandbox \"strict\" { namespaces = [user, net]; memory = \"64M\";"
                                " cpu = \"2s\"; nofile = 32; capabilities = [net_raw, CAP_KILL];"
                                " init = \"init/x.lua\"; }\n");
  ward_host_spec h;
  ward_profile s;
  ward_err err;
  ok (wpol_engine_host (e, "ward:sandbox", &h, &err) == 0 && h.threads == 2
      && strcmp (h.sandbox, "strict") == 0, "host declaration is available to the runtime");
  ok (wpol_engine_sandbox (e, "strict", &s, &err) == 0
      && s.limits.namespaces == (WARD_NS_USER | WARD_NS_NET) && s.limits.memory == 64u << 20
      && s.limits.cpu_ms == 2000 && s.limits.nofile == 32 && s.limits.children == -1
      && s.limits.capabilities == ((1ull << 13) | (1ull << 5)) && strcmp (s.init, "init/x.lua") == 0,
      "sandbox profile fields are parsed (sizes, durations, namespaces, capabilities)");
  ok (s.live_children == -1 && s.processes == -1 && s.fds_in_flight == -1,
      "a profile without the runtime's bounds leaves them to the run's defaults");
  ok (wpol_engine_host (e, "nope", &h, &err) == -1 && err.kind == WARD_E_NOT_FOUND,
      "unknown host is NOT_FOUND");
  wpol_engine_free (e);
  e = engine_with ("sandbox \"b\" { live_children = 0; processes = 7; fds_in_flight = 9; }\n");
  ok (wpol_engine_sandbox (e, "b", &s, &err) == 0 && s.live_children == 0 && s.processes == 7
      && s.fds_in_flight == 9, "the runtime's bounds of a profile are parsed");
  wpol_engine_free (e);
}

/* Which policies apply: the request's scope, else the declaration's `scope`
 * field (`[]`: none; no `scope` field: every loaded policy); an actor that
 * no declaration matches, asking without a scope, has none: denied. Also
 * the actor info a decision reports. */
static void
test_scope (void)
{
  wpol_engine *e = engine_with (
    "policy \"p\" {\n  allow process.send on \"a\";\n}\n"
    "policy \"q\" {\n  allow process.send on \"b\";\n  deny process.send on \"c\";\n}\n"
    "policy \"r\" {\n  allow process.send on \"c\";\n"
    "  allow process.host on \"h\" when \"q\" in actor.scope;\n}\n"
    "actor \"scoped\" { scope = [\"p\"]; tier = \"gold\"; level = 2; }\n"
    "actor \"meta.only\" { tier = \"x\"; }\n"
    "actor \"nothing\" { scope = []; }\n");
  ward_actor undeclared = { "undeclared", NULL, 0, NULL, 0 };
  wpol_result r = wpol_decide (e, &undeclared, "process.send", "a", NULL);
  ok (r.decision == WARD_DENY && r.reason == WPOL_UNDECLARED && r.rule == NULL
      && r.actor == NULL && !r.cached,
      "no declaration: no policy applies, the reason is `not declared` (p allows a to others)");
  r = wpol_decide (e, &undeclared, "process.send", "a", NULL);
  ok (r.decision == WARD_DENY && r.reason == WPOL_UNDECLARED && r.cached,
      "... and the cached decision says the same");
  char line[512] = "";
  r = wpol_decide_traced (e, &undeclared, "process.send", "b", NULL, keep_line, line);
  ok (r.decision == WARD_DENY && r.reason == WPOL_UNDECLARED
      && strstr (line, "actor \"undeclared\"") && strstr (line, "not declared"),
      "... explained as not declared (`%s`)", line);
  const char *ps[] = { "p" };
  ward_actor scoped_undeclared = { "undeclared", NULL, 0, ps, 1 };
  r = wpol_decide (e, &scoped_undeclared, "process.send", "a", NULL);
  ok (r.decision == WARD_ALLOW && !r.cached,
      "an undeclared actor asking with a scope is governed by that scope (not a cache hit "
      "of the scopeless denial)");
  is_int (wpol_decide (e, &undeclared, "process.send", "a", NULL).decision, WARD_DENY,
          "... and without it, it is still denied");
  ward_actor mo = { "meta.only", NULL, 0, NULL, 0 };
  r = wpol_decide (e, &mo, "process.send", "b", NULL);
  ok (r.decision == WARD_ALLOW && r.actor && r.actor->scope == NULL
      && strcmp (r.actor->meta, "{\"tier\":\"x\"}") == 0,
      "a declaration without `scope`: every policy applies; its metadata is reported");
  ward_actor sc = { "scoped", NULL, 0, NULL, 0 };
  r = wpol_decide (e, &sc, "process.send", "a", NULL);
  ok (r.decision == WARD_ALLOW && r.actor && strcmp (r.actor->pattern, "scoped") == 0
      && strcmp (r.actor->scope, "[\"p\"]") == 0
      && strcmp (r.actor->meta, "{\"tier\":\"gold\",\"level\":2}") == 0
      && strcmp (r.actor->file, "t.policy") == 0,
      "a declared scope applies; the info carries pattern, file, scope and metadata");
  is_int (wpol_decide (e, &sc, "process.send", "b", NULL).decision, WARD_DENY,
          "... and only it (q is not in the scope)");
  r = wpol_decide (e, &sc, "process.send", "b", NULL);
  ok (r.cached && r.actor && strcmp (r.actor->pattern, "scoped") == 0,
      "a cached decision reports the same actor info");
  ward_actor no = { "nothing", NULL, 0, NULL, 0 };
  ok (wpol_decide (e, &no, "process.send", "a", NULL).decision == WARD_DENY
      && wpol_decide (e, &no, "process.send", "b", NULL).decision == WARD_DENY,
      "scope = []: no policy applies");
  const char *qs[] = { "q" };
  ward_actor req = { "nothing", NULL, 0, qs, 1 }, req2 = { "undeclared", NULL, 0, qs, 1 };
  ok (wpol_decide (e, &req, "process.send", "b", NULL).decision == WARD_ALLOW
      && wpol_decide (e, &req2, "process.send", "a", NULL).decision == WARD_DENY
      && wpol_decide (e, &req2, "process.send", "b", NULL).decision == WARD_ALLOW,
      "the request's scope replaces the declaration's, and gives an undeclared actor one");
  wpol_engine_free (e);
}

/* ward run --policy: a file that declares no actor applies to the run's
 * actor (on top of its declaration), and to no other. */
static void
test_run_actor (void)
{
  static const char *const names[] = { "decl.policy", "bare.policy", "bare2.policy" };
  static const char *const texts[] = {
    "policy \"d\" {\n  allow process.send on \"d\";\n}\n"
    "actor \"main\" { scope = [\"d\"]; tier = \"t\"; }\n"
    "actor \"wide\" { }\n",
    "policy \"b\" {\n  allow process.send on \"b\";\n}\n",
    "policy \"c\" {\n  allow process.send on \"c\";\n}\n" };
  size_t lens[3];
  for (int i = 0; i < 3; i++)
    lens[i] = strlen (texts[i]);
  ward_err err;
  wpol_engine *e = wpol_engine_new (0, &err);
  int rc = wpol_engine_set_run_actor (e, "main", &err);
  rc |= wpol_engine_load_texts (e, (const char *const *) names, (const char *const *) texts,
                                lens, 3, NULL, &err);
  ward_actor m = { "main", NULL, 0, NULL, 0 }, other = { "other", NULL, 0, NULL, 0 };
  wpol_result r = wpol_decide (e, &m, "process.send", "b", NULL);
  ok (rc == 0 && r.decision == WARD_ALLOW && r.actor && strcmp (r.actor->scope, "[\"d\",\"b\",\"c\"]") == 0
      && strcmp (r.actor->meta, "{\"tier\":\"t\"}") == 0,
      "the run's actor gets the actor-less files' policies on top of its declaration (%s)",
      r.actor ? r.actor->scope : "no info");
  ok (wpol_decide (e, &m, "process.send", "d", NULL).decision == WARD_ALLOW
      && wpol_decide (e, &m, "process.send", "c", NULL).decision == WARD_ALLOW,
      "... its declared scope and every actor-less file apply");
  r = wpol_decide (e, &other, "process.send", "b", NULL);
  ok (r.decision == WARD_DENY && r.reason == WPOL_UNDECLARED,
      "another undeclared actor gets nothing");
  ward_actor wide = { "wide", NULL, 0, NULL, 0 };
  is_int (wpol_decide (e, &wide, "process.send", "b", NULL).decision, WARD_ALLOW,
          "an actor declared without a scope still has every loaded policy");
  wpol_engine_free (e);
  /* the run's actor undeclared: it gets exactly the actor-less files */
  e = wpol_engine_new (0, &err);
  rc = wpol_engine_set_run_actor (e, "solo", &err);
  rc |= wpol_engine_load_texts (e, (const char *const *) names + 1, (const char *const *) texts + 1,
                                lens + 1, 2, NULL, &err);
  ward_actor solo = { "solo", NULL, 0, NULL, 0 }, main_ = { "main", NULL, 0, NULL, 0 };
  ok (rc == 0 && wpol_decide (e, &solo, "process.send", "b", NULL).decision == WARD_ALLOW
      && wpol_decide (e, &solo, "process.send", "x", NULL).decision == WARD_DENY,
      "an undeclared run actor gets the actor-less files' policies");
  is_int (wpol_decide (e, &main_, "process.send", "b", NULL).reason, WPOL_UNDECLARED,
          "... and `main`, not the run's actor here, is not declared");
  wpol_engine_free (e);
  /* without wpol_engine_set_run_actor (a store, explain of a store) */
  e = engine_with (texts[1]);
  is_int (wpol_decide (e, &m, "process.send", "b", NULL).reason, WPOL_UNDECLARED,
          "without a run actor, an actor-less file applies to nobody");
  wpol_engine_free (e);
}

static void
no_trace (void *ud, const char *line)
{
  (void) ud;
  (void) line;
}

/* A scope of a few policies among many is decided from those policies' own
 * entries; a traced decision reads the shared lists: both give the same
 * decision by the same rule, for a declared scope and a request's. */
static void
test_own_policies (void)
{
  wpol_buf b = { 0 };
  for (int p = 0; p < 80; p++)   /* more than 16 times a scope */
    {
      wpol_buf_printf (&b, "policy \"p%d\" {\n", p);
      wpol_buf_printf (&b, "  allow process.spawn on \"app%d:w\", \"shared:w\";\n", p);
      wpol_buf_printf (&b, "  allow process.send on \"app%d.*:*\";\n", p % 4);
      wpol_buf_printf (&b, "  allow process.send on \"*\" when resource == attr.parent;\n");
      wpol_buf_printf (&b, "  %s process.registry.* on \"n%d.**\";\n", p % 3 ? "allow" : "deny", p % 5);
      wpol_buf_printf (&b, "  deny process.spawn on \"shared:w\" when attr.host == \"h%d\";\n", p);
      wpol_buf_puts (&b, "}\n");
    }
  wpol_buf_puts (&b, "actor \"a\" { scope = [\"p1\", \"p3\", \"missing\", \"p6\"]; }\n");
  ward_err err;
  wpol_engine *e = wpol_engine_new ((size_t) -1, &err);
  int loaded = wpol_engine_load_text (e, "own.policy", b.s, b.len, NULL, &err) == 0;
  wpol_buf_free (&b);
  static const char *const reqs[][2] = {
    { "process.spawn", "app1:w" }, { "process.spawn", "app2:w" }, { "process.spawn", "shared:w" },
    { "process.send", "app1.x:y" }, { "process.send", "app3.x:y" }, { "process.send", "app0.x:y" },
    { "process.send", "{ward:main|0x2}" }, { "process.send", "{ward:main|0x9}" },
    { "process.registry.lookup", "n1.a" }, { "process.registry.lookup", "n3.a" },
    { "process.registry.register", "n4.b.c" }, { "process.registry.lookup", "n0.a" },
    { "process.monitor", "app1:w" },
  };
  static const char *const hosts[] = { "ward:main", "h3", "h2" };
  static const char *const scope[] = { "p0", "p3", "p9" };
  unsigned same = 0, total = 0, allowed = 0, denied = 0;
  for (int sc = 0; sc < 2; sc++)
    for (size_t h = 0; h < 3; h++)
      for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++)
        {
          ward_actor a = { "a", NULL, 0, sc ? scope : NULL, sc ? 3 : 0 };
          ward_attrs at = { "{ward:main|0x1}", hosts[h], "{ward:main|0x2}", NULL, NULL, NULL };
          wpol_result r = wpol_decide (e, &a, reqs[i][0], reqs[i][1], &at);
          wpol_result t = wpol_decide_traced (e, &a, reqs[i][0], reqs[i][1], &at, no_trace, NULL);
          same += r.decision == t.decision && r.reason == t.reason && r.rule == t.rule;
          allowed += r.decision == WARD_ALLOW;
          denied += r.decision == WARD_DENY && r.reason == WPOL_BY_RULE;
          total++;
        }
  ok (loaded && same == total && allowed > 0 && denied > 0,
      "a few policies of many: their own entries decide as the shared lists do "
      "(%u of %u the same; %u allowed, %u denied by a rule)", same, total, allowed, denied);
  wpol_engine_free (e);
}

/* An actor id takes the most specific pattern that matches it (the most
 * literal characters; the first loaded among equals), whether the
 * patterns share its first segment or start with a glob. */
static void
test_actor_patterns (void)
{
  static const char text[] =
    "policy \"seg\" { allow process.spawn on \"r:seg\"; }\n"
    "policy \"deep\" { allow process.spawn on \"r:deep\"; }\n"
    "policy \"any\" { allow process.spawn on \"r:any\"; }\n"
    "policy \"first\" { allow process.spawn on \"r:first\"; }\n"
    "policy \"second\" { allow process.spawn on \"r:second\"; }\n"
    "policy \"wide\" { allow process.spawn on \"r:wide\"; }\n"
    "actor \"t1.*\" { scope = [\"seg\"]; }\n"
    "actor \"t1.x.*\" { scope = [\"deep\"]; }\n"
    "actor \"*.qq.rr.ss\" { scope = [\"any\"]; }\n"
    "actor \"t2.a?\" { scope = [\"first\"]; }\n"
    "actor \"t2.?b\" { scope = [\"second\"]; }\n"
    "actor \"**\" { scope = [\"wide\"]; }\n";
  static const char *const cases[][2] = {
    { "t1.y", "seg" }, { "t1.x.y", "deep" }, { "t1.qq.rr.ss", "any" }, { "t9.qq.rr.ss", "any" },
    { "t2.ab", "first" }, { "t2.cb", "second" }, { "t3.z", "wide" }, { "plain", "wide" },
    { "t1", "wide" },
  };
  static const char *const pols[] = { "seg", "deep", "any", "first", "second", "wide" };
  wpol_engine *e = engine_with (text);
  unsigned right = 0, n = sizeof cases / sizeof cases[0];
  for (unsigned i = 0; i < n; i++)
    {
      ward_actor a = { cases[i][0], NULL, 0, NULL, 0 };
      unsigned only = 1;
      for (size_t k = 0; k < sizeof pols / sizeof pols[0]; k++)
        {
          char res[32];
          snprintf (res, sizeof res, "r:%s", pols[k]);
          int allowed = wpol_decide (e, &a, "process.spawn", res, NULL).decision == WARD_ALLOW;
          only &= allowed == (strcmp (pols[k], cases[i][1]) == 0);
        }
      if (!only)
        printf ("# actor %s: not the scope of %s alone\n", cases[i][0], cases[i][1]);
      right += only;
    }
  ok (right == n, "actor patterns: the most specific that matches, the first among equals "
      "(%u of %u)", right, n);
  wpol_engine_free (e);
}

/* A pattern that starts with '/' is a path: `*` stays within a directory
 * and takes dots; `**` crosses directories; attr.path is the path as the
 * script gave it. */
static void
test_path_globs (void)
{
  char text[1024];
  snprintf (text, sizeof text, "%spolicy \"p\" {\n"
            "  allow fs.read on \"/srv/data/*.json\", \"/srv/all/**\";\n"
            "  allow fs.write on \"/srv/w/*\" when attr.path == \"w.txt\";\n}\n", actor_decl);
  wpol_engine *e = engine_with (text);
  ward_actor a = { "a1", req_meta, 1, NULL, 0 };
  static const struct { const char *action, *res, *path; int allow; } cases[] = {
    { "fs.read", "/srv/data/a.json", "a.json", 1 },
    { "fs.read", "/srv/data/x/a.json", NULL, 0 },
    { "fs.read", "/srv/data/a.txt", NULL, 0 },
    { "fs.read", "/srv/data2/a.json", NULL, 0 },
    { "fs.read", "/srv/all/x/y.z/w", NULL, 1 },
    { "fs.read", "/srv/all", NULL, 0 },
    { "fs.read", "/srv/allx/a", NULL, 0 },
    { "fs.write", "/srv/w/w.txt", "w.txt", 1 },
    { "fs.write", "/srv/w/w.txt", "../w/w.txt", 0 },
    { "fs.write", "/srv/w/w.txt", NULL, 0 },
  };
  int right = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      ward_attrs at = req_attrs;
      at.path = cases[i].path;
      wpol_result r = wpol_decide (e, &a, cases[i].action, cases[i].res, &at);
      if ((r.decision == WARD_ALLOW) == cases[i].allow)
        right++;
      else
        printf ("# %s on %s (attr.path %s): got %s\n", cases[i].action, cases[i].res,
                cases[i].path ? cases[i].path : "unset",
                r.decision == WARD_ALLOW ? "allow" : "deny");
    }
  ok (right == (int) (sizeof cases / sizeof cases[0]), "path patterns: '/' separates, `*` takes "
      "dots, `**` crosses directories; attr.path in a condition");
  wpol_engine_free (e);
}

/* What `ward policy test` reads of an engine: its rules in load order, the
 * very locations a decision names, and the names for "did you mean". */
static void
test_listing (void)
{
  wpol_engine *e = engine_with ("policy \"p\" {\n"
                                "  allow process.send on \"*\" when actor.meta.tier == \"gold\";\n"
                                "  deny process.spawn on \"x\" when actor.meta has \"flag\";\n"
                                "}\npolicy \"q\" { allow lua.require on \"m\"; }\n"
                                "actor \"a1\" { level = 3; scope = [\"p\"]; }\n"
                                "actor \"w.*\" { scope = [\"q\"]; }\n");
  ok (wpol_engine_rule_count (e) == 3 && wpol_engine_rule (e, 3) == NULL
      && wpol_engine_rule (e, 0)->line == 2 && wpol_engine_rule (e, 2)->line == 5
      && strcmp (wpol_engine_rule (e, 2)->policy, "q") == 0,
      "the rules in load order, with their lines and policies");
  wpol_result r = decide_a1 (e, "process.send");
  ok (r.decision == WARD_ALLOW && r.rule == wpol_engine_rule (e, 0),
      "a decision names the very location the listing gives");
  ward_err err;
  char **a = wpol_engine_names (e, WPOL_NAMES_ACTORS, &err);
  ok (a && a[0] && strcmp (a[0], "a1") == 0 && a[1] && strcmp (a[1], "w.*") == 0 && !a[2],
      "actor names: the declarations' ids and patterns, sorted");
  char **p = wpol_engine_names (e, WPOL_NAMES_POLICIES, &err);
  ok (p && p[0] && strcmp (p[0], "p") == 0 && p[1] && strcmp (p[1], "q") == 0 && !p[2],
      "policy names");
  char **m = wpol_engine_names (e, WPOL_NAMES_META, &err);
  int has_level = 0, has_tier = 0, has_flag = 0;
  for (size_t i = 0; m && m[i]; i++)
    {
      has_level |= strcmp (m[i], "level") == 0;
      has_tier |= strcmp (m[i], "tier") == 0;
      has_flag |= strcmp (m[i], "flag") == 0;
    }
  ok (has_level && has_tier && has_flag,
      "metadata keys: those declarations set and those conditions read");
  wpol_names_free (a);
  wpol_names_free (p);
  wpol_names_free (m);
  wpol_engine_free (e);
}

int
main (void)
{
  plan ((int) (2 * (sizeof conds / sizeof conds[0])) + 15 + 9 + 1 + 5 + 11 + 7 + 1 + 1 + 1 + 5 + 6);
  test_path_globs ();
  test_conditions ();
  test_combining ();
  test_cache ();
  test_target_names ();
  test_threads ();
  test_hosts ();
  test_scope ();
  test_run_actor ();
  test_own_policies ();
  test_actor_patterns ();
  test_listing ();
  return done ();
}
