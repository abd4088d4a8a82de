/* store_remove.c -- taking files and policies out of the policy store: a
 * file goes whole; a file that loses a policy is stored again without it,
 * in canonical form, in the same transaction. */
#include "config.h"
#include "store.h"
#include "pgstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The absolute form of path, from the working directory, with `.`, `..`
 * and repeated slashes taken out lexically; NULL when out of memory or
 * the working directory is gone. */
static char *
lexical_path (const char *path)
{
  char *cwd = path[0] == '/' ? strdup ("") : getcwd (NULL, 0);
  if (cwd == NULL)
    return NULL;
  size_t cl = strcmp (cwd, "/") == 0 ? 0 : strlen (cwd), pl = strlen (path);
  char *out = malloc (cl + pl + 3);
  if (out == NULL)
    {
      free (cwd);
      return NULL;
    }
  memcpy (out, cwd, cl);
  size_t n = cl;
  free (cwd);
  for (const char *p = path; *p;)
    {
      const char *e = strchr (p, '/');
      size_t l = e ? (size_t) (e - p) : strlen (p);
      if (l == 2 && p[0] == '.' && p[1] == '.')
        {
          while (n > 0 && out[n - 1] != '/')
            n--;
          if (n > 0)
            n--;                  /* the slash: "/a/b" -> "/a", "/a" -> "" (the root) */
        }
      else if (l > 0 && !(l == 1 && p[0] == '.'))
        {
          out[n++] = '/';
          memcpy (out + n, p, l);
          n += l;
        }
      p += l + (e != NULL);
    }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

/* The canonical path of a file that may no longer exist: its real path;
 * else its directory's real path and its last name; else its lexical
 * absolute path. NULL when out of memory. */
static char *
canonical_or_lexical (const char *path)
{
  char *c = realpath (path, NULL);
  if (c)
    return c;
  char *lex = lexical_path (path);
  if (lex == NULL)
    return NULL;
  char *slash = strrchr (lex, '/');
  if (slash > lex && slash[1])
    {
      *slash = '\0';
      char *dir = realpath (lex, NULL);
      *slash = '/';
      if (dir)
        {
          c = malloc (strlen (dir) + strlen (slash) + 1);
          if (c)
            {
              strcpy (c, dir);
              strcat (c, strcmp (dir, "/") == 0 ? slash + 1 : slash);
            }
          free (dir);
          if (c)
            {
              free (lex);
              return c;
            }
        }
    }
  return lex;
}

/* Index of the stored file that `what` names (as stored, or as a path that
 * resolves to it, or did before the file was renamed or removed), or -1. */
static ssize_t
find_file (const wpol_st_srcs *old, const char *what)
{
  char *canon = canonical_or_lexical (what);
  ssize_t found = -1;
  for (size_t i = 0; i < old->n && found < 0; i++)
    if (strcmp (old->names[i], what) == 0 || (canon && wpol_st_same_file (old->names[i], canon)))
      found = (ssize_t) i;
  free (canon);
  return found;
}

/* Take the policy named name out of the first of the parsed files that
 * holds one, marking that file touched (2) unless it goes whole (1). 1
 * when there was such a policy. */
static int
drop_policy (wpol_file **parsed, size_t n, int *touched, const char *name)
{
  for (size_t i = 0; i < n; i++)
    {
      wpol_file *f = parsed[i];
      for (size_t j = 0; j < f->ndecls; j++)
        if (f->decls[j]->kind == D_POLICY && strcmp (f->decls[j]->name, name) == 0)
          {
            memmove (f->decls + j, f->decls + j + 1, (f->ndecls - j - 1) * sizeof *f->decls);
            f->ndecls--;
            if (touched[i] == 0)
              touched[i] = 2;
            return 1;
          }
    }
  return 0;
}

/* The file f without the removed policies, in canonical form: its text
 * (malloc'd) and that text parsed as the file name. 0, or -1 when out of
 * memory (*text is then set only when it was had). */
static int
reformat (const wpol_file *f, const char *name, char **text, wpol_file **nf, wpol_diags *d)
{
  wpol_buf b = { 0 };
  wpol_format (f, &b);
  if (b.oom || (*text = b.s ? b.s : strdup ("")) == NULL
      || (*nf = wpol_parse (name, *text, strlen (*text), d)) == NULL)
    {
      if (*text == NULL)
        wpol_buf_free (&b);
      return -1;
    }
  return 0;
}

int
wpol_store_remove (wpol_store *st, const char *const *what, size_t n, wpol_diags *d,
                   ward_err *err)
{
  WPGS_WRAP (st, 1, -1, err, wpol_store_remove (st, what, n, d, err));
  wpol_st_srcs old = { 0 };
  int ret = -1;
  wpol_diags quiet;
  wpol_diags_init (&quiet);
  wpol_file **parsed = NULL, **nf = NULL;
  char **texts = NULL;
  const char **drop = NULL;
  int *touched = NULL;            /* per stored file: 1 it goes, 2 a policy of it goes */
  size_t nnew = 0, ndrop = 0;
  st->changes.len = 0;
  /* the files rewritten come from this read: no other change may land
   * before they are written */
  if (wpol_st_begin_change (st, err) < 0)
    return -1;
  if (wpol_st_read_sources (st, &old, NULL, err) < 0)
    {
      wpol_st_abort_change (st);
      return -1;
    }
  parsed = calloc (old.n + 1, sizeof *parsed);
  nf = calloc (old.n + 1, sizeof *nf);
  texts = calloc (old.n + 1, sizeof *texts);
  drop = calloc (old.n + 1, sizeof *drop);
  touched = calloc (old.n + 1, sizeof *touched);
  if (parsed == NULL || nf == NULL || texts == NULL || drop == NULL || touched == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "removing");
      goto out;
    }
  for (size_t i = 0; i < old.n; i++)
    if ((parsed[i] = wpol_parse (old.names[i], old.texts[i], strlen (old.texts[i]), &quiet))
        == NULL)
      {
        ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "removing");
        goto out;
      }
  /* each argument: a stored file, else a policy of one */
  for (size_t k = 0; k < n; k++)
    {
      ssize_t fi = find_file (&old, what[k]);
      if (fi >= 0)
        {
          touched[fi] = 1;
          continue;
        }
      if (!drop_policy (parsed, old.n, touched, what[k]))
        {
          ward_err_set (err, WARD_E_NOT_FOUND, 0, "`%s` is neither a file nor a policy of "
                        "policy store `%s` (`ward policy list --db %s` shows what it holds)",
                        what[k], st->path, st->path);
          goto out;
        }
    }
  for (size_t i = 0; i < old.n; i++)
    {
      if (touched[i] == 1 || (touched[i] == 2 && parsed[i]->ndecls == 0))
        drop[ndrop++] = old.names[i];
      else if (touched[i] == 2)
        {
          if (reformat (parsed[i], old.names[i], &texts[nnew], &nf[nnew], d) < 0)
            {
              ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "removing");
              goto out;
            }
          nnew++;
        }
    }
  st->what = "remove";
  ret = wpol_st_load_parsed (st, nf, (const char *const *) texts, nnew, drop, ndrop, d, err);
  st->what = NULL;
  nnew = 0;                       /* taken */
out:
  wpol_st_abort_change (st);
  for (size_t i = 0; i < nnew; i++)
    wpol_file_free (nf[i]);
  for (size_t i = 0; texts && i < old.n; i++)
    free (texts[i]);
  for (size_t i = 0; parsed && i < old.n; i++)
    wpol_file_free (parsed[i]);
  free (parsed);
  free (nf);
  free (texts);
  free (drop);
  free (touched);
  wpol_diags_free (&quiet);
  wpol_st_srcs_free (&old);
  return ret;
}
