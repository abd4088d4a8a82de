/* llink.c -- the `process` calls that act on other processes by name:
 * terminate, cancel, links, monitors and the registry (lproc.h). In a
 * subprocess actor each is its stand-in's, forwarded as it was called. */
#include "config.h"
#include "lproc.h"
#include "face.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <lauxlib.h>

/* ---- terminate, cancel ---- */
static int
l_terminate (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  ward_proc *t = ward_lproc_arg_target (L, 1, WARD_ACTION (TERMINATE), NULL, &err);
  if (t == NULL)
    return ward_push_err (L, &err);
  ward_proc_kill (t, "terminated by %s", p->pid);
  ward_proc_unref (t);
  ward_vm_check_killed (L);       /* terminating oneself ends here */
  lua_pushboolean (L, 1);
  return 1;
}

#define WARD_CANCEL_DEFAULT_MS 5000

static int
l_cancel (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  int64_t ms = WARD_CANCEL_DEFAULT_MS;
  if (!lua_isnoneornil (L, 2) && ward_check_duration (L, 2, &ms, &err) < 0)
    return ward_push_err (L, &err);
  ward_proc *t = ward_lproc_arg_target (L, 1, WARD_ACTION (CANCEL), NULL, &err);
  if (t == NULL)
    return ward_push_err (L, &err);
  int rc;
  ward_msg *m = ward_msg_new (WARD_MSG_CANCEL, p->pid, NULL, NULL, 0);
  if (m == NULL)
    rc = ward_err_set (&err, WARD_E_INTERNAL, ENOMEM, "cancelling %s", t->pid);
  else
    {
      m->at = ward_wall_ms () + ms;
      rc = ward_deliver (t, m, &err);
    }
  if (rc == 0)
    {
      /* one timer per deadline earlier than any before: repeated
       * cancels cannot pile timers up */
      int64_t when = ward_now_ns () + ms * 1000000LL;
      ward_lock (&t->lock, WARD_LOCK_PROC);
      int earlier = t->cancel_deadline_ns == 0 || when < t->cancel_deadline_ns;
      if (earlier)
        t->cancel_deadline_ns = when;
      ward_unlock (&t->lock);
      char why[160];
      snprintf (why, sizeof why, "cancelled by %s and still running at the deadline",
                p->pid);
      if (earlier)
        ward_timer_add (when, WARD_TIMER_DEADLINE, t, 0, why);
    }
  return ward_lproc_target_done (L, t, rc, &err);
}

/* ---- links and monitors: monitor, unmonitor, link, unlink share one shape ---- */
static int
topo_call (lua_State *L, enum ward_action_id action)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  ward_proc *t = ward_lproc_arg_target (L, 1, ward_actions[action].name, NULL, &err);
  if (t == NULL)
    return ward_push_err (L, &err);
  int rc = 0;
  switch (action)
    {
    case WARD_ACT_MONITOR: rc = ward_monitor (p, t, &err); break;
    case WARD_ACT_LINK: rc = ward_link (p, t, &err); break;
    case WARD_ACT_UNMONITOR:
      /* a spawn_vm stand-in's watch of its spawner is the runtime's, not
       * the child's to drop: it ends with its spawner whatever it asks */
      if (!ward_broker_owner_is (p, t->serial))
        ward_unmonitor (p, t->serial);
      break;
    default: ward_unlink (p, t->serial); break;
    }
  return ward_lproc_target_done (L, t, rc, &err);
}

static int l_monitor (lua_State *L) { return topo_call (L, WARD_ACT_MONITOR); }
static int l_unmonitor (lua_State *L) { return topo_call (L, WARD_ACT_UNMONITOR); }
static int l_link (lua_State *L) { return topo_call (L, WARD_ACT_LINK); }
static int l_unlink (lua_State *L) { return topo_call (L, WARD_ACT_UNLINK); }

/* ---- registry ---- */
static int
l_register (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *name = ward_lproc_arg_string (L, 1, "name", &err);
  if (name == NULL || ward_lproc_check_name (name, &err) < 0)
    return ward_push_err (L, &err);
  ward_proc *t;
  if (lua_isnoneornil (L, 2))
    {
      if (ward_proc_authorize1 (p, WARD_ACTION (REGISTRY_REGISTER), name, NULL, &err) < 0)
        return ward_push_err (L, &err);
      ward_proc_ref (t = p);
    }
  else if ((t = ward_lproc_arg_target (L, 2, WARD_ACTION (REGISTRY_REGISTER), name, &err)) == NULL)
    return ward_push_err (L, &err);
  int rc = ward_registry_register (name, t, &err);
  return ward_lproc_target_done (L, t, rc, &err);
}

static int
l_lookup (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_err err;
  const char *name = ward_lproc_arg_string (L, 1, "name", &err);
  if (name == NULL
      || ward_proc_authorize1 (ward_current (), WARD_ACTION (REGISTRY_LOOKUP), name, NULL,
                               &err) < 0)
    return ward_push_err (L, &err);
  char pid[64];
  if (ward_registry_lookup (name, pid, sizeof pid) < 0)
    return ward_push_error (L, WARD_E_NOT_FOUND,
                            "name `%s` not found (no process is registered under it)", name);
  lua_pushstring (L, pid);
  return 1;
}

static int
l_unregister (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *name = ward_lproc_arg_string (L, 1, "name", &err);
  if (name == NULL
      || ward_proc_authorize1 (p, WARD_ACTION (REGISTRY_UNREGISTER), name, NULL, &err) < 0)
    return ward_push_err (L, &err);
  lua_pushboolean (L, ward_registry_unregister (name));
  return 1;
}

/* ---- the faces ---- */
WARD_LPROC_FORWARD (r_terminate, "terminate")
WARD_LPROC_FORWARD (r_cancel, "cancel")
WARD_LPROC_FORWARD (r_monitor, "monitor")
WARD_LPROC_FORWARD (r_unmonitor, "unmonitor")
WARD_LPROC_FORWARD (r_link, "link")
WARD_LPROC_FORWARD (r_unlink, "unlink")
WARD_LPROC_FORWARD (r_register, "registry.register")
WARD_LPROC_FORWARD (r_lookup, "registry.lookup")
WARD_LPROC_FORWARD (r_unregister, "registry.unregister")

const luaL_Reg ward_face_link_local[] = {
  { "terminate", l_terminate }, { "cancel", l_cancel }, { "monitor", l_monitor },
  { "unmonitor", l_unmonitor }, { "link", l_link }, { "unlink", l_unlink }, { NULL, NULL } };
const luaL_Reg ward_face_link_remote[] = {
  { "terminate", r_terminate }, { "cancel", r_cancel }, { "monitor", r_monitor },
  { "unmonitor", r_unmonitor }, { "link", r_link }, { "unlink", r_unlink }, { NULL, NULL } };

const luaL_Reg ward_face_registry_local[] = {
  { "register", l_register }, { "lookup", l_lookup }, { "unregister", l_unregister },
  { NULL, NULL } };
const luaL_Reg ward_face_registry_remote[] = {
  { "register", r_register }, { "lookup", r_lookup }, { "unregister", r_unregister },
  { NULL, NULL } };
