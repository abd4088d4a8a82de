/* eval.c -- evaluation of rule conditions. Three outcomes: true, false and
 * error (a missing attribute, ordering a string against a number, ...);
 * the caller makes an erroring rule fail closed. */
#include "config.h"
#include "wpol.h"

#include <stdio.h>
#include <string.h>

typedef enum vt { VT_STR, VT_INT, VT_BOOL, VT_LIST, VT_SCOPE } vt;

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
        case P_ACTOR_META_KEY:
          if (meta_lookup (q, e->s, v) < 0)
            return fail (c, "actor.meta.%s is not set", e->s);
          return 0;
        case P_ATTR_PID: case P_ATTR_HOST: case P_ATTR_PARENT:
        case P_TARGET_ACTOR: case P_TARGET_HOST: case P_TARGET_PARENT:
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
  if (x->t == VT_LIST || x->t == VT_SCOPE)
    return fail (c, "cannot look for a list in a list");
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
        p = strcmp (k, "pid") == 0 ? P_ATTR_PID : strcmp (k, "host") == 0 ? P_ATTR_HOST : P_ATTR_PARENT;
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
      if (a.t == VT_LIST || a.t == VT_SCOPE || b.t == VT_LIST || b.t == VT_SCOPE)
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
