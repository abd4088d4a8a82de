/* test-sched.c -- unit tests of hosts and the scheduler: every process of
 * a burst runs to its end, both workers take part (stealing), busy
 * processes are preempted so a short one still finishes, and PIDs are
 * never reused. */
#include "config.h"
#include "rt.h"
#include "vm.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
}

static void
write_file (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  fputs (text, f);
  fclose (f);
}

static ward_proc *
spawn (ward_host *h, const char *id)
{
  char path[4096];
  ward_err err;
  if (ward_def_resolve (id, path, sizeof path, &err) < 0)
    return NULL;
  ward_spawn_req req = { .def_id = id, .path = path, .host = h, .is_worker = 1 };
  ward_proc *p = ward_spawn (NULL, &req, &err);
  if (p == NULL)
    printf ("# spawn: %s\n", err.msg);
  return p;             /* a reference: the caller drops it */
}

int
main (void)
{
  plan (8);
  char dir[] = "/tmp/ward-sched-XXXXXX";
  if (mkdtemp (dir) == NULL)
    return 1;
  snprintf (ward_cfg.root, sizeof ward_cfg.root, "%s", dir);
  ward_cfg.mem_limit = 64u << 20;
  ward_cfg.mailbox_limit = 1000;
  ward_cfg.max_children = 1000000;
  char path[4200];
  snprintf (path, sizeof path, "%s/noop.lua", dir);
  write_file (path, "local x = 0 for i = 1, 2000 do x = x + i end return x\n");
  snprintf (path, sizeof path, "%s/busy.lua", dir);
  write_file (path, "local x = 0 for i = 1, 30000000 do x = x + i end return x\n");

  ward_err err;
  ok (ward_timers_start (&err) == 0, "timer thread starts");
  ward_host *h = ward_host_create ("ward:main", 2, &err);
  ok (h != NULL, "host with 2 workers");

  /* a burst of 2000 processes: all run, both workers take part */
  uint64_t last = 0;
  int increasing = 1;
  for (int i = 0; i < 2000; i++)
    {
      ward_proc *p = spawn (h, ":noop");
      if (p == NULL)
        break;
      increasing &= p->serial > last;
      last = p->serial;
      ward_proc_unref (p);
    }
  ok (increasing, "serials strictly increase (PIDs are never reused)");
  ward_wait_all_exited ();
  is_int (ward_proc_count (), 0, "every process of the burst exited");
  unsigned long runs[2] = { 0 }, steals[2] = { 0 };
  ward_host_stats (h, runs, steals, 2);
  printf ("# runs %lu/%lu steals %lu/%lu\n", runs[0], runs[1], steals[0], steals[1]);
  ok (runs[0] > 0 && runs[1] > 0, "both workers ran processes");
  ok (runs[0] + runs[1] >= 2000, "at least one slice per process");

  /* two busy processes on two workers, then a short one: preemption lets
   * the short one finish while the busy ones still run */
  for (int i = 0; i < 3; i++)
    ward_proc_unref (spawn (h, ":busy"));
  usleep (20000);
  int64_t t0 = ward_now_ns ();
  ward_proc *s = spawn (h, ":noop");
  for (;;)
    {
      pthread_mutex_lock (&s->lock);
      int done = s->state == WARD_ST_DONE;
      pthread_mutex_unlock (&s->lock);
      if (done)
        break;
      usleep (1000);
    }
  int64_t short_ms = (ward_now_ns () - t0) / 1000000;
  ward_proc_unref (s);
  size_t still = ward_proc_count ();
  printf ("# short process done in %lld ms with %zu busy still running\n",
          (long long) short_ms, still);
  ok (still >= 1, "the short process finished while busy ones still ran");
  ward_wait_all_exited ();
  is_int (ward_proc_count (), 0, "busy processes finish too");
  ward_hosts_stop ();
  ward_timers_stop ();
  snprintf (path, sizeof path, "rm -rf %s", dir);
  return system (path) == 0 ? done () : 1;
}
