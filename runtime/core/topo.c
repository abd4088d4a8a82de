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

static int
serials_add (ward_serials *s, uint64_t v)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i] == v)
      return 0;
  if (WARD_GROW (s->v, s->cap, s->n + 1, 4) != 0)
    return -1;
  s->v[s->n++] = v;
  return 0;
}

static int
serials_del (ward_serials *s, uint64_t v)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i] == v)
      {
        s->v[i] = s->v[--s->n];
        return 1;
      }
  return 0;
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

/* ---- registry: name -> process ---- */
#define REG_BUCKETS 4096
typedef struct reg_entry {
  struct reg_entry *next;
  char *name;
  uint64_t serial;
  char pid[64];
} reg_entry;
static reg_entry *ward_topo_names[REG_BUCKETS];

static unsigned
name_hash (const char *s)
{
  unsigned h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 16777619u;
  return h % REG_BUCKETS;
}

static reg_entry **
reg_find (const char *name)
{
  reg_entry **pe = &ward_topo_names[name_hash (name)];
  while (*pe && strcmp ((*pe)->name, name) != 0)
    pe = &(*pe)->next;
  return pe;
}

int
ward_registry_register (const char *name, ward_proc *p, ward_err *err)
{
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  int rc = 0;
  reg_entry **pe = reg_find (name);
  char **names = NULL;
  if (*pe && (*pe)->serial == p->serial)
    rc = 0;                     /* held already by that process: registering is idempotent */
  else if (*pe)
    rc = ward_err_set (err, WARD_E_ALREADY_EXISTS, 0, "name `%s` is already registered to %s",
                       name, (*pe)->pid);
  else if (is_done (p))
    rc = ward_err_set (err, WARD_E_NOT_FOUND, 0, "process %s not found (it has exited)", p->pid);
  else
    {
      reg_entry *e = calloc (1, sizeof *e);
      names = realloc (p->names, (p->nnames + 1) * sizeof *names);
      if (names)
        p->names = names;
      if (e == NULL || names == NULL || (e->name = strdup (name)) == NULL
          || (p->names[p->nnames] = strdup (name)) == NULL)
        {
          if (e)
            free (e->name);
          free (e);
          rc = ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "registering `%s`", name);
        }
      else
        {
          p->nnames++;
          e->serial = p->serial;
          snprintf (e->pid, sizeof e->pid, "%s", p->pid);
          *pe = e;
        }
    }
  ward_unlock (&ward_topo_lock);
  return rc;
}

int
ward_registry_lookup (const char *name, char *pid, size_t pidlen)
{
  ward_lock (&ward_topo_lock, WARD_LOCK_TOPO);
  reg_entry *e = *reg_find (name);
  if (e)
    snprintf (pid, pidlen, "%s", e->pid);
  ward_unlock (&ward_topo_lock);
  return e ? 0 : -1;
}

/* Drop a name; with topo held. Returns whether it existed. */
static int
reg_drop (const char *name)
{
  reg_entry **pe = reg_find (name);
  reg_entry *e = *pe;
  if (e == NULL)
    return 0;
  *pe = e->next;
  ward_proc *p = ward_proc_by_serial (e->serial);
  if (p)
    {
      for (size_t i = 0; i < p->nnames; i++)
        if (strcmp (p->names[i], name) == 0)
          {
            free (p->names[i]);
            p->names[i] = p->names[--p->nnames];
            break;
          }
      ward_proc_unref (p);
    }
  free (e->name);
  free (e);
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
  while (p->nnames > 0)
    if (!reg_drop (p->names[p->nnames - 1]))
      free (p->names[--p->nnames]);
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
