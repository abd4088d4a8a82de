/* pgship.h -- the audit trail of a `ward run` shipped to PostgreSQL
 * (--audit postgresql://..., or --db postgresql://... without --audit;
 * DESIGN 3.4) through a local spool.
 *
 * The run's records are written by the ordinary audit writer (audit.h:
 * batching, coalescing, folding, lost entries) into a spool of its own,
 * an SQLite file DIR/HOST-PID-TIME-RANDOM.db (0600; DIR is --audit-spool,
 * else $XDG_STATE_HOME/ward/spool or ~/.local/state/ward/spool, 0700),
 * which the run holds an flock on while it lives. A shipper thread copies
 * the spool into the tables of the ward schema (migration 2: audit_spools,
 * audit_runs, audit), in serial order, in one PostgreSQL transaction per
 * batch: it locks the spool's row of audit_spools, reads how far it was
 * shipped, COPYs the rows past that point (each with the host name and
 * the run's id in PostgreSQL), writes the new counts of the folded rows
 * the writer updated in place, moves the position, NOTIFYs ward_audit
 * with the host name, and commits. The position moves in the transaction
 * that inserts, so that each record is shipped exactly once (UNIQUE
 * (spool, spool_serial) is the backstop). The folded counts shipped are
 * noted in the spool too (its table ship_folds), so that the process
 * that ships a kept spool knows how much of each is new.
 *
 * While the server is away the records stay in the spool; the run goes
 * on, said once on stderr, and the shipper retries with backoff (0.1 s
 * doubling to 2 s), saying once that it ships again. At the end of the
 * run the writer stops and the shipper makes a last pass, given up past
 * WPG_SHIP_FINAL_MS without progress (after one try when the server was
 * already away), or WPG_SHIP_FINAL_MAX_MS in all: a spool wholly shipped
 * is removed, else it is kept (a record waiting there is not lost: ward
 * says how many wait), and the next run auditing to PostgreSQL ships it
 * (wpg_ship_leftovers). Nothing here ever names a password: servers are
 * named by wpg_display / wpg_conn_name. */
#ifndef WARD_POLICY_PGSHIP_H
#define WARD_POLICY_PGSHIP_H

#include <stddef.h>
#include <stdint.h>
#include "audit.h"
#include "werr.h"

/* How long the last pass of a run goes on without shipping anything, and
 * at most (a backlog left then waits in the kept spool). */
#define WPG_SHIP_FINAL_MS 3000
#define WPG_SHIP_FINAL_MAX_MS 30000

/* Start auditing to the server conninfo through a new spool in spool_dir
 * (NULL: the default above): the spool created and locked, the writer
 * started on it (o->path is ignored; with later, as wpol_audit_begin:
 * wpol_audit_opened then waits for its open), the shipper started. A
 * server away is no error (the records spool). -1 with err when the
 * spool cannot be had (fail closed: the run must not go unaudited). */
int wpg_ship_start (const wpol_audit_opts *o, const char *conninfo, const char *spool_dir,
                    int later, ward_err *err);

/* The end of the run: the writer stopped (wpol_audit_stop), the last
 * pass, the spool removed or kept (said on stderr). Nothing when no
 * shipper runs. */
void wpg_ship_stop (void);

/* The records the last run lost with its spool: removed (by someone
 * else) while the run went on, with records in it not yet shipped. They
 * count as lost records (exit status 3). */
uint64_t wpg_ship_lost (void);

/* Ship the spools in dir (NULL: the default) that no live process holds,
 * left by runs that ended while the server was away, and remove them:
 * the number of records shipped, or -1 with err (the spool in question
 * is kept; the others may have been shipped). For `ward run` (its
 * shipper calls it on its first connection) and any other command that
 * reaches the audit trail in PostgreSQL. */
long long wpg_ship_leftovers (const char *conninfo, const char *dir, ward_err *err);

/* The default spool directory into buf (created, 0700, with mkdirs):
 * 0, or -1 with err ending in a hint (--audit-spool DIR, XDG_STATE_HOME). */
int wpg_spool_default_dir (char *buf, size_t size, int mkdirs, ward_err *err);

#endif
