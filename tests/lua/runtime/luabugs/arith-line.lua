-- Lua 5.4.4 bug "Wrong line in error message for arithmetic errors": a
-- modulo by zero does not save the current instruction. ward's count hook
-- makes Lua save it at every step, so the line is right here.
local f = load("local a = 0\nlocal b = 1\nlocal c = b % a\n", "=chunk")
local ok, msg = pcall(f)
print((not ok and tostring(msg):find("^chunk:3:") and "ok " or "wrong ")
      .. "a modulo by zero on line 3 is reported on line 3: " .. tostring(msg))
print("END")
