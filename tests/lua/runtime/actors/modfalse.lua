-- actors.modfalse -- a module file that counts its loads in a global and
-- returns false (Lua's require loads such a module again).
modfalse_loads = (modfalse_loads or 0) + 1
return false
