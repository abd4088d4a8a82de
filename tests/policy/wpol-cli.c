/* wpol-cli.c -- a stand-alone `ward policy ...` and `ward audit ...` for the
 * policy tests: `wpol-cli audit ARGS` is `ward audit ARGS`, anything else
 * is `ward policy ARGS` (used while runtime/main.c does not dispatch them). */
#include "config.h"
#include "engine.h"

#include <string.h>

int
main (int argc, char **argv)
{
  if (argc > 1 && strcmp (argv[1], "audit") == 0)
    return ward_audit_cli (argc - 1, argv + 1);
  argv[0] = (char *) "policy";
  return ward_policy_cli (argc, argv);
}
