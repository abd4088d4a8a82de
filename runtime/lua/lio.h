/* lio.h -- the granted resources every process has (DESIGN 3.3): the
 * run's standard streams as a small Lua `io`, os.getenv and
 * process.permissions.query, in both faces of the API.
 *
 * io.read/io.lines read the run's standard input, io.write writes its
 * standard output, io.stderr:write its standard error; io.stdin,
 * io.stdout and io.stderr are the streams (type "ward.io", shown as
 * "file"), with read, write, lines, close, flush, setvbuf and seek. Each
 * stream asks the gate once per process, on its first use: io.stdin,
 * io.stdout or io.stderr on the stream's word. A subprocess actor's
 * stand-in asks as the child's actor and sends the child a copy of ward's
 * descriptor (ward_io_stream_for_child). There is no io.open, no
 * io.popen. os.getenv asks env.read on the name (a denial: nil and the
 * error); process.permissions.query answers without acting or auditing.
 * Prefix ward_io_. */
#ifndef WARD_LIO_H
#define WARD_LIO_H

#include <lua.h>

int ward_luaopen_io (lua_State *L);
extern const struct ward_type ward_type_io;

/* os.getenv(name) -> value, or nil (unset), or nil and the error (denied) */
int ward_io_getenv (lua_State *L);
/* process.permissions.query{action =, resource =} -> {state = "granted" |
 * "denied", reason = ...}; an unknown action raises */
int ward_io_query (lua_State *L);
/* Push the table process.permissions. */
void ward_io_push_permissions (lua_State *L);
/* The stand-in's io_stream(word): asks io.<word> as the stand-in (the
 * child's actor) and returns a new descriptor for ward's stream, or nil
 * and the error. */
int ward_io_stream_for_child (lua_State *L);

#endif
