/* suggest.h -- what the two files of `ward audit suggest` share: the
 * denials gathered by actor into candidate rules and notes (suggest.c),
 * and the printing of them as policy text (suggest_print.c). Internal to
 * the policy library: the contract is wpol_audit_suggest in audit.h. */
#ifndef WARD_POLICY_SUGGEST_H
#define WARD_POLICY_SUGGEST_H

#include <stddef.h>
#include <stdint.h>
#include "audit.h"
#include "wpol.h"

/* The kinds of candidate rule, narrowest first: a literal resource, then
 * PIDs by the target's relation to the caller. */
enum { K_LIT, K_CHILD, K_PARENT, K_TACTOR, K_N };

/* A candidate rule: an action on a pattern (when cond), with the denials
 * it would allow. */
typedef struct cand {
  int kind;
  char *action, *pattern, *cond, *wider, *what;
  int64_t n, last;
  char *example;                  /* a caller PID */
  int used;
  int deny;                       /* answered `deny` (--interactive) */
} cand;

/* What is not suggested, and why (text), under a key that merges the
 * same reason. */
typedef struct note {
  char *key, *text;
  int64_t n;
} note;

/* The denials of one actor under one scope. */
typedef struct group {
  char *actor, *scope;            /* scope: JSON array text, NULL = none recorded */
  int request_scope;              /* the scope was the request's (:with_scope) */
  char *pname;                    /* the suggested policy's name (when printed) */
  int split;                      /* one rule per action (--split) */
  cand *c;
  size_t nc, capc;
  note *notes;
  size_t nn, capn;
  int64_t n, enforced, would, first, last;
} group;

/* Every group of one suggestion; oom once an allocation failed. */
typedef struct sg {
  group *g;
  size_t ng, capg;
  int oom;
} sg;

/* Both NULL, or equal strings. */
int wpol_sg_streq (const char *a, const char *b);
/* A resource as a pattern that matches exactly it. */
void wpol_sg_glob_escape (wpol_buf *b, const char *s);
/* s in quotes with control characters escaped, for a comment: a string a
 * script chose (an actor id, a resource) must not end the comment and
 * forge a rule. Valid until the next call with the same t. */
const char *wpol_sg_quoted (wpol_buf *t, const char *s);

/* qsort order of a group's candidates: by kind, condition, action, pattern. */
int wpol_sg_cand_cmp (const void *a, const void *b);
/* The policy named name for group g (its candidates sorted), after
 * comments with its counts and notes; only the comments when g has no
 * candidate. */
void wpol_sg_print_group (const group *g, const char *name, wpol_buf *b);
/* The declaration that puts the suggested policies of actor (groups
 * 0..last) in its scope, next to the scope it had. */
void wpol_sg_print_actor (const sg *s, size_t last, wpol_buf *b);

/* Gather the denials among rows into s (total: how many): 0, or -1 when
 * out of memory. */
int wpol_sg_gather (sg *s, const wpol_arow *rows, size_t n, int64_t *total);
void wpol_sg_free (sg *s);
/* Free the strings of candidate c (not c itself). */
void wpol_sg_cand_free (cand *c);
/* The text of s into b (flags: WPOL_SUGGEST_*), parsed and checked: 0,
 * or -1 with err (out of memory, or the text does not check). */
#define WPOL_SUGGEST_ANSWERED 0x100u   /* the rules are answers, not offers */
int wpol_sg_print (sg *s, const char *prefix, const char *header, int64_t total,
                   unsigned flags, wpol_buf *b, ward_err *err);

#endif
