/* audit_cli.h -- what the two files of `ward audit` share: its options,
 * the rows it read, and the listing and stats commands (audit_show.c) that
 * the entry point (audit_cli.c) calls. Internal to the policy library. */
#ifndef WARD_POLICY_AUDIT_CLI_H
#define WARD_POLICY_AUDIT_CLI_H

#include <stdint.h>
#include <stdio.h>
#include "audit.h"

#define WPOL_ACLI_MAX_POLICIES 64

/* The widths of the listing's variable columns, kept from one batch of
 * rows to the next by --follow (which prints the header once). */
typedef struct wpol_acols {
  size_t host, actor, action, resource, pid;
  int header;                     /* the header was printed */
} wpol_acols;

typedef struct wpol_aopts {
  const char *db, *actor, *action, *resource, *name;
  const char *host;               /* --host: a hostname, or a shell pattern (fnmatch) */
  int denied, json, run_last, full;
  int follow;                     /* --follow */
  int tail;                       /* the listing: only the --limit newest are read */
  int fleet;                      /* reading a fleet trail (PostgreSQL): rows have hostnames */
  int64_t after;                  /* only serials above (--follow); 0: none */
  wpol_acols *cols;               /* --follow: the widths so far; NULL: one listing */
  /* suggest: the policy to leave out what it allows (files, or a store) */
  const char *policies[WPOL_ACLI_MAX_POLICIES];
  size_t npolicies;
  const char *policy_db;
  const char *output;             /* suggest --interactive: the file written */
  int split, interactive;
  int64_t since, run, limit;      /* 0: none */
} wpol_aopts;

/* The rows read, oldest first, each string malloc'd. */
typedef struct wpol_arows {
  wpol_arow *v;
  size_t n, cap;
} wpol_arows;

void wpol_acli_rows_free (wpol_arows *r);

/* The places of w's strings, in the order of their columns (after the
 * eight integers). */
#define WPOL_AROW_NSTRS 18
void wpol_acli_row_strs (wpol_arow *w, char **s[WPOL_AROW_NSTRS]);
/* ... and its integers, in the order both readers select them: serial,
 * run, ts, ts_last, count, rule_line, store_version, resource_len. */
#define WPOL_AROW_NINTS 8
void wpol_acli_row_ints (wpol_arow *w, int64_t *v[WPOL_AROW_NINTS]);

/* A row that stands for lost records, not for a decision. */
int wpol_acli_is_lost (const wpol_arow *w);
/* A row of something the run said (the policy store lost, back): its note. */
int wpol_acli_is_notice (const wpol_arow *w);
/* A row that counts denials of one actor and action not recorded one by one. */
int wpol_acli_is_folded (const wpol_arow *w);
/* A folded row that counts the quiet denials (`deny quietly`) of one
 * actor and action: decided by a rule, not left to suggest. */
int wpol_acli_is_quiet (const wpol_arow *w);

/* Whether the hostname h passes --host (o->host NULL: every one does). */
int wpol_acli_host_match (const wpol_aopts *o, const char *h);

/* The local trail (SQLite): open the database o names (or the default),
 * importing a DB.lost first (path: its name); NULL, said on stderr. */
struct sqlite3;
struct sqlite3 *wpol_acli_open_db (const wpol_aopts *o, const char *cmd, char *path,
                                   size_t size);
/* The rows of db o asks for (serial above o->after), oldest first, into
 * out; *last (when not NULL) the highest serial read, matching or not
 * (unchanged when none). 0, or -1 said on stderr. */
int wpol_acli_read_rows (struct sqlite3 *db, const wpol_aopts *o, const char *path,
                         wpol_arows *out, int64_t *last);

/* The fleet trail (audit_pg.c): the rows o asks for from the PostgreSQL
 * server o->db names, as wpol_acli_read_rows; name gets the server's
 * name for people (no password). 0, or -1 said on stderr. */
int wpol_acli_pg_read (const wpol_aopts *o, const char *cmd, wpol_arows *out, char *name,
                       size_t size);
/* `ward audit --follow` on the fleet trail: the exit status. */
int wpol_acli_pg_follow (const wpol_aopts *o);
/* `ward audit --follow` on a local trail (audit_follow.c). */
int wpol_acli_follow (const wpol_aopts *o);

/* ---- what --follow shares (audit_follow.c) ---- */

/* Catch SIGINT and SIGTERM (wpol_acli_stopping then says so) and ignore
 * SIGPIPE (a closed output is then an error of the write). */
void wpol_acli_follow_signals (void);
int wpol_acli_stopping (void);
/* The socket a stop signal shuts down (-1: none; cleared before it is
 * closed), so that a follower blocked on a server that hangs stops too. */
void wpol_acli_follow_cut (int fd);
/* Print rows r as o says (the listing's format, o->cols kept), flushed:
 * 0, or -1 when the output is gone (a closed pipe: stop quietly). */
int wpol_acli_follow_print (const wpol_aopts *o, wpol_arows *r);
/* Wait up to ms, or until fd (-1: none) is readable, a signal stops us
 * or the output is closed (a reader gone from the pipe). 1 when fd is
 * readable, 0 on time, -1 to stop. */
int wpol_acli_follow_wait (int fd, int ms);

/* `ward audit [list]` and `ward audit stats` over the rows r: the exit
 * status. The listing escapes r's strings in place. */
int wpol_acli_list (const wpol_aopts *o, wpol_arows *r, FILE *out);
int wpol_acli_stats (const wpol_aopts *o, wpol_arows *r, FILE *out);

#endif
