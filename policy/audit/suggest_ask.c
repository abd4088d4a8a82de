/* suggest_ask.c -- `ward audit suggest --interactive`: the candidate rules
 * of the recorded denials put to a person one by one (allow, allow wider
 * with the wider pattern shown, deny explicitly, skip), then the answers
 * written as a policy file that parses and checks (as aa-logprof and
 * audit2allow do for AppArmor and SELinux). Nothing is written unless
 * every question was answered or the person said `q` (quit and write):
 * an end of input aborts, and so does a file that does not check. */
#include "config.h"
#include "suggest.h"
#include "wesc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The answer to one question: 'a', 'w', 'd', 's', 'q', or -1 at the end
 * of input. Anything else asks again. */
static int
ask (FILE *in, FILE *out, int has_wider)
{
  char line[64];
  for (;;)
    {
      fprintf (out, "choice [a=allow%s, d=deny, s=skip, q=quit and write]? ",
               has_wider ? ", w=allow wider" : "");
      fflush (out);
      if (fgets (line, sizeof line, in) == NULL)
        return -1;
      char c = line[0];
      if ((c == 'a' || c == 'd' || c == 's' || c == 'q' || (c == 'w' && has_wider))
          && (line[1] == '\n' || line[1] == '\0'))
        return c;
      fprintf (out, "  please answer a%s, d, s or q\n", has_wider ? ", w" : "");
    }
}

/* Put the candidates of s to the person: each kept answered (deny set,
 * the wider pattern applied), the skipped ones dropped. 0 when done
 * (answers given, or quit), -1 at the end of input. */
static int
ask_all (sg *s, FILE *in, FILE *out)
{
  size_t total = 0, k = 0;
  for (size_t i = 0; i < s->ng; i++)
    total += s->g[i].nc;
  int quit = 0;
  for (size_t i = 0; i < s->ng; i++)
    {
      group *g = &s->g[i];
      if (g->nc)
        qsort (g->c, g->nc, sizeof *g->c, wpol_sg_cand_cmp);
      size_t kept = 0;
      for (size_t j = 0; j < g->nc; j++)
        {
          cand *c = &g->c[j];
          int a = 's';
          if (!quit)
            {
              /* the strings a script chose are shown escaped: they cannot
               * move the cursor or forge a prompt */
              char *actor = ward_esc_str (g->actor, 80), *pat = ward_esc_str (c->pattern, 120);
              char *wide = c->wider ? ward_esc_str (c->wider, 120) : NULL;
              char *cond = c->cond ? ward_esc_str (c->cond, 200) : NULL;
              char *what = c->what ? ward_esc_str (c->what, 120) : NULL;
              fprintf (out, "\n[%zu/%zu] actor \"%s\": %lld denial%s of %s on \"%s\"%s%s\n",
                       ++k, total, actor ? actor : "?", (long long) c->n, c->n == 1 ? "" : "s",
                       c->action, pat ? pat : "?", what ? "\n  targets: " : "", what ? what : "");
              fprintf (out, "  a) allow %s on \"%s\"%s%s;\n", c->action, pat ? pat : "?",
                       cond ? " when " : "", cond ? cond : "");
              if (c->wider)
                fprintf (out, "  w) allow wider: allow %s on \"%s\";\n", c->action,
                         wide ? wide : "?");
              fprintf (out, "  d) deny explicitly: deny %s on \"%s\"%s%s;\n", c->action,
                       pat ? pat : "?", cond ? " when " : "", cond ? cond : "");
              fprintf (out, "  s) skip (decide later: nothing is written for it)\n");
              free (actor);
              free (pat);
              free (wide);
              free (cond);
              free (what);
              a = ask (in, out, c->wider != NULL);
              if (a < 0)
                return -1;
              if (a == 'q')
                {
                  quit = 1;
                  a = 's';
                }
            }
          if (a == 's')
            {
              wpol_sg_cand_free (c);
              continue;
            }
          if (a == 'w')
            {
              /* the wider pattern in place of the narrow one; a PID rule
               * by actor becomes every process on the host */
              free (c->pattern);
              c->pattern = c->wider;
              c->wider = NULL;
              free (c->cond);
              c->cond = NULL;
              free (c->what);
              c->what = NULL;
              c->kind = K_LIT;
            }
          c->deny = a == 'd';
          free (c->wider);
          c->wider = NULL;
          /* two answers that became the same rule: one, with both counts */
          size_t m = 0;
          for (; m < kept; m++)
            {
              cand *e = &g->c[m];
              if (e->kind == c->kind && e->deny == c->deny && strcmp (e->action, c->action) == 0
                  && strcmp (e->pattern, c->pattern) == 0 && wpol_sg_streq (e->cond, c->cond))
                break;
            }
          if (m < kept)
            {
              g->c[m].n += c->n;
              wpol_sg_cand_free (c);
              continue;
            }
          g->c[kept++] = *c;
        }
      g->nc = kept;
    }
  fprintf (out, "\n");
  return 0;
}

/* Write text to path through a temporary file renamed over it: a reader
 * never sees half a policy. 0, or -1 with err. */
static int
write_file (const char *path, const char *text, ward_err *err)
{
  size_t n = strlen (path) + 16;
  char *tmp = malloc (n);
  if (tmp == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "writing %s", path);
  snprintf (tmp, n, "%s.tmpXXXXXX", path);
  int fd = mkstemp (tmp);
  if (fd < 0)
    {
      int e = errno;
      free (tmp);
      return ward_err_set (err, WARD_E_INTERNAL, e, "cannot write next to %s: %s", path, strerror (e));
    }
  size_t len = strlen (text), off = 0;
  int e = 0;
  while (off < len)
    {
      ssize_t w = write (fd, text + off, len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          e = w < 0 ? errno : EIO;
          break;
        }
      off += (size_t) w;
    }
  if (e == 0 && fsync (fd) < 0)
    e = errno;
  if (close (fd) < 0 && e == 0)
    e = errno;
  if (e == 0 && rename (tmp, path) < 0)
    e = errno;
  if (e)
    unlink (tmp);
  free (tmp);
  if (e)
    return ward_err_set (err, WARD_E_INTERNAL, e, "writing %s: %s", path, strerror (e));
  return 0;
}

int
wpol_audit_suggest_ask (const wpol_arow *rows, size_t n, const char *prefix,
                        const char *header, FILE *in, FILE *out, const char *path,
                        ward_err *err)
{
  sg s = { 0 };
  int64_t total;
  if (wpol_sg_gather (&s, rows, n, &total) < 0)
    {
      wpol_sg_free (&s);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "building suggestions");
    }
  size_t nq = 0;
  for (size_t i = 0; i < s.ng; i++)
    nq += s.g[i].nc;
  fprintf (out, "%lld denial%s recorded; %zu question%s (each a rule that would allow some "
           "of them)\n", (long long) total, total == 1 ? "" : "s", nq, nq == 1 ? "" : "s");
  if (ask_all (&s, in, out) < 0)
    {
      wpol_sg_free (&s);
      return ward_err_set (err, WARD_E_INVALID, 0, "end of input before every question was "
                           "answered: nothing written to %s", path);
    }
  wpol_buf b = { 0 };
  int r = wpol_sg_print (&s, prefix, header, total, WPOL_SUGGEST_SPLIT | WPOL_SUGGEST_ANSWERED,
                         &b, err);
  size_t rules = 0;
  for (size_t i = 0; i < s.ng; i++)
    rules += s.g[i].nc;
  wpol_sg_free (&s);
  if (r == 0)
    r = write_file (path, b.s, err);
  wpol_buf_free (&b);
  if (r == 0)
    fprintf (out, "wrote %zu rule%s to %s; check it with `ward policy check` and load it with "
             "`ward policy load`\n", rules, rules == 1 ? "" : "s", path);
  return r;
}
