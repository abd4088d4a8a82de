-- attempts-tap.lua -- the TAP of fs-attempts.lua and net-attempts.lua:
-- fs-escape.sh and net-escape.sh put this file before each when they copy
-- it out (the scripts run outside the test root, where tap.lua cannot be
-- required). ok(cond, name [, diag]) prints one result (diag as a comment
-- when it failed); denied(name, v, e) checks nil and PERMISSION_DENIED;
-- kind(e) names an error; `return done()` prints the plan and fails the
-- script when a result failed.
local n, failed = 0, 0
local function ok(c, name, diag)
  n = n + 1
  if not c then failed = failed + 1 end
  print((c and "ok " or "not ok ") .. n .. " - " .. name)
  if not c and diag then print("#   " .. tostring(diag)) end
  return c
end
local function kind(e) return type(e) == "userdata" and e:kind() or tostring(e) end
-- denied: nil and PERMISSION_DENIED
local function denied(name, v, e)
  return ok(v == nil and kind(e) == "PERMISSION_DENIED", name .. ": denied",
            v ~= nil and ("got " .. tostring(v)) or tostring(e))
end
local function done()
  print("1.." .. n)
  if failed > 0 then error(failed .. " failed", 0) end
  return 0
end
