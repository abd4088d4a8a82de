/* parser.c -- recursive-descent parser for policy files: declarations,
 * rules and conditions, with panic-mode recovery so that one mistake gives
 * one error, and a depth limit so that no input can exhaust the stack. */
#include "config.h"
#include "lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  wpol_lexer lx;
  wpol_tok tok;
  wpol_file *f;
  wpol_diags *d;
  int depth;
  uint32_t mask;                  /* M_* read by the condition being parsed */
  jmp_buf oom;
} parser;

static const char *const top_words[] = { "policy", "actor", "host", "sandbox", NULL };
static const char *const effect_words[] = { "allow", "deny", NULL };
static const char *const path_words[] = {
  "actor.id", "actor.meta", "actor.scope", "action", "resource", "attr",
  "attr.pid", "attr.host", "attr.parent", "target", "target.actor",
  "target.host", "target.parent", "target.names", NULL
};
static const char *const attr_keys[] = { "pid", "host", "parent", "path", "address", NULL };
static const char *const target_keys[] = { "actor", "host", "parent", "names", NULL };

static void
next (parser *p)
{
  wpol_lex_next (&p->lx, &p->tok);
}

static int
is_word (const parser *p, const char *w)
{
  return p->tok.type == T_IDENT && strcmp (p->tok.text, w) == 0;
}

/* Report at the current token; say nothing for a bad token (the lexer has
 * already explained it). Always returns -1. */
static int __attribute__ ((format (printf, 2, 3)))
error_here (parser *p, const char *fmt, ...)
{
  if (p->tok.type == T_BAD || p->lx.stop)
    return -1;
  char msg[800];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  wpol_lex_error (&p->lx, p->tok.line, p->tok.col, "%s", msg);
  return -1;
}

/* "expected X, got Y[; did you mean `w`?]" */
static int
expected (parser *p, const char *what, const char *const *words)
{
  char got[100];
  wpol_tok_describe (&p->tok, got, sizeof got);
  const char *sug = NULL;
  if (words && p->tok.type == T_IDENT)
    sug = wpol_suggest (p->tok.text, words);
  if (sug)
    return error_here (p, "expected %s, got %s; did you mean `%s`?", what, got, sug);
  return error_here (p, "expected %s, got %s", what, got);
}

/* 0 when the current token is of the type; -1 after "expected WHAT". */
static int
want (parser *p, wpol_ttype type, const char *what)
{
  return p->tok.type == type ? 0 : expected (p, what, NULL);
}

/* After an item of a [list]: take the `,` before the next one, or stay at
 * the `]`; -1 (reported) when neither follows. */
static int
list_sep (parser *p)
{
  if (p->tok.type == T_COMMA)
    next (p);
  else if (p->tok.type != T_RBRACK)
    return expected (p, "`,` or `]`", NULL);
  return 0;
}

/* Skip to just after the next `;` or to the next `}` of this block. */
static void
sync_member (parser *p)
{
  int depth = 0;
  while (p->tok.type != T_EOF)
    {
      if (p->tok.type == T_SEMI && depth == 0)
        {
          next (p);
          return;
        }
      if (p->tok.type == T_RBRACE)
        {
          if (depth == 0)
            return;
          depth--;
        }
      if (p->tok.type == T_LBRACE)
        depth++;
      next (p);
    }
}

/* ---- conditions -------------------------------------------------------- */

static wpol_expr *parse_or (parser *p);

static wpol_expr *
new_expr (parser *p, wpol_eop op)
{
  wpol_expr *e = wpol_alloc (&p->f->arena, sizeof *e);
  e->op = op;
  e->line = p->tok.line;
  e->col = p->tok.col;
  return e;
}

static int
valid_key (const char *k)
{
  if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_'))
    return 0;
  for (; *k; k++)
    if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_'
          || *k == '-' || (*k >= '0' && *k <= '9')))
      return 0;
  return 1;
}

static uint32_t
path_mask (wpol_path pa)
{
  switch (pa)
    {
    case P_ACTOR_META_KEY: case P_ACTOR_META: return M_META;
    case P_ATTR_PID: return M_PID;
    case P_ATTR_HOST: return M_HOST;
    case P_ATTR_PARENT: return M_PARENT;
    case P_TARGET_ACTOR: return M_TACTOR;
    case P_TARGET_HOST: return M_THOST;
    case P_TARGET_PARENT: return M_TPARENT;
    case P_ATTR_PATH: return M_PATH;
    case P_ATTR_ADDRESS: return M_ADDRESS;
    case P_TARGET_NAMES: return M_TNAMES;
    default: return 0;
    }
}

static wpol_expr *
parse_path (parser *p)
{
  static const struct { const char *name; wpol_path path; } paths[] = {
    { "actor.id", P_ACTOR_ID }, { "actor.meta", P_ACTOR_META },
    { "actor.scope", P_ACTOR_SCOPE }, { "action", P_ACTION },
    { "resource", P_RESOURCE }, { "attr", P_ATTR }, { "attr.pid", P_ATTR_PID },
    { "attr.host", P_ATTR_HOST }, { "attr.parent", P_ATTR_PARENT },
    { "attr.path", P_ATTR_PATH }, { "attr.address", P_ATTR_ADDRESS },
    { "target", P_TARGET }, { "target.actor", P_TARGET_ACTOR },
    { "target.host", P_TARGET_HOST }, { "target.parent", P_TARGET_PARENT },
    { "target.names", P_TARGET_NAMES }
  };
  const char *name = p->tok.text;
  wpol_expr *e = new_expr (p, E_PATH);
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    if (strcmp (name, paths[i].name) == 0)
      {
        e->path = paths[i].path;
        p->mask |= path_mask (e->path);
        next (p);
        return e;
      }
  if (strncmp (name, "actor.meta.", 11) == 0)
    {
      if (!valid_key (name + 11))
        {
          wpol_lex_error (&p->lx, p->tok.line, p->tok.col + 11,
                          "bad metadata key `%s` (letters, digits, `_` and `-`)", name + 11);
          return NULL;
        }
      e->path = P_ACTOR_META_KEY;
      e->s = name + 11;
      p->mask |= M_META;
      next (p);
      return e;
    }
  const char *sug = wpol_suggest (name, path_words);
  if (sug)
    error_here (p, "unknown name `%s` in condition; did you mean `%s`?", name, sug);
  else
    error_here (p, "unknown name `%s` in condition (known: actor.id, actor.meta.KEY, "
                "actor.scope, action, resource, attr.pid|host|parent, "
                "target.actor|host|parent|names)", name);
  return NULL;
}

static wpol_expr *
parse_list (parser *p)
{
  wpol_expr *e = new_expr (p, E_LIST);
  size_t cap = 0;
  next (p);                       /* '[' */
  while (p->tok.type != T_RBRACK)
    {
      wpol_expr *it = new_expr (p, E_STR);
      if (p->tok.type == T_STRING)
        it->s = p->tok.text;
      else if (p->tok.type == T_NUMBER)
        it->op = E_INT, it->i = p->tok.num;
      else if (is_word (p, "true") || is_word (p, "false"))
        it->op = E_BOOL, it->i = is_word (p, "true");
      else
        {
          expected (p, "a string, number or boolean in the list", NULL);
          return NULL;
        }
      next (p);
      e->items = wpol_grow (&p->f->arena, e->items, e->n, &cap, 4, sizeof *e->items);
      e->items[e->n++] = it;
      if (list_sep (p) < 0)
        return NULL;
    }
  next (p);
  return e;
}

static wpol_expr *
parse_operand (parser *p)
{
  wpol_expr *e;
  switch (p->tok.type)
    {
    case T_STRING:
      e = new_expr (p, E_STR);
      e->s = p->tok.text;
      next (p);
      return e;
    case T_NUMBER:
      e = new_expr (p, E_INT);
      e->i = p->tok.num;
      next (p);
      return e;
    case T_LBRACK:
      return parse_list (p);
    case T_LPAREN:
      {
        unsigned line = p->tok.line, col = p->tok.col;
        next (p);
        e = parse_or (p);
        if (e == NULL)
          return NULL;
        if (p->tok.type != T_RPAREN)
          {
            char got[100];
            wpol_tok_describe (&p->tok, got, sizeof got);
            error_here (p, "expected `)` to close the `(` at %u:%u, got %s", line, col, got);
            return NULL;
          }
        next (p);
        return e;
      }
    case T_IDENT:
      if (is_word (p, "true") || is_word (p, "false"))
        {
          e = new_expr (p, E_BOOL);
          e->i = is_word (p, "true");
          next (p);
          return e;
        }
      if (is_word (p, "and") || is_word (p, "or") || is_word (p, "not")
          || is_word (p, "in") || is_word (p, "has") || is_word (p, "matches"))
        {
          expected (p, "a value", NULL);
          return NULL;
        }
      if (p->tok.text[0] >= '0' && p->tok.text[0] <= '9')
        {
          error_here (p, "bad number `%s`", p->tok.text);
          return NULL;
        }
      return parse_path (p);
    default:
      expected (p, "a value", NULL);
      return NULL;
    }
}

static int
is_map (const wpol_expr *e)
{
  return e->op == E_PATH && (e->path == P_ACTOR_META || e->path == P_ATTR
                             || e->path == P_TARGET);
}

/* Static type of an operand for warnings: 's'tring, 'i'nt, 'b'ool, 'l'ist,
 * '?' unknown. */
static char
static_type (const wpol_expr *e)
{
  switch (e->op)
    {
    case E_STR: return 's';
    case E_INT: return 'i';
    case E_BOOL: return 'b';
    case E_LIST: return 'l';
    case E_PATH:
      if (e->path == P_ACTOR_META_KEY)
        return '?';
      if (e->path == P_ACTOR_SCOPE || e->path == P_TARGET_NAMES)
        return 'l';
      return 's';
    default: return 'b';
    }
}

static int
check_map_use (parser *p, const wpol_expr *e)
{
  if (!is_map (e))
    return 0;
  wpol_lex_error (&p->lx, e->line, e->col,
                  "`%s` is a set of attributes, not a value; name one (e.g. `%s`) or test it with `has`",
                  wpol_path_name (e->path),
                  e->path == P_ATTR ? "attr.pid" : e->path == P_TARGET ? "target.actor"
                  : "actor.meta.tier");
  return -1;
}

/* The comparison operator at the current token: 1 (op set), 0 when the
 * token is none, -1 after an error. */
static int
cmp_op (parser *p, wpol_cmp *op)
{
  static const struct { wpol_ttype tok; wpol_cmp op; } ops[] = {
    { T_EQ, C_EQ }, { T_NE, C_NE }, { T_LT, C_LT }, { T_LE, C_LE }, { T_GT, C_GT },
    { T_GE, C_GE }
  };
  static const struct { const char *word; wpol_cmp op; } words[] = {
    { "in", C_IN }, { "matches", C_MATCHES }, { "has", C_HAS }
  };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (p->tok.type == ops[i].tok)
      {
        *op = ops[i].op;
        return 1;
      }
  if (p->tok.type == T_ASSIGN)
    {
      error_here (p, "`=` is not a comparison; did you mean `==`?");
      return -1;
    }
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (is_word (p, words[i].word))
      {
        *op = words[i].op;
        return 1;
      }
  return 0;
}

/* An operand with no operator after it: a condition only when it can be
 * true/false. */
static wpol_expr *
lone_operand (parser *p, wpol_expr *a)
{
  if (check_map_use (p, a) < 0)
    return NULL;
  if (a->op == E_STR || a->op == E_INT || a->op == E_LIST
      || (a->op == E_PATH && a->path != P_ACTOR_META_KEY))
    {
      wpol_lex_error (&p->lx, a->line, a->col,
                      "a condition must be a comparison or true/false, not a lone %s",
                      a->op == E_PATH ? "name" : "value");
      return NULL;
    }
  return a;
}

/* `attr has "KEY"`, `target has "KEY"`: a key ward sets, which the rule
 * then reads (its mask bit). */
static int
check_has_key (parser *p, const wpol_expr *a, const wpol_expr *b)
{
  const char *const *keys = a->path == P_ATTR ? attr_keys
                            : a->path == P_TARGET ? target_keys : NULL;
  if (keys == NULL)
    return 0;
  size_t i;
  for (i = 0; keys[i] && strcmp (keys[i], b->s) != 0; i++)
    ;
  if (keys[i] == NULL)
    {
      const char *sug = wpol_suggest (b->s, keys);
      wpol_lex_error (&p->lx, b->line, b->col, "`%s` has no attribute \"%s\"%s%s%s",
                      wpol_path_name (a->path), b->s, sug ? "; did you mean \"" : "",
                      sug ? sug : "", sug ? "\"?" : "");
      return -1;
    }
  p->mask |= a->path == P_ATTR
    ? (strcmp (b->s, "pid") == 0 ? M_PID : strcmp (b->s, "host") == 0 ? M_HOST
       : strcmp (b->s, "path") == 0 ? M_PATH : strcmp (b->s, "address") == 0 ? M_ADDRESS
       : M_PARENT)
    : (b->s[0] == 'a' ? M_TACTOR : b->s[0] == 'h' ? M_THOST : b->s[0] == 'n' ? M_TNAMES
       : M_TPARENT);
  return 0;
}

static int
check_has (parser *p, const wpol_expr *a, const wpol_expr *b)
{
  if (!is_map (a) && a->op != E_LIST
      && !(a->op == E_PATH && (a->path == P_ACTOR_SCOPE || a->path == P_TARGET_NAMES)))
    {
      wpol_lex_error (&p->lx, a->line, a->col,
                      "`has` needs attr, target, actor.meta, actor.scope, target.names or a list on its left");
      return -1;
    }
  if (check_map_use (p, b) < 0)
    return -1;
  if (!is_map (a))
    return 0;
  if (b->op != E_STR)
    {
      wpol_lex_error (&p->lx, b->line, b->col, "`has` needs a key in quotes on its right");
      return -1;
    }
  return check_has_key (p, a, b);
}

static const char *
static_type_name (char t)
{
  return t == 's' ? "a string" : t == 'i' ? "a number" : t == 'b' ? "a boolean" : "a list";
}

/* The right side of every operator but `has`, checked against its left;
 * e->glob compiled for `matches`. */
static int
check_operands (parser *p, wpol_expr *e, unsigned opline, unsigned opcol)
{
  const wpol_expr *a = e->a, *b = e->b;
  if (check_map_use (p, a) < 0 || check_map_use (p, b) < 0)
    return -1;
  if (e->cmp == C_MATCHES)
    {
      if (b->op != E_STR)
        {
          wpol_lex_error (&p->lx, b->line, b->col, "`matches` needs a glob pattern in quotes on its right");
          return -1;
        }
      e->glob = wpol_glob_compile (&p->f->arena, b->s);
      return 0;
    }
  if (e->cmp == C_IN)
    {
      if (b->op != E_LIST && !(b->op == E_PATH && (b->path == P_ACTOR_SCOPE
                                                   || b->path == P_TARGET_NAMES
                                                   || b->path == P_ACTOR_META_KEY)))
        {
          wpol_lex_error (&p->lx, b->line, b->col, "`in` needs a list on its right (e.g. [\"a\", \"b\"])");
          return -1;
        }
      return 0;
    }
  if ((e->cmp == C_EQ || e->cmp == C_NE) && (static_type (a) == 'l' || static_type (b) == 'l'))
    wpol_lex_warn (&p->lx, opline, opcol,
                   "this comparison always errors (it compares a list with `%s`; test a list "
                   "with `has` or `in`), so its rule fails closed", e->cmp == C_EQ ? "==" : "!=");
  if (e->cmp >= C_LT && e->cmp <= C_GE)
    {
      char ta = static_type (a), tb = static_type (b);
      if (ta != '?' && tb != '?' && (ta != tb || ta == 'b' || ta == 'l'))
        wpol_lex_warn (&p->lx, opline, opcol,
                       "this comparison always errors (it orders %s against %s), so its rule fails closed",
                       static_type_name (ta), static_type_name (tb));
    }
  return 0;
}

static wpol_expr *
parse_cmp (parser *p)
{
  wpol_expr *a = parse_operand (p);
  if (a == NULL)
    return NULL;
  wpol_cmp op;
  int r = cmp_op (p, &op);
  if (r < 0)
    return NULL;
  if (r == 0)
    return lone_operand (p, a);
  wpol_expr *e = new_expr (p, E_CMP);
  e->line = a->line;
  e->col = a->col;
  e->cmp = op;
  unsigned opline = p->tok.line, opcol = p->tok.col;
  next (p);
  wpol_expr *b = parse_operand (p);
  if (b == NULL)
    return NULL;
  e->a = a;
  e->b = b;
  if (op == C_HAS)
    return check_has (p, a, b) < 0 ? NULL : e;
  return check_operands (p, e, opline, opcol) < 0 ? NULL : e;
}

static int
enter (parser *p)
{
  if (++p->depth > WPOL_MAX_DEPTH)
    {
      error_here (p, "condition nested too deeply (more than %d levels)", WPOL_MAX_DEPTH);
      return -1;
    }
  return 0;
}

static wpol_expr *
parse_not (parser *p)
{
  if (!is_word (p, "not"))
    return parse_cmp (p);
  wpol_expr *e = new_expr (p, E_NOT);
  next (p);
  if (enter (p) < 0)
    return NULL;
  e->a = parse_not (p);
  p->depth--;
  return e->a ? e : NULL;
}

static wpol_expr *
parse_chain (parser *p, const char *word, wpol_eop op)
{
  wpol_expr *first = op == E_OR ? parse_chain (p, "and", E_AND) : parse_not (p);
  if (first == NULL || !is_word (p, word))
    return first;
  wpol_expr *e = new_expr (p, op);
  e->line = first->line;
  e->col = first->col;
  size_t cap = 4;
  e->items = wpol_alloc (&p->f->arena, cap * sizeof *e->items);
  e->items[e->n++] = first;
  while (is_word (p, word))
    {
      next (p);
      wpol_expr *x = op == E_OR ? parse_chain (p, "and", E_AND) : parse_not (p);
      if (x == NULL)
        return NULL;
      e->items = wpol_grow (&p->f->arena, e->items, e->n, &cap, 4, sizeof *e->items);
      e->items[e->n++] = x;
    }
  return e;
}

static wpol_expr *
parse_or (parser *p)
{
  if (enter (p) < 0)
    return NULL;
  wpol_expr *e = parse_chain (p, "or", E_OR);
  p->depth--;
  return e;
}

/* ---- rules ------------------------------------------------------------- */

static void
check_action (parser *p, const wpol_pat *pt)
{
  if (pt->literal)
    {
      if (wpol_action_known (pt->text))
        return;
      const char *sug = wpol_suggest (pt->text, wpol_known_actions);
      if (wpol_action_namespace_known (pt->text))
        {
          if (sug)
            wpol_lex_error (&p->lx, pt->line, pt->col, "unknown action `%s`; did you mean `%s`?",
                            pt->text, sug);
          else
            wpol_lex_error (&p->lx, pt->line, pt->col, "unknown action `%s`", pt->text);
        }
      else if (sug)
        wpol_lex_warn (&p->lx, pt->line, pt->col, "unknown action `%s`; did you mean `%s`?",
                       pt->text, sug);
      else
        wpol_lex_warn (&p->lx, pt->line, pt->col,
                       "unknown action `%s` (ward checks process.*, lua.require, sandbox.spawn, "
                       "io.*, env.read, fs.* and net.*)",
                       pt->text);
      return;
    }
  for (size_t i = 0; wpol_known_actions[i]; i++)
    if (wpol_glob_match (pt->glob, wpol_known_actions[i]))
      return;
  wpol_lex_warn (&p->lx, pt->line, pt->col,
                 "action pattern `%s` matches no known action, so this rule never matches",
                 pt->text);
}

static int
parse_pats (parser *p, wpol_pat **out, size_t *n, int actions)
{
  size_t cap = 0;
  for (;;)
    {
      if (actions ? (p->tok.type != T_IDENT && p->tok.type != T_STRING)
                  : p->tok.type != T_STRING)
        return expected (p, actions ? "an action (e.g. process.spawn)"
                                    : "a resource in quotes (e.g. \"app.workers:*\")", NULL);
      if (actions && is_word (p, "on"))
        return expected (p, "an action (e.g. process.spawn)", NULL);
      if (p->tok.type == T_IDENT && p->tok.text[0] >= '0' && p->tok.text[0] <= '9')
        return expected (p, "an action (e.g. process.spawn)", NULL);
      if (p->tok.text[0] == '\0')
        return error_here (p, "empty %s pattern", actions ? "action" : "resource");
      *out = wpol_grow (&p->f->arena, *out, *n, &cap, 4, sizeof **out);
      wpol_pat *pt = &(*out)[(*n)++];
      pt->text = p->tok.text;
      pt->line = p->tok.line;
      pt->col = p->tok.col;
      pt->literal = !wpol_is_glob (pt->text);
      pt->glob = wpol_glob_compile (&p->f->arena, pt->text);
      if (actions)
        check_action (p, pt);
      next (p);
      if (p->tok.type != T_COMMA)
        return 0;
      next (p);
    }
}

static wpol_rule *
parse_rule (parser *p, wpol_decl *pol)
{
  if (!is_word (p, "allow") && !is_word (p, "deny"))
    {
      expected (p, "`allow` or `deny`", effect_words);
      return NULL;
    }
  wpol_rule *r = wpol_alloc (&p->f->arena, sizeof *r);
  r->deny = is_word (p, "deny");
  r->line = p->tok.line;
  r->col = p->tok.col;
  r->policy = pol;
  next (p);
  /* `deny quietly`: denies without a record of its own (counted). No
   * action is named `quietly` (actions are dotted), so the word is free. */
  if (is_word (p, "quietly"))
    {
      if (!r->deny)
        {
          error_here (p, "only a deny can be quiet (`deny quietly`): an allow is not "
                      "recorded, so there is nothing to keep quiet");
          return NULL;
        }
      r->quiet = 1;
      next (p);
    }
  if (parse_pats (p, &r->actions, &r->nactions, 1) < 0)
    return NULL;
  static const char *const on_words[] = { "on", NULL };
  if (!is_word (p, "on"))
    {
      expected (p, "`,` or `on` after the actions", on_words);
      return NULL;
    }
  next (p);
  if (parse_pats (p, &r->resources, &r->nresources, 0) < 0)
    return NULL;
  if (is_word (p, "when"))
    {
      next (p);
      p->mask = 0;
      p->depth = 0;
      r->cond = parse_or (p);
      if (r->cond == NULL)
        return NULL;
      r->mask = p->mask;
    }
  if (p->tok.type != T_SEMI)
    {
      static const char *const when_words[] = { "when", NULL };
      expected (p, r->cond ? "`;` after the condition" : "`,`, `when` or `;` after the resources",
                r->cond ? NULL : when_words);
      return NULL;
    }
  r->end_line = p->tok.line;
  next (p);
  return r;
}

/* ---- declarations ------------------------------------------------------ */

static wpol_value *
parse_value (parser *p, int in_list)
{
  wpol_value *v = wpol_alloc (&p->f->arena, sizeof *v);
  v->line = p->tok.line;
  v->col = p->tok.col;
  switch (p->tok.type)
    {
    case T_STRING:
      v->type = WV_STR;
      v->s = p->tok.text;
      break;
    case T_NUMBER:
      v->type = WV_INT;
      v->i = p->tok.num;
      break;
    case T_IDENT:
      if (is_word (p, "true") || is_word (p, "false"))
        {
          v->type = WV_BOOL;
          v->i = is_word (p, "true");
        }
      else
        {
          v->type = WV_WORD;
          v->s = p->tok.text;
        }
      break;
    case T_LBRACK:
      {
        if (in_list)
          {
            error_here (p, "lists cannot be nested");
            return NULL;
          }
        v->type = WV_LIST;
        size_t cap = 0;
        next (p);
        while (p->tok.type != T_RBRACK)
          {
            wpol_value *it = parse_value (p, 1);
            if (it == NULL)
              return NULL;
            v->items = wpol_grow (&p->f->arena, v->items, v->n, &cap, 4, sizeof *v->items);
            v->items[v->n++] = it;
            if (list_sep (p) < 0)
              return NULL;
          }
        break;
      }
    default:
      expected (p, "a value (string, number, true/false, name or [list])", NULL);
      return NULL;
    }
  next (p);
  return v;
}

static wpol_field *
parse_field (parser *p)
{
  if (p->tok.type != T_IDENT || (p->tok.text[0] >= '0' && p->tok.text[0] <= '9'))
    {
      expected (p, "a field name", NULL);
      return NULL;
    }
  wpol_field *fl = wpol_alloc (&p->f->arena, sizeof *fl);
  fl->name = p->tok.text;
  fl->line = p->tok.line;
  fl->col = p->tok.col;
  next (p);
  if (want (p, T_ASSIGN, "`=` after the field name") < 0)
    return NULL;
  next (p);
  fl->val = parse_value (p, 0);
  if (fl->val == NULL)
    return NULL;
  if (want (p, T_SEMI, "`;` after the value") < 0)
    return NULL;
  fl->end_line = p->tok.line;
  next (p);
  return fl;
}

static wpol_decl *
parse_decl (parser *p)
{
  wpol_decl *dc = wpol_alloc (&p->f->arena, sizeof *dc);
  const char *kw = p->tok.text;
  dc->kind = strcmp (kw, "policy") == 0 ? D_POLICY : strcmp (kw, "actor") == 0 ? D_ACTOR
             : strcmp (kw, "host") == 0 ? D_HOST : D_SANDBOX;
  dc->line = p->tok.line;
  dc->col = p->tok.col;
  next (p);
  if (want (p, T_STRING,
            dc->kind == D_ACTOR ? "an actor pattern in quotes" : "a name in quotes") < 0)
    return NULL;
  if (p->tok.text[0] == '\0')
    {
      error_here (p, "the name must not be empty");
      return NULL;
    }
  dc->name = p->tok.text;
  dc->name_line = p->tok.line;
  dc->name_col = p->tok.col;
  next (p);
  if (want (p, T_LBRACE, "`{`") < 0)
    return NULL;
  unsigned bl = p->tok.line, bc = p->tok.col;
  next (p);
  size_t cap = 0;
  while (p->tok.type != T_RBRACE && p->tok.type != T_EOF)
    {
      void *m = dc->kind == D_POLICY ? (void *) parse_rule (p, dc) : (void *) parse_field (p);
      if (m == NULL)
        {
          sync_member (p);
          continue;
        }
      size_t *n = dc->kind == D_POLICY ? &dc->nrules : &dc->nfields;
      void ***arr = dc->kind == D_POLICY ? (void ***) &dc->rules : (void ***) &dc->fields;
      *arr = wpol_grow (&p->f->arena, *arr, *n, &cap, 8, sizeof (void *));
      (*arr)[(*n)++] = m;
    }
  if (p->tok.type == T_EOF)
    {
      if (!p->lx.stop)
        wpol_lex_error (&p->lx, p->tok.line, p->tok.col,
                        "unexpected end of file: the `{` at %u:%u is never closed", bl, bc);
      return NULL;
    }
  dc->end_line = p->tok.line;
  next (p);
  if (p->tok.type == T_SEMI)
    next (p);                     /* tolerate `};` */
  return dc;
}

static int
is_top_word (const parser *p)
{
  for (size_t i = 0; top_words[i]; i++)
    if (is_word (p, top_words[i]))
      return 1;
  return 0;
}

wpol_file *
wpol_parse (const char *name, const char *text, size_t len, wpol_diags *d)
{
  wpol_file *volatile f = calloc (1, sizeof *f);  /* survives longjmp */
  parser *p = calloc (1, sizeof *p);
  if (f == NULL || p == NULL)
    {
      free (f);
      free (p);
      return NULL;
    }
  f->name = name ? name : "-";
  if (setjmp (p->oom))
    {
      wpol_diag_add (d, WPOL_ERROR, f->name, 0, 0, "out of memory while parsing");
      f->nerrors++;
      wpol_buf_free (&p->lx.comments);
      f->arena.oom = NULL;
      free (p);
      return f;
    }
  f->arena.oom = &p->oom;
  f->name = wpol_strndup (&f->arena, f->name, strlen (f->name));
  p->f = f;
  p->d = d;
  if (len > WPOL_MAX_FILE)
    {
      wpol_diag_add (d, WPOL_ERROR, f->name, 0, 0, "file too large (%zu bytes, at most %u)",
                     len, WPOL_MAX_FILE);
      f->nerrors++;
      f->arena.oom = NULL;
      free (p);
      return f;
    }
  wpol_lex_init (&p->lx, f, text, len, d);
  next (p);
  size_t cap = 0;
  while (p->tok.type != T_EOF)
    {
      if (!is_top_word (p))
        {
          expected (p, "`policy`, `actor`, `host` or `sandbox`", top_words);
          int depth = 0;
          do
            {
              if (p->tok.type == T_LBRACE)
                depth++;
              else if (p->tok.type == T_RBRACE && depth > 0)
                depth--;
              next (p);
            }
          while (p->tok.type != T_EOF && !(depth == 0 && is_top_word (p)));
          continue;
        }
      wpol_decl *dc = parse_decl (p);
      if (dc == NULL)
        {
          while (p->tok.type != T_EOF && !is_top_word (p))
            next (p);
          continue;
        }
      wpol_check_decl (f, dc, d);
      f->decls = wpol_grow (&f->arena, f->decls, f->ndecls, &cap, 8, sizeof *f->decls);
      f->decls[f->ndecls++] = dc;
    }
  f->ncomments = p->lx.comments.len / sizeof (wpol_comment);
  if (f->ncomments)
    {
      f->comments = wpol_alloc (&f->arena, p->lx.comments.len);
      memcpy (f->comments, p->lx.comments.s, p->lx.comments.len);
    }
  if (p->lx.comments.oom)
    {
      wpol_diag_add (d, WPOL_ERROR, f->name, 0, 0, "out of memory while parsing");
      f->nerrors++;
    }
  wpol_buf_free (&p->lx.comments);
  f->arena.oom = NULL;
  free (p);
  return f;
}

wpol_file *
wpol_parse_path (const char *path, wpol_diags *d)
{
  ward_err err;
  size_t len;
  char *text = wpol_read_file (path, &len, &err);
  if (text == NULL)
    {
      wpol_file *f = wpol_parse (path, "", 0, d);
      if (f)
        {
          wpol_diag_add (d, WPOL_ERROR, path, 0, 0, "%s", err.msg);
          f->nerrors++;
        }
      return f;
    }
  wpol_file *f = wpol_parse (path, text, len, d);
  free (text);
  return f;
}

void
wpol_file_free (wpol_file *f)
{
  if (f == NULL)
    return;
  wpol_arena_free (&f->arena);
  free (f);
}

const char *
wpol_path_name (wpol_path pa)
{
  switch (pa)
    {
    case P_ACTOR_ID: return "actor.id";
    case P_ACTOR_META_KEY: return "actor.meta.?";
    case P_ACTOR_META: return "actor.meta";
    case P_ACTOR_SCOPE: return "actor.scope";
    case P_ACTION: return "action";
    case P_RESOURCE: return "resource";
    case P_ATTR_PID: return "attr.pid";
    case P_ATTR_HOST: return "attr.host";
    case P_ATTR_PARENT: return "attr.parent";
    case P_ATTR_PATH: return "attr.path";
    case P_ATTR_ADDRESS: return "attr.address";
    case P_ATTR: return "attr";
    case P_TARGET_ACTOR: return "target.actor";
    case P_TARGET_HOST: return "target.host";
    case P_TARGET_PARENT: return "target.parent";
    case P_TARGET: return "target";
    case P_TARGET_NAMES: return "target.names";
    }
  return "?";
}
