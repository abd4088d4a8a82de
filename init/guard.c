/* guard.c -- the init script's capability calls (libcap-ng) and seccomp
 * rule calls (libseccomp). */
#include "config.h"
#include "init-int.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <cap-ng.h>
#include <lauxlib.h>

#define K(x) { #x, x }

const winit_const winit_errnos[] = {
  K (EPERM), K (ENOENT), K (ESRCH), K (EINTR), K (EIO), K (ENXIO), K (E2BIG),
  K (ENOEXEC), K (EBADF), K (ECHILD), K (EAGAIN), K (ENOMEM), K (EACCES),
  K (EFAULT), K (EBUSY), K (EEXIST), K (EXDEV), K (ENODEV), K (ENOTDIR),
  K (EISDIR), K (EINVAL), K (ENFILE), K (EMFILE), K (ENOTTY), K (EFBIG),
  K (ENOSPC), K (ESPIPE), K (EROFS), K (EMLINK), K (EPIPE), K (ENOSYS),
  K (ENOTSUP), K (EOPNOTSUPP), K (EAFNOSUPPORT), K (EPROTONOSUPPORT),
  K (ECONNREFUSED), K (ENETUNREACH), K (ETIMEDOUT), { NULL, 0 }
};

/* ---- capabilities ---------------------------------------------------- */

/* The sets a kept capability stays in. Inheritable and ambient only matter
 * across exec, which a ward child never does: they are always cleared. */
#define KEEP_SETS (CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET)
#define ALL_SETS (KEEP_SETS | CAPNG_INHERITABLE | CAPNG_AMBIENT)

/* "CAP_NET_ADMIN", "cap_net_admin" and "net_admin" all name one capability. */
static int
cap_from_name (lua_State *L, int idx, const char *call)
{
  const char *s = winit_str_arg (L, idx, call, 0);
  char name[64];
  if (strncasecmp (s, "cap_", 4) == 0)
    s += 4;
  size_t n = strlen (s);
  if (n == 0 || n >= sizeof name)
    winit_raise (L, WARD_E_INVALID, 0, call, "unknown capability '%.64s'", s);
  for (size_t i = 0; i <= n; i++)
    name[i] = (char) tolower ((unsigned char) s[i]);
  int cap = capng_name_to_capability (name);
  if (cap < 0)
    winit_raise (L, WARD_E_INVALID, 0, call, "unknown capability '%s'", name);
  return cap;
}

/* libcap-ng keeps one pending state per process; fill it from the
 * process's own capabilities before the first change that is not a clear. */
static void
caps_load (lua_State *L, const char *call)
{
  winit_ctx *c = winit_ctx_of (L);
  if (c->caps_loaded)
    return;
  errno = 0;
  if (capng_get_caps_process () != 0)
    winit_raise_errno (L, errno ? errno : EIO, call);
  c->caps_loaded = 1;
}

/* Apply action to every capability named in the list at idx. */
static void
caps_update (lua_State *L, int idx, const char *call, capng_act_t action, int sets)
{
  if (lua_type (L, idx) != LUA_TTABLE)
    winit_raise (L, WARD_E_INVALID, 0, call, "argument #%d: table expected, got %s",
                 idx, luaL_typename (L, idx));
  caps_load (L, call);
  lua_Integer n = (lua_Integer) lua_rawlen (L, idx);
  for (lua_Integer i = 1; i <= n; i++)
    {
      lua_rawgeti (L, idx, i);
      int cap = cap_from_name (L, -1, call);
      lua_pop (L, 1);
      if (capng_update (action, (capng_type_t) sets, (unsigned) cap) != 0)
        winit_raise_errno (L, EINVAL, call);
    }
}

/* cap_clear(): the pending state holds no capability in any set */
static int
l_cap_clear (lua_State *L)
{
  capng_clear (CAPNG_SELECT_ALL);
  winit_ctx_of (L)->caps_loaded = 1;
  return 0;
}

/* cap_keep{names}: add to the effective, permitted and bounding sets of the
 * pending state (cap_apply fails if the process does not hold them) */
static int
l_cap_keep (lua_State *L)
{
  caps_update (L, 1, "cap_keep", CAPNG_ADD, KEEP_SETS);
  return 0;
}

/* cap_drop{names}: remove from every set of the pending state */
static int
l_cap_drop (lua_State *L)
{
  caps_update (L, 1, "cap_drop", CAPNG_DROP, ALL_SETS);
  return 0;
}

/* cap_apply(): make the pending state the process's (bounding set first,
 * then effective/permitted/inheritable, then ambient) */
static int
l_cap_apply (lua_State *L)
{
  caps_load (L, "cap_apply");
  errno = 0;
  if (capng_apply (CAPNG_SELECT_ALL) != 0)
    winit_raise_errno (L, errno ? errno : EPERM, "cap_apply");
  return 0;
}

/* cap_has(name[, set = "effective"]) -> boolean, read from the kernel, not
 * from the pending state */
static int
l_cap_has (lua_State *L)
{
  int cap = cap_from_name (L, 1, "cap_has");
  const char *set = lua_isnoneornil (L, 2) ? "effective" : winit_str_arg (L, 2, "cap_has", 0);
  int has;
  if (strcmp (set, "bounding") == 0)
    {
      has = prctl (PR_CAPBSET_READ, cap, 0, 0, 0);
      if (has < 0)
        winit_raise_errno (L, errno, "cap_has");
    }
  else if (strcmp (set, "ambient") == 0)
    {
      has = prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
      if (has < 0)
        winit_raise_errno (L, errno, "cap_has");
    }
  else
    {
      struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
      struct __user_cap_data_struct d[2];
      if (syscall (SYS_capget, &h, d) < 0)
        winit_raise_errno (L, errno, "cap_has");
      unsigned word = (unsigned) cap / 32, bit = 1u << ((unsigned) cap % 32);
      if (strcmp (set, "effective") == 0)
        has = (d[word].effective & bit) != 0;
      else if (strcmp (set, "permitted") == 0)
        has = (d[word].permitted & bit) != 0;
      else if (strcmp (set, "inheritable") == 0)
        has = (d[word].inheritable & bit) != 0;
      else
        winit_raise (L, WARD_E_INVALID, 0, "cap_has", "unknown capability set '%.32s'", set);
    }
  lua_pushboolean (L, has);
  return 1;
}

/* ---- seccomp ------------------------------------------------------------ */

static int
syscall_arg (lua_State *L, int idx, const char *call)
{
  const char *name = winit_str_arg (L, idx, call, 0);
  int nr = seccomp_syscall_resolve_name (name);
  if (nr == __NR_SCMP_ERROR)
    winit_raise (L, WARD_E_INVALID, 0, call, "unknown system call '%.64s'", name);
  return nr;
}

/* The script's own filter for deny and kill rules. Each architecture the
 * kernel may be entered by gets the rules; calls of other architectures
 * pass here and are judged by the profile's filter. */
static scmp_filter_ctx
deny_filter (lua_State *L, const char *call)
{
  winit_ctx *c = winit_ctx_of (L);
  if (c->deny != NULL)
    return c->deny;
  c->deny = seccomp_init (SCMP_ACT_ALLOW);
  if (c->deny == NULL)
    winit_raise_errno (L, ENOMEM, call);
  int rc = seccomp_attr_set (c->deny, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
#if defined(__x86_64__)
  if (rc == 0)
    rc = seccomp_arch_add (c->deny, SCMP_ARCH_X86);
  if (rc == 0)
    rc = seccomp_arch_add (c->deny, SCMP_ARCH_X32);
#elif defined(__aarch64__)
  if (rc == 0)
    rc = seccomp_arch_add (c->deny, SCMP_ARCH_ARM);
#endif
  if (rc < 0 && rc != -EEXIST)
    winit_raise_errno (L, -rc, call);
  return c->deny;
}

static void
rule_add (lua_State *L, scmp_filter_ctx f, uint32_t action, int nr, const char *call)
{
  int rc = seccomp_rule_add (f, action, nr, 0);
  /* -EACCES: the action is already the filter's default, nothing to add */
  if (rc < 0 && rc != -EACCES)
    winit_raise_errno (L, -rc, call);
}

/* seccomp_allow(name): allow a call the profile's filter would refuse. A
 * rule the profile already has for that call stands. Without a filter every
 * call is allowed and this does nothing. */
static int
l_seccomp_allow (lua_State *L)
{
  int nr = syscall_arg (L, 1, "seccomp_allow");
  winit_ctx *c = winit_ctx_of (L);
  if (c->filter != NULL)
    {
      c->allows++;              /* first: a failed add may have changed it */
      rule_add (L, c->filter, SCMP_ACT_ALLOW, nr, "seccomp_allow");
    }
  return 0;
}

/* seccomp_deny(name[, errno = EPERM]): the call fails with errno; errno is
 * an integer or a name such as "EACCES" */
static int
l_seccomp_deny (lua_State *L)
{
  int nr = syscall_arg (L, 1, "seccomp_deny");
  int e = EPERM;
  if (lua_type (L, 2) == LUA_TSTRING)
    {
      const char *s = winit_str_arg (L, 2, "seccomp_deny", 0);
      const winit_const *k = winit_errnos;
      while (k->name != NULL && strcmp (k->name, s) != 0)
        k++;
      if (k->name == NULL)
        winit_raise (L, WARD_E_INVALID, 0, "seccomp_deny", "unknown errno name '%.32s'", s);
      e = (int) k->value;
    }
  else
    e = (int) winit_int_arg (L, 2, "seccomp_deny", 1, 4095, 1, EPERM);
  rule_add (L, deny_filter (L, "seccomp_deny"), SCMP_ACT_ERRNO ((uint32_t) e), nr,
            "seccomp_deny");
  return 0;
}

/* seccomp_kill(name): the call never runs and raises SIGSYS, which ends
 * the process unless it handles it (ward's subprocess actors handle it
 * only to name the call in their EXIT, then die by it). SECCOMP_RET_TRAP
 * rather than KILL: the kernel tells nobody which call a kill was for. */
static int
l_seccomp_kill (lua_State *L)
{
  int nr = syscall_arg (L, 1, "seccomp_kill");
  rule_add (L, deny_filter (L, "seccomp_kill"), SCMP_ACT_TRAP, nr, "seccomp_kill");
  return 0;
}

void
winit_open_guard (lua_State *L)
{
  static const luaL_Reg fns[] = {
    { "cap_clear", l_cap_clear }, { "cap_keep", l_cap_keep },
    { "cap_drop", l_cap_drop }, { "cap_apply", l_cap_apply },
    { "cap_has", l_cap_has }, { "seccomp_allow", l_seccomp_allow },
    { "seccomp_deny", l_seccomp_deny }, { "seccomp_kill", l_seccomp_kill },
    { NULL, NULL }
  };
  luaL_setfuncs (L, fns, 0);
  winit_set_consts (L, winit_errnos);
}
