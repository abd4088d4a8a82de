-- hostile-suite.lua -- run by hostile.sh as `ward run --untrusted`: the
-- script tries every process call policies/untrusted.policy does not grant
-- it, the dangerous parts of the standard library, and talking to
-- processes that are not its parent. It prints one line per attempt:
-- "REFUSED\tname\tACTION\tRESOURCE" when the answer was a denial naming
-- them (the test then looks for its audit record), "REFUSED\tname\t-\t-"
-- for a refusal that is no permission, "ALLOWED\tname" otherwise.
local S, M = "ward:sandbox", "ward:main"
local stranger = "{ward:main|0x00001}"   -- not this script's parent: it has none

local function report(name, ok, v, e)
  local msg = (not ok) and tostring(v) or (v == nil and e ~= nil) and tostring(e) or nil
  if msg == nil then print("ALLOWED\t" .. name); return end
  local action, resource = msg:match("permission denied: ([%w._]+) on (%S+)")
  if not action then action, resource = msg:match("permission denied %(([%w._]+) on ([^)]+)%)") end
  print(string.format("REFUSED\t%s\t%s\t%s", name, action or "-", resource or "-"))
end
local function try(name, f, ...) report(name, pcall(f, ...)) end

-- calls the policy does not grant
try("spawn of a definition outside tools.helpers", process.spawn, "evil:payload", S)
try("spawn on ward:main", process.spawn, "tools.helpers:idle", M)
try("spawn_linked", process.spawn_linked, "tools.helpers:idle", S)
try("spawn_linked_monitored", process.spawn_linked_monitored, "tools.helpers:idle", S)
try("exec", process.exec, "tools.helpers:idle", S)
-- a builder: with_context is refused first (nil, err), else its spawn
local function builder(set)
  return function()
    local b, e = process.with_context({})
    if not b then return nil, e end
    return set(b):spawn("tools.helpers:idle", S)
  end
end
try("with_context (a builder)", builder(function(b) return b end))
try("with_actor main", builder(function(b) return b:with_actor("main") end))
try("registry.register", process.registry.register, "logger")
try("registry.unregister", process.registry.unregister, "logger")
try("registry.lookup (who holds a name)", process.registry.lookup, "db-admin")
try("send by name (a lookup)", process.send, "db-admin", "hello")
try("builder with_name", builder(function(b) return b:with_name("logger") end))
try("require of a module", require, "tools.helpers.idle")
try("require of fd (descriptors)", require, "fd")
-- its own child: watching and stopping it is allowed, linking and sending are not
local child = process.spawn_monitored("tools.helpers:idle", S)
print(child and "CHILD\t" .. child or "NOCHILD")
try("link to its child", process.link, child)
try("unlink from its child", process.unlink, child)
try("send to its child (not its parent)", process.send, child, "hello")
-- a process that is not its parent, nor its child
try("send to a stranger", process.send, stranger, "hello")
try("monitor a stranger", process.monitor, stranger)
try("terminate a stranger", process.terminate, stranger)
try("cancel a stranger", process.cancel, stranger, "1s")
try("link to a stranger", process.link, stranger)
-- no oracle: a live process it may not stop (itself) and a PID that names
-- none get the same answer
do
  local _, a = process.terminate(process.pid())
  local _, b = process.terminate("{ward:sandbox|0xfffff}")
  local function norm(e) return e and (tostring(e):gsub("{[^}]*}", "PID")) end
  print(string.format("SAME\t%s\tterminate of a live process and of no process answer alike",
                      a ~= nil and norm(a) == norm(b) and "yes" or "no: " .. tostring(a) .. " / " .. tostring(b)))
end
-- the standard library
try("io", function() return io.open("/etc/shadow") end)
try("os.execute", function() return os.execute("id") end)
try("os.exit", function() return os.exit(0) end)
try("os.getenv", function() return os.getenv("HOME") end)
try("package.loadlib", function() return package.loadlib("libc.so.6", "system") end)
try("binary chunk", function() return assert(load("\27LuaT\0", "x", "b")) end)
try("string.dump", function() return string.dump(print) end)
try("debug", function() return debug.getregistry() end)
try("setmetatable with __gc", function() return setmetatable({}, { __gc = function() end }) end)
-- spawn_vm and upgrade are performed by the runtime, as the script's actor
try("spawn_vm of a definition outside tools.helpers", spawn_vm, "evil:payload")
try("spawn_vm in a new context", spawn_vm, "tools.helpers:idle", { inherit_context = false })
try("spawn_vm of a subprocess", spawn_vm, "tools.helpers:idle", { subprocess = {} })
try("upgrade to a definition outside tools.helpers", process.upgrade, "evil:payload")
process.terminate(child)
print("END")
