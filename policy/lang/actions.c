/* actions.c -- the table of actions (policy/include/actions.def) and what
 * the checker asks of it: known to a policy, about a PID, a known namespace. */
#include "config.h"
#include "wpol.h"

#include <string.h>

const ward_action_info ward_actions[WARD_ACT_COUNT] = {
#define X(id, name, kind) [WARD_ACT_##id] = { name, WARD_ACT_##kind },
#define E(id, name) [WARD_ACT_##id] = { name, WARD_ACT_EVT },
#include "actions.def"
#undef X
#undef E
};

/* What a policy may name: every action ward asks (not the events it
 * records itself), in the table's order. */
const char *const wpol_known_actions[] = {
#define X(id, name, kind) name,
#define E(id, name)
#include "actions.def"
#undef X
#undef E
  NULL
};

static const ward_action_info *
action_info (const char *a)
{
  for (size_t i = 0; i < WARD_ACT_COUNT; i++)
    if (strcmp (a, ward_actions[i].name) == 0)
      return &ward_actions[i];
  return NULL;
}

int
wpol_action_known (const char *a)
{
  const ward_action_info *i = action_info (a);
  return i != NULL && i->kind != WARD_ACT_EVT;
}

int
wpol_action_on_pid (const char *a)
{
  const ward_action_info *i = action_info (a);
  return i != NULL && i->kind == WARD_ACT_PID;
}

int
wpol_action_namespace_known (const char *a)
{
  const char *dot = strchr (a, '.');
  if (dot == NULL)
    return 0;
  size_t n = (size_t) (dot - a) + 1;          /* "process." */
  for (size_t i = 0; i < WARD_ACT_COUNT; i++)
    if (strncmp (a, ward_actions[i].name, n) == 0)
      return 1;
  return 0;
}

int
ward_action_askable (const char *name)
{
  return name != NULL && wpol_action_known (name);
}
