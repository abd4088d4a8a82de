/* wpol.h -- the policy language's contract inside the policy library: the
 * syntax tree of policy files, the arena they live in, parsing, checking
 * and formatting, and the helpers the other rooms share (text buffer,
 * diagnostics, globs, hash table). The decision is in decide/decide.h. */
#ifndef WARD_POLICY_WPOL_H
#define WARD_POLICY_WPOL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "engine.h"
#include "wbuf.h"
#include "wchunk.h"

/* Limits that keep hostile input bounded. */
#define WPOL_MAX_FILE (16u << 20)     /* bytes per policy file */
#define WPOL_MAX_DEPTH 64             /* nesting of conditions */
#define WPOL_MAX_ERRORS 20            /* per file, then parsing stops */
#define WPOL_MAX_WARNINGS 20          /* printed, then a count of the rest */
#define WPOL_MAX_STRING 4096          /* bytes in one string literal */

/* ---- arena (arena.c) --------------------------------------------------- */

/* Blocks carved in order from a chain of chunks (wchunk.h), zeroed, freed
 * all at once. Zeroed ({ 0 }) is empty. */
typedef struct wpol_arena {
  ward_chunk *head;               /* the newest chunk, where blocks come from */
  size_t used, size;              /* of head's bytes */
  jmp_buf *oom;                   /* when set, allocation failure jumps here */
} wpol_arena;

/* n zeroed bytes, aligned for any type, living until wpol_arena_free.
 * Out of memory: a jump to *a->oom when set, else NULL. */
void *wpol_alloc (wpol_arena *a, size_t n);
/* A NUL-terminated copy of n bytes of s in a (NULL as wpol_alloc). */
char *wpol_strndup (wpol_arena *a, const char *s, size_t n);
/* The array old of n elements of elsz bytes with room for one more: old
 * itself while n < *cap, else a copy in a with the capacity ward_grow_cap
 * (wgrow.h) gives from *cap (first when 0), which goes to *cap. */
void *wpol_grow (wpol_arena *a, void *old, size_t n, size_t *cap, size_t first, size_t elsz);
void wpol_arena_free (wpol_arena *a);

/* ---- text buffer (buf.c) ----------------------------------------------- */

/* Text in a common/wbuf, kept NUL-terminated: s reads it as a C string (s
 * is NULL until the first append) and len counts the bytes before the NUL.
 * Running out of memory sets oom instead of failing each call, so that a
 * writer goes on and its caller checks oom once; once set, appends do
 * nothing and s holds what came before. Zeroed ({ 0 }) is empty. */
typedef struct wpol_buf {
  union {
    wbuf w;                       /* the storage and its growth */
    struct {
      char *s;                    /* w.data */
      size_t len;                 /* w.len */
    };
  };
  int oom;
} wpol_buf;

_Static_assert (offsetof (wpol_buf, s) == offsetof (wpol_buf, w.data)
                && offsetof (wpol_buf, len) == offsetof (wpol_buf, w.len)
                && sizeof (char *) == sizeof (uint8_t *),
                "wpol_buf's text view lies over its wbuf");

/* Append n bytes of s, a C string, or formatted text (oom as above). */
void wpol_buf_add (wpol_buf *b, const char *s, size_t n);
void wpol_buf_puts (wpol_buf *b, const char *s);
void wpol_buf_printf (wpol_buf *b, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
void wpol_buf_free (wpol_buf *b);      /* b is then empty ({ 0 }) again */
/* Write s as a quoted policy string literal. */
void wpol_buf_quote (wpol_buf *b, const char *s);
/* Write s as a JSON string (quoted, escaped; bytes >= 0x80 pass through). */
void wpol_buf_json (wpol_buf *b, const char *s);
/* The character `\LETTER` stands for in a policy string, for the escapes
 * of one letter (\" \\ \n \t \r), or -1. */
int wpol_unescape (int letter);

/* ---- diagnostics (diag.c) ---------------------------------------------- */

/* Record a diagnostic at file:line:col (the strings are copied; d NULL
 * records nothing). It is always counted in nerrors or nwarnings; out of
 * memory it is counted but not kept, so a caller still sees the error. */
void wpol_diag_add (wpol_diags *d, wpol_severity sev, const char *file,
                    unsigned line, unsigned col, const char *fmt, ...)
  __attribute__ ((format (printf, 6, 7)));
void wpol_diag_vadd (wpol_diags *d, wpol_severity sev, const char *file,
                     unsigned line, unsigned col, const char *fmt, va_list ap)
  __attribute__ ((format (printf, 6, 0)));
/* Sort by file, line, col (stable); used before printing. */
void wpol_diags_sort (wpol_diags *d);

/* ---- spelling (spell.c) ------------------------------------------------ */

/* The closest word of words[] (NULL-terminated) to s within a small edit
 * distance, or NULL. */
const char *wpol_suggest (const char *s, const char *const *words);

/* ---- actions (actions.c) ----------------------------------------------- */

/* The actions a policy may name (policy/include/actions.def), NULL-terminated. */
extern const char *const wpol_known_actions[];
int wpol_action_known (const char *a);
/* Actions whose resource is a PID (target.* attributes are set). */
int wpol_action_on_pid (const char *a);
/* Whether a's first segment ("process.", "lua.") is one of a known action. */
int wpol_action_namespace_known (const char *a);

/* ---- globs (glob.c) ---------------------------------------------------- */

/* A compiled glob: `*` (a run within one segment, segments are separated by
 * '.' or ':'), `**` (any run), `?` (one character but a separator), `\x`
 * (x literally). The pattern "*" alone matches everything. A pattern that
 * starts with '/' is a path (fs.* resources are canonical absolute paths):
 * its one separator is '/', so that `*` stays within a directory and
 * matches the dots of file names. */
typedef struct wpol_glob {
  uint8_t *op;                  /* G_LIT, G_ONE, G_STAR, G_DSTAR */
  uint8_t *ch;                  /* literal characters for G_LIT */
  size_t n;
  int any;                      /* matches everything */
  int path;                     /* starts with '/': the separator is '/' */
} wpol_glob;

enum { G_LIT, G_ONE, G_STAR, G_DSTAR };

/* Whether s holds a glob character (`*`, `?`, `\`): else it is a literal. */
int wpol_is_glob (const char *s);
/* Compile into arena memory; never fails but by jumping out of memory. */
wpol_glob *wpol_glob_compile (wpol_arena *a, const char *pat);
int wpol_glob_match (const wpol_glob *g, const char *s);   /* 1 or 0 */
/* Whether every string a matches is matched by g (sound, not complete). */
int wpol_glob_covers (const wpol_glob *g, const wpol_glob *a);

/* ---- syntax tree ------------------------------------------------------- */

typedef enum wpol_vtype { WV_STR, WV_INT, WV_BOOL, WV_WORD, WV_LIST } wpol_vtype;

typedef struct wpol_value {
  wpol_vtype type;
  unsigned line, col;
  const char *s;                /* STR, WORD */
  int64_t i;                    /* INT, BOOL */
  struct wpol_value **items;    /* LIST */
  size_t n;
} wpol_value;

typedef struct wpol_field {
  const char *name;
  unsigned line, col, end_line;
  wpol_value *val;
} wpol_field;

/* Condition operators and paths. */
typedef enum wpol_eop {
  E_OR, E_AND, E_NOT, E_CMP, E_STR, E_INT, E_BOOL, E_LIST, E_PATH
} wpol_eop;

typedef enum wpol_cmp {
  C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE, C_IN, C_MATCHES, C_HAS
} wpol_cmp;

typedef enum wpol_path {
  P_ACTOR_ID, P_ACTOR_META_KEY, P_ACTOR_META, P_ACTOR_SCOPE, P_ACTION,
  P_RESOURCE, P_ATTR_PID, P_ATTR_HOST, P_ATTR_PARENT, P_ATTR, P_TARGET_ACTOR,
  P_TARGET_HOST, P_TARGET_PARENT, P_TARGET, P_ATTR_PATH, P_ATTR_ADDRESS, P_TARGET_NAMES
} wpol_path;

/* Attribute bits: what a condition reads beyond (actor id, scope, action,
 * resource). The decision cache keys on exactly these. */
enum {
  M_PID = 1, M_HOST = 2, M_PARENT = 4, M_TACTOR = 8, M_THOST = 16,
  M_TPARENT = 32, M_META = 64, M_PATH = 128, M_ADDRESS = 256, M_TNAMES = 512
};

typedef struct wpol_expr {
  wpol_eop op;
  wpol_cmp cmp;
  unsigned line, col;
  struct wpol_expr *a, *b;       /* E_NOT: a; E_CMP: a op b */
  struct wpol_expr **items;     /* E_OR, E_AND (n-ary, so chains never recurse), E_LIST */
  size_t n;
  const char *s;                /* E_STR; E_PATH: the key of actor.meta.KEY */
  int64_t i;                    /* E_INT, E_BOOL */
  wpol_path path;
  wpol_glob *glob;              /* E_CMP matches with a literal pattern */
} wpol_expr;

typedef struct wpol_pat {
  const char *text;
  unsigned line, col;
  wpol_glob *glob;              /* always compiled */
  int literal;                  /* no '*', '?' or '\\': compare with strcmp */
} wpol_pat;

struct wpol_decl;

typedef struct wpol_rule {
  int deny;
  int quiet;                    /* `deny quietly`: no record, only a count */
  wpol_pat *actions, *resources;
  size_t nactions, nresources;
  wpol_expr *cond;              /* NULL = always */
  unsigned line, col, end_line;
  uint32_t mask;                /* M_* read by cond */
  struct wpol_decl *policy;
  size_t seq;                   /* order over all files of an index */
  const wpol_rule_loc *loc;     /* interned by the engine */
} wpol_rule;

typedef enum wpol_dkind { D_POLICY, D_ACTOR, D_HOST, D_SANDBOX } wpol_dkind;

typedef struct wpol_decl {
  wpol_dkind kind;
  const char *name;
  unsigned line, col, end_line;   /* keyword .. closing brace */
  unsigned name_line, name_col;
  wpol_rule **rules;              /* D_POLICY */
  size_t nrules;
  wpol_field **fields;            /* others */
  size_t nfields;
  wpol_glob *glob;                /* D_ACTOR pattern */
  size_t policy_idx;              /* D_POLICY: index in the compiled index */
  /* resolved by the checker: */
  const char **scope;             /* D_ACTOR */
  size_t nscope;
  /* D_ACTOR, resolved by the compiled index: the policies its scope names
   * that are loaded (scope_resolved: 0 when not done, then looked up) */
  const struct wpol_decl **scope_pols;
  size_t *scope_pidx;             /* and their policy_idx */
  size_t nscope_pols;
  int scope_resolved;
  wpol_field **meta;              /* D_ACTOR fields other than scope */
  size_t nmeta;
  ward_host_spec host;            /* D_HOST */
  ward_profile sandbox;           /* D_SANDBOX */
  const wpol_actor_info *info;    /* D_ACTOR: interned by the engine, or NULL */
} wpol_decl;

typedef struct wpol_comment {
  unsigned line, col;
  int trailing;                   /* code before it on its line */
  const char *text;               /* after '#', without the newline */
} wpol_comment;

typedef struct wpol_file {
  wpol_arena arena;
  const char *name;
  wpol_decl **decls;
  size_t ndecls;
  wpol_comment *comments;
  size_t ncomments;
  size_t nerrors;                 /* errors found in this file */
} wpol_file;

/* ---- parse (parser.c), check (check.c), format (format.c) -------------- */

/* Parse text into a file (never NULL but when memory runs out); errors and
 * warnings go to d. The file is usable only when nerrors == 0. */
wpol_file *wpol_parse (const char *name, const char *text, size_t len,
                       wpol_diags *d);
/* Read a file from disk and parse it; a read error is a diagnostic. */
wpol_file *wpol_parse_path (const char *path, wpol_diags *d);
void wpol_file_free (wpol_file *f);

/* Semantic checks over a set of files that are meant to be loaded together
 * (names unique, references resolve, warnings). Adds to each nerrors. */
void wpol_check (wpol_file **files, size_t n, wpol_diags *d);
/* The findings across rules, which do not depend on their order (warnings
 * only): allows a deny shadows (in their policy, or in another that every
 * actor declared with theirs has), rules a wider one of their kind makes
 * redundant. For what an author reads (check, load); after wpol_check. A
 * run's loads leave it out: it changes no decision. */
void wpol_analyse (wpol_file **files, size_t n, wpol_diags *d);
/* Check one declaration as the parser completes it (fields against their
 * schema, rule warnings). */
void wpol_check_decl (wpol_file *f, wpol_decl *dc, wpol_diags *d);

/* Canonical text. */
void wpol_format (const wpol_file *f, wpol_buf *out);
void wpol_format_decl (const wpol_decl *dc, wpol_buf *out);
void wpol_format_rule (const wpol_rule *r, wpol_buf *out);
void wpol_format_expr (const wpol_expr *e, wpol_buf *out);
void wpol_format_value (const wpol_value *v, wpol_buf *out);

/* A condition path as written ("attr.pid"). */
const char *wpol_path_name (wpol_path p);

/* ---- hash table: string -> pointer (htab.c) ---------------------------- */

typedef struct wpol_htab {
  struct wpol_hslot *slots;
  size_t cap, n;
} wpol_htab;

/* A 64-bit hash of n bytes (FNV-1a over words, then mixed). */
uint64_t wpol_hash (const void *p, size_t n);
/* The table keeps the key pointer, not a copy: a key must outlive it
 * (keys live in an arena). Zeroed ({ 0 }) is empty. */
int wpol_htab_put (wpol_htab *h, const char *key, void *val);  /* 0, or -1 OOM */
void *wpol_htab_get (const wpol_htab *h, const char *key);     /* NULL if absent */
/* The same with key's hash given (wpol_hash of its bytes without the NUL):
 * one key looked up in many tables is hashed once. */
void *wpol_htab_get_hashed (const wpol_htab *h, const char *key, uint64_t hash);
/* The value slot of key, inserted as NULL if absent; NULL when out of memory. */
void **wpol_htab_ref (wpol_htab *h, const char *key);
/* Call fn on every value, in no set order. */
void wpol_htab_each (const wpol_htab *h, void (*fn) (void *val));
void wpol_htab_each_ud (const wpol_htab *h, void (*fn) (void *val, void *ud), void *ud);
void wpol_htab_free (wpol_htab *h);    /* the slots only; keys and values stay */

/* ---- files (readfile.c) ------------------------------------------------ */

/* Read a whole file (at most WPOL_MAX_FILE bytes) into a malloc'd buffer. */
char *wpol_read_file (const char *path, size_t *len, ward_err *err);

#endif
