/* audit_ckpt.c -- the audit database's checkpointer: a thread of its own on
 * a second connection copies the WAL into the database, with its fsyncs,
 * so that the writer seldom waits for the disk; a RESTART now and then,
 * the writer waiting, bounds the WAL file. */
#include "config.h"
#include "auditw.h"

#include <pthread.h>
#include <sqlite3.h>
#include <sys/statvfs.h>

#define CK_PAGES 1000             /* WAL pages that call for a passive checkpoint */
#define CK_LIMIT 4000             /* ... and for one the writer waits for (16 MB) */
#define CK_MIN 16                 /* the least, on a nearly full file system */

/* After each commit of the writer (its thread): a WAL of CK_PAGES pages
 * or more wakes the checkpointer; one of ck_next pages or more asks for a
 * RESTART, which the writer waits for before its next batch (this hook
 * replaces SQLite's own autocheckpoint). */
static int
wal_grew (void *unused, sqlite3 *db, const char *name, int pages)
{
  (void) unused, (void) db, (void) name;
  if (pages >= wpol_aw.ck_pages)
    {
      pthread_mutex_lock (&wpol_aw.lock);
      if (pages >= wpol_aw.ck_next)
        wpol_aw.ck_restart = 1;
      if (!wpol_aw.ck_due)
        {
          wpol_aw.ck_due = 1;
          pthread_cond_signal (&wpol_aw.ck_wake);
        }
      pthread_mutex_unlock (&wpol_aw.lock);
    }
  return SQLITE_OK;
}

/* The writer, before a batch (lock held): while a RESTART is due, stay
 * out of the database so that it gets the write lock and completes. */
void
wpol_aw_ck_yield_locked (void)
{
  while (wpol_aw.ck_restart && wpol_aw.ck_running)
    pthread_cond_wait (&wpol_aw.ck_done, &wpol_aw.lock);
}

/* PASSIVE checkpoints never stop the writer, but while it commits they
 * never catch up with the end of the WAL, so the WAL never starts over.
 * A RESTART (the writer waiting) copies what the passive ones left and
 * makes the next commit write from the WAL's start. When a reader keeps
 * it from finishing (busy past the timeout), the next one is asked for
 * CK_LIMIT pages later, so that a long reader does not stall every batch. */
static void *
checkpointer (void *unused)
{
  (void) unused;
  pthread_mutex_lock (&wpol_aw.lock);
  for (;;)
    {
      while (!wpol_aw.ck_due && !wpol_aw.ck_stop)
        pthread_cond_wait (&wpol_aw.ck_wake, &wpol_aw.lock);
      if (wpol_aw.ck_stop)
        break;
      wpol_aw.ck_due = 0;
      int restart = wpol_aw.ck_restart;
      pthread_mutex_unlock (&wpol_aw.lock);
      int log = 0, done = 0;
      int rc = sqlite3_wal_checkpoint_v2 (wpol_aw.ck_db, NULL, restart ? SQLITE_CHECKPOINT_RESTART
                                          : SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      pthread_mutex_lock (&wpol_aw.lock);
      if (restart)
        {
          wpol_aw.ck_next = rc == SQLITE_OK ? wpol_aw.ck_limit
                            : (log > 0 ? log : 0) + wpol_aw.ck_limit;
          wpol_aw.ck_restart = 0;
          pthread_cond_broadcast (&wpol_aw.ck_done);
        }
    }
  wpol_aw.ck_restart = 0;
  pthread_cond_broadcast (&wpol_aw.ck_done);
  pthread_mutex_unlock (&wpol_aw.lock);
  return NULL;
}

/* After a commit failed for a full disk (the writer, no transaction
 * open): copy the WAL into the database and truncate it, so the space
 * its frames held can take the retry. 0 when the WAL was emptied. */
int
wpol_aw_wal_reclaim (void)
{
  int log = 0, done = 0;
  int rc = sqlite3_wal_checkpoint_v2 (wpol_aw.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  return rc == SQLITE_OK && log == 0 ? 0 : -1;
}

/* A second connection and its thread; without them (no memory, no
 * thread), SQLite's own autocheckpoint in the writer does the work. */
void
wpol_aw_ck_start (void)
{
  /* the connection must have read the database to know it is in WAL
   * mode: a checkpoint on a fresh one does nothing */
  if (sqlite3_open_v2 (wpol_aw.path, &wpol_aw.ck_db, SQLITE_OPEN_READWRITE
                       | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK
      || sqlite3_exec (wpol_aw.ck_db, "PRAGMA journal_mode", NULL, NULL, NULL) != SQLITE_OK)
    {
      sqlite3_close (wpol_aw.ck_db);
      wpol_aw.ck_db = NULL;
      return;
    }
  sqlite3_busy_timeout (wpol_aw.ck_db, 1000);
  /* the WAL may hold no more than an eighth of the free space: a database
   * on a small file system must have room to take the WAL's pages in */
  struct statvfs fs;
  int64_t free_pages = statvfs (wpol_aw.path, &fs) == 0
                       ? (int64_t) ((uint64_t) fs.f_bavail * fs.f_frsize / 4096) : CK_LIMIT * 8;
  wpol_aw.ck_pages = free_pages / 8 < CK_PAGES ? (int) (free_pages / 8) : CK_PAGES;
  if (wpol_aw.ck_pages < CK_MIN)
    wpol_aw.ck_pages = CK_MIN;
  wpol_aw.ck_limit = wpol_aw.ck_pages * (CK_LIMIT / CK_PAGES);
  wpol_aw.ck_stop = wpol_aw.ck_due = wpol_aw.ck_restart = 0;
  wpol_aw.ck_next = wpol_aw.ck_limit;
  if (pthread_create (&wpol_aw.ck_thread, NULL, checkpointer, NULL) != 0)
    {
      sqlite3_close (wpol_aw.ck_db);
      wpol_aw.ck_db = NULL;
      return;
    }
  wpol_aw.ck_running = 1;
  sqlite3_wal_hook (wpol_aw.db, wal_grew, NULL);
}

void
wpol_aw_ck_stop (void)
{
  if (!wpol_aw.ck_running)
    return;
  pthread_mutex_lock (&wpol_aw.lock);
  wpol_aw.ck_stop = 1;
  pthread_cond_signal (&wpol_aw.ck_wake);
  pthread_mutex_unlock (&wpol_aw.lock);
  pthread_join (wpol_aw.ck_thread, NULL);
  pthread_mutex_lock (&wpol_aw.lock);
  wpol_aw.ck_running = 0;
  pthread_mutex_unlock (&wpol_aw.lock);
  sqlite3_close (wpol_aw.ck_db);
  wpol_aw.ck_db = NULL;
}
