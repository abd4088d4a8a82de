/* test-ending.c -- unit tests of the run's end: once ward_proc_kill_all
 * is called no process may start (UNAVAILABLE, WARD_RUN_ENDING_MSG), and
 * every process alive then is ended, so that ward_wait_all_exited returns
 * whatever those processes were doing. */
#include "config.h"
#include "rt.h"
#include "vm.h"
#include "tap.h"
#include "rttest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
  (void) p, (void) abnormal, (void) error;
}

int
main (void)
{
  plan (9);
  char dir[] = "/tmp/ward-ending-XXXXXX";
  if (rt_root (dir, 1000) < 0 || rt_define (dir, "spin", "while true do end\n") < 0)
    return 1;

  ward_err err;
  is_int (ward_timers_start (&err), 0, "timer thread starts");
  ward_host *h = ward_host_create ("ward:main", 2, &err);
  ok (h != NULL, "host with 2 workers");
  is_int (ward_run_ending (), 0, "a fresh run is not ending");

  int started = 0;
  for (int i = 0; i < 8; i++)
    {
      ward_proc *p = rt_spawn (h, ":spin", &err);
      if (p == NULL)
        printf ("# spawn: %s\n", err.msg);
      else
        {
          started++;
          ward_proc_unref (p);
        }
    }
  is_int (started, 8, "eight spinning processes start");

  ward_proc_kill_all ("the test ends the run");
  is_int (ward_run_ending (), 1, "after ward_proc_kill_all the run is ending");
  ward_err_clear (&err);
  ward_proc *late = rt_spawn (h, ":spin", &err);
  ok (late == NULL, "a spawn after it is refused");
  if (late)
    ward_proc_unref (late);
  is_int (err.kind, WARD_E_UNAVAILABLE, "as UNAVAILABLE");
  is_str (err.msg, WARD_RUN_ENDING_MSG, "saying why");
  /* every spinning process was killed: this returns */
  ward_wait_all_exited ();
  is_int (ward_proc_count (), 0, "every process alive at the end was ended");
  ward_hosts_stop ();
  ward_timers_stop ();
  return rt_remove (dir) == 0 ? done () : 1;
}
