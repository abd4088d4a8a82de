-- fd.lua -- file descriptors to and from subprocess actors (SCM_RIGHTS on
-- the channel), through the runtime to a third actor, spawn_vm's
-- init.arg, and no descriptor left behind in the runtime or the child.
local t = require("tap").setup(...)
local u = require "util"
local fd = require "fd"
local S = "ward:sandbox"
local me = process.pid()

local kid, e = process.spawn_monitored("actors:fdkid", S, me)
if t.no_sandbox(kid, e) then return end
t.ok(kid ~= nil, "a subprocess actor that uses descriptors starts")

-- runtime -> child
local a, b = fd.socketpair()
t.ok(process.send(kid, "echo", b), "send a socket to a subprocess actor")
b:close()
a:write("hello sandbox")
t.is(a:read(100, t.ms(30000)), "echo: hello sandbox", "the child read and wrote through its copy")
t.is(a:read(100, t.ms(30000)), "", "the child closed its copy: end of file (none kept in the runtime)")
a:close()

-- child -> runtime
process.send(kid, "make")
local m = u.msg_on("made")
local r = m and m:payload()
t.ok(fd.is(r), "a descriptor made in the sandbox arrives in a message")
t.is(r and r:read(100, t.ms(30000)), "made in the sandbox", "and reads what the child wrote")
t.is(r and r:read(100, t.ms(30000)), "", "end of file: the proxy closed its copies after the call")
if r then r:close() end

-- child -> an in-process actor, through the child's proxy
local pr, pw = fd.pipe()
local third = process.spawn_monitored("actors:fdwriter", "ward:main")
process.send(kid, "pass", pw, third)
pw:close()
t.is(pr:read(100, t.ms(30000)), "written by passed", "the child passed a descriptor on to a third actor")
t.is(pr:read(100, t.ms(30000)), "", "and every copy on the way was closed")
pr:close()

-- refusals in the child are the child's errors
process.send(kid, "many")
m = u.msg_on("many")
local ok17, e17
if m then ok17, e17 = m:payload() end
t.ok(m and ok17 == nil, "17 descriptors from a subprocess actor are refused")
t.like(e17, "payload%[1%]%[17%]: more than 16", "with the limit named, and the value as in the runtime")

-- leaks: many round trips, then the lowest free descriptor again
local function lowest()
  local x, y = fd.pipe()
  local n = tonumber(tostring(x):match("%d+"))
  x:close() y:close()
  return n
end
process.send(kid, "count")
local child_before = (u.msg_on("count")):payload()
local here_before = lowest()
for i = 1, 100 do
  local x, y = fd.socketpair()
  process.send(kid, "echo", y)
  y:close()
  x:write("n" .. i)
  x:read(100, t.ms(30000))
  x:close()
end
process.send(kid, "count")
local child_after = (u.msg_on("count")):payload()
local here_after = lowest()
t.ok(child_after <= child_before + 2, "no descriptor leaks in the child after 100 round trips ("
  .. tostring(child_before) .. " -> " .. tostring(child_after) .. ")")
t.ok(here_after <= here_before + 8, "none in the runtime either (" .. tostring(here_before)
  .. " -> " .. tostring(here_after) .. ")")

-- spawn_vm: init.arg is a descriptor the init script gets as init.arg
local mine, theirs = fd.socketpair()
mine:write("hello init")
local ok, ch = pcall(spawn_vm, "actors:vmecho", { subprocess = {
  newns_user = true, newns_pid = true, newns_net = true, newns_mount = true,
  newns_ipc = true, newns_uts = true,
  init = { script = [[
    local got = init.read(init.arg, 100)
    init.write(init.arg, "init heard " .. got)
  ]], arg = theirs } } })
theirs:close()
t.ok(ok, "spawn_vm with init.arg")
if not ok then t.diag(ch) end
t.is(mine:read(100, t.ms(30000)), "init heard hello init", "the init script talked through init.arg")
mine:close()
if ok then ch:kill() end
local bad = { pcall(spawn_vm, "actors:vmecho", { subprocess = { init = { script = "", arg = 3 } } }) }
t.ok(not bad[1] and tostring(bad[2]):find("open file descriptor"), "init.arg must be a descriptor")
local c1, c2 = fd.pipe()
c1:close()
bad = { pcall(spawn_vm, "actors:vmecho", { subprocess = { init = { script = "", arg = c1 } } }) }
t.ok(not bad[1] and tostring(bad[2]):find("open file descriptor"), "a closed one is refused")
bad = { pcall(spawn_vm, "actors:vmecho", { subprocess = { init = { arg = c2 } } }) }
t.ok(not bad[1] and tostring(bad[2]):find("no"), "init.arg without a script is refused")
c2:close()

process.send(kid, "stop")
local ev = u.event_from("EXIT", kid)
t.ok(ev and ev.result and ev.result.value == "stopped", "the child ends normally")
u.finish(t)
