/* rttest.h -- what the C tests of the scheduler share: a temporary root of
 * definitions for ward_cfg, a definition written into it, a definition
 * spawned as a worker of a host. Include after rt.h. */
#ifndef WARD_RTTEST_H
#define WARD_RTTEST_H

#include <stdio.h>
#include <stdlib.h>

/* Make the directory of template dir (mkdtemp) ward_cfg's root, with the
 * limits the tests run under; 0, or -1 when it cannot be made. */
static inline int
rt_root (char *dir, unsigned max_children)
{
  if (mkdtemp (dir) == NULL)
    return -1;
  snprintf (ward_cfg.root, sizeof ward_cfg.root, "%s", dir);
  ward_cfg.mem_limit = 64u << 20;
  ward_cfg.mailbox_limit = 1000;
  ward_cfg.max_children = max_children;
  return 0;
}

/* Write the definition NAME (dir/NAME.lua, id ":NAME"); 0 or -1. */
static inline int
rt_define (const char *dir, const char *name, const char *text)
{
  char path[4200];
  snprintf (path, sizeof path, "%s/%s.lua", dir, name);
  FILE *f = fopen (path, "w");
  if (f == NULL)
    return -1;
  fputs (text, f);
  return fclose (f);
}

/* Spawn definition id as a worker of h; a reference, or NULL and err. */
static inline ward_proc *
rt_spawn (ward_host *h, const char *id, ward_err *err)
{
  char path[4096];
  if (ward_def_resolve (id, path, sizeof path, err) < 0)
    return NULL;
  ward_spawn_req req = { .def_id = id, .path = path, .host = h, .is_worker = 1 };
  return ward_spawn (NULL, &req, err);
}

/* Remove the root rt_root made; 0 or -1. */
static inline int
rt_remove (const char *dir)
{
  char cmd[4200];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  return system (cmd) == 0 ? 0 : -1;
}

#endif
