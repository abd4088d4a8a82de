-- vmaddr.lua -- the address of self, as Emilua programs send it: an
-- actor's inbox sent in a message (nested or at top level) arrives as a
-- channel to that actor, and a channel received in a message can be sent
-- through; the count of open channels stays right, so that the inbox says
-- "channel closed" once the last one goes -- with the client, the server,
-- both or neither a subprocess actor (neither runs on any machine).
-- Also inbox:close(): receives and sends then fail with channel closed.
local t = require("tap").setup(...)
local me = process.pid()

local probe_ok, probe = pcall(spawn_vm, "actors:vmserver", { subprocess = { newns_user = true } })
local sub_ok = probe_ok
if probe_ok then probe:send("quit") probe:close()
elseif not tostring(probe):find("not permitted") then error(probe) end

local relay = spawn_vm("actors:relay", {})
relay:send(me)
local function next_answer()
  local m = t.await("relay", t.ms(60000))
  if m then return m:payload() end
end
local function skip(n, why)
  for _ = 1, n do
    t.run = t.run + 1
    print(string.format("ok %d # SKIP %s", t.run, why))
  end
end
local function opts(sub) return sub and { subprocess = { newns_user = true } } or {} end
local function name(sub) return sub and "subprocess" or "in-process" end

for _, c in ipairs { { false, false }, { true, false }, { false, true }, { true, true } } do
  local ssub, csub = c[1], c[2]
  local label = "server " .. name(ssub) .. ", client " .. name(csub) .. ": "
  if (ssub or csub) and not sub_ok then
    skip(5, "this machine does not allow the sandbox's namespaces: " .. tostring(probe))
  else
    local S = spawn_vm("actors:vmserver", opts(ssub))
    local C = spawn_vm("actors:vmclient", opts(csub))
    C:send { server = S, report = relay }     -- a worker's channel, passed in a message
    C:close()
    local r = next_answer()
    t.ok(type(r) == "table" and r[1] == "client", label .. "the client reports")
    local a = type(r) == "table" and r[2] or nil
    t.ok(type(a) == "table" and a[1] == "pong" and a[2] == 1,
         label .. "its inbox sent nested arrives as a channel the server answers through")
    if type(a) ~= "table" then t.diag(tostring(a)) end
    t.is(type(r) == "table" and r[3] or nil, "hello",
         label .. "its inbox sent at top level arrives as a channel too")
    S:send { op = "use" }
    local e = next_answer()
    t.is(type(e) == "table" and e[2] or nil, "used",
         label .. "the one channel left to the client, held by the server, works")
    t.like(type(e) == "table" and e[3] or nil, "channel closed",
           label .. "once the server closes it the client's inbox says channel closed")
    S:send("quit")
    S:close()
  end
end
-- the first process's own inbox is an address too
do
  local inbox = require "inbox"
  local S = spawn_vm("actors:vmserver")
  S:send { op = "ping", reply = inbox, n = 7 }
  -- the answer is awaited through the relay first, so that a failure
  -- cannot leave the first process blocked in inbox:receive()
  S:send { op = "ping", reply = relay, n = 8 }
  local r = next_answer()
  t.ok(type(r) == "table" and r[2] == 8, "(the server answers)")
  local v = type(r) == "table" and r[2] == 8 and inbox:receive() or nil
  t.ok(type(v) == "table" and v[1] == "pong" and v[2] == 7,
       "the first process's inbox, sent nested, brings the answer back to it")
  S:send("quit")
  S:close()
end
-- inbox:close(): further receives fail with "channel closed", what was
-- queued is dropped, senders are refused, a second close is quiet
-- (Emilua's reference, inbox: "No further messages can be received after
-- inbox is closed")
local function closing(label, o)
  local X = spawn_vm("actors:vmcloser", o)
  X:send(relay)
  local r = next_answer()
  local pid = type(r) == "table" and r[1] == "closer" and r[2] or nil
  t.ok(pid ~= nil, label .. "the actor reports")
  X:send("queued before the close")
  -- a channel to D queued there too, the only one left to D: dropped with it
  local D = spawn_vm("actors:drain")
  D:send(relay)
  X:send(D)
  D:close()
  if pid then process.send(pid, "go") end
  local e, d
  for _ = 1, 2 do
    local a = next_answer()
    if type(a) == "table" and a[1] == "closed" and a[2] == false then e = a
    elseif type(a) == "table" and a[1] == "closed" then d = a end
  end
  t.ok(type(d) == "table" and d[2] == 0,
       label .. "a channel queued on the closed inbox is dropped: its actor's inbox says closed")
  t.ok(type(e) == "table" and e[1] == "closed" and e[2] == false,
       label .. "after inbox:close() a receive raises, though a value was queued")
  t.like(type(e) == "table" and e[3] or nil, "channel closed", label .. "... with channel closed")
  t.ok(type(e) == "table" and e[4] == true, label .. "closing it again does nothing")
  local sent, serr = pcall(X.send, X, "late")
  t.ok(not sent and tostring(serr):find("channel closed") ~= nil,
       label .. "a send to a closed inbox raises channel closed")
  if sent then t.diag("the send went through") else t.diag(serr) end
  if pid then process.send(pid, "end") end
  X:close()
end
closing("in-process: ", {})
if sub_ok then
  closing("subprocess: ", { subprocess = { newns_user = true } })
else
  skip(6, "this machine does not allow the sandbox's namespaces: " .. tostring(probe))
end
t.plan(t.run)
t.done()
