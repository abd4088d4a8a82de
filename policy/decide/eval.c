/* eval.c -- evaluation: of rule conditions (three outcomes: true, false
 * and error: a missing attribute, ordering a string against a number, ...)
 * and of a request against the decision index (wpol_eval): deny overrides
 * allow, default deny, and a rule whose condition errors fails closed. */
#include "config.h"
#include "wpol.h"
#include "index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum vt { VT_STR, VT_INT, VT_BOOL, VT_LIST, VT_SCOPE, VT_NAMES } vt;

typedef struct val {
  vt t;
  const char *s;
  int64_t i;
  const wpol_expr *list;          /* VT_LIST */
} val;

typedef struct ctx {
  const wpol_req *q;
  char *msg;
  size_t msgsz;
} ctx;

static int __attribute__ ((format (printf, 2, 3)))
fail (ctx *c, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (c->msg, c->msgsz, fmt, ap);
  va_end (ap);
  return -1;
}

static const char *
vt_name (vt t)
{
  switch (t)
    {
    case VT_STR: return "a string";
    case VT_INT: return "a number";
    case VT_BOOL: return "a boolean";
    default: return "a list";
    }
}

/* The value of actor.meta.KEY: the request's pairs first, then the actor
 * declaration's fields. Returns 0 when found. */
static int
meta_lookup (const wpol_req *q, const char *key, val *out)
{
  for (size_t i = 0; i < q->nmeta; i++)
    if (q->meta[2 * i] && strcmp (q->meta[2 * i], key) == 0)
      {
        if (q->meta[2 * i + 1] == NULL)
          return -1;
        out->t = VT_STR;
        out->s = q->meta[2 * i + 1];
        return 0;
      }
  if (q->decl)
    for (size_t i = 0; i < q->decl->nmeta; i++)
      if (strcmp (q->decl->meta[i]->name, key) == 0)
        {
          const wpol_value *v = q->decl->meta[i]->val;
          out->t = v->type == WV_INT ? VT_INT : v->type == WV_BOOL ? VT_BOOL : VT_STR;
          out->s = v->s;
          out->i = v->i;
          return 0;
        }
  return -1;
}

static const char *
attr_of (const wpol_req *q, wpol_path p)
{
  const ward_attrs *a = q->attrs;
  if (a == NULL)
    return NULL;
  switch (p)
    {
    case P_ATTR_PID: return a->pid;
    case P_ATTR_HOST: return a->host;
    case P_ATTR_PARENT: return a->parent;
    case P_TARGET_ACTOR: return a->target_actor;
    case P_TARGET_HOST: return a->target_host;
    case P_TARGET_PARENT: return a->target_parent;
    case P_ATTR_PATH: return a->path;
    case P_ATTR_ADDRESS: return a->address;
    default: return NULL;
    }
}

static int eval_bool (ctx *c, const wpol_expr *e);

static int
eval_val (ctx *c, const wpol_expr *e, val *v)
{
  const wpol_req *q = c->q;
  memset (v, 0, sizeof *v);
  switch (e->op)
    {
    case E_STR: v->t = VT_STR; v->s = e->s; return 0;
    case E_INT: v->t = VT_INT; v->i = e->i; return 0;
    case E_BOOL: v->t = VT_BOOL; v->i = e->i; return 0;
    case E_LIST: v->t = VT_LIST; v->list = e; return 0;
    case E_PATH:
      switch (e->path)
        {
        case P_ACTOR_ID: v->t = VT_STR; v->s = q->actor_id; return 0;
        case P_ACTION: v->t = VT_STR; v->s = q->action; return 0;
        case P_RESOURCE: v->t = VT_STR; v->s = q->resource; return 0;
        case P_ACTOR_SCOPE: v->t = VT_SCOPE; return 0;
        case P_TARGET_NAMES:
          if (q->attrs == NULL || q->attrs->target_names == NULL)
            return fail (c, "target.names is not set for this request");
          v->t = VT_NAMES;
          return 0;
        case P_ACTOR_META_KEY:
          if (meta_lookup (q, e->s, v) < 0)
            return fail (c, "actor.meta.%s is not set", e->s);
          return 0;
        case P_ATTR_PID: case P_ATTR_HOST: case P_ATTR_PARENT:
        case P_TARGET_ACTOR: case P_TARGET_HOST: case P_TARGET_PARENT:
        case P_ATTR_PATH: case P_ATTR_ADDRESS:
          v->t = VT_STR;
          v->s = attr_of (q, e->path);
          if (v->s == NULL)
            return fail (c, "%s is not set for this request", wpol_path_name (e->path));
          return 0;
        default:
          return fail (c, "%s is not a value", wpol_path_name (e->path));
        }
    default:
      {
        int b = eval_bool (c, e);
        if (b < 0)
          return -1;
        v->t = VT_BOOL;
        v->i = b;
        return 0;
      }
    }
}

static int
scalar_eq (const val *a, const val *b)
{
  if (a->t != b->t)
    return 0;
  if (a->t == VT_STR)
    return strcmp (a->s, b->s) == 0;
  return a->i == b->i;
}

/* Is x an element of list l (VT_LIST or VT_SCOPE)? */
static int
member (ctx *c, const val *x, const val *l)
{
  if (x->t == VT_LIST || x->t == VT_SCOPE || x->t == VT_NAMES)
    return fail (c, "cannot look for a list in a list");
  if (l->t == VT_NAMES)
    {
      const ward_attrs *at = c->q->attrs;
      if (x->t != VT_STR)
        return 0;
      for (size_t i = 0; i < at->ntarget_names; i++)
        if (at->target_names[i] && strcmp (at->target_names[i], x->s) == 0)
          return 1;
      return 0;
    }
  if (l->t == VT_SCOPE)
    {
      if (x->t != VT_STR)
        return 0;
      for (size_t i = 0; i < c->q->nscope; i++)
        if (c->q->scope[i] && strcmp (c->q->scope[i], x->s) == 0)
          return 1;
      return 0;
    }
  if (l->t != VT_LIST)
    return fail (c, "`in` needs a list, got %s", vt_name (l->t));
  for (size_t i = 0; i < l->list->n; i++)
    {
      val it;
      if (eval_val (c, l->list->items[i], &it) < 0)
        return -1;
      if (scalar_eq (x, &it))
        return 1;
    }
  return 0;
}

static int
eval_has (ctx *c, const wpol_expr *e)
{
  const wpol_expr *a = e->a;
  if (a->op == E_PATH && (a->path == P_ATTR || a->path == P_TARGET || a->path == P_ACTOR_META))
    {
      const char *k = e->b->s;
      if (a->path == P_ACTOR_META)
        {
          val tmp;
          return meta_lookup (c->q, k, &tmp) == 0;
        }
      wpol_path p;
      if (a->path == P_ATTR)
        p = strcmp (k, "pid") == 0 ? P_ATTR_PID : strcmp (k, "host") == 0 ? P_ATTR_HOST
          : strcmp (k, "path") == 0 ? P_ATTR_PATH : strcmp (k, "address") == 0 ? P_ATTR_ADDRESS
          : P_ATTR_PARENT;
      else if (strcmp (k, "names") == 0)
        return c->q->attrs != NULL && c->q->attrs->target_names != NULL;
      else
        p = strcmp (k, "actor") == 0 ? P_TARGET_ACTOR : strcmp (k, "host") == 0 ? P_TARGET_HOST
            : P_TARGET_PARENT;
      return attr_of (c->q, p) != NULL;
    }
  val l, x;
  if (eval_val (c, a, &l) < 0 || eval_val (c, e->b, &x) < 0)
    return -1;
  return member (c, &x, &l);
}

static int
eval_cmp (ctx *c, const wpol_expr *e)
{
  if (e->cmp == C_HAS)
    return eval_has (c, e);
  val a, b;
  if (eval_val (c, e->a, &a) < 0)
    return -1;
  if (e->cmp == C_MATCHES)
    {
      if (a.t != VT_STR)
        return fail (c, "`matches` needs a string on its left, got %s", vt_name (a.t));
      return wpol_glob_match (e->glob, a.s);
    }
  if (eval_val (c, e->b, &b) < 0)
    return -1;
  switch (e->cmp)
    {
    case C_EQ:
    case C_NE:
      if (a.t == VT_LIST || a.t == VT_SCOPE || a.t == VT_NAMES || b.t == VT_LIST
          || b.t == VT_SCOPE || b.t == VT_NAMES)
        return fail (c, "cannot compare lists with `%s`", e->cmp == C_EQ ? "==" : "!=");
      return scalar_eq (&a, &b) == (e->cmp == C_EQ);
    case C_IN:
      return member (c, &a, &b);
    default:
      {
        int r;
        if (a.t == VT_STR && b.t == VT_STR)
          r = strcmp (a.s, b.s);
        else if (a.t == VT_INT && b.t == VT_INT)
          r = a.i < b.i ? -1 : a.i > b.i;
        else
          return fail (c, "cannot order %s against %s", vt_name (a.t), vt_name (b.t));
        switch (e->cmp)
          {
          case C_LT: return r < 0;
          case C_LE: return r <= 0;
          case C_GT: return r > 0;
          default: return r >= 0;
          }
      }
    }
}

static int
eval_bool (ctx *c, const wpol_expr *e)
{
  switch (e->op)
    {
    case E_OR:
    case E_AND:
      for (size_t i = 0; i < e->n; i++)
        {
          int r = eval_bool (c, e->items[i]);
          if (r < 0)
            return -1;
          if (r == (e->op == E_OR))
            return r;
        }
      return e->op == E_AND;
    case E_NOT:
      {
        int r = eval_bool (c, e->a);
        return r < 0 ? -1 : !r;
      }
    case E_CMP:
      return eval_cmp (c, e);
    case E_BOOL:
      return (int) e->i;
    default:
      {
        val v;
        if (eval_val (c, e, &v) < 0)
          return -1;
        if (v.t != VT_BOOL)
          return fail (c, "the condition is %s, not true/false", vt_name (v.t));
        return (int) v.i;
      }
    }
}

int
wpol_cond_eval (const wpol_expr *e, const wpol_req *q, char *msg, size_t msgsz)
{
  char dummy[8];
  ctx c = { q, msg ? msg : dummy, msg ? msgsz : sizeof dummy };
  c.msg[0] = '\0';
  return eval_bool (&c, e);
}

/* ---- the decision over an index ---------------------------------------- */

typedef struct decider {
  const wpol_index *ix;
  wpol_req q;
  const wpol_decl **pols;         /* policies in scope */
  size_t npols;
  int all;                        /* every policy applies */
  int own_pols;                   /* pols was allocated here */
  const size_t *pidx;             /* their policy_idx, when known (or NULL) */
  const wpol_rule *deny, *allow;
  int deny_err;
  uint32_t mask;
  wpol_trace_fn trace;
  void *ud;
  /* Whether any attributes could allow (wpol_eval_possible): an allow's
   * condition counts as true, a deny counts only without a condition. */
  int possible;
} decider;

static int
in_scope (const decider *dd, const wpol_rule *r)
{
  if (dd->all)
    return 1;
  for (size_t i = 0; i < dd->npols; i++)
    if (dd->pols[i] == r->policy)
      return 1;
  return 0;
}

static int
pat_matches (const wpol_pat *p, const char *s)
{
  return p->literal ? strcmp (p->text, s) == 0 : wpol_glob_match (p->glob, s);
}

/* One trace line for rule r, whose condition gave v (msg: its error). */
static void
trace_rule (const decider *dd, const wpol_rule *r, int v, const char *msg)
{
  char line[1024];
  snprintf (line, sizeof line, "%s:%u: [%s] %s -> %s%s", r->loc ? r->loc->file : "?",
            r->line, r->policy->name, r->loc ? r->loc->text : "",
            v > 0 ? "matches" : v == 0 ? "condition false" : "condition error: ",
            v < 0 ? msg : "");
  if (v < 0)
    {
      size_t l = strlen (line);
      snprintf (line + l, sizeof line - l, r->deny ? " (fails closed: denies)"
                                                    : " (fails closed: does not allow)");
    }
  dd->trace (dd->ud, line);
}

/* Deny overrides allow; a recorded deny overrides a quiet one; among
 * rules of one kind the first loaded decides;
 * a deny whose condition errors denies, an allow whose condition errors
 * does not allow (fail closed). */
/* What the key a bucket was found under says of its entries: nothing, or
 * that their (literal) action is the request's, or that their resource is
 * the request's too (an exact (action, resource) key). */
enum { KNOWN_NONE, KNOWN_ACTION, KNOWN_BOTH };

static void
consider (decider *dd, const wpol_entry *e, int scoped, int known)
{
  const wpol_rule *r = e->rule;
  if ((!scoped && !in_scope (dd, r))
      || (known < KNOWN_ACTION && !pat_matches (e->action, dd->q.action))
      || (known < KNOWN_BOTH && !pat_matches (e->resource, dd->q.resource)))
    return;
  dd->mask |= r->mask;
  char msg[256] = "";
  int v = dd->possible ? !r->deny || r->cond == NULL
          : r->cond ? wpol_cond_eval (r->cond, &dd->q, msg, sizeof msg) : 1;
  if (dd->trace)
    trace_rule (dd, r, v, msg);
  if (r->deny && v != 0)
    {
      /* a deny that is recorded (not quiet, or quiet with a condition
       * that errored) decides over a quiet one wherever it stands, so a
       * `deny quietly` never hides the record of another deny */
      int loud = !r->quiet || v < 0;
      int had_loud = dd->deny && (!dd->deny->quiet || dd->deny_err);
      if (dd->deny == NULL || (loud && !had_loud)
          || (loud == had_loud && r->seq < dd->deny->seq))
        {
          dd->deny = r;
          dd->deny_err = v < 0;
        }
    }
  else if (!r->deny && v > 0 && (dd->allow == NULL || r->seq < dd->allow->seq))
    dd->allow = r;
}

/* Consider the entries of b; scoped: b holds rules in scope only; known:
 * what its key says they match. */
static void
scan (decider *dd, const wpol_bucket *b, int scoped, int known)
{
  if (b == NULL)
    return;
  for (size_t i = 0; i < b->n; i++)
    consider (dd, &b->v[i], scoped, known);
}

static void
trace_undeclared (const decider *dd)
{
  char line[512];
  snprintf (line, sizeof line, "actor \"%s\": no actor declaration matches and the "
            "request has no scope: the actor is not declared, every request is denied",
            dd->q.actor_id);
  dd->trace (dd->ud, line);
}

/* The scope: the request's, else the declaration's `scope` field, else all
 * (declared without a scope). */
static void
choose_scope (decider *dd, const ward_actor *actor)
{
  if (actor->nscope)
    {
      dd->q.scope = actor->scope;
      dd->q.nscope = actor->nscope;
    }
  else if (dd->q.decl && dd->q.decl->scope)
    {
      dd->q.scope = dd->q.decl->scope;
      dd->q.nscope = dd->q.decl->nscope;
    }
  else
    {
      dd->all = 1;
      dd->q.scope = dd->ix->pol_names;
      dd->q.nscope = dd->ix->npols;
    }
}

/* The loaded policies the scope names, in stack[nstack] when they fit;
 * -1 when out of memory. */
static int
gather_policies (decider *dd, const wpol_decl **stack, size_t nstack)
{
  if (dd->all)
    {
      dd->pols = dd->ix->pols;
      dd->npols = dd->ix->npols;
      return 0;
    }
  if (dd->q.decl && dd->q.scope == dd->q.decl->scope && dd->q.decl->scope_resolved)
    {
      dd->pols = dd->q.decl->scope_pols;      /* looked up when compiled */
      dd->pidx = dd->q.decl->scope_pidx;
      dd->npols = dd->q.decl->nscope_pols;
      return 0;
    }
  dd->pols = dd->q.nscope <= nstack ? stack : malloc (dd->q.nscope * sizeof *dd->pols);
  if (dd->pols == NULL)
    return -1;
  dd->own_pols = dd->pols != stack;
  for (size_t i = 0; i < dd->q.nscope; i++)
    {
      const wpol_decl *p = dd->q.scope[i] ? wpol_htab_get (&dd->ix->policies, dd->q.scope[i])
                           : NULL;
      if (p)
        dd->pols[dd->npols++] = p;
    }
  return 0;
}

static void
trace_scope (const decider *dd, const ward_actor *actor)
{
  char line[512];
  if (dd->all)
    snprintf (line, sizeof line, "actor \"%s\": declared without a scope: all %zu loaded "
              "policies apply", actor->id, dd->npols);
  else
    snprintf (line, sizeof line, "actor \"%s\": %s; %zu of %zu scope policies loaded",
              actor->id, actor->nscope ? "the request's scope"
              : dd->q.decl == dd->ix->run_actor ? "the run's actor (with the policies of the "
                "files that declare no actor)" : "declared", dd->npols, dd->q.nscope);
  dd->trace (dd->ud, line);
}

/* Consider the rules of the scope's own policies (wpol_polix) filed where
 * the request can match them. Each of the three keys is made and hashed
 * once; a policy whose bloom lacks a key's bit is not asked for it. -1
 * when out of memory. */
static int
scan_policies (decider *dd)
{
  const char *action = dd->q.action, *resource = dd->q.resource;
  size_t la = strlen (action), lr = strlen (resource), seg = strcspn (resource, ".:");
  char kbuf[512];
  size_t nar = wpol_polix_key (NULL, WPOL_PK_AR, action, la, resource, lr);
  size_t nseg = wpol_polix_key (NULL, WPOL_PK_ASEG, action, la, resource, seg);
  size_t na = wpol_polix_key (NULL, WPOL_PK_A, action, la, NULL, 0);
  size_t need = nar + 1 + nseg + 1 + na + 1;
  char *buf = need <= sizeof kbuf ? kbuf : malloc (need);
  if (buf == NULL)
    return -1;
  const char *keys[3] = { buf, buf + nar + 1, buf + nar + 1 + nseg + 1 };
  wpol_polix_key (buf, WPOL_PK_AR, action, la, resource, lr);
  wpol_polix_key (buf + nar + 1, WPOL_PK_ASEG, action, la, resource, seg);
  wpol_polix_key (buf + nar + 1 + nseg + 1, WPOL_PK_A, action, la, NULL, 0);
  uint64_t hash[3] = { wpol_hash (keys[0], nar), wpol_hash (keys[1], nseg),
                       wpol_hash (keys[2], na) };
  int nkeys = resource[seg] ? 3 : 2;
  if (nkeys == 2)                 /* no segment: the action's key moves up */
    {
      keys[1] = keys[2];
      hash[1] = hash[2];
    }
  static const int known[3] = { KNOWN_BOTH, KNOWN_ACTION, KNOWN_ACTION };
  for (size_t i = 0; i < dd->npols; i++)
    {
      const wpol_polix *px = &dd->ix->polix[dd->pidx ? dd->pidx[i] : dd->pols[i]->policy_idx];
      for (int k = 0; k < nkeys; k++)
        if (px->bloom & (uint64_t) 1 << (hash[k] & 63))
          scan (dd, wpol_htab_get_hashed (&px->keys, keys[k], hash[k]), 1, known[k]);
      scan (dd, &px->globs, 1, KNOWN_NONE);
    }
  if (buf != kbuf)
    free (buf);
  return 0;
}

/* Consider every rule filed where the request can match it: under the
 * exact (action, resource), under the action and the resource's first
 * segment, under the action, and among the globbed actions. A scope of a
 * few policies among many looks in its own policies instead (the same
 * rules in scope, so the same decision: the shared lists of a large
 * deployment's rules grow with its tenants, a scope's own do not); a
 * trace keeps the one order of the whole lists. -1 when out of memory. */
static int
scan_candidates (decider *dd)
{
  const wpol_index *ix = dd->ix;
  if (!dd->all && dd->trace == NULL && dd->npols * 16 < ix->npols)
    return scan_policies (dd);
  const char *action = dd->q.action, *resource = dd->q.resource;
  size_t la = strlen (action), lr = strlen (resource);
  char kbuf[512];
  char *key = la + lr + 2 <= sizeof kbuf ? kbuf : malloc (la + lr + 2);
  if (key == NULL)
    return -1;
  memcpy (key, action, la);
  key[la] = '\x1f';
  memcpy (key + la + 1, resource, lr + 1);
  scan (dd, wpol_htab_get (&ix->by_ar, key), 0, KNOWN_BOTH);
  size_t seg = strcspn (resource, ".:");
  if (resource[seg])
    {
      key[la + 1 + seg] = '\0';
      scan (dd, wpol_htab_get (&ix->by_aseg, key), 0, KNOWN_ACTION);
    }
  if (key != kbuf)
    free (key);
  scan (dd, wpol_htab_get (&ix->by_a, action), 0, KNOWN_ACTION);
  scan (dd, &ix->globs, 0, KNOWN_NONE);
  return 0;
}

static void
outcome (const decider *dd, wpol_result *res)
{
  if (dd->deny)
    {
      res->decision = WARD_DENY;
      res->reason = dd->deny_err ? WPOL_BY_RULE_ERROR : WPOL_BY_RULE;
      res->rule = dd->deny->loc;
    }
  else if (dd->allow)
    {
      res->decision = WARD_ALLOW;
      res->reason = WPOL_BY_RULE;
      res->rule = dd->allow->loc;
    }
  else
    res->reason = WPOL_NO_MATCH;
}

/* A request with every part the decision reads; any other fails closed. */
static int
well_formed (const ward_actor *actor, const char *action, const char *resource)
{
  return actor != NULL && actor->id != NULL && action != NULL && resource != NULL
         && (actor->nscope == 0 || actor->scope != NULL)
         && (actor->nmeta == 0 || actor->meta != NULL);
}

static wpol_result
evaluate (const wpol_index *ix, const ward_actor *actor, const char *action,
          const char *resource, const ward_attrs *attrs, uint32_t *mask,
          wpol_trace_fn trace, void *ud, int possible)
{
  wpol_result res = { WARD_DENY, WPOL_BAD_REQUEST, NULL, ix ? ix->gen : 0, 0 };
  *mask = 0;
  if (ix == NULL || !well_formed (actor, action, resource))
    return res;
  decider dd = { .ix = ix, .trace = trace, .ud = ud, .possible = possible };
  dd.q.actor_id = actor->id;
  dd.q.decl = wpol_index_resolve_actor (ix, actor->id);
  dd.q.meta = actor->meta;
  dd.q.nmeta = actor->nmeta;
  res.actor = dd.q.decl ? dd.q.decl->info : NULL;
  /* an actor with neither a scope of its own nor a declaration has no policy */
  if (actor->nscope == 0 && dd.q.decl == NULL)
    {
      if (trace)
        trace_undeclared (&dd);
      res.reason = WPOL_UNDECLARED;
      return res;
    }
  choose_scope (&dd, actor);
  dd.q.action = action;
  dd.q.resource = resource;
  dd.q.attrs = attrs;
  const wpol_decl *stackpols[16];
  if (gather_policies (&dd, stackpols, sizeof stackpols / sizeof stackpols[0]) < 0)
    return res;                   /* out of memory: fail closed */
  if (trace)
    trace_scope (&dd, actor);
  int failed = dd.npols && scan_candidates (&dd) < 0;
  if (dd.own_pols)
    free (dd.pols);
  if (failed)
    return res;
  *mask = dd.mask;
  outcome (&dd, &res);
  return res;
}

wpol_result
wpol_eval (const wpol_index *ix, const ward_actor *actor, const char *action,
           const char *resource, const ward_attrs *attrs, uint32_t *mask,
           wpol_trace_fn trace, void *ud)
{
  return evaluate (ix, actor, action, resource, attrs, mask, trace, ud, 0);
}

wpol_result
wpol_eval_possible (const wpol_index *ix, const ward_actor *actor, const char *action,
                    const char *resource)
{
  uint32_t mask;
  static const ward_attrs none;
  return evaluate (ix, actor, action, resource, &none, &mask, NULL, NULL, 1);
}

/* ---- explanation (ward policy explain) --------------------------------- */

/* A value, as explain shows it. */
static void
show_val (const ctx *c, const val *v, wpol_buf *o)
{
  switch (v->t)
    {
    case VT_STR:
      wpol_buf_quote (o, v->s);
      break;
    case VT_INT:
      wpol_buf_printf (o, "%lld", (long long) v->i);
      break;
    case VT_BOOL:
      wpol_buf_puts (o, v->i ? "true" : "false");
      break;
    case VT_LIST:
      wpol_format_expr (v->list, o);
      break;
    case VT_SCOPE:
      wpol_buf_puts (o, "[");
      for (size_t i = 0; i < c->q->nscope; i++)
        {
          if (i)
            wpol_buf_puts (o, ", ");
          wpol_buf_quote (o, c->q->scope[i] ? c->q->scope[i] : "");
        }
      wpol_buf_puts (o, "]");
      break;
    case VT_NAMES:
      wpol_buf_puts (o, "[");
      for (size_t i = 0; i < c->q->attrs->ntarget_names; i++)
        {
          if (i)
            wpol_buf_puts (o, ", ");
          wpol_buf_quote (o, c->q->attrs->target_names[i]);
        }
      wpol_buf_puts (o, "]");
      break;
    }
}

/* " (PATH is VALUE)" for each operand of a comparison that reads the
 * request: the values the condition used. */
static void
show_operands (ctx *c, const wpol_expr *e, wpol_buf *o)
{
  const wpol_expr *ops[2] = { e->a, e->cmp == C_MATCHES ? NULL : e->b };
  const char *sep = " (";
  for (int k = 0; k < 2; k++)
    {
      if (ops[k] == NULL || ops[k]->op != E_PATH)
        continue;
      if (e->cmp == C_HAS && k == 0 && (ops[k]->path == P_ATTR || ops[k]->path == P_TARGET
                                        || ops[k]->path == P_ACTOR_META))
        continue;                 /* `attr has pid` reads no value */
      val v;
      char m[8];
      ctx sub = { c->q, m, sizeof m };
      wpol_buf_puts (o, sep);
      wpol_format_expr (ops[k], o);
      if (eval_val (&sub, ops[k], &v) < 0)
        wpol_buf_puts (o, " is not set");
      else
        {
          wpol_buf_puts (o, " is ");
          show_val (c, &v, o);
        }
      sep = ", ";
    }
  if (*sep == ',')
    wpol_buf_puts (o, ")");
}

/* Why e, which evaluated to false, is false: the first false conjunct of
 * an `and`, every alternative of an `or`, the values a comparison read. */
static void
why_false (ctx *c, const wpol_expr *e, wpol_buf *o)
{
  wpol_buf_puts (o, "`");
  wpol_format_expr (e, o);
  wpol_buf_puts (o, "` is false");
  switch (e->op)
    {
    case E_AND:
      for (size_t i = 0; i < e->n; i++)
        if (eval_bool (c, e->items[i]) == 0)
          {
            wpol_buf_printf (o, ": its part %zu of %zu, ", i + 1, e->n);
            why_false (c, e->items[i], o);
            return;
          }
      return;
    case E_OR:
      wpol_buf_printf (o, ": each of its %zu alternatives is false: ", e->n);
      for (size_t i = 0; i < e->n; i++)
        {
          wpol_buf_printf (o, "%s(%zu) ", i ? "; " : "", i + 1);
          why_false (c, e->items[i], o);
        }
      return;
    case E_NOT:
      wpol_buf_puts (o, ": `");
      wpol_format_expr (e->a, o);
      wpol_buf_puts (o, "` is true");
      return;
    case E_CMP:
      show_operands (c, e, o);
      return;
    default:
      return;
    }
}

/* "`x` does not match" for a request word and a rule's patterns. */
static int
pats_match (const wpol_pat *p, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (pat_matches (&p[i], s))
      return 1;
  return 0;
}

static void
pats_miss (wpol_buf *o, const char *what, const char *s, const wpol_pat *p, size_t n)
{
  wpol_buf_printf (o, "%s ", what);
  wpol_buf_quote (o, s);
  wpol_buf_puts (o, n == 1 ? " does not match " : " matches none of ");
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        wpol_buf_puts (o, ", ");
      wpol_buf_quote (o, p[i].text);
    }
}

/* The file of the index that holds declaration dc, or "?". */
static const char *
decl_file (const wpol_index *ix, const wpol_decl *dc)
{
  for (size_t i = 0; i < ix->nfiles; i++)
    for (size_t k = 0; ix->files[i] && k < ix->files[i]->ndecls; k++)
      if (ix->files[i]->decls[k] == dc)
        return ix->files[i]->name;
  return "?";
}

static void
emit (wpol_explain_fn fn, void *ud, int kind, const wpol_rule_loc *loc, int verdict,
      const char *part, wpol_buf *text)
{
  wpol_explain_item it = { kind, loc, verdict, part,
                           text->oom ? "(out of memory)" : text->s ? text->s : "" };
  fn (ud, &it);
  text->len = 0;
  if (text->s)
    text->s[0] = '\0';
}

void
wpol_explain_index (const wpol_index *ix, const ward_actor *actor, const char *action,
                    const char *resource, const ward_attrs *attrs, wpol_explain_fn fn,
                    void *ud)
{
  wpol_buf t = { 0 };
  if (ix == NULL || !well_formed (actor, action, resource))
    return;
  decider dd = { .ix = ix };
  dd.q.actor_id = actor->id;
  dd.q.decl = wpol_index_resolve_actor (ix, actor->id);
  dd.q.meta = actor->meta;
  dd.q.nmeta = actor->nmeta;
  dd.q.action = action;
  dd.q.resource = resource;
  dd.q.attrs = attrs;
  /* the actor: which declaration matched it, where */
  wpol_buf_quote (&t, actor->id);
  if (dd.q.decl == NULL)
    wpol_buf_puts (&t, actor->nscope ? ": no declaration matches it (the request's scope "
                   "decides)" : ": no declaration matches it and the request has no scope: "
                   "it is not declared, every request it makes is denied");
  else if (dd.q.decl == ix->run_actor)
    wpol_buf_puts (&t, ": the run's actor (its declaration, with the policies of the files "
                   "that declare no actor)");
  else
    {
      wpol_buf_puts (&t, " matches the declaration actor ");
      wpol_buf_quote (&t, dd.q.decl->name);
      wpol_buf_printf (&t, " at %s:%u:%u", decl_file (ix, dd.q.decl), dd.q.decl->line,
                       dd.q.decl->col);
    }
  /* the metadata conditions read as actor.meta.KEY: the request's, then
   * the declaration's */
  for (size_t i = 0; i < actor->nmeta; i++)
    {
      wpol_buf_printf (&t, "%s%s = ", i ? "; " : " (meta: ", actor->meta[2 * i]);
      wpol_buf_quote (&t, actor->meta[2 * i + 1] ? actor->meta[2 * i + 1] : "");
      wpol_buf_puts (&t, " from the request");
    }
  for (size_t i = 0; dd.q.decl && i < dd.q.decl->nmeta; i++)
    {
      wpol_buf_printf (&t, "%s%s = ", i || actor->nmeta ? "; " : " (meta: ",
                       dd.q.decl->meta[i]->name);
      wpol_format_value (dd.q.decl->meta[i]->val, &t);
    }
  if (actor->nmeta || (dd.q.decl && dd.q.decl->nmeta))
    wpol_buf_puts (&t, ")");
  emit (fn, ud, WPOL_X_ACTOR, NULL, dd.q.decl != NULL || actor->nscope, "", &t);
  if (actor->nscope == 0 && dd.q.decl == NULL)
    goto out;
  choose_scope (&dd, actor);
  const wpol_decl *stackpols[16];
  if (gather_policies (&dd, stackpols, sizeof stackpols / sizeof stackpols[0]) < 0)
    goto out;
  /* the scope it gave, and where from */
  if (dd.all)
    wpol_buf_printf (&t, "all %zu loaded policies (the declaration has no scope)", dd.npols);
  else
    {
      for (size_t i = 0; i < dd.q.nscope; i++)
        {
          const char *nm = dd.q.scope[i] ? dd.q.scope[i] : "";
          wpol_buf_puts (&t, i ? ", " : "");
          wpol_buf_quote (&t, nm);
          if (wpol_htab_get (&ix->policies, nm) == NULL)
            wpol_buf_puts (&t, " (not loaded)");
        }
      if (dd.q.nscope == 0)
        wpol_buf_puts (&t, "(empty)");
      wpol_buf_puts (&t, actor->nscope ? " (from the request)" : " (from the declaration)");
    }
  emit (fn, ud, WPOL_X_SCOPE, NULL, 1, "", &t);
  /* every rule of the scope, in file order: applies, or why not */
  for (size_t i = 0; i < ix->nrules; i++)
    {
      const wpol_rule *r = ix->rules[i];
      if (!in_scope (&dd, r))
        continue;
      const char *part = "";
      int verdict = 0;
      if (!pats_match (r->actions, r->nactions, action))
        {
          part = "action";
          pats_miss (&t, "action", action, r->actions, r->nactions);
        }
      else if (!pats_match (r->resources, r->nresources, resource))
        {
          part = "resource";
          pats_miss (&t, "resource", resource, r->resources, r->nresources);
        }
      else if (r->cond == NULL)
        verdict = 1;
      else
        {
          char msg[256] = "";
          ctx c = { &dd.q, msg, sizeof msg };
          int v = eval_bool (&c, r->cond);
          part = "condition";
          if (v > 0)
            verdict = 1;
          else if (v == 0)
            {
              wpol_buf_puts (&t, "condition false: ");
              why_false (&c, r->cond, &t);
            }
          else
            {
              verdict = -1;
              wpol_buf_printf (&t, "condition error: %s (fails closed: %s)", msg,
                               r->deny ? "denies" : "does not allow");
            }
        }
      emit (fn, ud, WPOL_X_RULE, r->loc, verdict, part, &t);
    }
  if (dd.own_pols)
    free (dd.pols);
out:
  wpol_buf_free (&t);
}
