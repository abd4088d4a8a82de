/* wpol-cli.c -- a stand-alone `ward policy` for the policy tests, until
 * runtime/main.c dispatches `ward policy ...` to wpol_cli_main. */
#include "config.h"
#include "engine.h"

int
main (int argc, char **argv)
{
  argv[0] = (char *) "policy";
  return wpol_cli_main (argc, argv);
}
