/* audit_row.c -- the rows the audit writer inserts: a record bound as one
 * row of the multi-row INSERT (its metadata, scope and attributes as
 * JSON), the run's row, and a pair's folded count. The writer's thread
 * only. */
#include "config.h"
#include "auditw.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NCOL 24                   /* columns of one row of the INSERT */

static const char *
str (const arec *r, int i)
{
  return r->off[i] == NOSTR ? NULL : r->data + r->off[i];
}

/* Identical but for the time: coalesced into one row with a count. */
int
wpol_aw_same (const arec *a, const arec *b)
{
  return a->decision == b->decision && a->permissive == b->permissive
         && a->reason == b->reason && a->rule == b->rule && a->ainfo == b->ainfo
         && a->generation == b->generation && a->nscope == b->nscope
         && a->nmeta == b->nmeta && a->len == b->len && a->cut == b->cut
         && a->res_len == b->res_len && memcmp (a->res_sha, b->res_sha, sizeof a->res_sha) == 0
         && memcmp (a->off, b->off, sizeof a->off) == 0
         && memcmp (a->data, b->data, a->len) == 0;
}

/* The writer's buffers, one set per row of a statement, reused. */
static wpol_buf breason[ROWS], bmeta[ROWS], bscope[ROWS], battrs[ROWS];
static char bsha[ROWS][65];
static uint64_t vgen, vver;                  /* the last generation -> version */

static const char *
reason_text (const arec *r, wpol_buf *b)
{
  switch (r->reason)
    {
    case WPOL_NO_MATCH: return "no rule matched";
    case WPOL_BY_RULE: return r->rule && strcmp (r->rule->policy, "--deny") == 0 ? "--deny" : "rule";
    case WPOL_BY_RULE_ERROR: return "condition error (fails closed)";
    case WPOL_UNDECLARED:
      /* the id as it is: every text view escapes it (wesc.h) */
      b->len = 0;
      wpol_buf_printf (b, "actor `%s` is not declared", str (r, S_ACTOR) ? str (r, S_ACTOR) : "");
      return b->oom ? "actor not declared" : b->s;
    default: return "malformed request";
    }
}

/* Every string bound lives until the step: in the record, in the engine's
 * interned locations, in a literal or in one of the writer's buffers. */
static void
bind_text (sqlite3_stmt *st, int col, const char *s)
{
  if (s)
    sqlite3_bind_text (st, col, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (st, col);
}

/* Columns of one row of the insert, in order. */
enum { C_RUN = 1, C_TS, C_TS_LAST, C_COUNT, C_KIND, C_DECISION, C_MODE, C_ACTOR, C_META,
       C_SCOPE, C_ACTION, C_RESOURCE, C_ATTRS, C_PID, C_HOST, C_REASON, C_RPOLICY, C_RFILE,
       C_RLINE, C_RTEXT, C_VERSION, C_NOTE, C_RESLEN, C_RESSHA };
_Static_assert (C_RESSHA == NCOL, "the insert has NCOL columns");

/* The actor's metadata as a JSON object: the request's pairs, then the
 * declaration's fields; NULL when out of memory. b: the row's buffer. */
static const char *
meta_json (const arec *r, wpol_buf *b)
{
  const char *decl_meta = r->ainfo ? r->ainfo->meta : "{}";
  if (r->nmeta == 0)
    return decl_meta;
  b->len = 0;
  wpol_buf_puts (b, "{");
  const char *p = r->data + r->off[S_META];
  for (size_t i = 0; i < r->nmeta; i++)
    {
      const char *key = p, *v = key + strlen (key) + 1;
      p = v + strlen (v) + 1;
      wpol_buf_puts (b, i ? "," : "");
      wpol_buf_json (b, key);
      wpol_buf_puts (b, ":");
      wpol_buf_json (b, v);
    }
  if (strcmp (decl_meta, "{}") != 0)
    {
      wpol_buf_puts (b, ",");
      wpol_buf_puts (b, decl_meta + 1);
    }
  else
    wpol_buf_puts (b, "}");
  return b->oom ? NULL : b->s;
}

/* The scope as a JSON array: the request's, else the declaration's, else
 * NULL (every policy). */
static const char *
scope_json (const arec *r, wpol_buf *b)
{
  if (r->nscope == 0)
    return r->ainfo ? r->ainfo->scope : NULL;
  b->len = 0;
  wpol_buf_puts (b, "[");
  const char *p = r->data + r->off[S_SCOPE];
  for (size_t i = 0; i < r->nscope; i++)
    {
      wpol_buf_puts (b, i ? "," : "");
      wpol_buf_json (b, p);
      p += strlen (p) + 1;
    }
  wpol_buf_puts (b, "]");
  return b->oom ? NULL : b->s;
}

/* The request's attributes as a JSON object. */
static const char *
attrs_json (const arec *r, wpol_buf *b)
{
  static const char *const keys[] = { "{\"pid\":", "{\"host\":", "{\"parent\":",
                                      "{\"target.actor\":", "{\"target.host\":",
                                      "{\"target.parent\":", "{\"path\":",
                                      "{\"address\":" };
  b->len = 0;
  for (int i = S_PID; i <= S_ADDRESS; i++)
    if (str (r, i))
      {
        /* the key with a leading { for the first, a , for the others */
        const char *key = keys[i - S_PID];
        if (b->len)
          wpol_buf_add (b, ",", 1);
        wpol_buf_puts (b, b->len ? key + 1 : key);
        wpol_buf_json (b, str (r, i));
      }
  wpol_buf_puts (b, b->len ? "}" : "{}");
  return b->oom ? NULL : b->s;
}

/* The version of the policies that decided r: the store's, when they
 * come from one, else the engine's generation. */
static uint64_t
policy_version (const arec *r)
{
  if (!(wpol_aw.from_store && wpol_aw.engine))
    return r->generation;
  if (vgen != r->generation)
    {
      vgen = r->generation;
      vver = wpol_engine_store_version (wpol_aw.engine, r->generation);
    }
  return vver;
}

/* Bind record r as row k of statement st (its columns from k * NCOL + 1). */
static void
bind_rec (sqlite3_stmt *st, int k, const arec *r, int64_t count, int64_t ts_last)
{
  int o = k * NCOL;
  sqlite3_bind_int64 (st, o + C_RUN, wpol_aw.run_id);
  sqlite3_bind_int64 (st, o + C_TS, r->ts);
  sqlite3_bind_int64 (st, o + C_TS_LAST, ts_last);
  sqlite3_bind_int64 (st, o + C_COUNT, count);
  bind_text (st, o + C_KIND, "decision");
  bind_text (st, o + C_DECISION, r->decision ? "allow" : "deny");
  bind_text (st, o + C_MODE, r->permissive ? "permissive" : "enforcing");
  bind_text (st, o + C_ACTOR, str (r, S_ACTOR));
  bind_text (st, o + C_META, meta_json (r, &bmeta[k]));
  bind_text (st, o + C_SCOPE, scope_json (r, &bscope[k]));
  bind_text (st, o + C_ACTION, str (r, S_ACTION));
  bind_text (st, o + C_RESOURCE, str (r, S_RESOURCE));
  bind_text (st, o + C_ATTRS, attrs_json (r, &battrs[k]));
  bind_text (st, o + C_PID, str (r, S_PID));
  bind_text (st, o + C_HOST, str (r, S_HOST));
  bind_text (st, o + C_REASON, reason_text (r, &breason[k]));
  bind_text (st, o + C_RPOLICY, r->rule ? r->rule->policy : NULL);
  bind_text (st, o + C_RFILE, r->rule ? r->rule->file : NULL);
  if (r->rule)
    sqlite3_bind_int64 (st, o + C_RLINE, r->rule->line);
  else
    sqlite3_bind_null (st, o + C_RLINE);
  bind_text (st, o + C_RTEXT, r->rule ? r->rule->text : NULL);
  sqlite3_bind_int64 (st, o + C_VERSION, (int64_t) policy_version (r));
  /* where the scope came from: ward audit suggest must not turn a scope
   * given at a spawn into the actor's declared one */
  bind_text (st, o + C_NOTE, r->nscope ? WPOL_AUDIT_NOTE_REQUEST_SCOPE : NULL);
  if (r->cut)
    {
      static const char hex[] = "0123456789abcdef";
      for (int i = 0; i < 32; i++)
        {
          bsha[k][2 * i] = hex[r->res_sha[i] >> 4];
          bsha[k][2 * i + 1] = hex[r->res_sha[i] & 15];
        }
      bsha[k][64] = '\0';
      sqlite3_bind_int64 (st, o + C_RESLEN, (int64_t) r->res_len);
      bind_text (st, o + C_RESSHA, bsha[k]);
    }
  else
    {
      sqlite3_bind_null (st, o + C_RESLEN);
      sqlite3_bind_null (st, o + C_RESSHA);
    }
}

void
wpol_aw_rows_free (void)
{
  for (int k = 0; k < ROWS; k++)
    {
      wpol_buf_free (&bmeta[k]);
      wpol_buf_free (&bscope[k]);
      wpol_buf_free (&battrs[k]);
      wpol_buf_free (&breason[k]);
    }
  vgen = vver = 0;
}

/* Insert k rows: ROWS of them with the multi-row statement, else one by one. */
int
wpol_aw_insert_rows (const arow_in *g, int k)
{
  if (k == ROWS)
    {
      sqlite3_reset (wpol_aw.ins_many);
      for (int j = 0; j < k; j++)
        bind_rec (wpol_aw.ins_many, j, g[j].r, g[j].count, g[j].ts_last);
      return sqlite3_step (wpol_aw.ins_many) == SQLITE_DONE ? 0 : -1;
    }
  for (int j = 0; j < k; j++)
    {
      sqlite3_reset (wpol_aw.ins);
      bind_rec (wpol_aw.ins, 0, g[j].r, g[j].count, g[j].ts_last);
      if (sqlite3_step (wpol_aw.ins) != SQLITE_DONE)
        return -1;
    }
  return 0;
}

int
wpol_aw_insert_run (void)
{
  char host[256] = "";
  gethostname (host, sizeof host - 1);
  sqlite3_reset (wpol_aw.ins_run);
  sqlite3_bind_int64 (wpol_aw.ins_run, 1, wpol_aw_now_us ());
  sqlite3_bind_int64 (wpol_aw.ins_run, 2, (int64_t) getpid ());
  sqlite3_bind_text (wpol_aw.ins_run, 3, host, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (wpol_aw.ins_run, 4, wpol_aw.store ? wpol_aw.store : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (wpol_aw.ins_run, 5, wpol_aw.permissive);
  sqlite3_bind_int (wpol_aw.ins_run, 6, wpol_aw.audit_all);
  if (sqlite3_step (wpol_aw.ins_run) != SQLITE_DONE)
    return -1;
  wpol_aw.run_id = sqlite3_last_insert_rowid (wpol_aw.db);
  return 0;
}

/* The folded count of t into its pair's summary row: a new row the
 * first time (its serial in t->row), else added to the row. */
int
wpol_aw_write_fold (ftake *t)
{
  afold *f = t->f;
  if (f->row)
    {
      sqlite3_reset (wpol_aw.upd_fold);
      sqlite3_bind_int64 (wpol_aw.upd_fold, 1, (int64_t) t->n);
      sqlite3_bind_int64 (wpol_aw.upd_fold, 2, t->last);
      sqlite3_bind_int64 (wpol_aw.upd_fold, 3, f->row);
      if (sqlite3_step (wpol_aw.upd_fold) != SQLITE_DONE)
        return -1;
      if (sqlite3_changes (wpol_aw.db) == 1)
        {
          t->row = f->row;
          return 0;
        }
      /* the row is gone (deleted by hand): a new one */
    }
  char note[160];
  if (f->quiet)
    snprintf (note, sizeof note, "%s", WPOL_AUDIT_NOTE_QUIET);
  else if (f->actor)
    snprintf (note, sizeof note, "past the first %zu denials of this actor and action in "
              "the run: counted, not recorded one by one", wpol_aw.fold_after);
  else
    snprintf (note, sizeof note, "denials of this action by actors past the first %d "
              "(actor, action) pairs of the run: counted, not recorded one by one",
              WPOL_AUDIT_FOLD_PAIRS);
  sqlite3_stmt *st = wpol_aw.ins_fold;
  sqlite3_reset (st);
  sqlite3_bind_int64 (st, 1, wpol_aw.run_id);
  sqlite3_bind_int64 (st, 2, t->first);
  sqlite3_bind_int64 (st, 3, t->last);
  sqlite3_bind_int64 (st, 4, (int64_t) t->n);
  bind_text (st, 5, t->permissive ? "permissive" : "enforcing");
  bind_text (st, 6, f->actor);
  bind_text (st, 7, f->action);
  sqlite3_bind_text (st, 8, note, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (st) != SQLITE_DONE)
    return -1;
  t->row = sqlite3_last_insert_rowid (wpol_aw.db);
  return 0;
}

int
wpol_aw_insert_sql (int rows, char **out)
{
  wpol_buf b = { 0 };
  wpol_buf_puts (&b, "INSERT INTO audit (run, ts, ts_last, count, kind, decision, mode, actor,"
                 " actor_meta, scope, action, resource, attrs, pid, host, reason, rule_policy,"
                 " rule_file, rule_line, rule_text, store_version, note, resource_len,"
                 " resource_sha256) VALUES ");
  for (int k = 0; k < rows; k++)
    {
      wpol_buf_puts (&b, k ? ",(" : "(");
      for (int c = 0; c < NCOL; c++)
        wpol_buf_puts (&b, c ? ",?" : "?");
      wpol_buf_puts (&b, ")");
    }
  if (b.oom)
    {
      wpol_buf_free (&b);
      return -1;
    }
  *out = b.s;
  return 0;
}
