-- actors:gate_upg -- gate-trace case: upgrade to another definition, or with
-- mode "nil" upgrade(nil) (then the second generation ends the section).
local mode, gen = ...
if gen == 2 then
  process.registry.unregister("END-MARK")
  print("DONE")
  return "restarted"
end
print("VAR CALLER " .. process.pid())
process.registry.unregister("BEGIN-MARK")
if mode == "nil" then
  process.upgrade(nil, "nil", 2)
elseif mode == "same" then
  process.upgrade("actors:gate_upg", "same", 2)
else
  process.upgrade("actors:gate_after_upg")
end
error("upgrade returned", 0)
