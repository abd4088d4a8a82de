/* engine.h -- the permission engine as a library: policy files, the policy
 * store (an SQLite file or a PostgreSQL database), compiled decision index, cached decisions and `ward policy ...`.
 *
 * How the runtime's gate uses it (run.c, gate.c):
 *
 *   wpol_store *st = wpol_store_open (db, 0, &err);     // or none: files only
 *   wpol_engine *e = wpol_engine_new (0, &err);
 *   wpol_engine_load_store (e, st, NULL, &err);         // or _load_files
 *   ... from any thread:
 *   wpol_result r = wpol_decide (e, actor, action, resource, attrs);
 *   ... every 200 ms from the store poller (run.c):
 *   wpol_engine_reload_if_changed (e, st, &err);
 *
 * All strings returned through a wpol_rule_loc stay valid until
 * wpol_engine_free, across reloads. */
#ifndef WARD_POLICY_ENGINE_H
#define WARD_POLICY_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "policy.h"
#include "werr.h"

/* ---- diagnostics: `file:line:col: error: message` ---------------------- */

typedef enum wpol_severity { WPOL_WARNING = 1, WPOL_ERROR = 2 } wpol_severity;

typedef struct wpol_diag {
  wpol_severity severity;
  char *file;
  unsigned line, col;             /* 1-based; col counts characters */
  char *msg;
} wpol_diag;

typedef struct wpol_diags {
  wpol_diag *v;
  size_t n, cap;
  size_t nerrors, nwarnings;
} wpol_diags;

void wpol_diags_init (wpol_diags *d);
void wpol_diags_free (wpol_diags *d);
/* Print every error and the first 20 warnings (WPOL_MAX_WARNINGS), then
 * a line counting the warnings not shown. */
void wpol_diags_print (const wpol_diags *d, FILE *out);
/* Format one diagnostic as "file:line:col: error: msg" into buf. */
void wpol_diag_format (const wpol_diag *g, char *buf, size_t size);

/* ---- the store --------------------------------------------------------- */

typedef struct wpol_store wpol_store;

enum {
  WPOL_STORE_CREATE = 1,          /* create the file when missing */
  WPOL_STORE_READONLY = 2         /* never write (list, export, explain) */
};

/* Open (and migrate) a store: path names an SQLite file, or is a
 * PostgreSQL connection string (wpg_is_conninfo: postgresql://..., the
 * key=value form; the PG* environment variables and ~/.pgpass fill in
 * what it leaves out), whose store lives in the schema `ward` of that
 * database; ":memory:" gives a private in-memory one. Either behaves the
 * same through every function below; a PostgreSQL store's messages name
 * the server without its password. */
wpol_store *wpol_store_open (const char *path, int flags, ward_err *err);
/* 1 when st is a PostgreSQL store (its poller is pgstore.h's wpgs_watch). */
int wpol_store_is_pg (const wpol_store *st);
void wpol_store_close (wpol_store *st);

/* Check every file and, when none has an error, replace each file's
 * definitions in one transaction. A file is stored under its canonical
 * path (a file stored by an older ward under a relative name that resolves
 * to the same path is replaced too); a file that starts with the line
 * wpol_store_export writes first is an export, whose `# file: "NAME"`
 * sections are loaded as the files NAME (the first export format, with
 * `# file: NAME`, loads too). A name with a control character is refused
 * (it could forge a line of an export). Returns -1 and changes nothing
 * when any file has an error (then d holds the diagnostics) or the
 * database fails. */
int wpol_store_load_files (wpol_store *st, const char *const *paths, size_t n,
                           wpol_diags *d, ward_err *err);
/* The same for text in memory (name is the file name it is stored under). */
int wpol_store_load_text (wpol_store *st, const char *name, const char *text,
                          size_t len, wpol_diags *d, ward_err *err);
/* Remove stored files or policies: each of what[] names a stored file (as
 * stored, or a path that resolves to it) or else a stored policy, which is
 * taken out of its file (a file left empty goes). Checked and done in one
 * transaction, like a load; -1 with WARD_E_NOT_FOUND when an argument names
 * neither. */
int wpol_store_remove (wpol_store *st, const char *const *what, size_t n,
                       wpol_diags *d, ward_err *err);
/* What the last successful load or remove changed, one line per
 * definition: `+ policy "a"` (new), `- policy "b"` (gone), `~ policy "c"`
 * (changed); "" when nothing did. Valid until the next load or remove. */
const char *wpol_store_changes (wpol_store *st);
/* How many files the last successful load wrote (each section of an
 * export counts); 0 after a failed one. */
size_t wpol_store_loaded (wpol_store *st);
/* A counter bumped by every successful load; cheap enough to poll. */
int wpol_store_version (wpol_store *st, uint64_t *version, ward_err *err);
/* Canonical text of every definition, file by file (`# file: "NAME"`
 * heads, NAME a quoted policy string, after one head line; a content line
 * that starts with `# file:` or `#\` gets `#\` before it): loading it
 * gives back the same files and names. */
int wpol_store_export (wpol_store *st, FILE *out, ward_err *err);
/* A table of files, policies, actors, hosts and sandbox profiles. */
int wpol_store_list (wpol_store *st, FILE *out, ward_err *err);
/* With on, a load or remove checks and computes what it would change
 * (wpol_store_changes, with each changed definition's lines that went and
 * came) but writes nothing; a store opened read-only may preview. */
void wpol_store_preview (wpol_store *st, int on);
/* The history, one line per version: number, time, user, content hash,
 * what made it (load, remove, rollback to N) and the files it touched;
 * with json, a JSON array of one object per version. -1 with err for a
 * store of an older schema opened read-only. */
int wpol_store_history (wpol_store *st, int json, FILE *out, ward_err *err);
/* Make the store hold again what version `to` held: a change like a load
 * (checked, one transaction, a new version recorded as "rollback to N").
 * -1 with WARD_E_NOT_FOUND when the history has no such version. */
int wpol_store_rollback (wpol_store *st, uint64_t to, wpol_diags *d, ward_err *err);

/* ---- the engine -------------------------------------------------------- */

typedef struct wpol_engine wpol_engine;

/* Where a deciding rule lives. */
typedef struct wpol_rule_loc {
  const char *policy;             /* policy name */
  const char *file;
  unsigned line, col;
  int deny;                       /* 1 for a deny rule */
  const char *text;               /* the rule in canonical form */
  int quiet;                      /* 1 for `deny quietly`: its denials are
                                     counted, not recorded one by one */
} wpol_rule_loc;

typedef enum wpol_reason {
  WPOL_NO_MATCH = 0,              /* default deny */
  WPOL_BY_RULE,                   /* rule's condition held */
  WPOL_BY_RULE_ERROR,             /* a deny rule whose condition errored */
  WPOL_BAD_REQUEST,               /* NULL action/resource/actor: fail closed */
  WPOL_UNDECLARED                 /* no actor declaration matches and the request
                                     has no scope: the actor has no policy */
} wpol_reason;

/* The actor declaration that applied to a request (interned like rule
 * locations: valid until wpol_engine_free). */
typedef struct wpol_actor_info {
  const char *pattern;            /* the declaration's quoted id or pattern */
  const char *file;
  unsigned line;
  const char *meta;               /* its metadata as a JSON object, "{}" when none */
  const char *scope;              /* its scope as a JSON array, or NULL when the
                                     declaration has no `scope` field */
} wpol_actor_info;

typedef struct wpol_result {
  ward_decision decision;
  wpol_reason reason;
  const wpol_rule_loc *rule;      /* NULL for NO_MATCH and BAD_REQUEST */
  uint64_t generation;            /* of the index that decided */
  int cached;                     /* answered from the decision cache */
  const wpol_actor_info *actor;   /* the declaration that applied, or NULL */
} wpol_result;

/* Scope: the policies that apply to a request are the request's scope when
 * it has one (nscope > 0); else the `scope` field of the actor declaration
 * that matches the actor id (`scope = []`: none; no `scope` field: every
 * loaded policy). An actor that no declaration matches, asking without a
 * scope, has no policy: every request is denied (WPOL_UNDECLARED). */

/* cache_entries: 0 = default (16384), otherwise rounded up to a power of 2;
 * (size_t)-1 disables the cache. */
wpol_engine *wpol_engine_new (size_t cache_entries, ward_err *err);
void wpol_engine_free (wpol_engine *e);

/* `ward run --policy`: every later load gives the actor `id` (the actor the
 * run starts) the policies of each file that declares no actor, on top of
 * its own declaration's scope. NULL turns that off. -1 when out of memory. */
int wpol_engine_set_run_actor (wpol_engine *e, const char *id, ward_err *err);

/* Parse, check and compile files (or the whole store) into a new index and
 * swap it in; the old index keeps serving until the new one is ready, and
 * stays when anything fails. d (may be NULL) receives the diagnostics. */
int wpol_engine_load_files (wpol_engine *e, const char *const *paths, size_t n,
                            wpol_diags *d, ward_err *err);
int wpol_engine_load_text (wpol_engine *e, const char *name, const char *text,
                           size_t len, wpol_diags *d, ward_err *err);
/* Several texts in memory, checked and compiled together into one index. */
int wpol_engine_load_texts (wpol_engine *e, const char *const *names,
                            const char *const *texts, const size_t *lens, size_t n,
                            wpol_diags *d, ward_err *err);
int wpol_engine_load_store (wpol_engine *e, wpol_store *st, wpol_diags *d,
                            ward_err *err);
/* Reload when the store's version moved since the last load. Returns 1 when
 * it reloaded, 0 when nothing changed, -1 on error (old index kept). */
int wpol_engine_reload_if_changed (wpol_engine *e, wpol_store *st, ward_err *err);

/* Bumped by every successful load; cache entries of older ones are dead. */
uint64_t wpol_engine_generation (wpol_engine *e);
/* The store version that the index of generation gen was read at (one of
 * the last 32 loads); 0 when gen was not loaded from a store. */
uint64_t wpol_engine_store_version (wpol_engine *e, uint64_t gen);

/* 1 when an actor declaration of the current index matches actor_id (its
 * requests without a scope are then decided by policies), else 0. */
int wpol_engine_declares (wpol_engine *e, const char *actor_id);

/* The policies compiled into the current index (names, in load order). */
size_t wpol_engine_policy_count (wpol_engine *e);

/* The rules of the current index, in load order: how many, and the i-th
 * one's location -- the very pointer a wpol_result names when that rule
 * decides (`ward policy test --coverage` counts them so); NULL past the
 * end. */
size_t wpol_engine_rule_count (wpol_engine *e);
const wpol_rule_loc *wpol_engine_rule (wpol_engine *e, size_t i);

/* Names of the current index, for a test file's "did you mean": the
 * actor declarations' ids and patterns (and the run's actor), the policy
 * names, or the metadata keys that actor declarations set or conditions
 * read (actor.meta.KEY, `actor.meta has "KEY"`). Sorted, NULL-terminated,
 * freed with wpol_names_free; NULL with err when out of memory. */
typedef enum wpol_names_kind {
  WPOL_NAMES_ACTORS, WPOL_NAMES_POLICIES, WPOL_NAMES_META
} wpol_names_kind;
char **wpol_engine_names (wpol_engine *e, wpol_names_kind kind, ward_err *err);

/* The decision. Thread-safe; never fails (any fault denies). */
wpol_result wpol_decide (wpol_engine *e, const ward_actor *actor,
                         const char *action, const char *resource,
                         const ward_attrs *attrs);
/* Whether some attributes could allow (wpol_eval_possible). Thread-safe;
 * any fault denies. */
wpol_result wpol_decide_possible (wpol_engine *e, const ward_actor *actor,
                                  const char *action, const char *resource);
/* The same, bypassing the cache, calling trace (when set) once per rule
 * considered with a line such as "policy.policy:4: allow ...: condition
 * false". */
typedef void (*wpol_trace_fn) (void *ud, const char *line);
wpol_result wpol_decide_traced (wpol_engine *e, const ward_actor *actor,
                                const char *action, const char *resource,
                                const ward_attrs *attrs, wpol_trace_fn trace,
                                void *ud);

/* What `ward policy explain` shows: the declaration that matched the actor
 * (WPOL_X_ACTOR; verdict 0 when none did and the request has no scope),
 * the scope it gave (WPOL_X_SCOPE), then every rule of the scope in file
 * order (WPOL_X_RULE, loc set): verdict 1 when it applies, 0 when not and
 * part says why ("action", "resource" or "condition"), -1 when its
 * condition errors. text says it in words: which pattern missed; for a
 * false condition, the first false part of an `and`, each alternative of
 * an `or`, and the values the comparison read. */
enum { WPOL_X_ACTOR, WPOL_X_SCOPE, WPOL_X_RULE };
typedef struct wpol_explain_item {
  int kind;
  const wpol_rule_loc *loc;
  int verdict;
  const char *part;
  const char *text;
} wpol_explain_item;
typedef void (*wpol_explain_fn) (void *ud, const wpol_explain_item *it);
void wpol_engine_explain (wpol_engine *e, const ward_actor *actor, const char *action,
                          const char *resource, const ward_attrs *attrs, wpol_explain_fn fn,
                          void *ud);

/* Cache statistics since wpol_engine_new. */
void wpol_engine_cache_stats (wpol_engine *e, uint64_t *hits, uint64_t *misses);

/* ---- hosts and sandbox profiles (for the runtime's host table) --------- */

/* A host is a ward_host_spec, a sandbox profile a ward_profile (policy.h,
 * wprofile.h): what the runtime asks for is what the engine keeps. */

/* The names of the declared hosts, sorted: a NULL-terminated array the
 * caller frees with wpol_names_free. NULL with err on failure. */
char **wpol_engine_host_names (wpol_engine *e, ward_err *err);
void wpol_names_free (char **names);

/* 0 when found, -1 with WARD_E_NOT_FOUND otherwise. */
int wpol_engine_host (wpol_engine *e, const char *name, ward_host_spec *out,
                      ward_err *err);
int wpol_engine_sandbox (wpol_engine *e, const char *name, ward_profile *out,
                         ward_err *err);

/* ---- command line ------------------------------------------------------ */

/* The body of `ward policy test`: decide each line of the test file in
 * (`allow|deny ACTOR ACTION RESOURCE [KEY=VALUE]...`, name is its name in
 * messages) against e, one table row per request on out, each malformed
 * line reported on errs; the counts of requests passed and failed and of
 * malformed lines. */
void wpol_test_run (wpol_engine *e, FILE *in, const char *name, FILE *out, FILE *errs,
                    unsigned *passed, unsigned *failed, unsigned *badlines);

/* The policy files built into ward (policies/default.policy and
 * policies/untrusted.policy), used by `ward run` without --db or --policy. */
extern const char *const wpol_builtin_names[];
extern const char *const wpol_builtin_texts[];
extern const size_t wpol_builtin_lens[];
extern const size_t wpol_builtin_count;

#endif
