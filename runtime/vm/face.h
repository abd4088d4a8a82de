/* face.h -- the two faces of the Lua API. A process's VM runs either in
 * the runtime (the in-process face: each call acts on the runtime) or in
 * a subprocess actor's sandboxed child (the subprocess face: each call
 * that reaches beyond the actor is performed by its stand-in, remote.h).
 * The face is chosen once, when the VM is created; each module gives its
 * functions for both, sharing what they have in common as helpers.
 * Internal to runtime/vm/ and the faces in runtime/lua/. Prefix ward_face_. */
#ifndef WARD_FACE_H
#define WARD_FACE_H

#include "vm.h"

typedef struct ward_face {
  const luaL_Reg *base;                 /* base functions of its own (require) */
  const luaL_Reg *const *process;       /* the process library, in parts */
  const luaL_Reg *registry;             /* process.registry */
  const luaL_Reg *emilua;               /* globals: spawn_vm, spawn_context_threads */
  const luaL_Reg *inbox;                /* the methods of require "inbox" */
  const ward_type *const *types;        /* ward's types, made on first use */
  void (*blocking) (void);              /* run before the process blocks; or NULL */
} ward_face;

extern const ward_face ward_face_local, ward_face_remote;

/* Give L's VM the face f (allocates: call it protected). */
void ward_face_set (lua_State *L, const ward_face *f);
/* The face of L's VM: the in-process one for a state given none. */
const ward_face *ward_face_of (lua_State *L);

/* Each module's part, _local for the in-process face and _remote for the
 * subprocess one. */
extern const luaL_Reg ward_face_base_local[], ward_face_base_remote[];        /* vmbase.c */
extern const luaL_Reg ward_face_proc_local[], ward_face_proc_remote[];        /* lproc.c */
extern const luaL_Reg ward_face_spawn_local[], ward_face_spawn_remote[];      /* lspawn.c */
extern const luaL_Reg ward_face_link_local[], ward_face_link_remote[];        /* llink.c */
extern const luaL_Reg ward_face_registry_local[], ward_face_registry_remote[]; /* llink.c */
extern const luaL_Reg ward_face_emilua_local[], ward_face_emilua_remote[];    /* lspawnvm.c */
extern const luaL_Reg ward_face_inbox_local[], ward_face_inbox_remote[];      /* lemilua.c */
/* The types whose methods differ (the in-process ones are vm.h's). */
extern const ward_type ward_type_builder_remote, ward_type_vmchan_remote;

#endif
