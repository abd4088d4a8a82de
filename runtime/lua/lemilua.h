/* lemilua.h -- what the files of the Emilua face share: lemilua.c (the
 * channels spawn_vm gives, require "inbox") and lspawnvm.c (spawn_vm and
 * spawn_context_threads). Internal to runtime/lua/. Prefix ward_emilua_. */
#ifndef WARD_LEMILUA_H
#define WARD_LEMILUA_H

#include "vm.h"

/* Push spawn_vm's channel to the actor pid, which already counts it;
 * owner: the serial of the spawn_vm caller of a subprocess actor (who
 * alone may kill, detach or ask its child_pid), 0 for any other. */
void ward_emilua_push_channel (lua_State *L, const char *pid, uint64_t owner);

#endif
