/* test-sched.c -- unit tests of hosts and the scheduler: every process of
 * a burst runs to its end, both workers take part (stealing), busy
 * processes are preempted so a short one still finishes, and PIDs are
 * never reused. Nothing here compares a duration with a threshold: each
 * check waits for its event, bounded by a scaled deadline (tap.h). */
#include "config.h"
#include "rt.h"
#include "vm.h"
#include "tap.h"
#include "rttest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
}

static ward_proc *
spawn (ward_host *h, const char *id)
{
  ward_err err;
  ward_proc *p = rt_spawn (h, id, &err);
  if (p == NULL)
    printf ("# spawn: %s\n", err.msg);
  return p;             /* a reference: the caller drops it */
}

static int
proc_done (ward_proc *p)
{
  pthread_mutex_lock (&p->lock);
  int d = p->state == WARD_ST_DONE;
  pthread_mutex_unlock (&p->lock);
  return d;
}

int
main (void)
{
  plan (8);
  char dir[] = "/tmp/ward-sched-XXXXXX";
  if (rt_root (dir, 1000000) < 0
      || rt_define (dir, "noop", "local x = 0 for i = 1, 2000 do x = x + i end return x\n") < 0
      || rt_define (dir, "busy", "local x = 0 while true do x = x + 1 end\n") < 0)
    return 1;

  ward_err err;
  is_int (ward_timers_start (&err), 0, "timer thread starts");
  ward_host *h = ward_host_create ("ward:main", 2, &err);
  ok (h != NULL, "host with 2 workers");

  /* a burst of 2000 processes: all run, both workers take part; on a
   * loaded machine one worker may get the whole first burst, so bursts go
   * on until both have run processes (or the deadline passes) */
  uint64_t last = 0;
  int increasing = 1, all_exited = 1, bursts = 0;
  unsigned long runs[2] = { 0 }, steals[2] = { 0 };
  int64_t deadline = tap_deadline (60000);
  do
    {
      for (int i = 0; i < 2000; i++)
        {
          ward_proc *p = spawn (h, ":noop");
          if (p == NULL)
            break;
          increasing &= p->serial > last;
          last = p->serial;
          ward_proc_unref (p);
        }
      ward_wait_all_exited ();
      all_exited &= ward_proc_count () == 0;
      bursts++;
      ward_host_stats (h, runs, steals, 2);
    }
  while ((runs[0] == 0 || runs[1] == 0) && !tap_expired (deadline));
  printf ("# %d burst(s): runs %lu/%lu steals %lu/%lu\n", bursts, runs[0], runs[1],
          steals[0], steals[1]);
  ok (increasing, "serials strictly increase (PIDs are never reused)");
  ok (all_exited, "every process of each burst exited");
  ok (runs[0] > 0 && runs[1] > 0, "both workers ran processes");
  ok (runs[0] + runs[1] >= 2000ul * bursts, "at least one slice per process");

  /* three processes that never end on two workers, then a short one: only
   * preemption lets the short one finish; then the busy ones are killed */
  ward_proc *busy[3];
  for (int i = 0; i < 3; i++)
    busy[i] = spawn (h, ":busy");
  ward_proc *s = spawn (h, ":noop");
  int64_t t0 = tap_now_ms ();
  int short_done = 0;
  if (s != NULL)
    {
      short_done = tap_wait_until (proc_done (s), 60000);
      ward_proc_unref (s);
    }
  int busy_running = 0;
  for (int i = 0; i < 3; i++)
    if (busy[i] != NULL)
      busy_running += !proc_done (busy[i]);
  printf ("# short process done after %lld ms, %d busy running\n",
          (long long) (tap_now_ms () - t0), busy_running);
  ok (short_done && busy_running == 3,
      "the short process finished while three busy ones ran on two workers");
  for (int i = 0; i < 3; i++)
    if (busy[i] != NULL)
      {
        ward_proc_kill (busy[i], "test over");
        ward_proc_unref (busy[i]);
      }
  ward_wait_all_exited ();
  is_int (ward_proc_count (), 0, "killed busy processes end");
  ward_hosts_stop ();
  ward_timers_stop ();
  return rt_remove (dir) == 0 ? done () : 1;
}
