-- perm_live.lua -- run by tests/lua/process/permissions.sh under `ward run
-- --db`: makes a builder while process.context is allowed, says READY,
-- waits until a `ward policy load` denies process.context (a new
-- with_context is refused), then uses the old builder: its with_context
-- and its spawn ask again, and are refused with nothing done. Sends to a
-- child too (KID <pid>), allowed before; the new policy denies them.
local scale = tonumber((...)) or 1
local me = process.pid()
local function line(ok, desc) print((ok and "ok - " or "not ok - ") .. desc) end
local function denied(r, e)
  return r == nil and type(e) == "userdata" and e:kind() == errors.PERMISSION_DENIED
    and e:message():find("permission denied: process.context on context", 1, true) ~= nil
end
local b = assert(process.with_context({ a = 1 }))
line(b:with_context({ b = 2 }) ~= nil, "builder:with_context is allowed before the change")
local kid = assert(process.spawn("actors:deaf", "ward:main"))
line(process.send(kid, "x", 1) == true and process.send(kid, "x", 2) == true,
     "process.send to a child is allowed before the change, again and again")
print("KID " .. kid)
print("READY")
local deadline = time.now() + math.floor(30000 * scale)
local now_denied = false
while time.now() < deadline do
  if denied(process.with_context({})) then now_denied = true break end
  time.sleep(20)
end
line(now_denied, "the policy loaded meanwhile denies process.context")
local r, e = b:with_context({ b = 2 })
line(denied(r, e), "builder:with_context without process.context: refused, PERMISSION_DENIED naming process.context")
r, e = b:spawn("actors:perm_kid", "ward:main", me, "live")
line(denied(r, e), "builder:spawn of a builder made before, without process.context: refused, PERMISSION_DENIED naming process.context")
local q = channel.select { process.inbox():case_receive(),
                           time.after(math.floor(500 * scale)):case_receive() }
line(q.channel ~= process.inbox(), "builder:spawn without process.context: nothing was done (no child ran)")
r, e = process.send(kid, "x", 3)
line(r == nil and type(e) == "userdata" and e:kind() == errors.PERMISSION_DENIED,
     "a send to the same child once the policy denies it: refused, PERMISSION_DENIED")
r, e = process.send(kid, "x", 4)
line(r == nil and type(e) == "userdata" and e:kind() == errors.PERMISSION_DENIED,
     "and again")
print("END")
