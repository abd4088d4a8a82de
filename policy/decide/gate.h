/* gate.h -- the state shared by the gate (gate.c: ward_authorize, linked
 * into every program that uses the runtime) and its setup (run.c:
 * ward_policy_init and ward_policy_shutdown). The gate reaches the engine
 * and the audit writer only through the hooks below, so a program that
 * never calls ward_policy_init (the runtime's unit tests) links neither
 * the engine nor SQLite. */
#ifndef WARD_POLICY_GATE_H
#define WARD_POLICY_GATE_H

#include <pthread.h>
#include <stdio.h>
#include "audit.h"

typedef struct wpol_gate {
  int ready;                      /* ward_policy_init succeeded: else deny */
  wpol_engine *engine;
  wpol_result (*decide) (wpol_engine *, const ward_actor *, const char *,
                         const char *, const ward_attrs *);
  /* whether some attributes could allow (wpol_decide_possible) */
  wpol_result (*possible) (wpol_engine *, const ward_actor *, const char *, const char *);
  int (*declares) (wpol_engine *, const char *);   /* an actor id has a declaration */
  uint64_t (*generation) (wpol_engine *);          /* of the engine's decisions */
  int (*record) (const wpol_audit_in *);   /* NULL: no audit */
  int permissive, audit_all;
  /* --deny ACTION[=RESOURCE] test rules, with a location each for audit */
  char **deny;                    /* "action" or "action=resource" */
  wpol_rule_loc *deny_locs;
  size_t ndeny;
  FILE *trace;
  pthread_mutex_t trace_lock;
} wpol_gate;

extern wpol_gate wpol_gate_state;

#endif
