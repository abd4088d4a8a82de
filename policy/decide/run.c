/* wpol_run_state.c -- ward_policy_init and ward_policy_shutdown: the engine of one
 * `ward run` (the built-in policies, --policy files or the --db store, then
 * polled for `ward policy load`), the --deny test rules, the gate trace and
 * the audit writer, wired into the gate (gate.c). */
#include "config.h"
#include "gate.h"
#include "pgship.h"
#include "pgstore.h"
#include "wpg.h"
#include "wpol.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 200               /* a `ward policy load` shows within ~0.2 s */
/* A PostgreSQL store is not polled so: its poller waits for NOTIFY
 * ward_policy (pgstore.h's wpgs_watch), woken by `wake` to stop. */

static struct {
  wpol_store *store;
  pthread_t poller;
  int polling, stop;
  int wake[2];                    /* a PostgreSQL store's poller: written to stop it */
  int audit_pending;              /* audit_later: the open not yet waited for */
  int audit_default;              /* ... of the default database (its hint) */
  pthread_mutex_t lock;
  pthread_cond_t cond;
} wpol_run_state = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
                     .wake = { -1, -1 } };

/* The store's version is one indexed read; a change reloads the whole
 * store into a new index, which the engine swaps in (decisions in flight
 * finish on the old one, the cache dies with its generation). */
static void *
poll_store (void *unused)
{
  (void) unused;
  wpol_engine *e = wpol_gate_state.engine;
  if (wpol_store_is_pg (wpol_run_state.store))
    {
      wpgs_watch (wpol_run_state.store, e, wpol_run_state.wake[0]);
      return NULL;
    }
  int warned = 0;
  pthread_mutex_lock (&wpol_run_state.lock);
  while (!wpol_run_state.stop)
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_nsec += POLL_MS * 1000000L;
      if (ts.tv_nsec >= 1000000000L)
        {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000L;
        }
      while (!wpol_run_state.stop && pthread_cond_timedwait (&wpol_run_state.cond, &wpol_run_state.lock, &ts) == 0)
        ;
      if (wpol_run_state.stop)
        break;
      pthread_mutex_unlock (&wpol_run_state.lock);
      ward_err err;
      int r = wpol_engine_reload_if_changed (e, wpol_run_state.store, &err);
      if (r < 0 && !warned)
        fprintf (stderr, "ward: reloading the policy store failed (the policies loaded "
                 "before stay in force): %s\n", err.msg);
      warned = r < 0;
      pthread_mutex_lock (&wpol_run_state.lock);
    }
  pthread_mutex_unlock (&wpol_run_state.lock);
  return NULL;
}

static int
add_deny_rules (wpol_gate *g, const char *const *deny, ward_err *err)
{
  size_t n = 0;
  while (deny && deny[n])
    n++;
  if (n == 0)
    return 0;
  g->deny = calloc (n, sizeof *g->deny);
  g->deny_locs = calloc (n, sizeof *g->deny_locs);
  if (g->deny == NULL || g->deny_locs == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "storing --deny rules");
  for (size_t i = 0; i < n; i++)
    {
      const char *eq = strchr (deny[i], '=');
      wpol_buf t = { 0 };
      wpol_buf_printf (&t, "deny %.*s on ", eq ? (int) (eq - deny[i]) : (int) strlen (deny[i]),
                       deny[i]);
      wpol_buf_quote (&t, eq ? eq + 1 : "*");
      wpol_buf_puts (&t, ";");
      g->deny[i] = strdup (deny[i]);
      if (g->deny[i] == NULL || t.oom)
        {
          free (g->deny[i]);
          wpol_buf_free (&t);
          return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "storing --deny rules");
        }
      g->deny_locs[i] = (wpol_rule_loc) { .policy = "--deny", .file = "command line",
                                          .line = (unsigned) i + 1, .col = 1, .deny = 1,
                                          .text = t.s };
      g->ndeny++;
    }
  return 0;
}

static void
print_diags (wpol_diags *d)
{
  wpol_diags_sort (d);
  wpol_diags_print (d, stderr);
}

/* Load the n policies (texts, or files where texts is NULL) and the run's
 * grants text (ward run --allow-*) together. */
static int
load_with_grants (wpol_engine *e, const char *const *names, const char *const *texts,
                  const size_t *lens, size_t n, const char *grants, wpol_buf *desc,
                  wpol_diags *d, ward_err *err)
{
  const char **nm = calloc (n + 1, sizeof *nm), **tx = calloc (n + 1, sizeof *tx);
  size_t *ln = calloc (n + 1, sizeof *ln);
  int r = -1;
  if (nm == NULL || tx == NULL || ln == NULL)
    ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
  else
    {
      for (size_t i = 0; i < n; i++)
        {
          nm[i] = names[i];
          tx[i] = texts ? texts[i] : NULL;
          ln[i] = lens ? lens[i] : 0;
        }
      nm[n] = "ward run --allow-*";
      tx[n] = grants;
      ln[n] = strlen (grants);
      wpol_buf_puts (desc, ", the grants of --allow-*");
      r = wpol_engine_load_texts (e, nm, tx, ln, n + 1, d, err);
    }
  free (nm);
  free (tx);
  free (ln);
  return r;
}

char *
ward_policy_grants_text (const ward_grant *g, size_t n, ward_err *err)
{
  wpol_buf b = { 0 };
  wpol_buf_puts (&b, "# The grants of ward run's --allow-* flags (ward(1)). This file declares\n"
                 "# no actor: given to `ward run --policy FILE` with the policies it adds\n"
                 "# to, it applies to the actor the run starts; loaded into a store, add\n"
                 "# \"" WARD_GRANTS_POLICY "\" to that actor's scope.\n"
                 "policy \"" WARD_GRANTS_POLICY "\" {\n");
  for (size_t i = 0; i < n; i++)
    {
      const char *res = g[i].resource ? g[i].resource : "";
      if (g[i].action == NULL || !wpol_action_known (g[i].action))
        {
          wpol_buf_free (&b);
          ward_err_set (err, WARD_E_INVALID, 0, "`%.100s` is no action a policy names",
                        g[i].action ? g[i].action : "(none)");
          return NULL;
        }
      if (res[0] == '\0')
        {
          wpol_buf_free (&b);
          ward_err_set (err, WARD_E_INVALID, 0, "%s: an empty resource grants nothing",
                        g[i].action);
          return NULL;
        }
      for (const unsigned char *p = (const unsigned char *) res; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
          {
            wpol_buf_free (&b);
            ward_err_set (err, WARD_E_INVALID, 0, "%s: the resource holds a control "
                          "character (byte 0x%02x at %zu)", g[i].action, *p,
                          (size_t) (p - (const unsigned char *) res));
            return NULL;
          }
      /* the value as itself: its glob characters escaped, then quoted */
      wpol_buf lit = { 0 };
      for (const char *p = res; *p; p++)
        {
          if (*p == '*' || *p == '?' || *p == '\\')
            wpol_buf_puts (&lit, "\\");
          wpol_buf_add (&lit, p, 1);
        }
      /* what --print-policy prints must load: no literal past the limit */
      if (lit.len > WPOL_MAX_STRING)
        {
          size_t len = lit.len;
          wpol_buf_free (&lit);
          wpol_buf_free (&b);
          ward_err_set (err, WARD_E_INVALID, 0, "%s: the value is %zu bytes as a policy "
                        "string (its glob characters escaped), longer than the %u a policy "
                        "string holds", g[i].action, len, (unsigned) WPOL_MAX_STRING);
          return NULL;
        }
      wpol_buf_printf (&b, "  allow %s on ", g[i].action);
      wpol_buf_quote (&b, lit.s ? lit.s : "");
      if (g[i].below)
        {
          /* the root is followed by "**" alone, no second "/" */
          if (strcmp (res, "/") != 0)
            wpol_buf_puts (&lit, "/");
          wpol_buf_puts (&lit, "**");
          wpol_buf_puts (&b, ", ");
          wpol_buf_quote (&b, lit.s ? lit.s : "");
        }
      wpol_buf_puts (&b, ";\n");
      if (lit.oom)
        b.oom = 1;
      wpol_buf_free (&lit);
    }
  wpol_buf_puts (&b, "}\n");
  if (b.oom || b.s == NULL)
    {
      wpol_buf_free (&b);
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "writing the grants of --allow-*");
      return NULL;
    }
  return b.s;
}

/* Load the run's policies into a new engine; *desc says where they came from. */
static wpol_engine *
load_engine (const ward_policy_opts *o, wpol_buf *desc, ward_err *err)
{
  wpol_engine *e = wpol_engine_new (0, err);
  if (e == NULL)
    return NULL;
  wpol_diags d;
  wpol_diags_init (&d);
  int r;
  /* the store as messages and the run row name it: never a password */
  char dbname[256];
  const char *db = o->db_path && wpg_is_conninfo (o->db_path)
                   ? wpg_display (o->db_path, dbname, sizeof dbname) : o->db_path;
  if (o->db_path && o->policy_files && o->policy_files[0])
    {
      wpol_engine_free (e);
      ward_err_set (err, WARD_E_INVALID, 0, "--db and --policy do not go together: the "
                    "policies come from the store or from files (load the files into the "
                    "store with `ward policy load --db %.150s FILE...`)", db);
      return NULL;
    }
  if (o->db_path && o->grants_text)
    {
      wpol_engine_free (e);
      ward_err_set (err, WARD_E_INVALID, 0, "--allow-* and --db do not go together: a run "
                    "does not change the store (print the grants with --print-policy and "
                    "load them with `ward policy load --db %.150s FILE`)", db);
      return NULL;
    }
  if (o->db_path)
    {
      wpol_run_state.store = wpol_store_open (o->db_path, 0, err);
      if (wpol_run_state.store == NULL && err->kind == WARD_E_NOT_FOUND)
        {
          char old[WARD_ERR_MSG_MAX];
          memcpy (old, err->msg, sizeof old);
          snprintf (err->msg, sizeof err->msg, "%.300s (create it with `ward policy load "
                    "--db %.150s FILE...`)", old, db);
        }
      r = wpol_run_state.store ? wpol_engine_load_store (e, wpol_run_state.store, &d, err) : -1;
      wpol_buf_printf (desc, "store %s", db);
    }
  else if (o->policy_files && o->policy_files[0])
    {
      size_t n = 0;
      wpol_buf_puts (desc, "files");
      for (; o->policy_files[n]; n++)
        wpol_buf_printf (desc, "%s %s", n ? "," : "", o->policy_files[n]);
      /* the one convenience of default deny (ward-policy(5)): a file that
       * declares no actor applies to the actor the run starts */
      r = o->run_actor ? wpol_engine_set_run_actor (e, o->run_actor, err) : 0;
      if (r == 0 && o->grants_text)
        r = load_with_grants (e, o->policy_files, NULL, NULL, n, o->grants_text, desc, &d, err);
      else if (r == 0)
        r = wpol_engine_load_files (e, o->policy_files, n, &d, err);
    }
  else
    {
      wpol_buf_puts (desc, "built-in");
      for (size_t i = 0; i < wpol_builtin_count; i++)
        wpol_buf_printf (desc, "%s %s", i ? "," : "", wpol_builtin_names[i]);
      if (o->grants_text)
        {
          r = o->run_actor ? wpol_engine_set_run_actor (e, o->run_actor, err) : 0;
          if (r == 0)
            r = load_with_grants (e, wpol_builtin_names, wpol_builtin_texts, wpol_builtin_lens,
                                  wpol_builtin_count, o->grants_text, desc, &d, err);
        }
      else
        r = wpol_engine_load_texts (e, wpol_builtin_names, wpol_builtin_texts,
                                    wpol_builtin_lens, wpol_builtin_count, &d, err);
    }
  if (d.n)
    print_diags (&d);
  wpol_diags_free (&d);
  if (r < 0)
    {
      wpol_engine_free (e);
      return NULL;
    }
  return e;
}

/* Why the run does not start: err, said as the audit's refusal. */
static void
unaudited (ward_err *err)
{
  ward_err_prefix (err, "refusing to run unaudited");
  if (wpol_run_state.audit_default)     /* the default: say how to choose another */
    wpol_audit_default_hint (err);
}

int
ward_policy_audit_ready (ward_err *err)
{
  if (!wpol_run_state.audit_pending)
    return 0;
  wpol_run_state.audit_pending = 0;
  if (wpol_audit_opened (err) == 0)
    return 0;
  unaudited (err);
  ward_policy_shutdown ();
  return -1;
}

int
ward_policy_init (const ward_policy_opts *opts, ward_err *err)
{
  static const ward_policy_opts none;
  wpol_gate *g = &wpol_gate_state;
  ward_policy_shutdown ();
  const ward_policy_opts *o = opts ? opts : &none;
  wpol_buf desc = { 0 };
  g->permissive = o->permissive;
  g->audit_all = o->audit_all;
  if (add_deny_rules (g, o->deny, err) < 0)
    goto fail;
  if (o->trace_path && (g->trace = fopen (o->trace_path, "ae")) == NULL)
    {
      ward_err_set (err, WARD_E_INVALID, errno, "opening trace file `%s`", o->trace_path);
      goto fail;
    }
  if ((g->engine = load_engine (o, &desc, err)) == NULL)
    goto fail;
  if (o->run_actor && !wpol_engine_declares (g->engine, o->run_actor))
    fprintf (stderr, "ward: warning: no actor declaration of the %s matches actor `%s`: "
             "every request it makes is denied (declare it: see ward-policy(5))\n",
             desc.s ? desc.s : "policies", o->run_actor);
  char path[4096];
  const char *audit = o->audit_path ? o->audit_path : o->db_path;
  if (audit == NULL)
    {
      if (wpol_audit_default_path (path, sizeof path, 1, err) < 0)
        goto fail;
      audit = path;
    }
  wpol_audit_opts ao = { .path = audit, .sync = o->audit_sync,
                         .fold_after = (size_t) o->audit_fold, .engine = g->engine,
                         .from_store = o->db_path != NULL, .store = desc.s ? desc.s : "",
                         .permissive = o->permissive, .audit_all = o->audit_all };
  wpol_run_state.audit_default = audit == path;
  if ((wpg_is_conninfo (audit)
       ? wpg_ship_start (&ao, audit, o->audit_spool, o->audit_later, err)
       : o->audit_later ? wpol_audit_begin (&ao, err) : wpol_audit_start (&ao, err)) < 0)
    {
      unaudited (err);
      goto fail;
    }
  wpol_run_state.audit_pending = o->audit_later;
  g->record = wpol_audit_submit;
  if (wpol_run_state.store && wpol_store_is_pg (wpol_run_state.store)
      && pipe2 (wpol_run_state.wake, O_CLOEXEC) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, errno, "starting the policy store poller");
      goto fail;
    }
  if (wpol_run_state.store)
    {
      wpol_run_state.stop = 0;
      int rc = pthread_create (&wpol_run_state.poller, NULL, poll_store, NULL);
      if (rc != 0)
        {
          ward_err_set (err, WARD_E_INTERNAL, rc, "starting the policy store poller");
          goto fail;
        }
      wpol_run_state.polling = 1;
    }
  g->decide = wpol_decide;
  g->possible = wpol_decide_possible;
  g->declares = wpol_engine_declares;
  g->generation = wpol_engine_generation;
  g->ready = 1;
  wpol_buf_free (&desc);
  return 0;
fail:
  wpol_buf_free (&desc);
  ward_policy_shutdown ();
  return -1;
}

void
ward_policy_shutdown (void)
{
  wpol_gate *g = &wpol_gate_state;
  g->ready = 0;
  wpol_run_state.audit_pending = 0;
  if (wpol_run_state.polling)
    {
      pthread_mutex_lock (&wpol_run_state.lock);
      wpol_run_state.stop = 1;
      pthread_cond_signal (&wpol_run_state.cond);
      pthread_mutex_unlock (&wpol_run_state.lock);
      if (wpol_run_state.wake[1] >= 0)
        {
          ssize_t w = write (wpol_run_state.wake[1], "", 1);   /* (one byte: it cannot fill) */
          (void) w;
          wpgs_stop (wpol_run_state.store);       /* (a query the server never answers) */
        }
      pthread_join (wpol_run_state.poller, NULL);
      wpol_run_state.polling = 0;
    }
  wpol_store_close (wpol_run_state.store);
  wpol_run_state.store = NULL;
  for (int i = 0; i < 2; i++)
    if (wpol_run_state.wake[i] >= 0)
      {
        close (wpol_run_state.wake[i]);
        wpol_run_state.wake[i] = -1;
      }
  /* the writer reads rule locations owned by the engine and the --deny
   * rules: stop it (writing everything queued) before freeing them */
  wpol_audit_stop ();
  wpg_ship_stop ();               /* the spool's last pass, after the writer's end */
  g->record = NULL;
  g->decide = NULL;
  g->possible = NULL;
  g->declares = NULL;
  g->generation = NULL;
  wpol_engine_free (g->engine);
  g->engine = NULL;
  for (size_t i = 0; i < g->ndeny; i++)
    {
      free (g->deny[i]);
      free ((char *) g->deny_locs[i].text);
    }
  free (g->deny);
  free (g->deny_locs);
  g->deny = NULL;
  g->deny_locs = NULL;
  g->ndeny = 0;
  if (g->trace)
    fclose (g->trace);
  g->trace = NULL;
  g->permissive = g->audit_all = 0;
}

unsigned long long
ward_policy_audit_lost (void)
{
  wpol_audit_counts c;
  wpol_audit_get_counts (&c);
  return c.lost + wpg_ship_lost ();
}

char **
ward_policy_host_names (ward_err *err)
{
  wpol_gate *g = &wpol_gate_state;
  if (!g->ready || g->engine == NULL)
    {
      ward_err_set (err, WARD_E_UNAVAILABLE, 0, "the policy engine is not running");
      return NULL;
    }
  return wpol_engine_host_names (g->engine, err);
}

void
ward_policy_names_free (char **names)
{
  wpol_names_free (names);
}

int
ward_policy_host (const char *name, ward_host_spec *out, ward_err *err)
{
  wpol_gate *g = &wpol_gate_state;
  if (!g->ready || g->engine == NULL)
    return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "the policy engine is not running");
  return wpol_engine_host (g->engine, name, out, err);
}

int
ward_policy_sandbox (const char *name, ward_profile *out, ward_err *err)
{
  wpol_gate *g = &wpol_gate_state;
  if (!g->ready || g->engine == NULL)
    return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "the policy engine is not running");
  return wpol_engine_sandbox (g->engine, name, out, err);
}
