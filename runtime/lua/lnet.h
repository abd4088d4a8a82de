/* lnet.h -- the `net` module (DESIGN 3.3): endpoints a policy grants.
 *
 * require "net" asks lua.require on "net". net.connect and net.listen ask
 * net.connect / net.listen on "host:port" as the script wrote it (an IPv6
 * literal in brackets), once for each address the host resolves to, with
 * that address as attr.address: every one must be allowed, and only those
 * addresses are then used (no second lookup between check and connect).
 * The socket comes back as a "ward.fd" (lfd.h). net.accept takes a
 * connection from a listening descriptor and asks nothing (the listen was
 * granted).
 *
 * In a subprocess actor connect and listen are made by its stand-in in the
 * runtime (judged as the child's actor) and the socket comes back over the
 * channel; accept is the child's own call on the socket it was given.
 * Prefix ward_net_. */
#ifndef WARD_LNET_H
#define WARD_LNET_H

#include <lua.h>
#include "policy.h"

int ward_luaopen_net (lua_State *L);
/* process.permissions.query on net.*: the answer net.connect or net.listen
 * would get for res ("HOST:PORT", "[ADDRESS]:PORT"): the name spelt as
 * those calls spell it, looked up only where a grant could follow
 * (ward_authorize_possible), every address (at most 16) asked as
 * attr.address with ward_authorize_query; granted only if every one is.
 * Records nothing. *why says what decided. */
ward_decision ward_net_query (const ward_actor *actor, const char *action, const char *res,
                              ward_attrs *attrs, const char **why);
/* In a subprocess actor: connect and listen are calls to the runtime (op
 * "net.NAME"). */
int ward_luaopen_net_remote (lua_State *L);

#endif
