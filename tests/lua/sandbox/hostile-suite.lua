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
try("with_context (a builder)", function() return process.with_context({}):spawn("tools.helpers:idle", S) end)
try("with_actor main", function()
  return process.with_context({}):with_actor("main"):spawn("tools.helpers:idle", S) end)
try("registry.register", process.registry.register, "logger")
try("registry.unregister", process.registry.unregister, "logger")
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
try("spawn_vm", spawn_vm, "tools.helpers:idle")
process.terminate(child)
print("END")
