/* check.c -- the checker: validates actor, host and sandbox fields against
 * their schemas, warns about rules that never match or are shadowed, and
 * checks names and references across the files loaded together. */
#include "config.h"
#include "wpol.h"
#include "wunit.h"

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

/* ---- rule warnings ----------------------------------------------------- */

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

static int
same_cond (const wpol_rule *a, const wpol_rule *b)
{
  if (a->cond == NULL || b->cond == NULL)
    return a->cond == b->cond;
  wpol_buf x = { 0 }, y = { 0 };
  wpol_format_expr (a->cond, &x);
  wpol_format_expr (b->cond, &y);
  int same = !x.oom && !y.oom && x.s && y.s && strcmp (x.s, y.s) == 0;
  wpol_buf_free (&x);
  wpol_buf_free (&y);
  return same;
}

static void
check_policy (wpol_file *f, wpol_decl *dc, wpol_diags *d)
{
  size_t budget = 2000000;        /* pattern comparisons; then stop warning */
  wpol_rule **denies = malloc ((dc->nrules + 1) * sizeof *denies);
  size_t ndenies = 0;
  for (size_t i = 0; i < dc->nrules; i++)
    {
      wpol_rule *r = dc->rules[i];
      if (r->cond && r->cond->op == E_BOOL && r->cond->i == 0)
        wpol_diag_add (d, WPOL_WARNING, f->name, r->line, r->col,
                       "this rule's condition is `false`: it never matches");
      for (size_t k = 0; denies && k < ndenies && budget > 0; k++)
        {
          wpol_rule *e = denies[k];
          size_t cost = e->nactions * r->nactions + e->nresources * r->nresources;
          budget = budget > cost ? budget - cost : 0;
          if (e->cond && !same_cond (e, r))
            continue;
          if (!pats_covered (e->actions, e->nactions, r->actions, r->nactions)
              || !pats_covered (e->resources, e->nresources, r->resources, r->nresources))
            continue;
          if (r->deny)
            wpol_diag_add (d, WPOL_WARNING, f->name, r->line, r->col,
                           "this deny adds nothing: the deny at line %u already covers it", e->line);
          else
            wpol_diag_add (d, WPOL_WARNING, f->name, r->line, r->col,
                           "this allow never takes effect: the deny at line %u denies everything it matches",
                           e->line);
          break;
        }
      if (r->deny && denies)
        denies[ndenies++] = r;
    }
  free (denies);
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
}
