/* lex.h -- the policy language's tokens, shared by lexer.c and parser.c.
 * Keywords are identifiers; the parser tells them apart by position. */
#ifndef WARD_POLICY_LEX_H
#define WARD_POLICY_LEX_H

#include "wpol.h"

typedef enum wpol_ttype {
  T_EOF, T_IDENT, T_STRING, T_NUMBER, T_LBRACE, T_RBRACE, T_LBRACK,
  T_RBRACK, T_LPAREN, T_RPAREN, T_SEMI, T_COMMA, T_ASSIGN, T_EQ, T_NE,
  T_LT, T_LE, T_GT, T_GE, T_BAD
} wpol_ttype;

typedef struct wpol_tok {
  wpol_ttype type;
  unsigned line, col;
  const char *text;             /* IDENT, STRING (unescaped), BAD */
  int64_t num;                  /* NUMBER */
} wpol_tok;

typedef struct wpol_lexer {
  const char *src;
  size_t len, pos;
  unsigned line, col;
  unsigned code_line;           /* line of the last token, for trailing comments */
  int stop;                     /* NUL byte or too many errors: only EOF follows */
  wpol_file *f;
  wpol_diags *d;
  wpol_buf comments;            /* wpol_comment records, copied into f at the end */
} wpol_lexer;

void wpol_lex_init (wpol_lexer *lx, wpol_file *f, const char *src, size_t len,
                    wpol_diags *d);
void wpol_lex_next (wpol_lexer *lx, wpol_tok *t);
/* Report an error at line:col of the file; counts toward the limit. */
void wpol_lex_error (wpol_lexer *lx, unsigned line, unsigned col,
                     const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));
void wpol_lex_warn (wpol_lexer *lx, unsigned line, unsigned col,
                    const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));
const char *wpol_tok_name (wpol_ttype t);
/* Describe t for "expected X, got Y" messages. */
void wpol_tok_describe (const wpol_tok *t, char *buf, size_t size);

#endif
