/* store_export.c -- the policy store's export format: `ward policy export`
 * writes every stored file as one section of a single text, and `ward
 * policy load` takes an export apart again into its files. */
#include "config.h"
#include "store.h"
#include "pgstore.h"
#include "wgrow.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first line of `ward policy export`: a file that starts with it is an
 * export. Each `# file: "NAME"` line (NAME written as a policy string)
 * begins a section that load restores under NAME. In a section, a line
 * that starts with `# file:` or `#\` is written with `#\` before it and
 * restored without, so that no content reads as a section head. Export,
 * load, export is a fixed point. */
static const char export_head[] =
  "# ward policy export 2: `ward policy load` restores each `# file:` section under its name\n";
/* The head of the first export format, still loaded: `# file: NAME` with
 * the name as it is, and content lines as they are. */
static const char export_head_v1[] =
  "# ward policy export: `ward policy load` restores each `# file:` section under its name\n";
static const char file_head[] = "# file:";
static const char line_esc[] = "#\\";

#define STARTS(p, n, lit) ((size_t) (n) >= sizeof lit - 1 && memcmp (p, lit, sizeof lit - 1) == 0)

/* Decode the policy string s[0..n) (quotes included, nothing after them)
 * into out: 0, or -1 when it is not one. */
static int
unquote (const char *s, size_t n, wpol_buf *out)
{
  if (n < 2 || s[0] != '"' || s[n - 1] != '"')
    return -1;
  for (size_t i = 1; i < n - 1; i++)
    {
      char c = s[i];
      if (c == '"')
        return -1;
      if (c == '\\')
        {
          if (++i >= n - 1)
            return -1;
          int simple = wpol_unescape ((unsigned char) s[i]);
          if (simple >= 0)
            c = (char) simple;
          else if (s[i] == 'x')
            {
              unsigned v;
              char hex[3] = { 0 };
              if (i + 2 >= n - 1 || !isxdigit ((unsigned char) s[i + 1])
                  || !isxdigit ((unsigned char) s[i + 2]))
                return -1;
              memcpy (hex, s + i + 1, 2);
              v = (unsigned) strtoul (hex, NULL, 16);
              if (v == 0)
                return -1;
              c = (char) v;
              i += 2;
            }
          else
            return -1;
        }
      wpol_buf_add (out, &c, 1);
    }
  if (out->s == NULL)
    wpol_buf_add (out, "", 0);
  return 0;
}

typedef struct unit {
  char *name, *text;
  size_t len;
} unit;

typedef struct units {
  unit *v;
  size_t n, cap;
} units;

static int
units_add (units *u, const char *name, const char *text, size_t len)
{
  if (WARD_GROW (u->v, u->cap, u->n + 1, 8) < 0)
    return -1;
  unit *x = &u->v[u->n];
  x->name = strdup (name);
  x->text = malloc (len + 1);
  x->len = len;
  if (x->name == NULL || x->text == NULL)
    {
      free (x->name);
      free (x->text);
      return -1;
    }
  memcpy (x->text, text, len);
  x->text[len] = '\0';
  u->n++;
  return 0;
}

static void
units_free (units *u)
{
  for (size_t i = 0; i < u->n; i++)
    {
      free (u->v[i].name);
      free (u->v[i].text);
    }
  free (u->v);
}

/* The name of the section whose head (format v) is the line p[0..ll),
 * line `line` of the export path, into name: 1, or 0 when the head is
 * malformed or the name refused (reported in d). */
static int
section_name (const char *path, unsigned line, const char *p, size_t ll, int v, wpol_buf *name,
              wpol_diags *d)
{
  const char *n = p + sizeof file_head - 1;
  size_t nl = ll - (sizeof file_head - 1);
  if (v == 1)
    {
      n++, nl--;                  /* the space */
      wpol_buf_add (name, n, nl);
    }
  int bad = nl == 0 || (v == 1 ? 0 : *n != ' ' || unquote (n + 1, nl - 1, name) < 0);
  if (!bad && name->s && name->len == 0)
    bad = 1;
  if (bad)
    {
      wpol_diag_add (d, WPOL_ERROR, path, line, 1, v == 1
                     ? "a `# file:` line without a name"
                     : "a `# file:` line must name its file as one quoted string, "
                       "as in `# file: \"/etc/ward/app.policy\"`");
      return 0;
    }
  if (name->s && !name->oom
      && (wpol_st_name_has_control (name->s) || strlen (name->s) != name->len))
    {
      wpol_st_refuse_name (d, path, line, name->s);
      return 0;
    }
  return 1;
}

/* Split an export (whose head line, of format v, ends at text + skip) into
 * its files. Returns the number of errors (reported in d under path), or
 * -1 when out of memory. */
static int
split_export (const char *path, const char *text, size_t len, size_t skip, int v,
              units *u, wpol_diags *d)
{
  const char *p = text + skip, *end = text + len;
  wpol_buf name = { 0 }, body = { 0 };
  int in_section = 0, refused = 0, nerr = 0, ret;
  unsigned line = 1;
  for (;;)
    {
      const char *eol = memchr (p, '\n', (size_t) (end - p));
      const char *next = eol ? eol + 1 : end;
      size_t ll = (size_t) ((eol ? eol : end) - p);
      /* format 1 knows `# file: ` heads only; format 2 takes every line
       * that starts with `# file:` for one, and refuses it when malformed */
      int head = p == end || (v == 1 ? STARTS (p, ll, "# file: ") : STARTS (p, ll, file_head));
      line++;
      if (head && in_section)
        {
          /* the section ends before this head, without the blank line
           * export puts between files */
          size_t blen = body.len;
          if (p < end && blen >= 2 && body.s[blen - 1] == '\n' && body.s[blen - 2] == '\n')
            blen--;
          if (name.oom || body.oom
              || units_add (u, name.s, body.s ? body.s : "", blen) < 0)
            goto oom;
          in_section = 0;
        }
      if (p == end)
        break;
      if (head)
        {
          wpol_buf_free (&name);
          wpol_buf_free (&body);
          if (section_name (path, line, p, ll, v, &name, d))
            in_section = 1, refused = 0;
          else
            refused = 1, nerr++;  /* the lines of a refused section are skipped */
        }
      else if (in_section)
        {
          if (v == 2 && STARTS (p, ll, line_esc))
            wpol_buf_add (&body, p + sizeof line_esc - 1, (size_t) (next - p) - (sizeof line_esc - 1));
          else
            wpol_buf_add (&body, p, (size_t) (next - p));
        }
      else if (!refused && strspn (p, " \t\r") < ll)
        {
          wpol_diag_add (d, WPOL_ERROR, path, line, 1, "an export holds nothing but "
                         "`# file:` sections; this line is before the first one");
          nerr++;
        }
      p = next;
    }
  ret = nerr;
  goto out;
oom:
  ret = -1;
out:
  wpol_buf_free (&name);
  wpol_buf_free (&body);
  return ret;
}

/* ---- load -------------------------------------------------------------- */

/* The file at path as what it loads: itself under its canonical path, or
 * the sections of an export. The number of errors (reported in d), or -1
 * when out of memory. */
static int
add_path (const char *path, units *u, wpol_diags *d)
{
  size_t len;
  ward_err e2;
  char *text = wpol_read_file (path, &len, &e2);
  if (text == NULL)
    {
      wpol_diag_add (d, WPOL_ERROR, path, 0, 0, "%s", e2.msg);
      return 1;
    }
  /* a file is known by its canonical path, whatever directory it is
   * loaded from and however it is spelled */
  char *canon = realpath (path, NULL);
  int r;
  int v = strlen (text) != len ? 0 : STARTS (text, len, export_head) ? 2
          : STARTS (text, len, export_head_v1) ? 1 : 0;
  if (canon == NULL)
    {
      wpol_diag_add (d, WPOL_ERROR, path, 0, 0, "cannot resolve the path: %s",
                     strerror (errno));
      r = 1;
    }
  else if (wpol_st_name_has_control (canon))
    {
      wpol_st_refuse_name (d, strcmp (path, canon) == 0 ? canon : path, 0, canon);
      r = 1;
    }
  else if (v)
    r = split_export (canon, text, len, v == 2 ? sizeof export_head - 1
                      : sizeof export_head_v1 - 1, v, u, d);
  else
    r = units_add (u, canon, text, len);
  free (canon);
  free (text);
  return r;
}

int
wpol_store_load_files (wpol_store *st, const char *const *paths, size_t n, wpol_diags *d,
                       ward_err *err)
{
  units u = { 0 };
  size_t nerr = 0;
  int ret = -1;
  wpol_file **nf = NULL;
  const char **texts = NULL;
  size_t nparsed = 0;
  for (size_t i = 0; i < n; i++)
    {
      int r = add_path (paths[i], &u, d);
      if (r < 0)
        {
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
          goto out;
        }
      nerr += (size_t) r;
    }
  for (size_t i = 0; i < u.n; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp (u.v[i].name, u.v[j].name) == 0)
        {
          wpol_diag_add (d, WPOL_ERROR, u.v[i].name, 0, 0, "file given twice");
          nerr++;
          break;
        }
  nf = calloc (u.n + 1, sizeof *nf);
  texts = calloc (u.n + 1, sizeof *texts);
  if (nf == NULL || texts == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
      goto out;
    }
  for (size_t i = 0; i < u.n; i++)
    {
      wpol_file *f = wpol_parse (u.v[i].name, u.v[i].text, u.v[i].len, d);
      if (f == NULL)
        {
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
          goto out;
        }
      if (strlen (u.v[i].text) != u.v[i].len)
        f->nerrors++;             /* NUL bytes: reported by the parser */
      nerr += f->nerrors;
      texts[nparsed] = u.v[i].text;
      nf[nparsed++] = f;
    }
  if (nerr)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%zu error%s: nothing was loaded", nerr,
                    nerr == 1 ? "" : "s");
      goto out;
    }
  ret = wpol_st_load_parsed (st, nf, texts, nparsed, NULL, 0, d, err);
  nparsed = 0;                    /* taken */
out:
  for (size_t i = 0; i < nparsed; i++)
    wpol_file_free (nf[i]);
  free (nf);
  free (texts);
  units_free (&u);
  return ret;
}

/* ---- export ------------------------------------------------------------ */

int
wpol_store_export (wpol_store *st, FILE *out, ward_err *err)
{
  WPGS_WRAP (st, 0, -1, err, wpol_store_export (st, out, err));
  wpol_file **files;
  size_t n;
  wpol_diags d;
  wpol_diags_init (&d);
  int r = wpol_store_read (st, &files, &n, NULL, &d, err);
  wpol_diags_free (&d);
  if (r < 0)
    return -1;
  fputs (export_head, out);
  for (size_t i = 0; i < n; i++)
    {
      wpol_buf b = { 0 }, x = { 0 };
      wpol_format (files[i], &b);
      /* the head: the name quoted, so that no name spans lines */
      wpol_buf_printf (&x, "%s%s ", i ? "\n" : "", file_head);
      wpol_buf_quote (&x, files[i]->name);
      wpol_buf_puts (&x, "\n");
      for (const char *p = b.s, *end = b.s + b.len; p && p < end;)
        {
          const char *eol = memchr (p, '\n', (size_t) (end - p));
          const char *next = eol ? eol + 1 : end;
          if (STARTS (p, next - p, file_head) || STARTS (p, next - p, line_esc))
            wpol_buf_puts (&x, line_esc);
          wpol_buf_add (&x, p, (size_t) (next - p));
          p = next;
        }
      if (b.oom || x.oom)
        r = ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "exporting");
      else
        fwrite (x.s, 1, x.len, out);
      wpol_buf_free (&b);
      wpol_buf_free (&x);
      wpol_file_free (files[i]);
    }
  free (files);
  return r;
}
