-- copies.lua -- a subprocess actor that copies a channel itself: it
-- upgrades with the channel among its arguments (once, twice, or its own
-- inbox, which arrives as a channel to itself), or copies it into a
-- builder's message (with_message). The old VM's (the builder's) copies are
-- collected, the new body's work: the runtime counts the channel until the
-- child holds no copy of it, then exactly once -- the child is never taken
-- for one naming a channel it was not given, nor for one dropping a
-- channel it does not hold.
local t = require("tap").setup(...)
local u = require "util"
local S = "ward:sandbox"
local me = process.pid()

-- messages by topic, whatever their order (the child's and the relay's
-- come in any order); nil once the child has ended (its event is kept)
local stash, ended = {}, nil
local function wait(topic)
  local q = stash[topic]
  if q and #q > 0 then return table.remove(q, 1) end
  local deadline = time.now() + t.ms(60000)
  while not ended do
    local left = deadline - time.now()
    local r = channel.select { process.inbox():case_receive(), process.events():case_receive(),
                               time.after(left > 0 and left or 0):case_receive() }
    if r.channel == process.events() then ended = r.value
    elseif r.channel ~= process.inbox() then return nil
    elseif r.value:topic() == topic then return r.value
    else
      stash[r.value:topic()] = stash[r.value:topic()] or {}
      table.insert(stash[r.value:topic()], r.value)
    end
  end
end
local function event()
  local ev = ended or u.event(t.ms(60000))
  ended = nil
  return ev
end
local function pl(m) if m then return m:payload() end end

local relay = spawn_vm("actors:relay", {})
relay:send(me)

for _, how in ipairs { "once", "twice", "self", "snapshot" } do
  -- an in-process actor whose inbox reports when no channel names it
  local D = how ~= "self" and spawn_vm("actors:drain", {}) or nil
  if D then D:send(relay) end
  local c, e = process.spawn_monitored("actors:vmcopier", S, me, how, D)
  if t.no_sandbox(c, e) then return end
  if D then D:close() end       -- ours: then only the child's copies name it
  local sent = pl(wait("sent"))
  if how == "self" then
    t.is(sent, "to myself", how .. ": after upgrade, its own inbox decoded as a channel sends to it")
  else
    t.is(sent, how == "twice" and 2 or 1, how .. ": after its copies were collected, the channel sends")
  end
  process.send(c, "drop")
  t.ok(pl(wait("dropped")), how .. ": it drops what it holds and goes on")
  if how ~= "self" and not ended then
    local d = pl(wait("relay"))
    t.ok(type(d) == "table" and d[1] == "closed" and d[2] == (how == "twice" and 2 or 1),
         how .. ": the inbox reports closed once the child dropped its last copy, with every value")
  end
  process.send(c, "end")
  local ev = event()
  t.is(ev and ev.from == c and (ev.result.value or ev.result.error), "done",
       how .. ": the child is never ended for a malformed frame")
end
t.plan(t.run)
t.done()
