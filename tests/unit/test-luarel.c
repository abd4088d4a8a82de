/* test-luarel.c -- unit tests of the Lua release check: the release read
 * out of a library's lua_ident text, and the start-up check of the library
 * ward runs against (ward-lua(7), KNOWN BUGS OF LUA). */
#include "config.h"
#include "rt.h"
#include "vm.h"
#include "tap.h"

#include <string.h>

void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
  (void) p, (void) abnormal, (void) error;
}

int
main (void)
{
  plan (10);
  is_int (ward_lua_release_of ("$LuaVersion: Lua 5.4.4  Copyright (C) 1994-2022 Lua.org, PUC-Rio $"
                               "$LuaAuthors: R. Ierusalimschy, L. H. de Figueiredo, W. Celes $"),
          50404, "a 5.4.4 lua_ident reads as 50404");
  is_int (ward_lua_release_of ("$LuaVersion: Lua 5.4.10  Copyright $"), 50410,
          "a two-digit release reads as 50410");
  is_int (ward_lua_release_of ("Lua 5.5.0"), 50500, "5.5.0 reads as 50500");
  is_int (ward_lua_release_of ("Lua 5.4"), 0, "no release number: 0");
  is_int (ward_lua_release_of ("Lua 5.4.x"), 0, "a release that is not a number: 0");
  is_int (ward_lua_release_of ("Lua 5.4.123"), 0, "an out-of-range release: 0");
  is_int (ward_lua_release_of ("LuaJIT 2.1"), 0, "another interpreter: 0");
  is_int (ward_lua_release_of (NULL), 0, "no text: 0");
  ok (ward_lua_release_running () >= LUA_VERSION_RELEASE_NUM
      && ward_lua_release_running () / 100 == LUA_VERSION_NUM,
      "the library runs Lua %d.%d at the release built with or later (%d)",
      LUA_VERSION_NUM / 100, LUA_VERSION_NUM % 100, ward_lua_release_running ());
  ward_err err = { 0 };
  is_int (ward_vm_lua_check (&err), 0, "the start-up check passes here: %s",
          err.msg[0] ? err.msg : "no error");
  return done ();
}
