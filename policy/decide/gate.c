/* gate.c -- ward_authorize(): the single permission gate. It asks the
 * engine (through the hook run.c installs), lets the --deny test rules
 * override it, records denials (every decision with --audit-all) and,
 * with --permissive, allows what it records as a would-be denial. It
 * fails closed: before ward_policy_init, for a malformed request, and for
 * anything the engine cannot decide, the answer is deny. */
#include "config.h"
#include "gate.h"

#include <string.h>

wpol_gate wpol_gate_state = { .trace_lock = PTHREAD_MUTEX_INITIALIZER };

static const wpol_rule_loc *
denied_by_rule (const wpol_gate *g, const char *action, const char *resource)
{
  size_t alen = strlen (action);
  for (size_t i = 0; i < g->ndeny; i++)
    {
      const char *r = g->deny[i];
      if (strncmp (r, action, alen) != 0)
        continue;
      if (r[alen] == '\0' || (r[alen] == '=' && strcmp (r + alen + 1, resource) == 0))
        return &g->deny_locs[i];
    }
  return NULL;
}

int
ward_actor_declared (const ward_actor *actor)
{
  wpol_gate *g = &wpol_gate_state;
  if (actor == NULL || actor->id == NULL || actor->nscope > 0 || !g->ready || !g->declares)
    return 1;
  return g->declares (g->engine, actor->id);
}

uint64_t
ward_authorize_generation (void)
{
  wpol_gate *g = &wpol_gate_state;
  /* each request traced, each decision recorded, an ALLOW that may be a
   * would-be denial: none may be answered without asking */
  if (!g->ready || g->generation == NULL || g->trace || g->audit_all || g->permissive
      || g->ndeny)
    return 0;
  return g->generation (g->engine);
}

ward_decision
ward_authorize_possible (const ward_actor *actor, const char *action, const char *resource)
{
  wpol_gate *g = &wpol_gate_state;
  if (!g->ready || g->possible == NULL)
    return WARD_DENY;
  wpol_result r = g->possible (g->engine, actor, action, resource);
  if (r.reason == WPOL_BAD_REQUEST)
    return WARD_DENY;
  if (g->permissive)
    return WARD_ALLOW;
  if (g->ndeny && denied_by_rule (g, action, resource))
    return WARD_DENY;
  return r.decision;
}

ward_decision
ward_authorize (const ward_actor *actor, const char *action, const char *resource,
                const ward_attrs *attrs)
{
  wpol_gate *g = &wpol_gate_state;
  if (g->trace && action && resource)
    {
      pthread_mutex_lock (&g->trace_lock);
      fprintf (g->trace, "%s\t%s\t%s\n", action, resource, attrs && attrs->pid ? attrs->pid : "-");
      fflush (g->trace);
      pthread_mutex_unlock (&g->trace_lock);
    }
  wpol_result r = { WARD_DENY, WPOL_BAD_REQUEST, NULL, 0, 0, NULL };
  if (g->ready)
    r = g->decide (g->engine, actor, action, resource, attrs);
  if (g->ndeny && r.reason != WPOL_BAD_REQUEST)
    {
      const wpol_rule_loc *d = denied_by_rule (g, action, resource);
      if (d)
        {
          r.decision = WARD_DENY;
          r.reason = WPOL_BY_RULE;
          r.rule = d;
        }
    }
  if (r.decision == WARD_ALLOW)
    {
      if (g->audit_all && g->record)
        {
          wpol_audit_in in = { WARD_ALLOW, g->permissive, &r, actor, action, resource, attrs, 0 };
          g->record (&in);
        }
      return WARD_ALLOW;
    }
  if (g->record)
    {
      wpol_audit_in in = { WARD_DENY, g->permissive, &r, actor, action, resource, attrs, 0 };
      /* `deny quietly`: counted, not recorded one by one, unless every
       * decision is to be recorded (--audit-all) */
      in.quiet = r.reason == WPOL_BY_RULE && r.rule && r.rule->quiet && !g->audit_all;
      g->record (&in);
    }
  /* permissive: a would-be denial, recorded above; a malformed request
   * is still refused */
  if (g->permissive && g->ready && r.reason != WPOL_BAD_REQUEST)
    return WARD_ALLOW;
  return WARD_DENY;
}

ward_decision
ward_authorize_query (const ward_actor *actor, const char *action, const char *resource,
                      const ward_attrs *attrs, const char **why)
{
  wpol_gate *g = &wpol_gate_state;
  wpol_result r = { WARD_DENY, WPOL_BAD_REQUEST, NULL, 0, 0, NULL };
  if (g->ready)
    r = g->decide (g->engine, actor, action, resource, attrs);
  int test_rule = 0;
  if (g->ndeny && r.reason != WPOL_BAD_REQUEST && denied_by_rule (g, action, resource))
    {
      r.decision = WARD_DENY;
      test_rule = 1;
    }
  if (r.decision == WARD_ALLOW)
    {
      *why = "a rule allows it";
      return WARD_ALLOW;
    }
  *why = test_rule ? "the --deny test rule"
    : r.reason == WPOL_BY_RULE ? "a rule denies it"
    : r.reason == WPOL_BY_RULE_ERROR ? "a deny rule whose condition failed (fails closed)"
    : r.reason == WPOL_UNDECLARED ? "the actor is not declared"
    : r.reason == WPOL_BAD_REQUEST ? "a malformed request" : "no rule matched";
  if (g->permissive && g->ready && r.reason != WPOL_BAD_REQUEST)
    {
      *why = "permissive run (the policy would deny it)";
      return WARD_ALLOW;
    }
  return WARD_DENY;
}

static void
record_event (const wpol_rule_loc *rule, const ward_actor *actor, const char *action,
              const char *resource, const ward_attrs *attrs)
{
  wpol_gate *g = &wpol_gate_state;
  wpol_result r = { WARD_DENY, WPOL_BY_RULE, rule, 0, 0, NULL };
  if (g->record)
    {
      wpol_audit_in in = { WARD_DENY, 0, &r, actor, action, resource, attrs, 0 };
      g->record (&in);
    }
}

void
ward_audit_event (const ward_actor *actor, const char *action, const char *resource,
                  const ward_attrs *attrs)
{
  static const wpol_rule_loc ward_rule = {
    .policy = "ward", .file = "ward", .line = 0, .col = 0, .deny = 1,
    .text = "deny what breaks the sandbox's wire protocol;" };
  record_event (&ward_rule, actor, action, resource, attrs);
}

void
ward_audit_limit (const ward_actor *actor, const char *action, const char *resource,
                  const ward_attrs *attrs)
{
  static const wpol_rule_loc limit_rule = {
    .policy = "ward", .file = "ward", .line = 0, .col = 0, .deny = 1,
    .text = "deny what is past a limit of the run;" };
  record_event (&limit_rule, actor, action, resource, attrs);
}
