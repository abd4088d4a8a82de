/* vmint.h -- what the parts of a process's VM share (vm.h is the
 * runtime's contract): vm.c boots and closes it, vmlimit.c holds its
 * allocator and count hook, vmco.c its coroutines, vmbase.c the safe base
 * library, vmlibs.c the libraries opened on first use. Internal to
 * runtime/vm/. Prefix ward_vm__. */
#ifndef WARD_VMINT_H
#define WARD_VMINT_H

#include "vm.h"

/* The allocator of a process's VM (ud: the process): every byte counts
 * against its cap, and nothing grows once it is killed. */
void *ward_vm__alloc (void *ud, void *ptr, size_t osize, size_t nsize);
/* The count hook: kill check, instruction budget, preemption. */
void ward_vm__hook (lua_State *L, lua_Debug *ar);
/* Raise p's kill reason, and again at every instruction from now on:
 * whatever pcall catches is raised again until the body is gone. */
void ward_vm__raise_killed (lua_State *L, ward_proc *p);

/* The coroutine library, whose resume and wrap pass scheduler yields up
 * to the process (vmco.c). */
int ward_vm__open_coroutine (lua_State *L);
/* Open the library `name` (one opened on first use) into _G and
 * package.loaded and push it; 0, nothing pushed, when name is not one. */
int ward_vm__open_lazy (lua_State *L, const char *name);
/* Give L the safe base: an empty _G that finds each base function and
 * library on first use, and the strings' first metatable. */
void ward_vm__open_safe_libs (lua_State *L);

#endif
