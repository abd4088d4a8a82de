/* pgship.c -- the audit shipper of a run auditing to PostgreSQL
 * (pgship.h): its spool's file and lock, its connections, its loop with
 * backoff and its last pass, and the spools earlier runs left; a spool's
 * batches are pgship_batch.c's (pgshipw.h). */
#include "config.h"
#include "pgship.h"
#include "auditdb.h"
#include "pgshipw.h"
#include "wpg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_MS 50              /* the shipper looks at the spool this often */
#define BACKOFF_MIN_MS 100        /* first retry after a failure ... */
#define BACKOFF_MAX_MS 2000       /* ... doubling up to this */

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- connecting --------------------------------------------------------- */

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  pthread_t thread;
  int running, final, exited, abort;
  int sock;                       /* the open connection's socket, -1 none */
  int wake_r, wake_w;             /* a pipe written when the run gives up waiting */
  int shipped_all;                /* the last pass found nothing left */
  int64_t deadline;               /* the last pass gives up past it (now_ms) ... */
  int64_t limit;                  /* ... and past this, even while it ships */
  char *conninfo, *dir;
  char server[256];               /* the server, for people */
  spool live;
  int lockfd;                     /* the spool's flock */
  int away;                       /* said that the trail spools */
  ward_err why;                   /* the last failure */
} sh = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .sock = -1,
         .lockfd = -1, .wake_r = -1, .wake_w = -1 };

static int
aborted (void)
{
  return __atomic_load_n (&sh.abort, __ATOMIC_RELAXED);
}

/* wpg_connect that gives up as soon as the run ends (wake_r readable), and
 * the audit tables there, or made (when this role may). */
static PGconn *
ship_connect (const char *conninfo, ward_err *err)
{
  int woken;
  PGconn *c = wpg_connect_wake (conninfo, sh.wake_r, &woken, err);
  if (c == NULL)
    return NULL;
  ward_err e2;
  if (wpg_schema (c, 0, WPG_NEED_AUDIT, err) < 0 && PQstatus (c) == CONNECTION_OK
      && wpg_schema (c, 1, WPG_NEED_AUDIT, &e2) < 0)
    {
      PQfinish (c);
      return NULL;
    }
  ward_err_clear (err);
  return c;
}

/* ---- the spools of earlier runs ----------------------------------------- */

/* The spool directory dir is this user's alone: a directory owned by the
 * effective user, writable by no one else, in directories that only root
 * or this user may change (or sticky ones, like /tmp, where no one else
 * may rename what is ours); dir is replaced by its real path (symlinks
 * resolved), so that a symlink someone else could change later is not
 * followed again. Another user who may create or rename files there
 * could plant a spool that the next run ships under its own credentials
 * (a forged host, forged records), or swap a live one. 0, or -1 with
 * err. */
static int
spool_dir_safe (char *dir, size_t size, ward_err *err)
{
  char *real = realpath (dir, NULL);
  if (real == NULL)
    return ward_err_set (err, WARD_E_INVALID, errno, "the audit spool directory `%s`", dir);
  if (strlen (real) >= size)
    {
      free (real);
      return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "the audit spool directory");
    }
  strcpy (dir, real);
  free (real);
  struct stat st;
  if (stat (dir, &st) < 0)
    return ward_err_set (err, WARD_E_INVALID, errno, "the audit spool directory `%s`", dir);
  if (!S_ISDIR (st.st_mode))
    return ward_err_set (err, WARD_E_INVALID, ENOTDIR, "the audit spool directory `%s`", dir);
  if (st.st_uid != geteuid ())
    return ward_err_set (err, WARD_E_INVALID, 0, "the audit spool directory `%s` belongs to "
                         "uid %ld, not to this user (uid %ld): another user's spools are "
                         "never shipped", dir, (long) st.st_uid, (long) geteuid ());
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return ward_err_set (err, WARD_E_INVALID, 0, "the audit spool directory `%s` may be "
                         "written by other users (mode %04o): they could plant or swap "
                         "spools; make it 0700", dir, (unsigned) (st.st_mode & 07777));
  char up[4096];
  snprintf (up, sizeof up, "%s", dir);
  for (char *slash; (slash = strrchr (up, '/')) != NULL;)
    {
      slash[slash == up] = '\0';    /* "/a/b" -> "/a" -> "/" */
      if (stat (up, &st) < 0)
        return ward_err_set (err, WARD_E_INVALID, errno, "the audit spool directory's "
                             "parent `%s`", up);
      if ((st.st_uid != 0 && st.st_uid != geteuid ())
          || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)))
        return ward_err_set (err, WARD_E_INVALID, 0, "the audit spool directory `%s` lies in "
                             "`%s` (uid %ld, mode %04o), which another user may change: "
                             "they could swap the spools", dir, up, (long) st.st_uid,
                             (unsigned) (st.st_mode & 07777));
      if (strcmp (up, "/") == 0)
        break;
    }
  return 0;
}

/* Ship the spool at path, when no process holds it, then remove it: the
 * records shipped (0 also when it is held), or -1 with err. */
static long long
ship_left (PGconn *c, const char *path, cbuf *b, ward_err *err)
{
  int fd = open (path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return 0;                     /* gone meanwhile */
  struct stat a, z;
  if (flock (fd, LOCK_EX | LOCK_NB) < 0 || fstat (fd, &a) < 0 || stat (path, &z) < 0
      || a.st_ino != z.st_ino || a.st_dev != z.st_dev || !S_ISREG (a.st_mode)
      || a.st_uid != geteuid ())
    {
      /* a live run's, or shipped and removed by another; or a file this
       * user's runs did not make: never shipped (it would be shipped
       * under this user's credentials), never removed */
      close (fd);
      return 0;
    }
  /* what its run could not write into it, first: a lost entry in it */
  ward_err e;
  if (wpol_audit_import (path, &e) < 0)
    {
      close (fd);
      return ward_err_set (err, e.kind, 0, "%s", e.msg);
    }
  spool s;
  if (wpg_sp_init (&s, path) < 0)
    {
      close (fd);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "shipping `%s`", path);
    }
  int progress = 0, r = wpg_sp_ship (c, &s, b, 0, &progress, err);
  long long n = (long long) s.records;
  wpg_sp_free (&s);
  if (r >= 0)                     /* shipped, or a spool its run never opened */
    wpg_sp_remove (path);
  close (fd);
  return r < 0 ? -1 : n;
}

static long long
ship_leftovers_on (PGconn *c, const char *dir, const char *skip, ward_err *err)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : ward_err_set (err, WARD_E_INVALID, errno, "reading the "
                                               "audit spool directory `%s`", dir);
  cbuf b = { 0 };
  long long total = 0;
  int failed = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      size_t n = strlen (e->d_name);
      if (e->d_name[0] == '.' || n < 4 || strcmp (e->d_name + n - 3, ".db") != 0)
        continue;
      char path[4200];
      snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
      if (skip && strcmp (path, skip) == 0)
        continue;
      long long k = ship_left (c, path, &b, failed ? NULL : err);
      if (k < 0)
        failed = 1;
      else
        total += k;
      if (PQstatus (c) != CONNECTION_OK)
        break;
    }
  closedir (d);
  free (b.s);
  return failed ? -1 : total;
}

int
wpg_spool_default_dir (char *buf, size_t size, int make, ward_err *err)
{
  ward_err e;
  char db[4096];
  if (wpol_audit_default_path (db, sizeof db, make, &e) < 0)
    {
      /* its hint names --audit FILE: here the choice is the spool's */
      char *h = strstr (e.msg, "; " WPOL_AUDIT_DEFAULT_HINT);
      if (h)
        *h = '\0';
      return ward_err_set (err, e.kind, 0, "%s (the audit spool); give --audit-spool DIR, or "
                           "set XDG_STATE_HOME to a writable directory", e.msg);
    }
  char *slash = strrchr (db, '/');
  *slash = '\0';
  if (snprintf (buf, size, "%s/spool", db) >= (int) size)
    return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "the audit spool directory");
  if (make && mkdir (buf, 0700) < 0 && errno != EEXIST)
    return ward_err_set (err, WARD_E_INVALID, errno, "creating the audit spool directory "
                         "`%s` (give --audit-spool DIR, or set XDG_STATE_HOME to a writable "
                         "directory)", buf);
  return 0;
}

long long
wpg_ship_leftovers (const char *conninfo, const char *dir, ward_err *err)
{
  char def[4096];
  if (dir == NULL)
    {
      if (wpg_spool_default_dir (def, sizeof def, 0, err) < 0)
        return -1;
      dir = def;
    }
  char safe[4096];
  if (snprintf (safe, sizeof safe, "%s", dir) >= (int) sizeof safe)
    return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "the audit spool directory");
  if (spool_dir_safe (safe, sizeof safe, err) < 0)
    return -1;
  dir = safe;
  PGconn *c = ship_connect (conninfo, err);
  if (c == NULL)
    return -1;
  long long n = ship_leftovers_on (c, dir, NULL, err);
  PQfinish (c);
  return n;
}

/* ---- the shipper -------------------------------------------------------- */

static void
drop_conn (PGconn **c)
{
  if (*c == NULL)
    return;
  pthread_mutex_lock (&sh.lock);
  sh.sock = -1;
  pthread_mutex_unlock (&sh.lock);
  PQfinish (*c);
  *c = NULL;
}

/* One pass: connected (the leftovers of earlier runs shipped on the first
 * connection), the live spool shipped up to what it holds. 1 caught up, 0
 * not yet (no run row), -1 with sh.why. */
static int
pass (PGconn **c, cbuf *b, int *leftovers, int *progress)
{
  ward_err err;
  if (*c == NULL)
    {
      *c = ship_connect (sh.conninfo, &err);
      if (*c == NULL)
        {
          sh.why = err;
          return -1;
        }
      pthread_mutex_lock (&sh.lock);
      sh.sock = PQsocket (*c);
      pthread_mutex_unlock (&sh.lock);
    }
  int r = wpg_sp_ship (*c, &sh.live, b, 1, progress, &err);
  if (r >= 0 && !*leftovers)
    {
      *leftovers = 1;
      ward_err le;
      long long k = ship_leftovers_on (*c, sh.dir, sh.live.path, &le);
      if (k < 0 && PQstatus (*c) != CONNECTION_OK)
        *leftovers = 0;           /* the server went away: the next connection */
      else if (k < 0)
        fprintf (stderr, "ward: audit: a spool of an earlier run could not be shipped (it is "
                 "kept): %s\n", le.msg);
      else if (k > 0)
        fprintf (stderr, "ward: audit: %lld record%s of earlier runs shipped to %s from their "
                 "spools\n", k, k == 1 ? "" : "s", sh.server);
    }
  if (r < 0)
    {
      sh.why = err;
      drop_conn (c);
    }
  return r;
}

static void *
shipper (void *unused)
{
  (void) unused;
  PGconn *c = NULL;
  cbuf b = { 0 };
  unsigned backoff = 0;
  int leftovers = 0;
  int64_t dv = -1;                /* the spool's data_version when last caught up */
  pthread_mutex_lock (&sh.lock);
  for (;;)
    {
      int final = sh.final;
      pthread_mutex_unlock (&sh.lock);
      /* nothing new in the spool since the last pass caught up: no pass */
      int64_t v = -1;
      if (sh.live.db)
        {
          sqlite3_stmt *st;
          if (sqlite3_prepare_v2 (sh.live.db, "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK)
            {
              if (sqlite3_step (st) == SQLITE_ROW)
                v = sqlite3_column_int64 (st, 0);
              sqlite3_finalize (st);
            }
        }
      int r = 1, progress = 0;
      if (v < 0 || v != dv || c == NULL || final)
        r = pass (&c, &b, &leftovers, &progress);
      pthread_mutex_lock (&sh.lock);
      if (r < 0)
        {
          if (!sh.away)
            fprintf (stderr, "ward: audit: %s; the audit trail is spooling to `%s` and is "
                     "shipped when the server is back\n", sh.why.msg, sh.live.path);
          sh.away = 1;
          backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
          if (backoff > BACKOFF_MAX_MS)
            backoff = BACKOFF_MAX_MS;
        }
      else
        {
          if (sh.away)
            fprintf (stderr, "ward: audit: shipping the audit trail to %s again\n", sh.server);
          sh.away = 0;
          backoff = 0;
          dv = r > 0 ? v : -1;
          if (progress)
            {
              sh.deadline = now_ms () + WPG_SHIP_FINAL_MS;
              if (sh.final && sh.deadline > sh.limit)
                sh.deadline = sh.limit;
            }
        }
      /* r == 0 at the end: the writer never opened it, nothing to ship */
      if (final && r >= 0)
        {
          sh.shipped_all = 1;
          break;
        }
      if (final && now_ms () > sh.deadline)
        break;
      if (!sh.final || r < 0)
        {
          struct timespec ts;
          clock_gettime (CLOCK_REALTIME, &ts);
          unsigned ms = r < 0 ? backoff : PERIOD_MS;
          ts.tv_sec += ms / 1000;
          ts.tv_nsec += (long) (ms % 1000) * 1000000L;
          if (ts.tv_nsec >= 1000000000L)
            {
              ts.tv_sec++;
              ts.tv_nsec -= 1000000000L;
            }
          int was = sh.final;
          while (sh.final == was && !aborted ()
                 && pthread_cond_timedwait (&sh.cond, &sh.lock, &ts) == 0)
            ;
        }
      if (aborted ())
        break;
    }
  sh.exited = 1;
  pthread_cond_broadcast (&sh.cond);
  pthread_mutex_unlock (&sh.lock);
  drop_conn (&c);
  free (b.s);
  return NULL;
}

/* ---- start and stop ----------------------------------------------------- */

/* Records the last run's spool lost (wpg_ship_lost). */
static uint64_t ship_lost;

uint64_t
wpg_ship_lost (void)
{
  return ship_lost;
}

/* Whether the live spool's path no longer names the file the run made
 * (someone removed the spool or its directory meanwhile). */
static int
spool_gone (void)
{
  struct stat a, z;
  return sh.lockfd >= 0 && (fstat (sh.lockfd, &a) < 0 || stat (sh.live.path, &z) < 0
                            || a.st_ino != z.st_ino || a.st_dev != z.st_dev);
}

/* A new spool in dir, locked (sh.lockfd) before it is given its name, so
 * that no other process takes it for one left by a dead run; its schema
 * made, so that its writer and shipper find it. Its path into path. */
static int
make_spool (const char *dir, char *path, size_t size, ward_err *err)
{
  char host[256] = "", tmp[4200];
  gethostname (host, sizeof host - 1);
  for (char *p = host; *p; p++)
    if (*p == '/' || *p == '\\' || (unsigned char) *p < 0x21)
      *p = '_';
  unsigned rnd = 0;
  int ufd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (ufd >= 0)
    {
      if (read (ufd, &rnd, sizeof rnd) != (ssize_t) sizeof rnd)
        rnd = 0;
      close (ufd);
    }
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  rnd ^= (unsigned) ts.tv_nsec;
  int n = snprintf (path, size, "%s/%s-%ld-%lld-%08x.db", dir, host, (long) getpid (),
                    (long long) ts.tv_sec, rnd);
  snprintf (tmp, sizeof tmp, "%s/.%s-%ld-%08x.new", dir, host, (long) getpid (), rnd);
  if (n < 0 || (size_t) n >= size)
    return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "the audit spool's path");
  int fd = open (tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return ward_err_set (err, WARD_E_INVALID, errno, "cannot create the audit spool in `%s`",
                         dir);
  if (flock (fd, LOCK_EX) < 0 || rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      close (fd);
      return ward_err_set (err, WARD_E_INVALID, e, "cannot create the audit spool `%s`", path);
    }
  sh.lockfd = fd;
  sqlite3 *db = NULL;
  int ok = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
             == SQLITE_OK
           && sqlite3_exec (db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL) == SQLITE_OK
           && wpol_auditdb_schema (db) == 0
           /* the shipper reads the folded rows again each pass */
           && sqlite3_exec (db, "CREATE INDEX IF NOT EXISTS audit_folded ON audit(serial)"
                            " WHERE kind = 'folded'; " WPG_SHIP_FOLDS_SQL "; COMMIT", NULL, NULL,
                            NULL) == SQLITE_OK;
  if (!ok)
    ward_err_set (err, WARD_E_INVALID, 0, "cannot create the audit spool `%s`: %s", path,
                  db ? sqlite3_errmsg (db) : "out of memory");
  sqlite3_close (db);
  if (!ok)
    {
      wpg_sp_remove (path);
      close (fd);
      sh.lockfd = -1;
      return -1;
    }
  return 0;
}

static void
reset (void)
{
  wpg_sp_free (&sh.live);
  free (sh.conninfo);
  free (sh.dir);
  sh.conninfo = sh.dir = NULL;
  if (sh.lockfd >= 0)
    close (sh.lockfd);
  sh.lockfd = -1;
  sh.running = sh.final = sh.exited = sh.abort = sh.shipped_all = sh.away = 0;
  sh.sock = -1;
  if (sh.wake_r >= 0)
    close (sh.wake_r);
  if (sh.wake_w >= 0)
    close (sh.wake_w);
  sh.wake_r = sh.wake_w = -1;
}

int
wpg_ship_start (const wpol_audit_opts *o, const char *conninfo, const char *spool_dir,
                int later, ward_err *err)
{
  wpg_ship_stop ();
  ship_lost = 0;
  char dir[4096], path[4200];
  int bad = 0;
  if (spool_dir)
    {
      if (snprintf (dir, sizeof dir, "%s", spool_dir) >= (int) sizeof dir)
        return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "--audit-spool");
      if (mkdir (dir, 0700) < 0 && errno != EEXIST)
        bad = ward_err_set (err, WARD_E_INVALID, errno, "cannot create the audit spool "
                            "directory `%s`", dir);
    }
  else
    bad = wpg_spool_default_dir (dir, sizeof dir, 1, err);
  if (bad == 0)
    bad = spool_dir_safe (dir, sizeof dir, err);
  if (bad < 0 || make_spool (dir, path, sizeof path, err) < 0)
    {
      wpg_display (conninfo, sh.server, sizeof sh.server);
      ward_err_prefix (err, "the audit trail to %s goes through a local spool", sh.server);
      return -1;
    }
  wpol_audit_opts wo = *o;
  wo.path = path;
  int wake[2];
  if (pipe2 (wake, O_CLOEXEC | O_NONBLOCK) == 0)
    {
      sh.wake_r = wake[0];
      sh.wake_w = wake[1];
    }
  if (sh.wake_r < 0 || wpg_sp_init (&sh.live, path) < 0
      || (sh.conninfo = strdup (conninfo)) == NULL || (sh.dir = strdup (dir)) == NULL)
    {
      wpg_sp_remove (path);
      reset ();
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "starting the audit shipper");
    }
  wpg_display (conninfo, sh.server, sizeof sh.server);
  if ((later ? wpol_audit_begin (&wo, err) : wpol_audit_start (&wo, err)) < 0)
    {
      wpg_sp_remove (path);
      reset ();
      return -1;
    }
  int rc = pthread_create (&sh.thread, NULL, shipper, NULL);
  if (rc != 0)
    {
      wpol_audit_stop ();
      wpg_sp_remove (path);
      reset ();
      return ward_err_set (err, WARD_E_INTERNAL, rc, "starting the audit shipper");
    }
  sh.running = 1;
  return 0;
}

void
wpg_ship_stop (void)
{
  if (!sh.running)
    return;
  wpol_audit_stop ();
  /* what the writer could not write into the spool: its count, in it */
  ward_err e;
  if (wpol_audit_import (sh.live.path, &e) < 0)
    fprintf (stderr, "ward: audit: %s\n", e.msg);
  pthread_mutex_lock (&sh.lock);
  sh.final = 1;
  /* a server already away gets one more try, not a wait */
  sh.deadline = now_ms () + (sh.away ? 0 : WPG_SHIP_FINAL_MS);
  sh.limit = now_ms () + WPG_SHIP_FINAL_MAX_MS;
  pthread_cond_broadcast (&sh.cond);
  while (!sh.exited)
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_nsec += 100 * 1000000L;
      if (ts.tv_nsec >= 1000000000L)
        {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000L;
        }
      pthread_cond_timedwait (&sh.cond, &sh.lock, &ts);
      /* a server that hangs: the connection cut, the transaction undone */
      if (!sh.exited && now_ms () > sh.deadline + 500)
        {
          __atomic_store_n (&sh.abort, 1, __ATOMIC_RELAXED);
          if (sh.wake_w >= 0 && write (sh.wake_w, "x", 1) < 0)
            {
              /* full already: it has been woken */
            }
          if (sh.sock >= 0)
            shutdown (sh.sock, SHUT_RDWR);
          pthread_cond_broadcast (&sh.cond);
        }
    }
  int all = sh.shipped_all;
  pthread_mutex_unlock (&sh.lock);
  pthread_join (sh.thread, NULL);
  char lost[4300];
  snprintf (lost, sizeof lost, "%s.lost", sh.live.path);
  if (all && access (lost, F_OK) < 0)
    {
      wpg_sp_close (&sh.live);
      wpg_sp_remove (sh.live.path);
    }
  else if (spool_gone ())
    {
      /* removed (or replaced) while the run went on: what waited in it
       * went with it */
      uint64_t n = wpg_sp_waiting (&sh.live);
      wpg_sp_close (&sh.live);
      ship_lost = n ? n : 1;
      if (n)
        fprintf (stderr, "ward: audit: %s: %" PRIu64 " record%s of this run are lost: its spool "
                 "`%s` was removed while the run went on\n", sh.why.msg[0] ? sh.why.msg
                 : "the audit trail could not be shipped", n, n == 1 ? "" : "s", sh.live.path);
      else
        fprintf (stderr, "ward: audit: %s: records of this run are lost in unknown number: its "
                 "spool `%s` was removed while the run went on\n", sh.why.msg[0] ? sh.why.msg
                 : "the audit trail could not be shipped", sh.live.path);
    }
  else
    {
      uint64_t n = wpg_sp_waiting (&sh.live);
      wpg_sp_close (&sh.live);
      fprintf (stderr, "ward: audit: %s: %" PRIu64 " record%s of this run wait in the spool "
               "`%s` (not lost): the next `ward run` auditing to %s ships them\n",
               sh.why.msg[0] ? sh.why.msg : "the audit trail could not be shipped", n,
               n == 1 ? "" : "s", sh.live.path, sh.server);
    }
  reset ();
}
