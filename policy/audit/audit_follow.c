/* audit_follow.c -- `ward audit --follow` on a local trail (SQLite): the
 * last --limit matching records, then each new one as its batch is
 * committed, until SIGINT or SIGTERM (exit 0) or until the output is
 * closed (a reader gone from the pipe: exit 0, quietly); and what the
 * fleet trail's follower (audit_pg.c) shares with it: signals, waiting,
 * printing. The writer is the only one to number records, in the order
 * it commits them, so "serial above the last one read" misses none. */
#include "config.h"
#include "audit_cli.h"
#include "audit.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* How often the local trail is read again: the writer commits every
 * 100 ms by default. */
#define POLL_MS 200
/* The records shown before following, unless --limit says. */
#define TAIL_DEFAULT 10

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t cut_fd = -1;

static void
on_stop (int sig)
{
  (void) sig;
  stopping = 1;
  /* a read blocked on a server that hangs ends at once: libpq goes on
   * waiting through EINTR */
  int fd = cut_fd, e = errno;
  if (fd >= 0)
    shutdown (fd, SHUT_RDWR);
  errno = e;
}

void
wpol_acli_follow_cut (int fd)
{
  cut_fd = fd;
}

void
wpol_acli_follow_signals (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;      /* no SA_RESTART: a wait ends at once */
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sigaction (SIGPIPE, &sa, NULL);
  /* a log shipper reads each record as soon as it is printed */
  setvbuf (stdout, NULL, _IOLBF, 0);
}

int
wpol_acli_stopping (void)
{
  return stopping;
}

int
wpol_acli_follow_print (const wpol_aopts *o, wpol_arows *r)
{
  if (r->n && wpol_acli_list (o, r, stdout) != 0)
    return -1;
  return fflush (stdout) == 0 && !ferror (stdout) ? 0 : -1;
}

int
wpol_acli_follow_wait (int fd, int ms)
{
  /* standard output, for no event: a pipe whose reader is gone reports
   * POLLERR, so `ward audit --follow | head -1` ends though nothing new
   * comes to be written */
  struct pollfd p[2] = { { 1, 0, 0 }, { fd, POLLIN, 0 } };
  if (stopping)
    return -1;
  int n = poll (p, fd >= 0 ? 2 : 1, ms);
  if (stopping)
    return -1;
  if (n < 0)
    return errno == EINTR ? 0 : -1;
  if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))
    return -1;
  return fd >= 0 && p[1].revents ? 1 : 0;
}

/* 1 when db holds the audit table, 0 when not yet, -1 on an error. */
static int
has_table (sqlite3 *db)
{
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2 (db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                          "name = 'audit'", -1, &s, NULL) != SQLITE_OK)
    return -1;
  int rc = sqlite3_step (s);
  sqlite3_finalize (s);
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Open the trail at path once it is there and holds the audit table
 * (saying once that we wait): *db and its file's identity in *st. 1, 0
 * when stopped meanwhile (a signal, the output closed), -1 said. */
static int
open_trail (wpol_aopts *o, char *path, size_t size, sqlite3 **db, struct stat *st)
{
  int said = 0;
  for (;;)
    {
      if (access (path, F_OK) == 0)
        {
          if (*db == NULL && (*db = wpol_acli_open_db (o, "", path, size)) == NULL)
            return -1;
          int t = has_table (*db);
          if (t < 0)
            {
              fprintf (stderr, "ward audit: `%s` is not an audit database: %s\n", path,
                       sqlite3_errmsg (*db));
              sqlite3_close (*db);
              *db = NULL;
              return -1;
            }
          /* the file just opened, not one that replaced it since */
          if (t && stat (path, st) == 0)
            return 1;
          if (t)                  /* gone again: wait for the next one */
            {
              sqlite3_close (*db);
              *db = NULL;
            }
        }
      if (!said)
        fprintf (stderr, "ward audit: waiting for `%s` (no run has written there yet)\n",
                 path);
      said = 1;
      if (wpol_acli_follow_wait (-1, POLL_MS) < 0)
        {
          sqlite3_close (*db);
          *db = NULL;
          return 0;
        }
    }
}

/* Whether path no longer names the file st describes: removed, or
 * replaced (an operator rotating the trail, a new one made in its place). */
static int
replaced (const char *path, const struct stat *st)
{
  struct stat now;
  return stat (path, &now) < 0 || now.st_ino != st->st_ino || now.st_dev != st->st_dev;
}

int
wpol_acli_follow (const wpol_aopts *o0)
{
  wpol_aopts o = *o0;
  char path[4096];
  ward_err err;
  wpol_acli_follow_signals ();
  if (o.db)
    snprintf (path, sizeof path, "%s", o.db);
  else if (wpol_audit_default_path (path, sizeof path, 0, &err) < 0)
    {
      fprintf (stderr, "ward audit: %s\n", err.msg);
      return 1;
    }
  /* A follower may start before the first run writes: it waits for the
   * database, and says so once. */
  sqlite3 *db = NULL;
  struct stat st;
  int got = open_trail (&o, path, sizeof path, &db, &st);
  if (got <= 0)
    return got < 0 ? 1 : 0;
  wpol_acols cols = { 0 };
  int64_t last = 0;
  o.cols = &cols;
  o.limit = o0->limit ? o0->limit : TAIL_DEFAULT;
  int rc = 0;
  while (!stopping)
    {
      wpol_arows r;
      o.after = last;
      /* the file moved away or removed: its last records, then the new
       * one from its first record (its serials start again) */
      int moved = replaced (path, &st);
      if (wpol_acli_read_rows (db, &o, path, &r, &last) < 0)
        {
          wpol_acli_rows_free (&r);
          rc = 1;
          break;
        }
      int gone = wpol_acli_follow_print (&o, &r) < 0;
      wpol_acli_rows_free (&r);
      o.limit = 0;                /* the tail was the first read's */
      if (gone)
        break;
      if (moved)
        {
          fprintf (stderr, "ward audit: `%s` was replaced or removed; following the new one "
                   "from its first record\n", path);
          sqlite3_close (db);
          db = NULL;
          got = open_trail (&o, path, sizeof path, &db, &st);
          if (got <= 0)
            return got < 0 ? 1 : 0;
          last = 0;
          continue;               /* read at once */
        }
      if (wpol_acli_follow_wait (-1, POLL_MS) < 0)
        break;
    }
  sqlite3_close (db);
  return rc;
}
