/* topo.c -- links, monitors and the name registry.
 * One lock guards the whole topology, so an exit and a link racing on the
 * same pair see one order. Deliveries happen after the lock is dropped. */
#include "config.h"
#include "rt.h"
#include "wgrow.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t ward_topo_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- sets of serials (links, monitors): a few in an array, scanned;
 * more in an open-addressing table (0 is no serial), so that a process
 * watching a million others adds and drops one in constant time ---- */
#define SERIALS_FLAT 8          /* up to this many: the array form */
#define SERIALS_FIRST 32        /* the table's first size */

static int
serials_hashed (const ward_serials *s)
{
  return s->cap > SERIALS_FLAT;
}

static size_t
serials_slot (uint64_t v, size_t cap)
{
  uint64_t h = v * 0x9e3779b97f4a7c15ULL;
  return (size_t) (h ^ (h >> 32)) & (cap - 1);
}

/* 1 when v is in s, its position in *at; else 0 and, in the table form,
 * the empty slot where it would go. */
static int
serials_find (const ward_serials *s, uint64_t v, size_t *at)
{
  if (!serials_hashed (s))
    {
      for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == v)
          {
            *at = i;
            return 1;
          }
      return 0;
    }
  size_t m = s->cap - 1, i = serials_slot (v, s->cap);
  for (; s->v[i] != v; i = (i + 1) & m)
    if (s->v[i] == 0)
      {
        *at = i;
        return 0;
      }
  *at = i;
  return 1;
}

/* s as a table of cap slots (a power of two above SERIALS_FLAT); -1 when
 * out of memory, s untouched. */
static int
serials_rehash (ward_serials *s, size_t cap)
{
  uint64_t *nv = calloc (cap, sizeof *nv);
  if (nv == NULL)
    return -1;
  size_t len = serials_hashed (s) ? s->cap : s->n;
  for (size_t i = 0; i < len; i++)
    if (s->v[i])
      {
        size_t j = serials_slot (s->v[i], cap);
        while (nv[j])
          j = (j + 1) & (cap - 1);
        nv[j] = s->v[i];
      }
  free (s->v);
  s->v = nv;
  s->cap = cap;
  return 0;
}

static int
serials_add (ward_serials *s, uint64_t v)
{
  size_t at;
  if (serials_find (s, v, &at))
    return 0;
  if (!serials_hashed (s) && s->n < SERIALS_FLAT)
    {
      if (WARD_GROW (s->v, s->cap, s->n + 1, 4) != 0)
        return -1;
      s->v[s->n++] = v;
      return 0;
    }
  if (!serials_hashed (s) || (s->n + 1) * 2 > s->cap)
    {
      /* half full at most: probes stay short */
      size_t cap = serials_hashed (s) ? ward_grow_cap (s->cap, s->cap + 1, sizeof *s->v, 0)
                                      : SERIALS_FIRST;
      if (cap == 0 || serials_rehash (s, cap) < 0)
        return -1;
    }
  serials_find (s, v, &at);
  s->v[at] = v;
  s->n++;
  return 0;
}

static int
serials_del (ward_serials *s, uint64_t v)
{
  size_t at;
  if (!serials_find (s, v, &at))
    return 0;
  if (!serials_hashed (s))
    {
      s->v[at] = s->v[--s->n];
      return 1;
    }
  /* backward shift: each later entry of the run whose home slot is not
   * between the hole and itself moves into the hole */
  size_t m = s->cap - 1, i = at;
  for (size_t j = (i + 1) & m; s->v[j]; j = (j + 1) & m)
    {
      size_t k = serials_slot (s->v[j], s->cap);
      if (i <= j ? (k <= i || k > j) : (k <= i && k > j))
        {
          s->v[i] = s->v[j];
          i = j;
        }
    }
  s->v[i] = 0;
  s->n--;
  /* a table emptied down to an eighth shrinks (if memory is short for
   * the smaller one, the larger stays) */
  if (s->cap > SERIALS_FIRST && s->n * 8 < s->cap)
    serials_rehash (s, s->cap / 4 < SERIALS_FIRST ? SERIALS_FIRST : s->cap / 4);
  return 1;
}

/* The serials of s in v[0..n), whatever its form; s is a set no more
 * (for a set taken from an exiting process, read once and freed). */
static void
serials_flatten (ward_serials *s)
{
  if (!serials_hashed (s))
    return;
  size_t k = 0;
  for (size_t i = 0; i < s->cap; i++)
    if (s->v[i])
      s->v[k++] = s->v[i];
}

static int
is_done (ward_proc *p)
{
  ward_lock (&p->lock, WARD_LOCK_PROC);
  int done = p->state == WARD_ST_DONE;
  ward_unlock (&p->lock);
  return done;
}

int
ward_link (ward_proc *a, ward_proc *b, ward_err *err)
{
  if (a == b)
    return ward_err_set (err, WARD_E_INVALID, 0, "a process cannot link to itself");
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  int rc = 0;
  if (is_done (b))
    rc = ward_err_set (err, WARD_E_NOT_FOUND, 0, "process %s not found (it has exited)", b->pid);
  else if (serials_add (&a->links, b->serial) < 0 || serials_add (&b->links, a->serial) < 0)
    {
      serials_del (&a->links, b->serial);
      rc = ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "linking");
    }
  ward_unlock (&ward_topo_lock);
  return rc;
}

int
ward_unlink (ward_proc *a, uint64_t b)
{
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  int had = serials_del (&a->links, b);
  ward_proc *pb = ward_proc_by_serial (b);
  if (pb)
    {
      serials_del (&pb->links, a->serial);
      ward_proc_unref (pb);
    }
  ward_unlock (&ward_topo_lock);
  return had;
}

int
ward_monitor (ward_proc *watcher, ward_proc *target, ward_err *err)
{
  if (watcher == target)
    return ward_err_set (err, WARD_E_INVALID, 0, "a process cannot monitor itself");
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  int rc = 0;
  if (is_done (target))
    rc = ward_err_set (err, WARD_E_NOT_FOUND, 0, "process %s not found (it has exited)", target->pid);
  else if (serials_add (&target->monitors, watcher->serial) < 0
           || serials_add (&watcher->monitoring, target->serial) < 0)
    {
      serials_del (&target->monitors, watcher->serial);
      rc = ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "monitoring");
    }
  ward_unlock (&ward_topo_lock);
  return rc;
}

int
ward_unmonitor (ward_proc *watcher, uint64_t target)
{
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  int had = serials_del (&watcher->monitoring, target);
  ward_proc *pt = ward_proc_by_serial (target);
  if (pt)
    {
      serials_del (&pt->monitors, watcher->serial);
      ward_proc_unref (pt);
    }
  ward_unlock (&ward_topo_lock);
  return had;
}

/* ---- registry: name -> process ----
 * A chained hash table with as many chains as names at least (doubled as
 * they grow); each entry is also linked into the list of the names its
 * process holds (ward_proc names), so that a process holding a million
 * names registers, drops and ends in time that does not grow with them. */
#define REG_FIRST 1024
typedef struct ward_reg_entry {
  struct ward_reg_entry *next;                  /* its chain */
  struct ward_reg_entry *pnext, **pprev;        /* its process's names */
  ward_proc *proc;                              /* that process (no reference:
                                                   its names go as it ends) */
  uint64_t hash, serial;
  char pid[64];
  char name[];
} reg_entry;
static struct {
  reg_entry **chains;           /* nchains, a power of two */
  size_t nchains, n;
} ward_topo_names;

static uint64_t
name_hash (const char *s)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
  return h ^ (h >> 32);
}

/* The link that holds name (or the chain's end): NULL when there is no
 * table yet. */
static reg_entry **
reg_find (const char *name, uint64_t h)
{
  if (ward_topo_names.nchains == 0)
    return NULL;
  reg_entry **pe = &ward_topo_names.chains[h & (ward_topo_names.nchains - 1)];
  while (*pe && ((*pe)->hash != h || strcmp ((*pe)->name, name) != 0))
    pe = &(*pe)->next;
  return pe;
}

/* Room for one more name: -1 when out of memory and there is no table
 * yet (a full one takes it, in a longer chain). */
static int
reg_room (void)
{
  return WARD_CHAINS_ROOM (ward_topo_names.chains, ward_topo_names.nchains,
                           ward_topo_names.n, REG_FIRST, next, hash);
}

int
ward_registry_register (const char *name, ward_proc *p, ward_err *err)
{
  uint64_t h = name_hash (name);
  size_t len = strlen (name);
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  int rc = 0;
  reg_entry **pe = reg_find (name, h);
  reg_entry *held = pe ? *pe : NULL;
  if (held && held->serial == p->serial)
    rc = 0;                     /* held already by that process: registering is idempotent */
  else if (held)
    rc = ward_err_set (err, WARD_E_ALREADY_EXISTS, 0, "name `%s` is already registered to %s",
                       name, held->pid);
  else if (is_done (p))
    rc = ward_err_set (err, WARD_E_NOT_FOUND, 0, "process %s not found (it has exited)", p->pid);
  else
    {
      reg_entry *e = reg_room () == 0 ? calloc (1, sizeof *e + len + 1) : NULL;
      if (e == NULL)
        rc = ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "registering `%s`", name);
      else
        {
          memcpy (e->name, name, len + 1);
          e->hash = h;
          e->serial = p->serial;
          snprintf (e->pid, sizeof e->pid, "%s", p->pid);
          pe = reg_find (name, h);        /* the table may have grown */
          *pe = e;
          ward_topo_names.n++;
          e->pnext = p->names;
          if (e->pnext)
            e->pnext->pprev = &e->pnext;
          e->pprev = &p->names;
          p->names = e;
          e->proc = p;
          atomic_fetch_add (&p->nnames, 1);
          atomic_fetch_add (&p->names_gen, 1);
        }
    }
  ward_unlock (&ward_topo_lock);
  return rc;
}

int
ward_registry_lookup (const char *name, char *pid, size_t pidlen)
{
  uint64_t h = name_hash (name);
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  reg_entry **pe = reg_find (name, h);
  reg_entry *e = pe ? *pe : NULL;
  if (e)
    snprintf (pid, pidlen, "%s", e->pid);
  ward_unlock (&ward_topo_lock);
  return e ? 0 : -1;
}

/* Drop the entry at *pe from the table and from its process's names;
 * with topo held. */
static void
reg_unlink (reg_entry **pe)
{
  reg_entry *e = *pe;
  *pe = e->next;
  ward_topo_names.n--;
  *e->pprev = e->pnext;
  if (e->pnext)
    e->pnext->pprev = e->pprev;
  atomic_fetch_sub (&e->proc->nnames, 1);
  atomic_fetch_add (&e->proc->names_gen, 1);
  free (e);
}

/* Drop a name; with topo held. Returns whether it existed. */
static int
reg_drop (const char *name)
{
  reg_entry **pe = reg_find (name, name_hash (name));
  if (pe == NULL || *pe == NULL)
    return 0;
  reg_unlink (pe);
  return 1;
}

int
ward_registry_unregister (const char *name)
{
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  int had = reg_drop (name);
  ward_unlock (&ward_topo_lock);
  return had;
}

int
ward_registry_names_of (ward_proc *p, char ***names, size_t *n)
{
  *names = NULL;
  *n = 0;
  if (atomic_load (&p->nnames) == 0)
    return 0;
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  size_t count = 0, bytes = 0;
  for (const reg_entry *e = p->names; e; e = e->pnext)
    {
      count++;
      bytes += strlen (e->name) + 1;
    }
  char **v = count ? malloc ((count + 1) * sizeof *v + bytes) : NULL;
  if (v)
    {
      char *s = (char *) (v + count + 1);
      size_t i = 0;
      for (const reg_entry *e = p->names; e; e = e->pnext)
        {
          size_t l = strlen (e->name) + 1;
          memcpy (s, e->name, l);
          v[i++] = s;
          s += l;
        }
      v[i] = NULL;
    }
  ward_unlock (&ward_topo_lock);
  if (count && v == NULL)
    return -1;
  *names = v;
  *n = count;
  return 0;
}

/* ---- exit ---- */
static void
send_event (uint64_t to, int kind, const char *from, int is_error, const void *data, size_t len)
{
  ward_proc *t = ward_proc_by_serial (to);
  if (t == NULL)
    return;
  ward_msg *m = ward_msg_new (kind, from, NULL, data, len);
  if (m == NULL)
    ward_proc_kill (t, "out of memory delivering an event from %s", from);
  else
    {
      m->is_error = is_error;
      ward_deliver (t, m, NULL);       /* only fails when t is gone */
    }
  ward_proc_unref (t);
}

void
ward_topology_exit (ward_proc *p, int abnormal, const uint8_t *result, size_t len,
                    const char *error)
{
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  ward_serials monitors = p->monitors, links = p->links, monitoring = p->monitoring;
  memset (&p->monitors, 0, sizeof p->monitors);
  memset (&p->links, 0, sizeof p->links);
  memset (&p->monitoring, 0, sizeof p->monitoring);
  serials_flatten (&monitors);
  serials_flatten (&links);
  serials_flatten (&monitoring);
  for (size_t i = 0; i < links.n; i++)
    {
      ward_proc *o = ward_proc_by_serial (links.v[i]);
      if (o)
        {
          serials_del (&o->links, p->serial);
          ward_proc_unref (o);
        }
    }
  for (size_t i = 0; i < monitors.n; i++)
    {
      ward_proc *o = ward_proc_by_serial (monitors.v[i]);
      if (o)
        {
          serials_del (&o->monitoring, p->serial);
          ward_proc_unref (o);
        }
    }
  for (size_t i = 0; i < monitoring.n; i++)
    {
      ward_proc *o = ward_proc_by_serial (monitoring.v[i]);
      if (o)
        {
          serials_del (&o->monitors, p->serial);
          ward_proc_unref (o);
        }
    }
  while (p->names)
    reg_unlink (reg_find (p->names->name, p->names->hash));
  ward_unlock (&ward_topo_lock);

  const void *data = abnormal ? (const void *) error : result;
  size_t dlen = abnormal ? strlen (error) : len;
  /* counted before any copy is out: a receiver that drops its copy at
   * once must not take the count of another's (one that is not delivered
   * leaves its count: the channel's actor then waits, never sees a false
   * close) */
  unsigned copies = (unsigned) monitors.n + (p->exec_waiter && p->parent);
  /* each copy of a result holding channels is decoded by its receiver,
   * which takes one count of each over: the encoding counted one */
  if (!abnormal && copies > 1)
    ward_vmchan_adjust_values (result, len, (int) copies - 1);
  for (size_t i = 0; i < monitors.n; i++)
    send_event (monitors.v[i], WARD_MSG_EXIT, p->pid, abnormal, data, dlen);
  if (abnormal)
    for (size_t i = 0; i < links.n; i++)
      {
        ward_proc *o = ward_proc_by_serial (links.v[i]);
        if (o == NULL)
          continue;
        ward_lock (&o->lock, WARD_LOCK_PROC);
        int trap = o->trap_links;
        ward_unlock (&o->lock);
        if (trap)
          send_event (o->serial, WARD_MSG_LINK_DOWN, p->pid, 1, error, strlen (error));
        else
          ward_proc_kill (o, "linked process failed: %s: %s", p->pid, error);
        ward_proc_unref (o);
      }
  if (p->exec_waiter && p->parent)
    send_event (p->parent, WARD_MSG_EXEC, p->pid, abnormal, data, dlen);
  free (monitors.v);
  free (links.v);
  free (monitoring.v);
}
