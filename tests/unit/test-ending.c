/* test-ending.c -- unit tests of the run's end: once ward_proc_kill_all
 * is called no process may start (UNAVAILABLE, WARD_RUN_ENDING_MSG), and
 * every process alive then is ended, so that ward_wait_all_exited returns
 * whatever those processes were doing. */
#include "config.h"
#include "rt.h"
#include "vm.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
  (void) p, (void) abnormal, (void) error;
}

static int
write_file (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    return -1;
  fputs (text, f);
  return fclose (f);
}

static ward_proc *
spawn (ward_host *h, const char *id, ward_err *err)
{
  char path[4096];
  if (ward_def_resolve (id, path, sizeof path, err) < 0)
    return NULL;
  ward_spawn_req req = { .def_id = id, .path = path, .host = h, .is_worker = 1 };
  return ward_spawn (NULL, &req, err);
}

int
main (void)
{
  plan (9);
  char dir[] = "/tmp/ward-ending-XXXXXX";
  if (mkdtemp (dir) == NULL)
    return 1;
  snprintf (ward_cfg.root, sizeof ward_cfg.root, "%s", dir);
  ward_cfg.mem_limit = 64u << 20;
  ward_cfg.mailbox_limit = 1000;
  ward_cfg.max_children = 1000;
  char path[4200];
  snprintf (path, sizeof path, "%s/spin.lua", dir);
  if (write_file (path, "while true do end\n") < 0)
    return 1;

  ward_err err;
  is_int (ward_timers_start (&err), 0, "timer thread starts");
  ward_host *h = ward_host_create ("ward:main", 2, &err);
  ok (h != NULL, "host with 2 workers");
  is_int (ward_run_ending (), 0, "a fresh run is not ending");

  int started = 0;
  for (int i = 0; i < 8; i++)
    {
      ward_proc *p = spawn (h, ":spin", &err);
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
  ward_proc *late = spawn (h, ":spin", &err);
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
  snprintf (path, sizeof path, "rm -rf %s", dir);
  return system (path) == 0 ? done () : 1;
}
