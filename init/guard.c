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
#include <stdlib.h>
#include <linux/capability.h>
#include <linux/securebits.h>
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

/* ---- Emilua's capability calls ------------------------------------------
 * Emilua's init.script C table (https://docs.emilua.org/api/0.10/ref/init.script.html;
 * emilua src/linux_namespaces/sys_bindings.ipp): cap_set_proc, cap_drop_bound,
 * cap_set_ambient, cap_reset_ambient, cap_set_secbits. They act on the
 * process at once (libcap-ng's pending state is read again by the next
 * cap_keep/cap_drop/cap_apply). None can weaken what follows: the lockdown
 * drops every capability the profile does not keep from the bounding,
 * effective, permitted and inheritable sets, clears the ambient set and
 * sets its securebits (a lock that stops it fails the spawn). */

/* A capability named by a C string: "CAP_CHOWN", "cap_chown", "chown" or a
 * number; -1 when unknown. */
static int
cap_by_name (const char *s, size_t n)
{
  char name[64];
  if (n >= 4 && strncasecmp (s, "cap_", 4) == 0)
    s += 4, n -= 4;
  if (n == 0 || n >= sizeof name)
    return -1;
  int digits = 1;
  for (size_t i = 0; i < n; i++)
    {
      name[i] = (char) tolower ((unsigned char) s[i]);
      digits &= isdigit ((unsigned char) s[i]) != 0;
    }
  name[n] = '\0';
  if (digits)
    return n <= 2 && atoi (name) <= CAP_LAST_CAP ? atoi (name) : -1;
  return capng_name_to_capability (name);
}

#define CAPS_ALL (CAP_LAST_CAP >= 63 ? ~0ull : (1ull << (CAP_LAST_CAP + 1)) - 1)

/* The capability list at *pp of a clause ("all", names or numbers joined
 * by commas), up to its first operation; *pp moves past it. *any says
 * whether the list names anything. */
static uint64_t
cap_list (lua_State *L, const char **pp, int *any)
{
  const char *p = *pp;
  uint64_t caps = 0;
  *any = 0;
  while (*p != '\0' && !strchr ("=+-", *p) && !isspace ((unsigned char) *p))
    {
      const char *e = p;
      while (*e != '\0' && !strchr ("=+-,", *e) && !isspace ((unsigned char) *e))
        e++;
      if ((size_t) (e - p) == 3 && strncasecmp (p, "all", 3) == 0)
        caps = CAPS_ALL;
      else
        {
          int c = cap_by_name (p, (size_t) (e - p));
          if (c < 0 || c > 63)
            winit_raise (L, WARD_E_INVALID, 0, "cap_set_proc", "unknown capability "
                         "'%.*s'", (int) (e - p > 64 ? 64 : e - p), p);
          caps |= 1ull << c;
        }
      *any = 1;
      p = *e == ',' ? e + 1 : e;
    }
  *pp = p;
  return caps;
}

/* The operations at *pp of a clause ('=', '+' or '-', each with flags from
 * "eip") applied to caps in sets; *pp moves past them. t is the whole
 * text, for errors. */
static void
cap_ops (lua_State *L, const char *t, const char **pp, uint64_t caps, uint64_t sets[3])
{
  const char *p = *pp;
  while (*p != '\0' && strchr ("=+-", *p))
    {
      char op = *p++;
      int flags = 0;
      for (; *p != '\0' && strchr ("eipEIP", *p); p++)
        flags |= tolower ((unsigned char) *p) == 'e' ? 1
                 : tolower ((unsigned char) *p) == 'i' ? 2 : 4;
      if (op != '=' && flags == 0)
        winit_raise (L, WARD_E_INVALID, 0, "cap_set_proc", "'%.64s': '%c' without "
                     "flags (e, i, p)", t, op);
      for (int k = 0; k < 3; k++)
        {
          if (op == '=')
            sets[k] &= ~caps;
          if ((flags >> k) & 1)
            sets[k] = op == '-' ? sets[k] & ~caps : sets[k] | caps;
        }
    }
  *pp = p;
}

/* The text form of cap_from_text(3): clauses separated by white space,
 * each a list of capabilities ("all", or empty for all, with "=") joined by
 * commas and one or more operations: '=' (clear the three sets, then set
 * the flags), '+' or '-' followed by flags from "eip". Starts from no
 * capability at all. */
static void
caps_from_text (lua_State *L, const char *t, uint64_t sets[3])
{
  sets[0] = sets[1] = sets[2] = 0;
  const char *p = t;
  for (;;)
    {
      while (isspace ((unsigned char) *p))
        p++;
      if (*p == '\0')
        return;
      int any;
      uint64_t caps = cap_list (L, &p, &any);
      if (!strchr ("=+-", *p) || *p == '\0')
        winit_raise (L, WARD_E_INVALID, 0, "cap_set_proc", "'%.64s': an operation "
                     "(=, + or -) expected", t);
      if (!any)
        {
          if (*p != '=')
            winit_raise (L, WARD_E_INVALID, 0, "cap_set_proc", "'%.64s': no capability "
                         "before '%c'", t, *p);
          caps = CAPS_ALL;
        }
      cap_ops (L, t, &p, caps, sets);
      if (*p != '\0' && !isspace ((unsigned char) *p))
        winit_raise (L, WARD_E_INVALID, 0, "cap_set_proc", "'%.64s': bad flag '%c'", t, *p);
    }
}

/* cap_set_proc(text): the effective, inheritable and permitted sets of
 * the process, as cap_set_proc(cap_from_text(text)). It cannot give what
 * the process does not hold (EPERM). */
static int
l_cap_set_proc (lua_State *L)
{
  uint64_t sets[3];               /* effective, inheritable, permitted */
  caps_from_text (L, winit_str_arg (L, 1, "cap_set_proc", 0), sets);
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  for (int w = 0; w < 2; w++)
    {
      d[w].effective = (uint32_t) (sets[0] >> (32 * w));
      d[w].inheritable = (uint32_t) (sets[1] >> (32 * w));
      d[w].permitted = (uint32_t) (sets[2] >> (32 * w));
    }
  winit_ctx_of (L)->caps_loaded = 0;
  if (syscall (SYS_capset, &h, d) < 0)
    winit_raise_errno (L, errno, "cap_set_proc");
  return 0;
}

/* cap_drop_bound(name): take the capability out of the bounding set */
static int
l_cap_drop_bound (lua_State *L)
{
  int cap = cap_from_name (L, 1, "cap_drop_bound");
  winit_ctx_of (L)->caps_loaded = 0;
  if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
    winit_raise_errno (L, errno, "cap_drop_bound");
  return 0;
}

/* cap_set_ambient(name, boolean): raise or lower it in the ambient set
 * (raising needs it permitted and inheritable); the lockdown clears the
 * ambient set whatever the script left in it */
static int
l_cap_set_ambient (lua_State *L)
{
  int cap = cap_from_name (L, 1, "cap_set_ambient");
  if (lua_type (L, 2) != LUA_TBOOLEAN)
    winit_raise (L, WARD_E_INVALID, 0, "cap_set_ambient", "argument #2: boolean expected, "
                 "got %s", luaL_typename (L, 2));
  int op = lua_toboolean (L, 2) ? PR_CAP_AMBIENT_RAISE : PR_CAP_AMBIENT_LOWER;
  if (prctl (PR_CAP_AMBIENT, op, cap, 0, 0) < 0)
    winit_raise_errno (L, errno, "cap_set_ambient");
  return 0;
}

static int
l_cap_reset_ambient (lua_State *L)
{
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    winit_raise_errno (L, errno, "cap_reset_ambient");
  return 0;
}

/* cap_set_secbits(bits): PR_SET_SECUREBITS (needs CAP_SETPCAP). A bit the
 * script locks against what the lockdown sets makes the spawn fail. */
static int
l_cap_set_secbits (lua_State *L)
{
  int bits = (int) winit_int_arg (L, 1, "cap_set_secbits", 0, 0xffff, 0, 0);
  if (prctl (PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
    winit_raise_errno (L, errno, "cap_set_secbits");
  return 0;
}

static const winit_const secbits[] = {
  K (SECBIT_NOROOT), K (SECBIT_NOROOT_LOCKED), K (SECBIT_NO_SETUID_FIXUP),
  K (SECBIT_NO_SETUID_FIXUP_LOCKED), K (SECBIT_KEEP_CAPS), K (SECBIT_KEEP_CAPS_LOCKED),
  K (SECBIT_NO_CAP_AMBIENT_RAISE), K (SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED), { NULL, 0 }
};

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
    { "cap_set_proc", l_cap_set_proc }, { "cap_drop_bound", l_cap_drop_bound },
    { "cap_set_ambient", l_cap_set_ambient }, { "cap_reset_ambient", l_cap_reset_ambient },
    { "cap_set_secbits", l_cap_set_secbits },
    { NULL, NULL }
  };
  luaL_setfuncs (L, fns, 0);
  winit_set_consts (L, winit_errnos);
  winit_set_consts (L, secbits);
}
