-- drop.lua -- a channel a subprocess actor drops (closes, or lets the
-- collector take) counts as open no more: the inbox it names reports
-- "channel closed" while the actor that held it still lives, as it does
-- when an actor in the runtime drops it.
local t = require("tap").setup(...)
local me = process.pid()

local ok, H = pcall(spawn_vm, "actors:holder", { subprocess = { newns_user = true } })
if t.no_sandbox(ok, H) then return end
t.ok(ok, "spawn_vm makes the holding subprocess actor")
local relay = spawn_vm("actors:relay", {})
relay:send(me)
H:send(relay)
local function answer()
  local m = t.await("relay", t.ms(60000))
  if m then return m:payload() end
end
local function first(v) return type(v) == "table" and v[1] or v end

-- (a value of more than one datagram, 32 KiB, is not sent at once but
-- waits for the holder's stand-in: its channel is counted once all the same)
local big = string.rep("x", 40000)
for _, case in ipairs { { "close", "close" }, { "forget", "forget" },
                        { "close, sent in a large value", "close", big } } do
  local how, cmd, large = case[1], case[2], case[3]
  -- an in-process actor whose inbox reports when no channel names it
  local D = spawn_vm("actors:drain", {})
  D:send(relay)
  H:send(large and { D, large } or D)   -- the holder's copy
  t.is(first(answer()), "kept", how .. ": the holder keeps the channel")
  D:close()                     -- ours: now only the holder's names it
  H:send(cmd)
  local a = answer()
  local b = answer()
  -- (the holder's answer and the drain's report may come in either order)
  local drained = first(a) == "closed" and type(a) == "table" and a[3] and a
                  or first(b) == "closed" and type(b) == "table" and b[3] and b or nil
  t.ok(drained ~= nil, how .. ": the inbox reports closed once the holder dropped its copy")
  t.like(drained and drained[3] or "", "channel closed", how .. ": ... with the reason")
  H:send("ping")
  t.is(first(answer()), "pong", how .. ": ... while the holder still lives")
end
H:send("quit")

-- an actor that ends holding a copy sent in a large value: ours still
-- holds the inbox open
local H2 = spawn_vm("actors:holder", { subprocess = { newns_user = true } })
H2:send(relay)
local D = spawn_vm("actors:drain", {})
D:send(relay)
H2:send({ D, big })
t.is(first(answer()), "kept", "a second holder keeps a channel sent in a large value")
H2:send("quit")
local until_ms = time.now() + t.ms(30000)
while pcall(H2.send, H2, "gone?") and time.now() < until_ms do time.sleep(20) end
t.ok(not pcall(H2.send, H2, "gone?"), "... and ends")
local sent = pcall(D.send, D, "after")
D:close()
local d = answer()
t.ok(sent, "our copy still sends after the holder ended")
t.ok(type(d) == "table" and d[1] == "closed" and d[2] == 1,
     "the inbox reports closed only after our close, with the value we sent")
t.plan(t.run)
t.done()
