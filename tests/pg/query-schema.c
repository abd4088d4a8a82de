/* query-schema.c -- for the tests of `ward audit` on a fleet trail:
 * create the ward schema (wpg_schema) at the PostgreSQL server argv[1]
 * names, as the first ward that writes there does. Exit 0, or 1 with the
 * error on stderr. */
#include "config.h"
#include "wpg.h"

#include <stdio.h>

int
main (int argc, char **argv)
{
  ward_err err;
  if (argc != 2)
    {
      fprintf (stderr, "usage: query-schema CONNINFO\n");
      return 2;
    }
  PGconn *c = wpg_connect (argv[1], &err);
  if (c == NULL || wpg_schema (c, 1, WPG_SCHEMA_VERSION, &err) < 0)
    {
      fprintf (stderr, "query-schema: %s\n", err.msg);
      PQfinish (c);
      return 1;
    }
  PQfinish (c);
  return 0;
}
