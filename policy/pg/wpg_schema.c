/* wpg_schema.c -- the schema `ward` in PostgreSQL and its versioned
 * migrations (wpg.h): the policy store's tables (the same concepts as the
 * SQLite store: files, their definitions, the version counter and the
 * history) and the fleet's audit trail (runs, records, and the shipping
 * position of each host's spool). */
#include "config.h"
#include "wpg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Step N brings the schema from version N-1 to N; each runs in the one
 * transaction of a migration, under an advisory lock, and is recorded in
 * schema_migrations. A released ward never edits a step: it adds one. */
static const char *const steps[WPG_SCHEMA_VERSION] = {
  /* 1: the policy store */
  "CREATE TABLE meta (key text PRIMARY KEY, value bigint NOT NULL);"
  "INSERT INTO meta VALUES ('version', 0);"
  "CREATE TABLE files (id bigint PRIMARY KEY, name text UNIQUE NOT NULL,"
  "  source text NOT NULL, seq bigint NOT NULL, loaded_at bigint NOT NULL);"
  "CREATE TABLE policies (id bigint PRIMARY KEY,"
  "  file_id bigint NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
  "  name text UNIQUE NOT NULL, line integer NOT NULL);"
  "CREATE TABLE rules (id bigint PRIMARY KEY,"
  "  policy_id bigint NOT NULL REFERENCES policies(id) ON DELETE CASCADE,"
  "  seq integer NOT NULL, effect text NOT NULL CHECK (effect IN ('allow','deny')),"
  "  line integer NOT NULL, text text NOT NULL);"
  "CREATE INDEX rules_policy ON rules(policy_id);"
  "CREATE TABLE actors (id bigint PRIMARY KEY,"
  "  file_id bigint NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
  "  pattern text UNIQUE NOT NULL, line integer NOT NULL, body text NOT NULL);"
  "CREATE TABLE hosts (id bigint PRIMARY KEY,"
  "  file_id bigint NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
  "  name text UNIQUE NOT NULL, line integer NOT NULL, threads integer NOT NULL,"
  "  sandbox text NOT NULL);"
  "CREATE TABLE sandboxes (id bigint PRIMARY KEY,"
  "  file_id bigint NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
  "  name text UNIQUE NOT NULL, line integer NOT NULL, body text NOT NULL);"
  "CREATE TABLE history (version bigint PRIMARY KEY, at bigint NOT NULL,"
  "  \"user\" text NOT NULL, what text NOT NULL, files text NOT NULL, hash text NOT NULL);"
  "CREATE TABLE history_files (version bigint NOT NULL"
  "  REFERENCES history(version) ON DELETE CASCADE,"
  "  seq integer NOT NULL, name text NOT NULL, source text NOT NULL,"
  "  PRIMARY KEY (version, seq));",
  /* 2: the audit trail. A host's records reach it through a local spool
   * (one SQLite file per run); audit_spools holds how far each spool has
   * been shipped, moved in the transaction that inserts the records, so
   * that a record is shipped exactly once. */
  "CREATE TABLE audit_spools (spool text PRIMARY KEY, hostname text NOT NULL,"
  "  shipped bigint NOT NULL DEFAULT 0, updated timestamptz NOT NULL DEFAULT now());"
  "CREATE TABLE audit_runs (id bigserial PRIMARY KEY,"
  "  spool text UNIQUE NOT NULL REFERENCES audit_spools(spool),"
  "  hostname text NOT NULL, started bigint NOT NULL, os_pid bigint NOT NULL,"
  "  store text NOT NULL, permissive integer NOT NULL, audit_all integer NOT NULL);"
  "CREATE TABLE audit (serial bigserial PRIMARY KEY,"
  "  run bigint REFERENCES audit_runs(id), hostname text NOT NULL,"
  "  spool text NOT NULL, spool_serial bigint NOT NULL,"
  "  ts bigint NOT NULL, ts_last bigint NOT NULL, count bigint NOT NULL DEFAULT 1,"
  "  kind text NOT NULL CHECK (kind IN ('decision', 'lost', 'folded', 'overflow', 'notice')),"
  "  decision text, mode text, actor text, actor_meta text, scope text,"
  "  action text, resource text, attrs text, pid text, host text,"
  "  reason text, rule_policy text, rule_file text, rule_line bigint,"
  "  rule_text text, store_version bigint, note text,"
  "  resource_len bigint, resource_sha256 text,"
  "  UNIQUE (spool, spool_serial));"
  "CREATE INDEX audit_ts ON audit(ts);"
  "CREATE INDEX audit_hostname ON audit(hostname, serial);",
};

/* The version of the ward schema at c: 0 when there is none. -1 with err. */
static int
current (PGconn *c, int *version, ward_err *err)
{
  /* the table first: a query naming a missing one fails to plan */
  PGresult *r = PQexec (c, "SELECT to_regclass('" WPG_SCHEMA ".schema_migrations') IS NOT NULL");
  if (PQresultStatus (r) != PGRES_TUPLES_OK || PQntuples (r) != 1)
    goto fail;
  int exists = PQgetvalue (r, 0, 0)[0] == 't';
  PQclear (r);
  *version = 0;
  if (!exists)
    return 0;
  r = PQexec (c, "SELECT coalesce(max(version), 0) FROM " WPG_SCHEMA ".schema_migrations");
  if (PQresultStatus (r) != PGRES_TUPLES_OK || PQntuples (r) != 1)
    goto fail;
  *version = atoi (PQgetvalue (r, 0, 0));
  PQclear (r);
  return 0;
fail:
  wpg_fail (c, r, err, "reading the schema version");
  PQclear (r);
  return -1;
}

static int
too_new (PGconn *c, int version, ward_err *err)
{
  char name[256];
  wpg_conn_name (c, name, sizeof name);
  return ward_err_set (err, WARD_E_INVALID, 0, "the ward schema in %s has version %d; this "
                       "ward knows up to %d (upgrade ward)", name, version, WPG_SCHEMA_VERSION);
}

int
wpg_schema (PGconn *c, int write, int need, ward_err *err)
{
  int version;
  if (current (c, &version, err) < 0)
    return -1;
  if (version > WPG_SCHEMA_VERSION)
    return too_new (c, version, err);
  if (version >= (write ? WPG_SCHEMA_VERSION : need))
    return 0;
  if (!write)
    {
      char name[256];
      wpg_conn_name (c, name, sizeof name);
      if (version == 0)
        return ward_err_set (err, WARD_E_NOT_FOUND, 0, "%s holds no ward schema yet (the first "
                             "`ward policy load --db` creates it; see ward-fleet(7))", name);
      return ward_err_set (err, WARD_E_INVALID, 0, "the ward schema in %s has version %d and "
                           "this needs %d (a `ward policy load --db` by its owner upgrades it; "
                           "see ward-fleet(7))", name, version, need);
    }
  /* Under the lock the version is read again: another ward may have
   * migrated meanwhile. */
  if (wpg_exec (c, err, "starting the migration", "BEGIN") < 0)
    return -1;
  if (wpg_exec (c, err, "locking the schema",
                "SELECT pg_advisory_xact_lock(" WPG_LOCK_SCHEMA ")") < 0
      || wpg_exec (c, err, "creating the ward schema",
                   "CREATE SCHEMA IF NOT EXISTS " WPG_SCHEMA ";"
                   "CREATE TABLE IF NOT EXISTS " WPG_SCHEMA ".schema_migrations"
                   " (version integer PRIMARY KEY,"
                   "  applied_at timestamptz NOT NULL DEFAULT now(),"
                   "  applied_by text NOT NULL DEFAULT current_user)") < 0
      || current (c, &version, err) < 0)
    goto fail;
  if (version > WPG_SCHEMA_VERSION)
    {
      too_new (c, version, err);
      goto fail;
    }
  for (int v = version + 1; v <= WPG_SCHEMA_VERSION; v++)
    {
      char what[64], rec[128];
      snprintf (what, sizeof what, "migrating the ward schema to version %d", v);
      snprintf (rec, sizeof rec, "INSERT INTO " WPG_SCHEMA ".schema_migrations (version)"
                " VALUES (%d)", v);
      if (wpg_exec (c, err, what, steps[v - 1]) < 0 || wpg_exec (c, err, what, rec) < 0)
        goto fail;
    }
  if (wpg_exec (c, err, "committing the migration", "COMMIT") < 0)
    goto fail;
  return 0;
fail:
  {
    PGresult *r = PQexec (c, "ROLLBACK");
    PQclear (r);
  }
  return -1;
}
