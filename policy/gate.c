/* gate.c -- ward_authorize(): the single permission gate.
 * Until the policy store lands (issue 3) the gate allows every request but
 * those named by --deny, and can trace every request to a file. */
#include "config.h"
#include "policy.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
  char **deny;          /* "action" or "action=resource" */
  size_t ndeny;
  FILE *trace;
  int permissive;
  pthread_mutex_t lock; /* serialises trace lines */
} gate = { .lock = PTHREAD_MUTEX_INITIALIZER };

int
ward_policy_init (const ward_policy_opts *opts, ward_err *err)
{
  ward_policy_shutdown ();
  if (opts == NULL)
    return 0;
  gate.permissive = opts->permissive;
  for (const char *const *d = opts->deny; d && *d; d++)
    {
      char **nd = realloc (gate.deny, (gate.ndeny + 1) * sizeof *nd);
      if (nd == NULL)
        return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "storing --deny rules");
      gate.deny = nd;
      if ((gate.deny[gate.ndeny] = strdup (*d)) == NULL)
        return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "storing --deny rules");
      gate.ndeny++;
    }
  if (opts->trace_path)
    {
      gate.trace = fopen (opts->trace_path, "we");
      if (gate.trace == NULL)
        return ward_err_set (err, WARD_E_INVALID, errno, "opening trace file `%s`",
                             opts->trace_path);
    }
  return 0;
}

void
ward_policy_shutdown (void)
{
  for (size_t i = 0; i < gate.ndeny; i++)
    free (gate.deny[i]);
  free (gate.deny);
  gate.deny = NULL;
  gate.ndeny = 0;
  if (gate.trace)
    fclose (gate.trace);
  gate.trace = NULL;
}

static int
denied_by_rule (const char *action, const char *resource)
{
  size_t alen = strlen (action);
  for (size_t i = 0; i < gate.ndeny; i++)
    {
      const char *r = gate.deny[i];
      if (strncmp (r, action, alen) != 0)
        continue;
      if (r[alen] == '\0')
        return 1;
      if (r[alen] == '=' && strcmp (r + alen + 1, resource) == 0)
        return 1;
    }
  return 0;
}

ward_decision
ward_authorize (const ward_actor *actor, const char *action, const char *resource,
                const ward_attrs *attrs)
{
  if (action == NULL || resource == NULL || actor == NULL || actor->id == NULL)
    return WARD_DENY;   /* fail closed on a malformed request */
  if (gate.trace)
    {
      pthread_mutex_lock (&gate.lock);
      fprintf (gate.trace, "%s\t%s\t%s\n", action, resource,
               attrs && attrs->pid ? attrs->pid : "-");
      fflush (gate.trace);
      pthread_mutex_unlock (&gate.lock);
    }
  if (denied_by_rule (action, resource) && !gate.permissive)
    return WARD_DENY;
  return WARD_ALLOW;
}
