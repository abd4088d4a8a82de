/* test-warm.c -- warm profiles (wsb_profile.warm): nothing is built before
 * the first spawn; the supervisor keeps a child of the profile built
 * ahead, hands it over on the next spawn and builds the next one;
 * distinct profiles have distinct children; a child built ahead that dies
 * is replaced on demand; spawns back to back make it keep more ready (each
 * handed to one spawn only), and it goes back to one when the demand has
 * passed; a child built ahead of spaced spawns is told it waits
 * (wsb_child_waits), one built for a spawn waiting or for spawns back to
 * back is not; a warm profile's init script (made ready once by the
 * supervisor) runs in each child, and one that fails fails each spawn,
 * naming its line; none outlives the supervisor. The children answer with
 * their hostname and a fresh marker. */
#include "config.h"
#include "sandbox.h"
#include "tap.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The child: wait for a question, answer "hostname pid". */
static int
entry (int chan)
{
  char q;
  if (recv (chan, &q, 1, 0) != 1)
    return 1;
  char host[128] = "", buf[200];
  gethostname (host, sizeof host);
  int n = snprintf (buf, sizeof buf, "%s %d w%d", host, (int) getpid (), wsb_child_waits ());
  send (chan, buf, (size_t) n, MSG_NOSIGNAL);
  return 0;
}

/* Ask a child; its answer in buf, or "" */
static void
ask (const wsb_child *c, char *buf, size_t len)
{
  buf[0] = '\0';
  struct pollfd pf = { c->chan, POLLIN, 0 };
  if (send (c->chan, "?", 1, MSG_NOSIGNAL) != 1 || poll (&pf, 1, 5000) != 1)
    return;
  ssize_t n = recv (c->chan, buf, len - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
}

static void
end (wsb_child *c)
{
  close (c->chan);
  close (c->pidfd);
  ward_err err;
  wsb_exit x;
  for (int i = 0; i < 200; i++)
    {
      while (wsb_next_exit (&x, &err) == 1)
        ;
      struct pollfd pf = { wsb_events_fd (), POLLIN, 0 };
      if (poll (&pf, 1, 10) == 0)
        break;
    }
}

/* The supervisor's children now. */
static int
children_of (pid_t parent, pid_t *out, int max)
{
  char path[64], buf[4096];
  snprintf (path, sizeof path, "/proc/%d/task/%d/children", (int) parent, (int) parent);
  if (tu_read_file (path, buf, sizeof buf) < 0)
    return -1;
  int k = 0;
  for (char *s = buf, *e; k < max; s = e)
    {
      long v = strtol (s, &e, 10);
      if (e == s)
        break;
      out[k++] = (pid_t) v;
    }
  return k;
}

/* In the process table at all, zombies included. */
static int
exists_pid (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  return access (path, F_OK) == 0;
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

int
main (void)
{
  plan (20);
  ward_err err;
  if (wsb_supervisor_start (entry, &err) < 0)
    {
      printf ("1..0 # SKIP the supervisor cannot start: %s\n", err.msg);
      return 0;
    }
  wsb_profile a = { .limits = { .namespaces = WARD_NS_USER | WARD_NS_UTS, .nofile = -1,
                               .children = -1 },
                    .seccomp = WSB_SECCOMP_DEFAULT, .hostname = "warm-a", .init_arg_fd = -1,
                    .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .warm = 1 };
  wsb_profile b = a;
  b.hostname = "warm-b";
  wsb_child c;
  pid_t kids[64];
  int nk = children_of (wsb_supervisor_pid (), kids, 64);
  is_int (nk, 0, "nothing is built before the first spawn");
  if (wsb_spawn (&a, &c, &err) < 0)
    {
      if (err.errnum == EPERM || strstr (err.msg, "not permitted"))
        {
          printf ("1..0 # SKIP the kernel refuses the namespaces: %s\n", err.msg);
          return 0;
        }
    }
  char ans[200];
  ask (&c, ans, sizeof ans);
  ok (strncmp (ans, "warm-a ", 7) == 0, "a warm spawn gives a working child (%s)", ans);
  ok (strstr (ans, " w0") != NULL, "built for the spawn waiting, it is not told it waits (%s)",
      ans);
  end (&c);

  /* five more, spaced: every one is handed over; all are different */
  pid_t seen[5];
  int good = 0, distinct = 1;
  for (int i = 0; i < 5; i++)
    {
      sleep_ms (20);
      if (wsb_spawn (&a, &c, &err) < 0)
        continue;
      ask (&c, ans, sizeof ans);
      good += strncmp (ans, "warm-a ", 7) == 0;
      seen[i] = c.pid;
      for (int j = 0; j < i; j++)
        distinct &= seen[j] != c.pid;
      end (&c);
    }
  is_int (good, 5, "five spaced warm spawns all answer");
  ok (strstr (ans, " w1") != NULL, "the child built ahead of spaced spawns is told it waits "
      "(wsb_child_waits: %s)", ans);
  ok (distinct, "each is another child");

  /* a child built ahead waits: one more child of the supervisor than the
   * ones handed over (all ended); it is built in the background, so the
   * count is awaited (bounded by a scaled deadline) */
  tap_wait_until ((nk = children_of (wsb_supervisor_pid (), kids, 64)) == 1, 30000);
  is_int (nk, 1, "one child is kept ready between spawns");

  /* another profile has its own */
  wsb_child cb;
  int rb = wsb_spawn (&b, &cb, &err);
  if (rb == 0)
    ask (&cb, ans, sizeof ans);
  ok (rb == 0 && strncmp (ans, "warm-b ", 7) == 0, "another warm profile gets its own child (%s)",
      rb == 0 ? ans : err.msg);
  if (rb == 0)
    end (&cb);
  tap_wait_until ((nk = children_of (wsb_supervisor_pid (), kids, 64)) == 2, 30000);
  is_int (nk, 2, "two profiles: two children kept ready");

  /* a child kept ready that dies is replaced on demand */
  for (int i = 0; i < nk; i++)
    kill (kids[i], SIGKILL);
  sleep_ms (50);
  rb = wsb_spawn (&a, &c, &err);
  if (rb == 0)
    ask (&c, ans, sizeof ans);
  ok (rb == 0 && strncmp (ans, "warm-a ", 7) == 0,
      "after the ready child died, a warm spawn still works (%s)", rb == 0 ? ans : err.msg);
  if (rb == 0)
    end (&c);

  /* six back to back: each gets a child of its own; the demand seen,
   * more than one is then kept ready, and one again once it has passed */
  wsb_child burst[6];
  int nb = 0, answered = 0, at_once = 0;
  for (int i = 0; i < 6; i++)
    if (wsb_spawn (&a, &burst[nb], &err) == 0)
      nb++;
  distinct = 1;
  for (int i = 0; i < nb; i++)
    {
      ask (&burst[i], ans, sizeof ans);
      answered += strncmp (ans, "warm-a ", 7) == 0;
      at_once += strstr (ans, " w0") != NULL;
      for (int j = 0; j < i; j++)
        distinct &= burst[j].pid != burst[i].pid;
    }
  ok (answered == 6 && distinct, "six spawns back to back: six children, each its own "
      "(%d answered)", answered);
  ok (at_once >= 1, "children built for spawns back to back are not told they wait (%d of %d)",
      at_once, nb);
  for (int i = 0; i < nb; i++)
    end (&burst[i]);
  tap_wait_until ((nk = children_of (wsb_supervisor_pid (), kids, 64)) >= 2, 30000);
  ok (nk >= 2, "after them more than one child is kept ready (%d)", nk);
  tap_wait_until ((nk = children_of (wsb_supervisor_pid (), kids, 64)) == 1, 30000);
  is_int (nk, 1, "and one again once the demand has passed");

  /* a warm profile's init script is made ready once by the supervisor
   * and run by each child: every child has what it did; a script that
   * fails fails each spawn, naming its line, as a cold spawn's would */
  static const char set_host[] = "init.sethostname('from-init')";
  static const char bad_call[] = "local x = 1\ninit.chdir('/no/such/dir/at/all')";
  static const char bad_syntax[] = "local = 1";
  wsb_profile ci = a;
  ci.hostname = NULL;
  ci.init_name = "host.lua";
  ci.init_script = set_host;
  ci.init_len = sizeof set_host - 1;
  int from_init = 0;
  for (int i = 0; i < 3; i++)
    {
      if (wsb_spawn (&ci, &c, &err) == 0)
        {
          ask (&c, ans, sizeof ans);
          from_init += strncmp (ans, "from-init ", 10) == 0;
          end (&c);
        }
      sleep_ms (20);
    }
  is_int (from_init, 3, "a warm profile's init script runs in each of its children");
  ci.init_script = bad_call;
  ci.init_len = sizeof bad_call - 1;
  int named = 0;
  char why[WARD_ERR_MSG_MAX] = "";
  for (int i = 0; i < 2; i++)
    {
      ward_err_clear (&err);
      if (wsb_spawn (&ci, &c, &err) == 0)
        end (&c);
      else
        named += strstr (err.msg, "init script: host.lua:2: chdir") != NULL;
      snprintf (why, sizeof why, "%s", err.msg);
    }
  is_int (named, 2, "a warm profile's failing init script fails each spawn, naming its line");
  diag (why);
  ci.init_script = bad_syntax;
  ci.init_len = sizeof bad_syntax - 1;
  ward_err_clear (&err);
  rb = wsb_spawn (&ci, &c, &err);
  if (rb == 0)
    end (&c);
  ok (rb < 0 && strstr (err.msg, "init script: host.lua:1:") != NULL,
      "and one that does not compile fails it too (%s)", rb < 0 ? err.msg : "spawned");

  /* none outlives the supervisor */
  tap_wait_until ((nk = children_of (wsb_supervisor_pid (), kids, 64)) >= 1, 30000);
  ok (nk >= 1, "children are kept ready before the end (%d)", nk);
  pid_t sup = wsb_supervisor_pid ();
  wsb_supervisor_stop ();
  /* it returns once they are killed and reaped: none is left, not even as
   * a zombie, and the supervisor itself has been reaped */
  int left = 0;
  for (int i = 0; i < nk; i++)
    left += exists_pid (kids[i]);
  is_int (left, 0, "wsb_supervisor_stop returns with the children kept ready reaped");
  pid_t w = waitpid (sup, NULL, WNOHANG);
  int werr = errno;
  ok (w < 0 && werr == ECHILD, "and the supervisor reaped too (waitpid: %d, %s)", (int) w,
      w < 0 ? strerror (werr) : "not yet");
  return done ();
}
