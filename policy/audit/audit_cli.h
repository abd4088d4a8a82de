/* audit_cli.h -- what the two files of `ward audit` share: its options,
 * the rows it read, and the listing and stats commands (audit_show.c) that
 * the entry point (audit_cli.c) calls. Internal to the policy library. */
#ifndef WARD_POLICY_AUDIT_CLI_H
#define WARD_POLICY_AUDIT_CLI_H

#include <stdint.h>
#include <stdio.h>
#include "audit.h"

#define WPOL_ACLI_MAX_POLICIES 64

typedef struct wpol_aopts {
  const char *db, *actor, *action, *resource, *name;
  int denied, json, run_last, full;
  /* suggest: the policy to leave out what it allows (files, or a store) */
  const char *policies[WPOL_ACLI_MAX_POLICIES];
  size_t npolicies;
  const char *policy_db;
  const char *output;             /* suggest --interactive: the file written */
  int split, interactive;
  int64_t since, run, limit;      /* 0: none */
} wpol_aopts;

/* The rows read, oldest first, each string malloc'd. */
typedef struct wpol_arows {
  wpol_arow *v;
  size_t n, cap;
} wpol_arows;

void wpol_acli_rows_free (wpol_arows *r);

/* The places of w's strings, in the order of their columns (after the
 * eight integers). */
#define WPOL_AROW_NSTRS 17
void wpol_acli_row_strs (wpol_arow *w, char **s[WPOL_AROW_NSTRS]);

/* A row that stands for lost records, not for a decision. */
int wpol_acli_is_lost (const wpol_arow *w);
/* A row of something the run said (the policy store lost, back): its note. */
int wpol_acli_is_notice (const wpol_arow *w);
/* A row that counts denials of one actor and action not recorded one by one. */
int wpol_acli_is_folded (const wpol_arow *w);
/* A folded row that counts the quiet denials (`deny quietly`) of one
 * actor and action: decided by a rule, not left to suggest. */
int wpol_acli_is_quiet (const wpol_arow *w);

/* `ward audit [list]` and `ward audit stats` over the rows r: the exit
 * status. The listing escapes r's strings in place. */
int wpol_acli_list (const wpol_aopts *o, wpol_arows *r, FILE *out);
int wpol_acli_stats (const wpol_aopts *o, wpol_arows *r, FILE *out);

#endif
