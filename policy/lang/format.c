/* format.c -- the canonical form of policy files (`ward policy fmt`): one
 * member per line, two-space indents, one blank line between declarations,
 * comments kept in place, and fmt(fmt(x)) == fmt(x). */
#include "config.h"
#include "wpol.h"

#include <string.h>

static int
ident_ok (const char *s)
{
  static const char *const reserved[] = { "on", "when", "and", "or", "not", "in",
                                          "matches", "has", "true", "false", NULL };
  unsigned char c = (unsigned char) s[0];
  if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '*' || c == '?'))
    return 0;
  for (const char *p = s; *p; p++)
    {
      c = (unsigned char) *p;
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_' || c == '*' || c == '?' || c == '.' || c == ':' || c == '-'))
        return 0;
    }
  for (size_t i = 0; reserved[i]; i++)
    if (strcmp (s, reserved[i]) == 0)
      return 0;
  return 1;
}

static int
prec (const wpol_expr *e)
{
  switch (e->op)
    {
    case E_OR: return 1;
    case E_AND: return 2;
    case E_NOT: return 3;
    case E_CMP: return 4;
    default: return 5;
    }
}

static void fmt_expr (const wpol_expr *e, int min, wpol_buf *o);

static void
fmt_atom (const wpol_expr *e, wpol_buf *o)
{
  switch (e->op)
    {
    case E_STR:
      wpol_buf_quote (o, e->s);
      break;
    case E_INT:
      wpol_buf_printf (o, "%lld", (long long) e->i);
      break;
    case E_BOOL:
      wpol_buf_puts (o, e->i ? "true" : "false");
      break;
    case E_LIST:
      wpol_buf_puts (o, "[");
      for (size_t i = 0; i < e->n; i++)
        {
          if (i)
            wpol_buf_puts (o, ", ");
          fmt_atom (e->items[i], o);
        }
      wpol_buf_puts (o, "]");
      break;
    case E_PATH:
      if (e->path == P_ACTOR_META_KEY)
        {
          wpol_buf_puts (o, "actor.meta.");
          wpol_buf_puts (o, e->s);
        }
      else
        wpol_buf_puts (o, wpol_path_name (e->path));
      break;
    default:
      fmt_expr (e, 5, o);
    }
}

static void
fmt_expr (const wpol_expr *e, int min, wpol_buf *o)
{
  static const char *const cmps[] = { "==", "!=", "<", "<=", ">", ">=", "in", "matches", "has" };
  int p = prec (e);
  if (p < min)
    {
      wpol_buf_puts (o, "(");
      fmt_expr (e, 0, o);
      wpol_buf_puts (o, ")");
      return;
    }
  switch (e->op)
    {
    case E_OR:
    case E_AND:
      for (size_t i = 0; i < e->n; i++)
        {
          if (i)
            wpol_buf_puts (o, e->op == E_OR ? " or " : " and ");
          fmt_expr (e->items[i], p + 1, o);
        }
      break;
    case E_NOT:
      wpol_buf_puts (o, "not ");
      fmt_expr (e->a, 3, o);
      break;
    case E_CMP:
      fmt_expr (e->a, 5, o);
      wpol_buf_printf (o, " %s ", cmps[e->cmp]);
      fmt_expr (e->b, 5, o);
      break;
    default:
      fmt_atom (e, o);
    }
}

void
wpol_format_expr (const wpol_expr *e, wpol_buf *out)
{
  fmt_expr (e, 0, out);
}

static void
fmt_pats (const wpol_pat *pt, size_t n, int actions, wpol_buf *o)
{
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        wpol_buf_puts (o, ", ");
      if (actions && ident_ok (pt[i].text))
        wpol_buf_puts (o, pt[i].text);
      else
        wpol_buf_quote (o, pt[i].text);
    }
}

void
wpol_format_rule (const wpol_rule *r, wpol_buf *o)
{
  wpol_buf_puts (o, r->deny ? (r->quiet ? "deny quietly " : "deny ") : "allow ");
  fmt_pats (r->actions, r->nactions, 1, o);
  wpol_buf_puts (o, " on ");
  fmt_pats (r->resources, r->nresources, 0, o);
  if (r->cond)
    {
      wpol_buf_puts (o, " when ");
      fmt_expr (r->cond, 0, o);
    }
  wpol_buf_puts (o, ";");
}

void
wpol_format_value (const wpol_value *v, wpol_buf *o)
{
  switch (v->type)
    {
    case WV_STR:
      wpol_buf_quote (o, v->s);
      break;
    case WV_INT:
      wpol_buf_printf (o, "%lld", (long long) v->i);
      break;
    case WV_BOOL:
      wpol_buf_puts (o, v->i ? "true" : "false");
      break;
    case WV_WORD:
      wpol_buf_puts (o, v->s);
      break;
    case WV_LIST:
      wpol_buf_puts (o, "[");
      for (size_t i = 0; i < v->n; i++)
        {
          if (i)
            wpol_buf_puts (o, ", ");
          wpol_format_value (v->items[i], o);
        }
      wpol_buf_puts (o, "]");
      break;
    }
}

static const char *
kw (wpol_dkind k)
{
  return k == D_POLICY ? "policy" : k == D_ACTOR ? "actor" : k == D_HOST ? "host" : "sandbox";
}

static void
fmt_member (const wpol_decl *dc, size_t i, wpol_buf *o)
{
  if (dc->kind == D_POLICY)
    wpol_format_rule (dc->rules[i], o);
  else
    {
      wpol_buf_printf (o, "%s = ", dc->fields[i]->name);
      wpol_format_value (dc->fields[i]->val, o);
      wpol_buf_puts (o, ";");
    }
}

void
wpol_format_decl (const wpol_decl *dc, wpol_buf *o)
{
  wpol_buf_printf (o, "%s ", kw (dc->kind));
  wpol_buf_quote (o, dc->name);
  wpol_buf_puts (o, " {\n");
  size_t n = dc->kind == D_POLICY ? dc->nrules : dc->nfields;
  for (size_t i = 0; i < n; i++)
    {
      wpol_buf_puts (o, "  ");
      fmt_member (dc, i, o);
      wpol_buf_puts (o, "\n");
    }
  wpol_buf_puts (o, "}\n");
}

/* ---- whole files, with comments --------------------------------------- */

typedef struct fst {
  const wpol_file *f;
  wpol_buf *o;
  size_t ci;                      /* next comment to place */
  unsigned last;                  /* last source line placed (0: none yet) */
  int fresh;                      /* at the start of a block or of the file */
  int force_blank;                /* a new top-level declaration starts */
} fst;

static void
gap (fst *s, unsigned line)
{
  if (s->force_blank || (!s->fresh && s->last && line > s->last + 1))
    wpol_buf_puts (s->o, "\n");
  s->force_blank = 0;
  s->fresh = 0;
}

static void
comments_before (fst *s, unsigned line, const char *indent)
{
  while (s->ci < s->f->ncomments && s->f->comments[s->ci].line < line)
    {
      const wpol_comment *c = &s->f->comments[s->ci++];
      gap (s, c->line);
      wpol_buf_printf (s->o, "%s#%s\n", indent, c->text);
      s->last = c->line;
    }
}

/* After a member printed on one line: its comments go at the end of the
 * line (the first one) and on their own lines below (any others). */
static void
comments_within (fst *s, unsigned end, const char *indent)
{
  int first = 1;
  while (s->ci < s->f->ncomments && s->f->comments[s->ci].line <= end)
    {
      const wpol_comment *c = &s->f->comments[s->ci++];
      if (first)
        wpol_buf_printf (s->o, "  #%s\n", c->text);
      else
        wpol_buf_printf (s->o, "%s#%s\n", indent, c->text);
      first = 0;
    }
  if (first)
    wpol_buf_puts (s->o, "\n");
  s->last = end;
}

void
wpol_format (const wpol_file *f, wpol_buf *o)
{
  fst s = { f, o, 0, 0, 1, 0 };
  for (size_t k = 0; k < f->ndecls; k++)
    {
      const wpol_decl *dc = f->decls[k];
      if (k > 0)
        s.force_blank = 1;
      comments_before (&s, dc->line, "");
      gap (&s, dc->line);
      wpol_buf_printf (o, "%s ", kw (dc->kind));
      wpol_buf_quote (o, dc->name);
      wpol_buf_puts (o, " {");
      /* comments on the header line stay there, unless a member shares
       * the line: then they belong to the member */
      size_t n = dc->kind == D_POLICY ? dc->nrules : dc->nfields;
      unsigned first = n == 0 ? dc->end_line
                       : dc->kind == D_POLICY ? dc->rules[0]->line : dc->fields[0]->line;
      if (first > dc->name_line)
        comments_within (&s, dc->name_line, "  ");
      else
        wpol_buf_puts (o, "\n");
      s.fresh = 1;
      for (size_t i = 0; i < n; i++)
        {
          unsigned line = dc->kind == D_POLICY ? dc->rules[i]->line : dc->fields[i]->line;
          unsigned end = dc->kind == D_POLICY ? dc->rules[i]->end_line : dc->fields[i]->end_line;
          comments_before (&s, line, "  ");
          gap (&s, line);
          wpol_buf_puts (o, "  ");
          fmt_member (dc, i, o);
          comments_within (&s, end, "  ");
        }
      comments_before (&s, dc->end_line, "  ");
      s.fresh = 0;
      wpol_buf_puts (o, "}");
      comments_within (&s, dc->end_line, "");
    }
  if (f->ndecls > 0 && s.ci < f->ncomments)
    s.force_blank = 1;
  comments_before (&s, (unsigned) -1, "");
}
