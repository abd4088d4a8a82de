-- untrusted-demo.lua -- a hostile script, and what ward does to it.
--
--   ward run --untrusted --audit /tmp/ward-demo-audit.db examples/untrusted-demo.lua
--   ward audit --db /tmp/ward-demo-audit.db
--
-- Under --untrusted this script is the actor `untrusted` (policies/untrusted.policy)
-- running in a subprocess on ward:sandbox: its own Lua VM in new namespaces with an
-- empty read-only root, no capabilities, a seccomp filter and resource limits. Every
-- process call it makes is performed and judged by the runtime, never by the script's
-- own process. It tries to get out in sixteen ways and prints what happened to each;
-- it exits 0 when every attempt was contained, 1 when one got through (run it
-- without --untrusted, as actor main, to see the difference). Its helpers are
-- tools/helpers/*.lua beside it.
local escaped = 0
local function attempt(what, contained, how)
  if not contained then how = "it worked" end
  print(string.format("%-9s %-42s %s", contained and "contained" or "ESCAPED", what, how))
  if not contained then escaped = escaped + 1 end
end

print("I am " .. process.pid() .. "\n")

-- 1. the standard library's ways out of Lua
attempt("read /etc/shadow with io.open", io.open == nil, "io has the standard streams alone")
attempt("run a shell with os.execute", os.execute == nil, "os has only clock, date, difftime, time")
attempt("end the whole runtime with os.exit", os.exit == nil, "os.exit is gone too")
attempt("load a C library (package.loadlib)", package == nil, "there is no package library")
attempt("poke at the VM with debug", debug == nil, "there is no debug library")
local ok, e = pcall(load, "\27Lua\84\0", "evil", "b")
attempt("load hand-made bytecode", not ok or e == nil, tostring(e))
attempt("dump a function to bytecode", string.dump == nil, "string.dump is gone")
ok, e = pcall(require, "tools.helpers.secret")
attempt("require a file from the host's disk", not ok, tostring(e))
ok, e = pcall(setmetatable, {}, { __gc = function() while true do end end })
attempt("a __gc finalizer that never returns", not ok, tostring(e))

-- 2. the process API: every call below is judged in the runtime
local pid, err = process.spawn("tools.helpers:spin", "ward:main")
attempt("spawn a process on ward:main (in-process)", pid == nil, tostring(err))
local b
b, err = process.with_context({ role = "admin" })
attempt("give a child a context of its choosing", b == nil, tostring(err))
ok, err = process.registry.register("logger")
attempt("register the name `logger`", not ok, tostring(err))

-- a helper of its own, on ward:sandbox: allowed
local hog = process.spawn_monitored("tools.helpers:hog", "ward:sandbox")
local spin = process.spawn_monitored("tools.helpers:spin", "ward:sandbox")
assert(hog and spin, "untrusted.policy lets it spawn tools.helpers:* on ward:sandbox")
print(string.format("%-9s %-42s %s", "allowed", "spawn two helpers on ward:sandbox",
                    hog .. " and " .. spin .. " (untrusted.policy)"))
ok, err = process.send(spin, "do my bidding")
attempt("send to a process that is not its parent", not ok, tostring(err))
ok, err = process.link(spin)
attempt("link to it (to die with it)", not ok, tostring(err))

-- 3. the limits: a memory bomb (the profile's 64M heap), and a loop that will not
-- stop (the profile's 2 s of CPU would end it with SIGXCPU; cancel is quicker)
process.cancel(spin, "200ms")         -- its own child: allowed; it ignores the CANCEL
local events = process.events()
for _ = 1, 2 do
  local ev = events:receive()
  if ev.from == hog then
    local m = ev.result and ev.result.error
    attempt("a memory bomb (tools.helpers:hog)", m ~= nil and m:find("memory") ~= nil, tostring(m))
  elseif ev.from == spin then
    local m = ev.result and ev.result.error
    attempt("a busy loop (tools.helpers:spin)", m ~= nil, tostring(m))
  end
end

print()
if escaped > 0 then error(escaped .. " attempt(s) got through") end
print("every attempt was contained; `ward audit` lists the denials")
