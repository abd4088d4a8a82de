/* check.c -- the checker: validates actor, host and sandbox fields against
 * their schemas, warns about rules that never match or are shadowed, and
 * checks names and references across the files loaded together; and the
 * analysis across rules, which does not depend on their order. */
#include "config.h"
#include "wpol.h"
#include "wunit.h"
#include "wgrow.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void __attribute__ ((format (printf, 5, 6)))
err_at (wpol_file *f, wpol_diags *d, unsigned line, unsigned col, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  wpol_diag_vadd (d, WPOL_ERROR, f->name, line, col, fmt, ap);
  va_end (ap);
  f->nerrors++;
}

static const char *
vtype_name (wpol_vtype t)
{
  switch (t)
    {
    case WV_STR: return "a string";
    case WV_INT: return "a number";
    case WV_BOOL: return "a boolean";
    case WV_WORD: return "a bare name";
    case WV_LIST: return "a list";
    }
  return "?";
}

/* ---- schemas ----------------------------------------------------------- */

/* How a field's value is read, and what it is stored as at its offset. */
typedef enum ftype {
  F_INT,                          /* a number in [min, max]: int or int64_t (by size) */
  F_STR,                          /* a string: char[size] */
  F_SIZE,                         /* "64M" or bytes: uint64_t */
  F_DURATION,                     /* "2s" or milliseconds: uint64_t */
  F_NSLIST,                       /* namespace names: unsigned, WARD_NS_* bits */
  F_CAPLIST,                      /* capability names: uint64_t, bit n = number n */
  F_STRLIST,                      /* "NAME=value" strings: char[size], NUL-separated */
  F_STDIO                         /* "null" or "inherit": enum ward_stdio */
} ftype;

enum { IN_HOST = 1u << D_HOST, IN_SANDBOX = 1u << D_SANDBOX };
enum { EMPTY_OK = 1 };            /* F_STR: "" is a value */

typedef struct fschema {
  const char *name;
  ftype type;
  unsigned kinds;                 /* IN_*: the declarations that have it */
  size_t off, size;               /* where it is stored in a wpol_decl */
  int64_t min, max;               /* F_INT */
  unsigned flags;
} fschema;

#define HOST(m) offsetof (wpol_decl, host.m), sizeof ((wpol_decl *) 0)->host.m
#define SB(m) offsetof (wpol_decl, sandbox.m), sizeof ((wpol_decl *) 0)->sandbox.m

/* Each kind's fields in the order "did you mean" considers them. */
static const fschema fields[] = {
  { "threads", F_INT, IN_HOST, HOST (threads), 0, 1024 },
  { "sandbox", F_STR, IN_HOST, HOST (sandbox) },
  { "namespaces", F_NSLIST, IN_SANDBOX, SB (limits.namespaces) },
  { "seccomp", F_STR, IN_SANDBOX, SB (seccomp) },
  { "capabilities", F_CAPLIST, IN_SANDBOX, SB (limits.capabilities) },
  { "memory", F_SIZE, IN_SANDBOX, SB (limits.memory) },
  { "cpu", F_DURATION, IN_SANDBOX, SB (limits.cpu_ms) },
  { "wall", F_DURATION, IN_SANDBOX, SB (wall_ms) },
  { "nofile", F_INT, IN_SANDBOX, SB (limits.nofile), 0, 1048576 },
  { "children", F_INT, IN_SANDBOX, SB (limits.children), 0, 1000000 },
  { "mailbox", F_INT, IN_SANDBOX, SB (mailbox), 1, 100000000 },
  { "live_children", F_INT, IN_SANDBOX, SB (live_children), 0, 1000000 },
  { "processes", F_INT, IN_SANDBOX, SB (processes), 1, 1000000 },
  { "fds_in_flight", F_INT, IN_SANDBOX, SB (fds_in_flight), 0, 1000000 },
  { "init", F_STR, IN_SANDBOX, SB (init) },
  { "hostname", F_STR, IN_SANDBOX, SB (hostname), 0, 0, EMPTY_OK },
  { "environment", F_STRLIST, IN_SANDBOX, SB (environment) },
  { "stdin", F_STDIO, IN_SANDBOX, SB (stdio[0]) },
  { "stdout", F_STDIO, IN_SANDBOX, SB (stdio[1]) },
  { "stderr", F_STDIO, IN_SANDBOX, SB (stdio[2]) },
  { NULL }
};

#undef HOST
#undef SB

static const char *const ns_names[] = { "user", "pid", "net", "mount", "ipc", "uts", "cgroup", NULL };
/* bit n of a profile's namespaces is ns_names[n] (wprofile.h) */
_Static_assert (WARD_NS_ALL == (1u << (sizeof ns_names / sizeof *ns_names - 1)) - 1,
                "ns_names names each WARD_NS_* bit");

static const char *const cap_names[] = {
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
  "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
  "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
  "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
  "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
  "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
  "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
  "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore", NULL
};

static int
cap_number (const char *s)
{
  if (strncasecmp (s, "cap_", 4) == 0)
    s += 4;
  for (int i = 0; cap_names[i]; i++)
    if (strcasecmp (s, cap_names[i]) == 0)
      return i;
  return -1;
}

/* The field called name that declarations of kind have, or NULL. */
static const fschema *
schema_find (const char *name, wpol_dkind kind)
{
  for (const fschema *sc = fields; sc->name; sc++)
    if ((sc->kinds & (1u << kind)) && strcmp (sc->name, name) == 0)
      return sc;
  return NULL;
}

static const char *
schema_suggest (const char *name, wpol_dkind kind)
{
  const char *words[32];
  size_t n = 0;
  for (const fschema *sc = fields; sc->name && n < 31; sc++)
    if (sc->kinds & (1u << kind))
      words[n++] = sc->name;
  words[n] = NULL;
  return wpol_suggest (name, words);
}

static void
copy_name (char *dst, size_t size, const char *s)
{
  size_t n = strnlen (s, size - 1);   /* lengths are checked before */
  memcpy (dst, s, n);
  dst[n] = '\0';
}

/* One field being checked: where its value is reported and stored. */
typedef struct fcheck {
  wpol_file *f;
  wpol_diags *d;
  const fschema *sc;
  const char *what;               /* the field's name */
  void *dst;                      /* its place in the declaration */
} fcheck;

static int
check_int (const fcheck *c, const wpol_value *v)
{
  const fschema *sc = c->sc;
  if (v->type != WV_INT)
    {
      err_at (c->f, c->d, v->line, v->col, "`%s` must be a number, not %s", c->what, vtype_name (v->type));
      return -1;
    }
  if (v->i < sc->min || v->i > sc->max)
    {
      err_at (c->f, c->d, v->line, v->col, "`%s` must be between %lld and %lld, not %lld", c->what,
              (long long) sc->min, (long long) sc->max, (long long) v->i);
      return -1;
    }
  if (sc->size == sizeof (int))
    *(int *) c->dst = (int) v->i;
  else
    *(int64_t *) c->dst = v->i;
  return 0;
}

static int
check_str (const fcheck *c, const wpol_value *v)
{
  if (v->type != WV_STR)
    {
      err_at (c->f, c->d, v->line, v->col, "`%s` must be a string in quotes, not %s", c->what,
              vtype_name (v->type));
      return -1;
    }
  if (v->s[0] == '\0' && !(c->sc->flags & EMPTY_OK))
    {
      err_at (c->f, c->d, v->line, v->col, "`%s` must not be empty", c->what);
      return -1;
    }
  if (strlen (v->s) >= c->sc->size)
    {
      err_at (c->f, c->d, v->line, v->col, "`%s` is too long", c->what);
      return -1;
    }
  copy_name (c->dst, c->sc->size, v->s);
  return 0;
}

/* F_SIZE and F_DURATION: a string or a number, read by common/wunit.h
 * as the command line and Lua read them. */
static int
check_amount (const fcheck *c, const wpol_value *v)
{
  int size = c->sc->type == F_SIZE;
  char text[32];
  const char *s = v->s;
  if (v->type == WV_INT)
    {
      snprintf (text, sizeof text, "%lld", (long long) v->i);
      s = text;
    }
  else if (v->type != WV_STR && v->type != WV_WORD)
    {
      err_at (c->f, c->d, v->line, v->col, "`%s` must be a %s, not %s; %s", c->what,
              size ? "size" : "duration", vtype_name (v->type),
              size ? ward_size_hint : ward_duration_hint);
      return -1;
    }
  ward_err perr;
  uint64_t x;
  if ((size ? ward_parse_size (s, &x, &perr) : ward_parse_duration (s, &x, &perr)) < 0)
    {
      err_at (c->f, c->d, v->line, v->col, "`%s`: %s", c->what, perr.msg);
      return -1;
    }
  *(uint64_t *) c->dst = x;
  return 0;
}

static int
ns_item (const fcheck *c, const wpol_value *it)
{
  unsigned *namespaces = c->dst;
  int k;
  for (k = 0; ns_names[k] && strcmp (ns_names[k], it->s) != 0; k++)
    ;
  if (ns_names[k] == NULL)
    {
      const char *sug = wpol_suggest (it->s, ns_names);
      err_at (c->f, c->d, it->line, it->col, "unknown namespace `%s`%s%s%s (known: user, pid, net, mount, ipc, uts, cgroup)",
              it->s, sug ? "; did you mean `" : "", sug ? sug : "", sug ? "`?" : "");
      return -1;
    }
  if (*namespaces & (1u << k))
    {
      err_at (c->f, c->d, it->line, it->col, "namespace `%s` is listed twice", it->s);
      return -1;
    }
  *namespaces |= 1u << k;
  return 0;
}

static int
cap_item (const fcheck *c, const wpol_value *it)
{
  int k = cap_number (it->s);
  if (k < 0)
    {
      const char *sug = wpol_suggest (it->s, cap_names);
      err_at (c->f, c->d, it->line, it->col, "unknown capability `%s`%s%s%s", it->s,
              sug ? "; did you mean `" : "", sug ? sug : "", sug ? "`?" : "");
      return -1;
    }
  *(uint64_t *) c->dst |= (uint64_t) 1 << k;
  return 0;
}

static int
env_item (const fcheck *c, const wpol_value *it)
{
  char *env = c->dst;
  if (strchr (it->s, '=') == NULL || it->s[0] == '=')
    {
      err_at (c->f, c->d, it->line, it->col, "items of `%s` must look like \"NAME=value\"", c->what);
      return -1;
    }
  size_t used = 0;
  while (env[used])
    used += strlen (env + used) + 1;
  size_t len = strlen (it->s);
  if (used + len + 2 > c->sc->size)
    {
      err_at (c->f, c->d, it->line, it->col, "`%s` holds more than %zu bytes", c->what,
              c->sc->size - 1);
      return -1;
    }
  memcpy (env + used, it->s, len + 1);
  env[used + len + 1] = '\0';
  return 0;
}

/* F_NSLIST, F_CAPLIST and F_STRLIST: a list, each item checked and stored
 * by the list's kind. */
static int
check_list (const fcheck *c, const wpol_value *v)
{
  ftype type = c->sc->type;
  if (v->type != WV_LIST)
    {
      err_at (c->f, c->d, v->line, v->col, "`%s` must be a list [...], not %s", c->what, vtype_name (v->type));
      return -1;
    }
  int (*item) (const fcheck *, const wpol_value *)
    = type == F_NSLIST ? ns_item : type == F_CAPLIST ? cap_item : env_item;
  for (size_t i = 0; i < v->n; i++)
    {
      const wpol_value *it = v->items[i];
      if (it->type != WV_STR && (it->type != WV_WORD || type == F_STRLIST))
        {
          err_at (c->f, c->d, it->line, it->col, "items of `%s` must be %s, not %s", c->what,
                  type == F_STRLIST ? "strings" : "names", vtype_name (it->type));
          return -1;
        }
      if (item (c, it) < 0)
        return -1;
    }
  return 0;
}

static int
check_stdio (const fcheck *c, const wpol_value *v)
{
  if ((v->type != WV_STR && v->type != WV_WORD)
      || (strcmp (v->s, "null") != 0 && strcmp (v->s, "inherit") != 0))
    {
      err_at (c->f, c->d, v->line, v->col, "`%s` must be \"null\" or \"inherit\"", c->what);
      return -1;
    }
  *(enum ward_stdio *) c->dst = strcmp (v->s, "inherit") == 0 ? WARD_STDIO_INHERIT : WARD_STDIO_NULL;
  return 0;
}

static int (*const field_checks[]) (const fcheck *, const wpol_value *) = {
  [F_INT] = check_int, [F_STR] = check_str, [F_SIZE] = check_amount,
  [F_DURATION] = check_amount, [F_NSLIST] = check_list, [F_CAPLIST] = check_list,
  [F_STRLIST] = check_list, [F_STDIO] = check_stdio
};

/* Validate one sandbox or host field and store it in dc; 0 or -1. */
static int
check_field (wpol_file *f, wpol_diags *d, wpol_decl *dc, const wpol_field *fl,
             const fschema *sc)
{
  fcheck c = { f, d, sc, fl->name, (char *) dc + sc->off };
  return field_checks[sc->type] (&c, fl->val);
}

static int
check_dup_field (wpol_file *f, wpol_diags *d, wpol_decl *dc, size_t i)
{
  for (size_t j = 0; j < i; j++)
    if (strcmp (dc->fields[j]->name, dc->fields[i]->name) == 0)
      {
        err_at (f, d, dc->fields[i]->line, dc->fields[i]->col, "field `%s` is already set at line %u",
                dc->fields[i]->name, dc->fields[j]->line);
        return -1;
      }
  return 0;
}

static void
check_schema_decl (wpol_file *f, wpol_decl *dc, wpol_diags *d, const char *kind)
{
  for (size_t i = 0; i < dc->nfields; i++)
    {
      wpol_field *fl = dc->fields[i];
      if (check_dup_field (f, d, dc, i) < 0)
        continue;
      const fschema *sc = schema_find (fl->name, dc->kind);
      if (sc == NULL)
        {
          const char *sug = schema_suggest (fl->name, dc->kind);
          if (sug)
            err_at (f, d, fl->line, fl->col, "unknown field `%s` in %s \"%s\"; did you mean `%s`?",
                    fl->name, kind, dc->name, sug);
          else
            err_at (f, d, fl->line, fl->col, "unknown field `%s` in %s \"%s\"", fl->name, kind,
                    dc->name);
          continue;
        }
      check_field (f, d, dc, fl, sc);
    }
}

static void
check_actor (wpol_file *f, wpol_decl *dc, wpol_diags *d)
{
  dc->glob = wpol_glob_compile (&f->arena, dc->name);
  dc->meta = wpol_alloc (&f->arena, (dc->nfields + 1) * sizeof *dc->meta);
  for (size_t i = 0; i < dc->nfields; i++)
    {
      wpol_field *fl = dc->fields[i];
      const wpol_value *v = fl->val;
      if (check_dup_field (f, d, dc, i) < 0)
        continue;
      if (strcmp (fl->name, "scope") == 0)
        {
          if (v->type != WV_LIST)
            {
              err_at (f, d, v->line, v->col, "`scope` must be a list of policy names, e.g. [\"untrusted\"]");
              continue;
            }
          dc->scope = wpol_alloc (&f->arena, (v->n + 1) * sizeof *dc->scope);
          for (size_t k = 0; k < v->n; k++)
            {
              if (v->items[k]->type != WV_STR || v->items[k]->s[0] == '\0')
                {
                  err_at (f, d, v->items[k]->line, v->items[k]->col,
                          "items of `scope` must be policy names in quotes");
                  continue;
                }
              dc->scope[dc->nscope++] = v->items[k]->s;
            }
          continue;
        }
      if (strcmp (fl->name, "id") == 0)
        {
          err_at (f, d, fl->line, fl->col, "`id` is not metadata: the actor's id is the pattern in quotes");
          continue;
        }
      if (v->type == WV_LIST || v->type == WV_WORD)
        {
          err_at (f, d, v->line, v->col, "metadata `%s` must be a string, number or boolean%s",
                  fl->name, v->type == WV_WORD ? " (put names in quotes)" : "");
          continue;
        }
      if (strchr (fl->name, '.') || strchr (fl->name, '*') || strchr (fl->name, '?')
          || strchr (fl->name, ':'))
        {
          err_at (f, d, fl->line, fl->col, "bad metadata key `%s` (letters, digits, `_` and `-`)", fl->name);
          continue;
        }
      dc->meta[dc->nmeta++] = fl;
    }
}

/* ---- rule warnings (one rule at a time) --------------------------------- */

/* The value of a condition that does not depend on the request: 1 (always
 * true, never errors), 0 (always false, never errors), -1 (depends on the
 * request, or may error). Evaluated as eval.c does: `and`/`or` left to
 * right, stopping at the first item that decides. */
static int
const_scalar (const wpol_expr *e)
{
  return e->op == E_STR || e->op == E_INT || e->op == E_BOOL;
}

static int
scalar_same (const wpol_expr *a, const wpol_expr *b)
{
  if (a->op != b->op)
    return 0;
  return a->op == E_STR ? strcmp (a->s, b->s) == 0 : a->i == b->i;
}

static int
const_list_has (const wpol_expr *l, const wpol_expr *x)
{
  for (size_t i = 0; i < l->n; i++)
    if (!const_scalar (l->items[i]))
      return -1;
  for (size_t i = 0; i < l->n; i++)
    if (scalar_same (l->items[i], x))
      return 1;
  return 0;
}

static int
const_value (const wpol_expr *e)
{
  switch (e->op)
    {
    case E_BOOL:
      return e->i != 0;
    case E_NOT:
      {
        int v = const_value (e->a);
        return v < 0 ? -1 : !v;
      }
    case E_AND:
    case E_OR:
      for (size_t i = 0; i < e->n; i++)
        {
          int v = const_value (e->items[i]);
          if (v < 0)
            return -1;            /* it may error before a later item decides */
          if (v == (e->op == E_OR))
            return v;
        }
      return e->op == E_AND;
    case E_CMP:
      {
        const wpol_expr *a = e->a, *b = e->b;
        switch (e->cmp)
          {
          case C_EQ:
          case C_NE:
            if (!const_scalar (a) || !const_scalar (b))
              return -1;
            return scalar_same (a, b) == (e->cmp == C_EQ);
          case C_LT: case C_LE: case C_GT: case C_GE:
            {
              int r;
              if (a->op == E_INT && b->op == E_INT)
                r = a->i < b->i ? -1 : a->i > b->i;
              else if (a->op == E_STR && b->op == E_STR)
                r = strcmp (a->s, b->s);
              else
                return -1;        /* errors (the parser warns) or depends */
              return e->cmp == C_LT ? r < 0 : e->cmp == C_LE ? r <= 0
                     : e->cmp == C_GT ? r > 0 : r >= 0;
            }
          case C_IN:
            return const_scalar (a) && b->op == E_LIST ? const_list_has (b, a) : -1;
          case C_HAS:
            return a->op == E_LIST && const_scalar (b) ? const_list_has (a, b) : -1;
          case C_MATCHES:
            return a->op == E_STR && e->glob ? wpol_glob_match (e->glob, a->s) : -1;
          }
        return -1;
      }
    default:
      return -1;
    }
}

/* Warn about each largest part of r's condition that is constant (a
 * literal `true`/`false` standing alone as the whole condition is said
 * once, as such). */
static void
warn_const (wpol_file *f, wpol_diags *d, const wpol_rule *r, const wpol_expr *e, int whole)
{
  int v = const_value (e);
  if (v >= 0)
    {
      const char *kind = r->deny ? "deny" : "allow";
      if (whole && e->op == E_BOOL)
        {
          if (v == 0)
            wpol_diag_add (d, WPOL_WARNING, f->name, r->line, r->col,
                           "this rule's condition is `false`: it never matches");
          return;                 /* `when true` says what it means */
        }
      wpol_buf b = { 0 };
      wpol_format_expr (e, &b);
      const char *text = !b.oom && b.s ? b.s : "?";
      if (whole)
        wpol_diag_add (d, WPOL_WARNING, f->name, e->line, e->col,
                       v ? "this condition is always true (`%s`): the %s matches as if it had no `when`"
                         : "this condition is always false (`%s`): the %s never matches",
                       text, kind);
      else
        wpol_diag_add (d, WPOL_WARNING, f->name, e->line, e->col,
                       "`%s` is always %s, whatever the request", text, v ? "true" : "false");
      wpol_buf_free (&b);
      return;
    }
  switch (e->op)
    {
    case E_AND:
    case E_OR:
      for (size_t i = 0; i < e->n; i++)
        warn_const (f, d, r, e->items[i], 0);
      break;
    case E_NOT:
      warn_const (f, d, r, e->a, 0);
      break;
    default:
      break;
    }
}

/* Whether a pattern of actions names only PID-targeted actions (and at
 * least one). */
static int
pat_pid_only (const wpol_pat *p)
{
  if (p->literal)
    return wpol_action_on_pid (p->text);
  int any = 0;
  for (size_t i = 0; wpol_known_actions[i]; i++)
    if (wpol_glob_match (p->glob, wpol_known_actions[i]))
      {
        if (!wpol_action_on_pid (wpol_known_actions[i]))
          return 0;
        any = 1;
      }
  return any;
}

/* Whether a resource pattern can match a PID, which reads
 * `{host|0x...}`: it must be able to start with `{` and end with `}`. */
static int
pat_may_be_pid (const wpol_pat *p)
{
  if (p->literal)
    {
      size_t n = strlen (p->text);
      return n >= 2 && p->text[0] == '{' && p->text[n - 1] == '}';
    }
  const wpol_glob *g = p->glob;
  if (g->any || g->n == 0)
    return g->any;
  if (g->op[0] == G_LIT && g->ch[0] != '{')
    return 0;
  if (g->op[g->n - 1] == G_LIT && g->ch[g->n - 1] != '}')
    return 0;
  return 1;
}

/* A rule whose actions are all asked on a PID, naming a resource that can
 * never be one. */
static void
warn_pid_resources (wpol_file *f, wpol_diags *d, const wpol_rule *r)
{
  for (size_t i = 0; i < r->nactions; i++)
    if (!pat_pid_only (&r->actions[i]))
      return;
  for (size_t i = 0; i < r->nresources; i++)
    {
      const wpol_pat *p = &r->resources[i];
      if (pat_may_be_pid (p))
        continue;
      const char *act = r->actions[0].text;
      if (p->literal)
        wpol_diag_add (d, WPOL_WARNING, f->name, p->line, p->col,
                       "\"%s\" is not a PID: %s%s is asked on the target's PID, so this never "
                       "matches a live process (only a name nothing holds); for the process "
                       "registered as \"%s\" write `on \"*\" when target.names has \"%s\"`",
                       p->text, act, r->nactions > 1 ? " (like the rule's other actions)" : "",
                       p->text, p->text);
      else
        wpol_diag_add (d, WPOL_WARNING, f->name, p->line, p->col,
                       "\"%s\" never matches a PID (`{host|0x...}`): %s%s is asked on the "
                       "target's PID, so this never matches a live process; to name processes "
                       "by their registered names use `target.names`",
                       p->text, act, r->nactions > 1 ? " (like the rule's other actions)" : "");
    }
}

static void
check_policy (wpol_file *f, wpol_decl *dc, wpol_diags *d)
{
  for (size_t i = 0; i < dc->nrules; i++)
    {
      wpol_rule *r = dc->rules[i];
      if (r->cond)
        warn_const (f, d, r, r->cond, 1);
      warn_pid_resources (f, d, r);
    }
}

void
wpol_check_decl (wpol_file *f, wpol_decl *dc, wpol_diags *d)
{
  switch (dc->kind)
    {
    case D_POLICY:
      check_policy (f, dc, d);
      break;
    case D_ACTOR:
      check_actor (f, dc, d);
      break;
    case D_HOST:
      check_schema_decl (f, dc, d, "host");
      break;
    case D_SANDBOX:
      dc->sandbox.limits.nofile = dc->sandbox.limits.children = -1;
      dc->sandbox.mailbox = -1;
      dc->sandbox.live_children = dc->sandbox.processes = dc->sandbox.fds_in_flight = -1;
      check_schema_decl (f, dc, d, "sandbox");
      break;
    }
}

/* ---- analysis across rules: order does not matter ----------------------- */

/* Deny overrides allow whatever the order of rules and policies, so an
 * allow is shadowed by a deny anywhere in its policy or in a policy that
 * always applies with it; an allow (or deny) adds nothing beside a wider
 * one of its kind. Each finding is sound: patterns are compared by glob
 * containment (wpol_glob_covers), conditions by their `and` items. */

typedef struct arule {
  wpol_rule *r;
  wpol_file *f;
  size_t pol;                     /* index in the analysis' policies */
  size_t order;                   /* file order over all files */
  char **conj;                    /* the condition's `and` items, formatted */
  size_t nconj;
} arule;

typedef struct apol {
  wpol_decl *dc;
  wpol_file *f;
  size_t first, n;                /* its rules in the arule array */
  size_t *wide, nwide;            /* those with a glob among their patterns */
} apol;

/* The rules that name one literal (action, resource) pair: a rule of
 * literal patterns only can be covered by them and by the wide rules, so
 * that a file of many literal rules is compared in linear time. */
typedef struct apair {
  size_t *v, n, cap;
} apair;

static int
pats_covered (const wpol_pat *outer, size_t nouter, const wpol_pat *inner, size_t ninner)
{
  for (size_t i = 0; i < ninner; i++)
    {
      size_t j;
      for (j = 0; j < nouter; j++)
        if ((outer[j].literal && inner[i].literal && strcmp (outer[j].text, inner[i].text) == 0)
            || wpol_glob_covers (outer[j].glob, inner[i].glob))
          break;
      if (j == nouter)
        return 0;
    }
  return 1;
}

/* The formatted `and` items of a rule's condition (none: no condition);
 * -1 out of memory. */
static int
split_conj (arule *a)
{
  const wpol_expr *c = a->r->cond;
  if (c == NULL)
    return 0;
  size_t n = c->op == E_AND ? c->n : 1;
  a->conj = calloc (n, sizeof *a->conj);
  if (a->conj == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      wpol_buf b = { 0 };
      wpol_format_expr (c->op == E_AND ? c->items[i] : c, &b);
      if (b.oom || b.s == NULL)
        {
          wpol_buf_free (&b);
          return -1;
        }
      a->conj[a->nconj++] = b.s;    /* (the buffer's text is its own malloc'd block) */
    }
  return 0;
}

static int
conj_has (const arule *a, const char *s)
{
  for (size_t i = 0; i < a->nconj; i++)
    if (strcmp (a->conj[i], s) == 0)
      return 1;
  return 0;
}

/* Whenever inner's condition is true (without error), outer's is: outer
 * has none, or each of its `and` items is one of inner's. */
static int
cond_implied (const arule *outer, const arule *inner)
{
  if (outer->r->cond == NULL)
    return 1;
  if (inner->r->cond == NULL || outer->nconj == 0)
    return 0;
  for (size_t i = 0; i < outer->nconj; i++)
    if (!conj_has (inner, outer->conj[i]))
      return 0;
  return 1;
}

/* The same condition, item for item (a deny also denies when its
 * condition errors, so a deny covers another only with the same one). */
static int
cond_same (const arule *a, const arule *b)
{
  if (a->r->cond == NULL || b->r->cond == NULL)
    return a->r->cond == b->r->cond;
  if (a->nconj != b->nconj)
    return 0;
  for (size_t i = 0; i < a->nconj; i++)
    if (strcmp (a->conj[i], b->conj[i]) != 0)
      return 0;
  return 1;
}

static int
covers (const arule *outer, const arule *inner)
{
  return pats_covered (outer->r->actions, outer->r->nactions, inner->r->actions, inner->r->nactions)
         && pats_covered (outer->r->resources, outer->r->nresources, inner->r->resources,
                          inner->r->nresources);
}

typedef struct analysis {
  arule *rules;
  size_t nrules;
  apol *pols;
  size_t npols;
  unsigned char *together;        /* npols x npols: policy j applies wherever i does */
  wpol_htab pairs;                /* "action\x1fresource" -> apair */
  wpol_arena keys;                /* their keys */
  size_t budget;                  /* pattern comparisons left; then no more findings */
} analysis;

/* Does every actor declaration that p's rules apply to (its scope names
 * p, or it has no scope: every loaded policy) apply q too? Only when
 * there is one at least: with no declaration, policies are only known to
 * apply together within themselves. */
static int
applies_with (wpol_file **files, size_t n, const char *p, const char *q)
{
  int some = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      {
        const wpol_decl *a = files[i]->decls[k];
        if (a->kind != D_ACTOR)
          continue;
        if (a->scope == NULL)
          {
            some = 1;
            continue;
          }
        int hasp = 0, hasq = 0;
        for (size_t s = 0; s < a->nscope; s++)
          {
            hasp |= strcmp (a->scope[s], p) == 0;
            hasq |= strcmp (a->scope[s], q) == 0;
          }
        if (hasp && !hasq)
          return 0;
        some |= hasp;
      }
  return some;
}

static const char *
where (const arule *of, const arule *at, char *buf, size_t size)
{
  if (of->f == at->f)
    snprintf (buf, size, "line %u", at->r->line);
  else
    snprintf (buf, size, "%s:%u", at->f->name, at->r->line);
  return buf;
}

/* The first rule of kind deny (1) or allow (0) in the policies applying
 * with r's that covers it as test says, other than r; NULL when none. For
 * two rules that cover each other only the one later in file order is
 * reported, so that a pair of duplicates gives one finding. */
static int
all_literal (const wpol_rule *r)
{
  for (size_t i = 0; i < r->nactions; i++)
    if (!r->actions[i].literal)
      return 0;
  for (size_t i = 0; i < r->nresources; i++)
    if (!r->resources[i].literal)
      return 0;
  return 1;
}

/* Whether e (of kind deny, or allow) covers r as the finding needs. For
 * two rules of r's kind that cover each other only the one later in file
 * order is reported, so that a pair of duplicates gives one finding. */
static int
try_cover (analysis *an, const arule *r, const arule *e, int deny, int same_only)
{
  if (e == r || e->r->deny != deny || e->r->nactions == 0 || e->r->nresources == 0 || (e->pol != r->pol && !an->together[r->pol * an->npols + e->pol]))
    return 0;
  size_t cost = e->r->nactions * r->r->nactions + e->r->nresources * r->r->nresources;
  an->budget = an->budget > cost ? an->budget - cost : 0;
  if (!(same_only ? cond_same (e, r) : cond_implied (e, r)) || !covers (e, r))
    return 0;
  if (r->r->deny == deny && e->order > r->order && covers (r, e)
      && (same_only ? cond_same (r, e) : cond_implied (r, e)))
    return 0;
  return 1;
}

/* The first rule of kind deny (1) or allow (0) in the policies applying
 * with r's that covers it, other than r; NULL when none. A rule of
 * literal patterns is looked for among the rules naming its first pair
 * and the wide ones; any other among all. */
static const arule *
find_cover (analysis *an, const arule *r, int deny, int same_only)
{
  if (all_literal (r->r))
    {
      char key[2 * WPOL_MAX_STRING + 2];
      snprintf (key, sizeof key, "%s\x1f%s", r->r->actions[0].text, r->r->resources[0].text);
      const apair *pr = wpol_htab_get (&an->pairs, key);
      for (size_t i = 0; pr && i < pr->n && an->budget > 0; i++)
        if (try_cover (an, r, &an->rules[pr->v[i]], deny, same_only))
          return &an->rules[pr->v[i]];
      for (size_t p = 0; p < an->npols; p++)
        {
          const apol *pl = &an->pols[p];
          for (size_t k = 0; k < pl->nwide && an->budget > 0; k++)
            if (try_cover (an, r, &an->rules[pl->wide[k]], deny, same_only))
              return &an->rules[pl->wide[k]];
        }
      return NULL;
    }
  for (size_t p = 0; p < an->npols; p++)
    {
      const apol *pl = &an->pols[p];
      for (size_t k = pl->first; k < pl->first + pl->n && an->budget > 0; k++)
        if (try_cover (an, r, &an->rules[k], deny, same_only))
          return &an->rules[k];
    }
  return NULL;
}

static void
analyse_rule (analysis *an, wpol_diags *d, const arule *r)
{
  char at[512];
  const wpol_rule *x = r->r;
  const arule *e;
  if (x->nactions == 0 || x->nresources == 0)
    return;                       /* (a rule an error cut short) */
  if (!x->deny && (e = find_cover (an, r, 1, 0)) != NULL)
    {
      if (e->pol == r->pol)
        wpol_diag_add (d, WPOL_WARNING, r->f->name, x->line, x->col,
                       "this allow never takes effect: the deny at %s denies everything it matches",
                       where (r, e, at, sizeof at));
      else
        wpol_diag_add (d, WPOL_WARNING, r->f->name, x->line, x->col,
                       "this allow never takes effect: the deny at %s (policy \"%s\") denies "
                       "everything it matches, and every actor declared with policy \"%s\" in "
                       "its scope has \"%s\" too",
                       where (r, e, at, sizeof at), an->pols[e->pol].dc->name,
                       an->pols[r->pol].dc->name, an->pols[e->pol].dc->name);
      return;
    }
  if ((e = find_cover (an, r, x->deny, x->deny)) == NULL)
    return;
  const char *kind = x->deny ? "deny" : "allow";
  if (e->pol == r->pol)
    wpol_diag_add (d, WPOL_WARNING, r->f->name, x->line, x->col,
                   "this %s adds nothing: the %s at %s already covers it", kind, kind,
                   where (r, e, at, sizeof at));
  else
    wpol_diag_add (d, WPOL_WARNING, r->f->name, x->line, x->col,
                   "this %s adds nothing: the %s at %s (policy \"%s\") already covers it for "
                   "every actor declared with policy \"%s\" in its scope", kind, kind,
                   where (r, e, at, sizeof at), an->pols[e->pol].dc->name,
                   an->pols[r->pol].dc->name);
}

static void
free_pair (void *v)
{
  apair *pr = v;
  free (pr->v);
  free (pr);
}

/* File rule k under each literal pair it names, or among its policy's
 * wide rules; -1 out of memory. */
static int
file_rule (analysis *an, apol *pl, size_t k)
{
  const wpol_rule *r = an->rules[k].r;
  if (r->nactions == 0 || r->nresources == 0)
    return 0;                     /* (a rule an error cut short: never compared) */
  if (!all_literal (r))
    {
      size_t cap = pl->nwide;    /* (grown by one each time: they are few) */
      size_t *w = realloc (pl->wide, (cap + 1) * sizeof *w);
      if (w == NULL)
        return -1;
      pl->wide = w;
      pl->wide[pl->nwide++] = k;
      return 0;
    }
  for (size_t a = 0; a < r->nactions; a++)
    for (size_t s = 0; s < r->nresources; s++)
      {
        size_t la = strlen (r->actions[a].text), lr = strlen (r->resources[s].text);
        char *key = wpol_alloc (&an->keys, la + lr + 2);
        if (key == NULL)
          return -1;
        memcpy (key, r->actions[a].text, la);
        key[la] = '\x1f';
        memcpy (key + la + 1, r->resources[s].text, lr + 1);
        void **slot = wpol_htab_ref (&an->pairs, key);
        if (slot == NULL)
          return -1;
        apair *pr = *slot;
        if (pr == NULL && (pr = *slot = calloc (1, sizeof *pr)) == NULL)
          return -1;
        if (pr->n && pr->v[pr->n - 1] == k)
          continue;
        if (WARD_GROW (pr->v, pr->cap, pr->n + 1, 4) < 0)
          return -1;
        pr->v[pr->n++] = k;
      }
  return 0;
}

static void
analysis_free (analysis *an)
{
  for (size_t i = 0; an->rules && i < an->nrules; i++)
    {
      for (size_t k = 0; k < an->rules[i].nconj; k++)
        free (an->rules[i].conj[k]);
      free (an->rules[i].conj);
    }
  for (size_t p = 0; an->pols && p < an->npols; p++)
    free (an->pols[p].wide);
  wpol_htab_each (&an->pairs, free_pair);
  wpol_htab_free (&an->pairs);
  wpol_arena_free (&an->keys);
  free (an->rules);
  free (an->pols);
  free (an->together);
}

/* The policies of the files (the first of a name: another is an error)
 * and their rules; -1 out of memory (then no finding: only warnings are
 * lost). */
static int
analysis_build (analysis *an, wpol_file **files, size_t n)
{
  size_t npols = 0, nrules = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      if (files[i]->decls[k]->kind == D_POLICY)
        {
          npols++;
          nrules += files[i]->decls[k]->nrules;
        }
  an->pols = calloc (npols + 1, sizeof *an->pols);
  an->rules = calloc (nrules + 1, sizeof *an->rules);
  if (an->pols == NULL || an->rules == NULL)
    return -1;
  wpol_htab names = { 0 };
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    for (size_t k = 0; k < files[i]->ndecls && rc == 0; k++)
      {
        wpol_decl *dc = files[i]->decls[k];
        if (dc->kind != D_POLICY)
          continue;
        void **slot = wpol_htab_ref (&names, dc->name);
        if (slot == NULL)
          {
            rc = -1;
            break;
          }
        if (*slot)
          continue;
        *slot = dc;
        apol *pl = &an->pols[an->npols];
        *pl = (apol) { dc, files[i], an->nrules, dc->nrules };
        for (size_t r = 0; r < dc->nrules && rc == 0; r++)
          {
            arule *a = &an->rules[an->nrules++];
            *a = (arule) { dc->rules[r], files[i], an->npols, an->nrules, NULL, 0 };
            rc = split_conj (a);
            if (rc == 0)
              rc = file_rule (an, pl, an->nrules - 1);
          }
        an->npols++;
      }
  wpol_htab_free (&names);
  if (rc < 0)
    return -1;
  an->together = calloc (an->npols * an->npols + 1, 1);
  if (an->together == NULL)
    return -1;
  for (size_t p = 0; p < an->npols; p++)
    for (size_t q = 0; q < an->npols; q++)
      if (p != q)
        an->together[p * an->npols + q]
          = (unsigned char) applies_with (files, n, an->pols[p].dc->name, an->pols[q].dc->name);
  return 0;
}

static void
analyse_rules (wpol_file **files, size_t n, wpol_diags *d)
{
  analysis an = { .budget = 4000000 };
  if (analysis_build (&an, files, n) == 0)
    for (size_t i = 0; i < an.nrules && an.budget > 0; i++)
      analyse_rule (&an, d, &an.rules[i]);
  analysis_free (&an);
}

/* ---- metadata keys ----------------------------------------------------- */

static void
meta_key_used (wpol_file *f, wpol_diags *d, const char *const *keys, const char *key,
               unsigned line, unsigned col)
{
  for (size_t i = 0; keys[i]; i++)
    if (strcmp (keys[i], key) == 0)
      return;
  const char *sug = wpol_suggest (key, keys);
  wpol_diag_add (d, WPOL_WARNING, f->name, line, col,
                 "no actor declaration in these files sets metadata `%s`, so reading it "
                 "errors (the rule fails closed)%s%s%s", key, sug ? "; did you mean `" : "",
                 sug ? sug : "", sug ? "`?" : "");
}

static void
meta_walk (wpol_file *f, wpol_diags *d, const char *const *keys, const wpol_expr *e)
{
  if (e == NULL)
    return;
  if (e->op == E_PATH && e->path == P_ACTOR_META_KEY)
    meta_key_used (f, d, keys, e->s, e->line, e->col);
  else if (e->op == E_CMP && e->cmp == C_HAS && e->a->op == E_PATH && e->a->path == P_ACTOR_META
           && e->b->op == E_STR)
    meta_key_used (f, d, keys, e->b->s, e->b->line, e->b->col);
  if (e->op == E_CMP || e->op == E_NOT)
    {
      meta_walk (f, d, keys, e->a);
      if (e->op == E_CMP && e->cmp != C_HAS)
        meta_walk (f, d, keys, e->b);
    }
  for (size_t i = 0; (e->op == E_AND || e->op == E_OR || e->op == E_LIST) && i < e->n; i++)
    meta_walk (f, d, keys, e->items[i]);
}

/* Metadata keys a condition reads against those the actor declarations
 * set: only when the files declare an actor (else the declarations are
 * elsewhere). */
static void
check_meta_keys (wpol_file **files, size_t n, wpol_diags *d)
{
  size_t nkeys = 0, nactors = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      if (files[i]->decls[k]->kind == D_ACTOR)
        {
          nactors++;
          nkeys += files[i]->decls[k]->nmeta;
        }
  if (nactors == 0)
    return;
  const char **keys = calloc (nkeys + 1, sizeof *keys);
  if (keys == NULL)
    return;
  nkeys = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      if (files[i]->decls[k]->kind == D_ACTOR)
        for (size_t m = 0; m < files[i]->decls[k]->nmeta; m++)
          keys[nkeys++] = files[i]->decls[k]->meta[m]->name;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      if (files[i]->decls[k]->kind == D_POLICY)
        for (size_t r = 0; r < files[i]->decls[k]->nrules; r++)
          meta_walk (files[i], d, keys, files[i]->decls[k]->rules[r]->cond);
  free (keys);
}

/* ---- across files ------------------------------------------------------ */

static const char *
kind_name (wpol_dkind k)
{
  return k == D_POLICY ? "policy" : k == D_ACTOR ? "actor" : k == D_HOST ? "host" : "sandbox";
}

void
wpol_check (wpol_file **files, size_t n, wpol_diags *d)
{
  wpol_htab seen[4] = { { 0 } };
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      {
        wpol_decl *dc = files[i]->decls[k];
        void **slot = wpol_htab_ref (&seen[dc->kind], dc->name);
        if (slot == NULL)
          continue;
        if (*slot)
          {
            const wpol_decl *prev = *slot;
            const char *pfile = NULL;
            for (size_t j = 0; j <= i && pfile == NULL; j++)
              for (size_t m = 0; m < files[j]->ndecls; m++)
                if (files[j]->decls[m] == prev)
                  pfile = files[j]->name;
            err_at (files[i], d, dc->name_line, dc->name_col, "%s \"%s\" is already defined at %s:%u",
                    kind_name (dc->kind), dc->name, pfile ? pfile : "?", prev->line);
            continue;
          }
        *slot = dc;
      }
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      {
        wpol_decl *dc = files[i]->decls[k];
        if (dc->kind == D_HOST && dc->host.sandbox[0]
            && wpol_htab_get (&seen[D_SANDBOX], dc->host.sandbox) == NULL)
          wpol_diag_add (d, WPOL_WARNING, files[i]->name, dc->line, dc->col,
                         "host \"%s\" uses sandbox profile \"%s\", which these files do not define",
                         dc->name, dc->host.sandbox);
        if (dc->kind == D_ACTOR)
          for (size_t s = 0; s < dc->nscope; s++)
            if (wpol_htab_get (&seen[D_POLICY], dc->scope[s]) == NULL)
              wpol_diag_add (d, WPOL_WARNING, files[i]->name, dc->line, dc->col,
                             "actor \"%s\" has policy \"%s\" in its scope, which these files do not define",
                             dc->name, dc->scope[s]);
      }
  for (int k = 0; k < 4; k++)
    wpol_htab_free (&seen[k]);
  check_meta_keys (files, n, d);
}

void
wpol_analyse (wpol_file **files, size_t n, wpol_diags *d)
{
  analyse_rules (files, n, d);
}
