/* cli.h -- what the two files of `ward policy` share: its error output and
 * the --db option (cli.c), and the commands that ask the engine
 * (cli_request.c). Internal to the policy library. */
#ifndef WARD_POLICY_CLI_H
#define WARD_POLICY_CLI_H

#include "wpol.h"

/* `ward policy CMD: MESSAGE` and a pointer to --help on stderr: 2, the
 * exit status of a usage error. */
int wpol_cli_usage_error (const char *cmd, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* The diagnostics of d, sorted, on stderr. */
void wpol_cli_print_diags (wpol_diags *d);
/* `ward policy CMD: MESSAGE` on stderr; a message may name a file or a
 * policy, so it is escaped (wesc.h). */
void wpol_cli_print_error (const char *cmd, const char *msg);
/* Take `--db DB` (or --db=DB) out of argv[1..*argc): DB, or NULL. */
const char *wpol_cli_take_db (int *argc, char **argv, const char *cmd);

/* `ward policy explain` and `ward policy test` (argv[0] the command): the
 * exit status. */
int wpol_cli_explain (int argc, char **argv);
int wpol_cli_test (int argc, char **argv);

#endif
