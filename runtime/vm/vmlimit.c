/* vmlimit.c -- what holds a process's VM to its limits: the capped
 * allocator and the count hook (kill check, instruction budget,
 * preemption), and the yield of a blocking call. */
#include "config.h"
#include "vmint.h"

#include <lauxlib.h>

/* Allocator: every byte of a process counts against its cap. Once the
 * process is killed, nothing may grow, so C functions that allocate in a
 * loop (string.rep, table.concat) stop too. */
void *
ward_vm__alloc (void *ud, void *ptr, size_t osize, size_t nsize)
{
  ward_proc *p = ud;
  if (ptr == NULL)
    osize = 0;
  if (nsize == 0)
    {
      ward_arena_realloc (&p->arena, ptr, osize, 0);
      p->mem_used -= osize;
      return NULL;
    }
  if (nsize > osize)
    {
      size_t grow = nsize - osize;
      if (atomic_load_explicit (&p->killed, memory_order_acquire)
          || p->mem_used + grow > p->mem_limit)
        {
          if (!atomic_load (&p->killed) && p->co != NULL)
            {
              ward_proc_kill (p, "memory limit of %zu bytes exceeded", p->mem_limit);
              /* the body's next instruction raises again, past any pcall */
              lua_sethook (p->co, ward_vm__hook, LUA_MASKCOUNT, 1);
            }
          return NULL;
        }
    }
  void *np = ward_arena_realloc (&p->arena, ptr, osize, nsize);
  if (np == NULL)
    return NULL;
  p->mem_used = p->mem_used - osize + nsize;
  if (p->mem_used > p->mem_peak)
    p->mem_peak = p->mem_used;
  return np;
}

/* ------------------------------------------------------------------ */
/* The count hook: kill check, instruction budget, preemption. */
void
ward_vm__raise_killed (lua_State *L, ward_proc *p)
{
  /* Fire on every instruction from now on: whatever pcall catches is
   * raised again at the next instruction until the body is gone. */
  lua_sethook (L, ward_vm__hook, LUA_MASKCOUNT, 1);
  luaL_error (L, "%s", p->kill_msg);
}

void
ward_vm_check_killed (lua_State *L)
{
  ward_proc *p = ward_current ();
  if (p && atomic_load (&p->killed))
    ward_vm__raise_killed (L, p);
}

void
ward_vm__hook (lua_State *L, lua_Debug *ar)
{
  ward_proc *p = ward_current ();
  if (p == NULL)
    return;
  if (atomic_load_explicit (&p->killed, memory_order_acquire))
    ward_vm__raise_killed (L, p);
  p->instructions += WARD_HOOK_EVERY;
  ward_sched_nudge ();
  if (ward_cfg.instr_budget && p->instructions > ward_cfg.instr_budget)
    {
      ward_proc_kill (p, "instruction budget of %llu exceeded",
                      (unsigned long long) ward_cfg.instr_budget);
      ward_vm__raise_killed (L, p);
    }
  if (++p->slice < WARD_SLICE_TICKS)
    return;
  if (lua_isyieldable (L))
    {
      p->yield_reason = WARD_Y_PREEMPT;
      lua_yield (L, 0);
      return;
    }
  if (ward_now_ns () - p->slice_start_ns > WARD_UNYIELDABLE_NS)
    {
      ward_proc_kill (p, "ran for more than %lld s where it cannot be preempted "
                      "(inside a C call such as a sort comparator or a metamethod)",
                      WARD_UNYIELDABLE_NS / 1000000000LL);
      ward_vm__raise_killed (L, p);
    }
}

int
ward_vm_block (lua_State *L, lua_KContext ctx, lua_KFunction k)
{
  ward_proc *p = ward_current ();
  if (!lua_isyieldable (L))
    return luaL_error (L, "cannot block here (inside a metamethod, iterator "
                       "or C callback that cannot yield)");
  p->yield_reason = WARD_Y_BLOCK;
  /* what the VM's face does before waiting (a subprocess actor sends what
   * a full channel held back) */
  if (p->on_block)
    p->on_block ();
  return lua_yieldk (L, 0, ctx, k);
}

