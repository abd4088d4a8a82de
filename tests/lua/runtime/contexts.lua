-- contexts.lua -- spawn_vm{inherit_context = false}: a context's name
-- ward:context.N is taken only by a spawn that is made (a denied one, or
-- one of a definition that does not exist, uses up no name), and a
-- context lives while its processes do: once the last one has ended its
-- name finds no host.
-- ward-args: --deny process.spawn=actors:nope
local t = require("tap").setup(...)
local me = process.pid()
local inbox = process.inbox()

-- spawn actors:vmonce in a new context; the host part of its PID
local function context_of()
  local ch = spawn_vm("actors:vmonce", { inherit_context = false })
  ch:send(me)
  ch:close()
  local deadline = t.after(30000)
  while true do
    local r = channel.select { inbox:case_receive(), deadline:case_receive() }
    if r.channel ~= inbox then return nil end
    if r.value:topic() == "once" then return (r.value:from():match("^{(.-)|")) end
  end
end

local first = context_of()
local n = tonumber(first and first:match("^ward:context%.(%d+)$"))
t.ok(n ~= nil, "inherit_context = false runs on ward:context.N (" .. tostring(first) .. ")")
n = n or 0
local ok, err = pcall(spawn_vm, "actors:nope", { inherit_context = false })
t.ok(not ok and tostring(err):find("permission denied: process%.spawn on actors:nope") ~= nil,
     "a denied spawn_vm raises")
ok, err = pcall(spawn_vm, "actors:no-such-definition", { inherit_context = false })
t.ok(not ok, "spawn_vm of a definition that does not exist raises")
t.is(context_of(), "ward:context." .. (n + 1), "neither used up a context name")

-- the first context's only process has ended: its host goes with it
local gone, until_ms = false, time.now() + t.ms(30000)
while time.now() < until_ms do
  local pid, e = process.spawn("actors:vmonce", first)
  if pid == nil and e:kind() == errors.NOT_FOUND then gone = true break end
  if pid then process.terminate(pid) end
  time.sleep(20)
end
t.ok(gone, "once its last process has ended, a context is gone (spawning there is NOT_FOUND)")

-- a context with a process left lives on, and more can be spawned there
local ch = spawn_vm("actors:vmworker", { inherit_context = false })
ch:send { op = "hello", pid = me }
local r = channel.select { inbox:case_receive(), t.after(30000):case_receive() }
local host = r.channel == inbox and r.value:topic() == "hello"
  and select(2, r.value:payload()):match("^{(.-)|")
local pid = host and process.spawn("actors:vmonce", host)
t.ok(pid ~= nil, "a context with a live process takes more spawns")
if pid then process.terminate(pid) end
ch:send { op = "quit" }
t.plan(t.run)
t.done()
