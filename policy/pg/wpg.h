/* wpg.h -- what every part of ward that talks to PostgreSQL (the fleet
 * backend, DESIGN 3.4) shares: telling a connection string from a file
 * name, naming a server without its credentials, connecting, and errors.
 *
 * A --db or --audit value is a PostgreSQL connection string when it
 * starts with postgresql:// or postgres://, or when it is libpq's
 * key=value form (its first word is a libpq keyword followed by `=`, as
 * in "host=db1 dbname=ward"). What the string leaves out comes from the
 * PG* environment variables and ~/.pgpass, as for psql: "postgresql://"
 * alone is the server the environment names.
 *
 * No password ever leaves this module: errors and every text meant for
 * people or records name the server with wpg_display(), which never
 * holds one. Everything ward keeps in PostgreSQL lives in the schema
 * `ward` (WPG_SCHEMA). */
#ifndef WARD_POLICY_WPG_H
#define WARD_POLICY_WPG_H

#include <libpq-fe.h>
#include <stddef.h>
#include "werr.h"

#define WPG_SCHEMA "ward"

/* 1 when s is a PostgreSQL connection string (see above), else 0. */
int wpg_is_conninfo (const char *s);

/* The server s names, for people: "postgresql://USER@HOST:PORT/DBNAME"
 * with the parts s (or the environment) gives, never a password, written
 * into buf (cut to size). A string libpq cannot parse is shown as
 * "postgresql://(unparsable)". Returns buf. */
const char *wpg_display (const char *conninfo, char *buf, size_t size);

/* The server of an open connection, for people, as wpg_display spells
 * it (never a password). Returns buf. */
const char *wpg_conn_name (PGconn *conn, char *buf, size_t size);

/* Connect to conninfo (application_name "ward", a connect timeout of 10 s
 * unless the string sets one), set the search path to the ward schema
 * and the client encoding to UTF-8 (whatever PGCLIENTENCODING says).
 * NULL with err (WARD_E_UNAVAILABLE when the server cannot be reached,
 * WARD_E_INVALID when the string is malformed or refused) naming the
 * server by wpg_display(). */
PGconn *wpg_connect (const char *conninfo, ward_err *err);

/* wpg_connect that gives up as soon as wake_fd is readable (*woken = 1,
 * NULL): a thread that must stop promptly connects so. The connect
 * timeout (the string's, else 10 s; 0 none) bounds the whole attempt and
 * the first statement. */
PGconn *wpg_connect_wake (const char *conninfo, int wake_fd, int *woken, ward_err *err);

/* Set err from conn's last error (or from res's, when res is not NULL),
 * as "WHAT: MESSAGE" with the server's display name. kind
 * WARD_E_UNAVAILABLE when the connection is lost, else WARD_E_INTERNAL.
 * Returns -1. */
int wpg_fail (PGconn *conn, const PGresult *res, ward_err *err, const char *what);

/* Run sql (no parameters): 0, or -1 with err ("WHAT: ..."). */
int wpg_exec (PGconn *conn, ward_err *err, const char *what, const char *sql);

/* ---- the schema (wpg_schema.c) ---- */

/* Versions of the ward schema: 1 the policy store, 2 the audit trail. */
#define WPG_SCHEMA_VERSION 2
#define WPG_NEED_STORE 1
#define WPG_NEED_AUDIT 2
/* Advisory lock keys (pg_advisory_xact_lock): migrations; changes to the
 * policy store (load, remove, rollback), held from the first read of a
 * change to its commit. */
#define WPG_LOCK_SCHEMA "7761726400000001"
#define WPG_LOCK_STORE "7761726400000002"
/* NOTIFY channels: a change of the policy store (payload: its new
 * version); records shipped to the audit trail (payload: the hostname). */
#define WPG_CHANNEL_POLICY "ward_policy"
#define WPG_CHANNEL_AUDIT "ward_audit"

/* Check the ward schema at c: 0 when it is at least version need (and
 * not newer than this ward knows). With write, first bring it to
 * WPG_SCHEMA_VERSION (creating it when missing) in one transaction under
 * the schema lock. -1 with err: a schema newer than WPG_SCHEMA_VERSION
 * (WARD_E_INVALID: upgrade ward); none, or one too old, without write
 * (WARD_E_NOT_FOUND / WARD_E_INVALID, saying who creates it). Call
 * outside a transaction. */
int wpg_schema (PGconn *c, int write, int need, ward_err *err);

/* Overwrite, in place, the password of every PostgreSQL connection string
 * among argv[1..argc-1] (as a whole argument or after "--opt=") with
 * '*', after pointing argv[i] at a private copy: what `ps` and
 * /proc/PID/cmdline show holds no password from then on. Under `ward
 * policy` and `ward audit` only the values of --db, --audit and
 * --policy-db get the copy: any other argument is never connected to,
 * only echoed in errors, and keeps its stars. Call first thing in main. */
void wpg_scrub_argv (int argc, char **argv);

#endif
