/* policy.h -- the permission engine's contract: all that runtime/ may know.
 * Every process API call asks ward_authorize() for each permission it needs
 * (the seed's table). Nothing in policy/ includes a runtime header. */
#ifndef WARD_POLICY_H
#define WARD_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "werr.h"
#include "wprofile.h"

/* The security principal of a process. Strings are borrowed for the call. */
typedef struct ward_actor {
  const char *id;                 /* "main", "plugin.resize", ... */
  const char *const *meta;        /* key, value, key, value ... (nmeta pairs) */
  size_t nmeta;
  const char *const *scope;       /* names of the policies that apply */
  size_t nscope;
} ward_actor;

/* Attributes of one request. Any field may be NULL when it does not apply
 * (target_* are set only when the resource is a PID). */
typedef struct ward_attrs {
  const char *pid;                /* the caller's PID */
  const char *host;               /* the caller's host */
  const char *parent;             /* the caller's parent PID ("" for the first process) */
  const char *target_actor;
  const char *target_host;
  const char *target_parent;
  const char *path;               /* fs.*: the path the script asked for (the
                                     resource is its canonical form) */
  const char *address;            /* net.*: one resolved address of the host */
  /* The names the target holds in the registry (target.names): a list of
   * ntarget_names, or NULL when not known (then a condition that reads
   * it errors, and its rule fails closed). */
  const char *const *target_names;
  size_t ntarget_names;
} ward_attrs;

typedef enum ward_decision { WARD_DENY = 0, WARD_ALLOW = 1 } ward_decision;

/* The actions (policy/include/actions.def, the one list): a call site names one as
 * WARD_ACTION (SEND), which does not compile for an action not listed. */
enum ward_action_kind {
  WARD_ACT_REQ,                   /* asked on a name, id or fixed word */
  WARD_ACT_PID,                   /* asked on a target PID (target.* set) */
  WARD_ACT_EVT                    /* recorded by ward, never asked */
};
enum ward_action_id {
#define X(id, name, kind) WARD_ACT_##id,
#define E(id, name) WARD_ACT_##id,
#include "actions.def"
#undef X
#undef E
  WARD_ACT_COUNT
};
typedef struct ward_action_info {
  const char *name;
  enum ward_action_kind kind;
} ward_action_info;
extern const ward_action_info ward_actions[WARD_ACT_COUNT];
#define WARD_ACTION(id) (ward_actions[WARD_ACT_##id].name)

/* Options of the engine for one run (from the command line of ward run). */
typedef struct ward_policy_opts {
  const char *const *deny;        /* test rules "action" or "action=resource" (NULL-terminated) */
  const char *trace_path;         /* when set: every request is appended to this file */
  int permissive;                 /* denials are recorded and allowed */
  const char *const *policy_files;/* --policy FILE... (NULL-terminated), loaded in memory */
  const char *db_path;            /* --db FILE: the SQLite store */
  const char *audit_path;         /* --audit FILE: where audit records go (NULL: engine default) */
  int audit_all;                  /* --audit-all: record every decision, not only denials */
  int audit_sync;                 /* --audit-sync: commit before the denied call returns */
  unsigned long long audit_fold;  /* --audit-fold: denials of one (actor, action)
                                     recorded one by one; 0 = the default (audit.h) */
  const char *run_actor;          /* the actor of the first process: a --policy file
                                     that declares no actor applies to it */
  int audit_later;                /* the audit database is opened while the caller
                                     goes on: ward_policy_audit_ready waits for it */
  const char *audit_spool;        /* --audit-spool DIR: the spool of an audit trail
                                     in PostgreSQL (NULL: the default, pgship.h) */
  /* A policy text of the run's own (ward run --allow-*, made by
   * ward_policy_grants_text), loaded with the built-in policies or the
   * --policy files; it declares no actor, so its policies join the scope of
   * run_actor. Refused with db_path (a store is changed by ward policy
   * load, never by a run). */
  const char *grants_text;
} ward_policy_opts;

/* One grant of ward run's --allow-* flags: `action` on exactly `resource`,
 * and with `below` also on everything below it as a directory (the
 * escaped literal, then "/" and the one glob "**"). */
typedef struct ward_grant {
  const char *action;
  const char *resource;
  int below;
} ward_grant;
/* The text of the policy WARD_GRANTS_POLICY that allows each grant on its
 * resource as a literal (quoted, and its glob characters escaped: a value
 * never becomes a pattern, and no character of it can end the string):
 * valid policy text that `ward policy check` accepts. NULL with err
 * (INVALID) for an action a policy cannot name, an empty resource, or one
 * holding a control character; free the text with free(). */
#define WARD_GRANTS_POLICY "ward-run-grants"
char *ward_policy_grants_text (const ward_grant *g, size_t n, ward_err *err);

/* Start the engine for a run. Returns -1 with err on failure. */
int ward_policy_init (const ward_policy_opts *opts, ward_err *err);
/* With audit_later: 0 once the audit database is open for the run, or -1
 * with err ("refusing to run unaudited: ..."; the engine is then shut
 * down). Nothing of the run may start before it returns 0. Without
 * audit_later (ward_policy_init opened it): 0. */
int ward_policy_audit_ready (ward_err *err);
void ward_policy_shutdown (void);
/* Audit records the last run could not write (each failure was reported
 * on stderr): `ward run` exits 3 when this is not 0. */
unsigned long long ward_policy_audit_lost (void);

/* The gate. Thread-safe. Fails closed: any internal error denies. */
ward_decision ward_authorize (const ward_actor *actor, const char *action,
                              const char *resource, const ward_attrs *attrs);

/* What the gate would answer, without recording anything (a denial is
 * not audited, --audit-all records nothing): process.permissions.query.
 * A permissive run answers ALLOW where the call would be allowed. *why
 * (never NULL) is a short phrase of which form decided: "a rule allows
 * it", "a rule denies it", "no rule matched", "the actor is not
 * declared", "the --deny test rule", "a malformed request", "permissive
 * run (a rule would deny it)" ... Fails closed. */
/* Whether any attributes could make the gate allow action on resource
 * (a rule allows it whatever its condition, and no unconditional deny or
 * --deny test rule refuses it), recording nothing: for a call that must
 * learn its attributes first by an act of its own (net.connect resolves a
 * name), so that it acts only where a grant could follow. A permissive
 * run answers ALLOW. Fails closed. */
ward_decision ward_authorize_possible (const ward_actor *actor, const char *action,
                                       const char *resource);

ward_decision ward_authorize_query (const ward_actor *actor, const char *action,
                                    const char *resource, const ward_attrs *attrs,
                                    const char **why);
/* Whether `name` is an action a policy may name (an X line of actions.def). */
int ward_action_askable (const char *name);

/* For a caller that asks the same question again and again (the
 * runtime's send): the generation of the gate's answers now, or 0 when
 * none may be reused (--trace, --audit-all, --permissive, --deny rules,
 * the engine not running). An ALLOW given for a request while this
 * returned g != 0 is what the gate answers again while it returns g;
 * a denial is always asked (and recorded) again. */
uint64_t ward_authorize_generation (void);

/* Whether the loaded policies can answer for the actor: a declaration
 * matches its id, or it carries a scope of its own (:with_scope). An actor
 * that fails this has no policy, and every request it makes is denied; an
 * error message says so. 1 while the engine is not running (its denials
 * have another cause). */
int ward_actor_declared (const ward_actor *actor);

/* Record an event that is no request -- a subprocess actor that broke the
 * wire protocol, say -- as a denial of `action` on `resource` decided by
 * ward itself (rule "ward"), so that the audit trail holds it. */
void ward_audit_event (const ward_actor *actor, const char *action, const char *resource,
                       const ward_attrs *attrs);
/* The same for a call refused for a limit of the run (an action limit.*,
 * rule "ward": "deny what is past a limit of the run"). Repeated ones fold
 * like any denial (--audit-fold). */
void ward_audit_limit (const ward_actor *actor, const char *action, const char *resource,
                       const ward_attrs *attrs);

/* ---- hosts and sandbox profiles declared by the loaded policies ---- */

/* A sandbox profile is a ward_profile (common/wprofile.h). */

typedef struct ward_host_spec {
  int threads;                    /* 0 = one per core */
  char sandbox[WARD_PROFILE_NAME_MAX];  /* profile name; "" = in-process */
} ward_host_spec;

/* The names of the hosts the loaded policies declare (sorted, NULL-
 * terminated; free with ward_policy_names_free). NULL with err. */
char **ward_policy_host_names (ward_err *err);
void ward_policy_names_free (char **names);

/* The host or sandbox profile `name` as declared. -1 with WARD_E_NOT_FOUND
 * when no loaded policy declares it. */
int ward_policy_host (const char *name, ward_host_spec *out, ward_err *err);
int ward_policy_sandbox (const char *name, ward_profile *out, ward_err *err);

/* ---- the command lines (cli.c, audit_cli.c) ---- */

/* `ward policy ARGS...` and `ward audit ARGS...`: argv[0] is "policy" or
 * "audit". Each returns the exit status. */
int ward_policy_cli (int argc, char **argv);
int ward_audit_cli (int argc, char **argv);

/* Star, in place, the password of every PostgreSQL connection string on
 * the command line (--db, --audit): `ps` then shows none. First thing in
 * main; argv[i] then points at a private copy of the original. */
void ward_policy_scrub_argv (int argc, char **argv);

#endif
