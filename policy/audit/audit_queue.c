/* audit_queue.c -- the callers' side of the audit writer: a record is packed
 * into one allocation on the caller's thread and queued under a short lock,
 * the caller waiting for room when the queue is full; a denial of an
 * (actor, action) pair past fold_after is only counted in the fold table. */
#include "config.h"
#include "auditw.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHARE_MAX 64              /* a caller with fewer queued may use the reserve */

/* ---- the queue --------------------------------------------------------- */

int64_t
wpol_aw_now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Count n records as lost, from first to last (lock held). */
void
wpol_aw_lose_locked (uint64_t n, int64_t first, int64_t last, const char *why)
{
  if (n == 0)
    return;
  if (wpol_aw.pend.n == 0)
    {
      wpol_aw.pend.first = first;
      wpol_aw.pend.last = last;
      snprintf (wpol_aw.pend.why, sizeof wpol_aw.pend.why, "%s", why);
    }
  if (first < wpol_aw.pend.first)
    wpol_aw.pend.first = first;
  if (last > wpol_aw.pend.last)
    wpol_aw.pend.last = last;
  wpol_aw.pend.n += n;
  wpol_aw.counts.lost += n;
}

static uint8_t
bucket_of (const char *pid)
{
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *) (pid ? pid : ""); *p; p++)
    h = (h ^ *p) * 16777619u;
  return (uint8_t) (h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24));
}

/* Room for r (lock held): below the limits; else in the reserve for a
 * caller with few records queued; a record always fits an empty queue. */
static int
fits (const arec *r)
{
  size_t sz = sizeof *r + r->len;
  if (wpol_aw.n == 0)
    return 1;
  if (wpol_aw.n < wpol_aw.limit && wpol_aw.bytes + sz <= wpol_aw.max_bytes)
    return 1;
  return wpol_aw.n < wpol_aw.cap && wpol_aw.bytes + sz <= wpol_aw.max_bytes + wpol_aw.max_bytes / 16
         && wpol_aw.share[r->bucket] < SHARE_MAX;
}

/* The bytes n strings of v take packed, each with its NUL (a NULL one as
 * ""). */
static size_t
list_len (const char *const *v, size_t n)
{
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += (v[i] ? strlen (v[i]) : 0) + 1;
  return total;
}

/* Pack n strings of v at p, each with its NUL: the end. */
static char *
list_copy (char *p, const char *const *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      const char *s = v[i] ? v[i] : "";
      size_t l = strlen (s) + 1;
      memcpy (p, s, l);
      p += l;
    }
  return p;
}

/* Where a resource of rlen bytes is cut: rlen when it is short, else
 * WPOL_AUDIT_RESOURCE_MAX bytes less any that would end inside a UTF-8
 * sequence. */
static size_t
resource_keep (const char *res, size_t rlen)
{
  if (rlen <= WPOL_AUDIT_RESOURCE_MAX)
    return rlen;
  size_t keep = WPOL_AUDIT_RESOURCE_MAX;
  for (int k = 0; k < 3 && ((unsigned char) res[keep] & 0xc0) == 0x80; k++)
    keep--;
  return keep;
}

/* What r holds of in's decision and result, beside its strings. */
static void
pack_head (arec *r, const wpol_audit_in *in, const char *pid)
{
  const wpol_result *res = in->res;
  r->ts = wpol_aw_now_us ();
  r->generation = res ? res->generation : 0;
  r->rule = res ? res->rule : NULL;
  r->ainfo = res ? res->actor : NULL;
  r->reason = (uint8_t) (res ? res->reason : WPOL_BAD_REQUEST);
  r->decision = in->decision == WARD_ALLOW;
  r->permissive = !!in->permissive;
  r->bucket = bucket_of (pid);
}

/* Copy the first S_SCOPE strings of s into r's data, len[i] bytes each
 * (its NUL included; 0 for a NULL one), noting their offsets: the end. */
static char *
pack_strs (arec *r, const char *const *s, const size_t *len)
{
  char *p = r->data;
  for (int i = 0; i < S_SCOPE; i++)
    {
      r->off[i] = s[i] ? (uint32_t) (p - r->data) : NOSTR;
      if (len[i])
        {
          memcpy (p, s[i], len[i] - 1);
          p[len[i] - 1] = '\0';
        }
      p += len[i];
    }
  return p;
}

static arec *
pack (const wpol_audit_in *in)
{
  const ward_attrs none = { 0 };
  const ward_attrs *a = in->attrs ? in->attrs : &none;
  const ward_actor *ac = in->actor;
  const char *s[S_META] = { ac ? ac->id : NULL, in->action, in->resource, a->pid, a->host,
                            a->parent, a->target_actor, a->target_host, a->target_parent,
                            a->path, a->address };
  size_t len[S_META], total = 0;
  for (int i = 0; i < S_SCOPE; i++)
    total += (len[i] = s[i] ? strlen (s[i]) + 1 : 0);
  /* a long resource: its first bytes, its length and its digest,
   * computed here on the caller's thread */
  size_t rlen = len[S_RESOURCE] ? len[S_RESOURCE] - 1 : 0;
  size_t keep = resource_keep (s[S_RESOURCE], rlen);
  if (keep < rlen)
    {
      total -= rlen - keep;
      len[S_RESOURCE] = keep + 1;
    }
  const char *const *scope = ac ? ac->scope : NULL, *const *meta = ac ? ac->meta : NULL;
  size_t nscope = scope && ac->nscope <= UINT16_MAX ? ac->nscope : 0;
  size_t nmeta = meta && ac->nmeta <= UINT16_MAX / 2 ? ac->nmeta : 0;
  total += list_len (scope, nscope) + list_len (meta, 2 * nmeta);
  arec *r = total < NOSTR ? malloc (sizeof *r + total) : NULL;
  if (r == NULL)
    return NULL;
  pack_head (r, in, a->pid);
  r->nscope = (uint16_t) nscope;
  r->nmeta = (uint16_t) nmeta;
  r->len = (uint32_t) total;
  r->cut = keep < rlen;
  r->res_len = r->cut ? rlen : 0;
  memset (r->res_sha, 0, sizeof r->res_sha);
  if (r->cut)
    wpol_sha256 (s[S_RESOURCE], rlen, r->res_sha);
  char *p = pack_strs (r, s, len);
  r->off[S_SCOPE] = (uint32_t) (p - r->data);
  p = list_copy (p, scope, nscope);
  r->off[S_META] = (uint32_t) (p - r->data);
  list_copy (p, meta, 2 * nmeta);
  return r;
}

/* ---- folding ----------------------------------------------------------- */

static uint32_t
pair_hash (const char *actor, const char *action, int quiet)
{
  uint32_t h = 2166136261u ^ (quiet ? 0x5bd1e995u : 0);
  for (const unsigned char *p = (const unsigned char *) (actor ? actor : ""); *p; p++)
    h = (h ^ *p) * 16777619u;
  h = (h ^ (actor ? 1u : 2u)) * 16777619u;
  for (const unsigned char *p = (const unsigned char *) action; *p; p++)
    h = (h ^ *p) * 16777619u;
  return h;
}

/* The entry of (actor, action) (lock held), made when missing; a new pair
 * past WPOL_AUDIT_FOLD_PAIRS gets the shared entry of its action (actor
 * NULL). NULL when there is no room or memory: the record is then
 * queued one by one, as it would be unfolded. */
static afold *
fold_find (const char *actor, const char *action, int quiet)
{
  for (int shared = 0; shared < 2; shared++)
    {
      const char *a = shared ? NULL : actor ? actor : "";
      uint32_t h = pair_hash (a, action, quiet);
      for (size_t i = h & (FOLD_SLOTS - 1), k = 0; k < FOLD_SLOTS;
           i = (i + 1) & (FOLD_SLOTS - 1), k++)
        {
          afold *f = &wpol_aw.folds[i];
          if (!f->used)
            {
              if (!shared && wpol_aw.nfolds >= WPOL_AUDIT_FOLD_PAIRS)
                break;          /* no room for a pair of its own */
              if (wpol_aw.nfolds >= FOLD_SLOTS - 1)
                return NULL;
              f->action = strdup (action);
              f->actor = a ? strdup (a) : NULL;
              if (f->action == NULL || (a && f->actor == NULL))
                {
                  free (f->action);
                  free (f->actor);
                  f->action = f->actor = NULL;
                  return NULL;
                }
              f->used = 1;
              f->quiet = (uint8_t) (quiet != 0);
              f->hash = h;
              wpol_aw.nfolds++;
              return f;
            }
          if (f->hash == h && f->quiet == (quiet != 0) && (f->actor == NULL) == (a == NULL)
              && (a == NULL || strcmp (f->actor, a) == 0) && strcmp (f->action, action) == 0)
            return f;
        }
    }
  return NULL;
}

void
wpol_aw_folds_free (void)
{
  if (wpol_aw.folds && wpol_aw.nfolds)   /* (a run that folded nothing: no walk) */
    for (size_t i = 0; i < FOLD_SLOTS; i++)
      {
        free (wpol_aw.folds[i].actor);
        free (wpol_aw.folds[i].action);
      }
  free (wpol_aw.folds);
  free (wpol_aw.dirty);
  free (wpol_aw.ftakes);
  wpol_aw.folds = NULL;
  wpol_aw.dirty = NULL;
  wpol_aw.ftakes = NULL;
  wpol_aw.nfolds = wpol_aw.ndirty = 0;
}

/* A denial of a pair past its fold_after (lock held): counted into its
 * summary, nothing queued. With --audit-sync the caller waits for the
 * commit of the count, as for a record. */
static int
fold_locked (afold *f, int permissive)
{
  int64_t t = wpol_aw_now_us ();
  wpol_aw.counts.submitted++;
  if (f->pend++ == 0)
    {
      f->first = t;
      f->permissive = (uint8_t) permissive;
    }
  f->last = t;
  if (!f->dirty)
    {
      f->dirty = 1;
      wpol_aw.dirty[wpol_aw.ndirty++] = (uint32_t) (f - wpol_aw.folds);
    }
  if (!wpol_aw.sync)
    return 0;
  uint64_t want = wpol_aw.gen + 1, lost0 = wpol_aw.counts.lost;
  wpol_aw.urgent = 1;
  pthread_cond_signal (&wpol_aw.wake);
  while (wpol_aw.gen_done < want && wpol_aw.running)
    pthread_cond_wait (&wpol_aw.done, &wpol_aw.lock);
  return wpol_aw.counts.lost != lost0 || wpol_aw.gen_done < want ? -1 : 0;
}

int
wpol_audit_submit (const wpol_audit_in *in)
{
  if (in->decision != WARD_ALLOW && in->action)
    {
      /* the pair first: a denial that folds costs no record at all */
      pthread_mutex_lock (&wpol_aw.lock);
      if (!wpol_aw.running)
        {
          pthread_mutex_unlock (&wpol_aw.lock);
          return -1;
        }
      /* a quiet denial is counted from the first (its own pair) */
      afold *f = fold_find (in->actor ? in->actor->id : NULL, in->action, in->quiet);
      if (f && (in->quiet || f->stored >= wpol_aw.fold_after))
        {
          int rc = fold_locked (f, in->permissive);
          pthread_mutex_unlock (&wpol_aw.lock);
          return rc;
        }
      if (f)
        f->stored++;
      pthread_mutex_unlock (&wpol_aw.lock);
    }
  arec *r = pack (in);
  pthread_mutex_lock (&wpol_aw.lock);
  if (!wpol_aw.running)
    {
      pthread_mutex_unlock (&wpol_aw.lock);
      free (r);
      return -1;
    }
  wpol_aw.counts.submitted++;
  if (r == NULL)
    {
      int64_t t = wpol_aw_now_us ();
      wpol_aw_lose_locked (1, t, t, "out of memory for the record");
      pthread_mutex_unlock (&wpol_aw.lock);
      return -1;
    }
  if (!fits (r))
    {
      /* backpressure: the caller waits for the writer to make room */
      wpol_aw.counts.waits++;
      wpol_aw.starved++;
      wpol_aw.urgent = 1;
      pthread_cond_signal (&wpol_aw.wake);
      while (wpol_aw.running && !fits (r))
        pthread_cond_wait (&wpol_aw.room, &wpol_aw.lock);
      wpol_aw.starved--;
      if (!wpol_aw.running)
        {
          int64_t t = wpol_aw_now_us ();
          wpol_aw_lose_locked (1, t, t, "the audit writer had stopped");
          pthread_mutex_unlock (&wpol_aw.lock);
          free (r);
          return -1;
        }
    }
  wpol_aw.ring[(wpol_aw.head + wpol_aw.n) % wpol_aw.cap] = r;
  wpol_aw.n++;
  wpol_aw.bytes += sizeof *r + r->len;
  wpol_aw.share[r->bucket]++;
  uint64_t serial = ++wpol_aw.enq, lost0 = wpol_aw.counts.lost;
  int rc = 0;
  if (wpol_aw.sync)
    {
      wpol_aw.urgent = 1;
      pthread_cond_signal (&wpol_aw.wake);
      while (wpol_aw.committed < serial && wpol_aw.running)
        pthread_cond_wait (&wpol_aw.done, &wpol_aw.lock);
      rc = wpol_aw.counts.lost != lost0 ? -1 : 0;
    }
  else if (wpol_aw.n == wpol_aw.limit / 4 && wpol_aw.waiting)
    pthread_cond_signal (&wpol_aw.wake);
  pthread_mutex_unlock (&wpol_aw.lock);
  return rc;
}
