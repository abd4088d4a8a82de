-- emilua.lua -- spawn_vm(module, {subprocess = {...}}): the Emilua face of
-- subprocess actors, with send, close, detach, kill and child_pid.
local t = require("tap").setup(...)
local inbox = require "inbox"
local me = process.pid()

local ok, ch = pcall(spawn_vm, "actors:vmecho", { subprocess = {
  newns_user = true, newns_pid = true, newns_net = true, newns_mount = true,
  newns_ipc = true, newns_uts = true, stdout = "share", stderr = "share",
  environment = { LANG = "C" },
  init = { script = 'init.sethostname("box")' } } })
if t.no_sandbox(ok, ch) then return end
t.ok(ok, "spawn_vm with a subprocess table returns a channel")
if not ok then t.diag(ch) end
local cp = ch.child_pid
t.ok(math.type(cp) == "integer" and cp > 1, "child_pid is the child's process id")

-- the actor needs a channel back: the main process's own inbox cannot be
-- named by a channel, so a relay actor in-process forwards to a topic
local relay = spawn_vm("actors:relay", {})
relay:send(me)
ch:send(relay)
local function next_on(topic)
  local inb, deadline = process.inbox(), t.after(60000)
  while true do
    local r = channel.select { inb:case_receive(), deadline:case_receive() }
    if r.channel ~= inb then return nil end   -- nothing came: the check fails
    if r.value:topic() == topic then return r.value:payload() end
  end
end
local function next_answer() return next_on("relay") end

-- Send v on c until the send raises (the actor is gone) or a scaled
-- deadline passes; returns pcall's results of the last send.
local function send_until_gone(c, v)
  local until_ms = time.now() + t.ms(30000)
  while true do
    local sent, err = pcall(c.send, c, v)
    if not sent or time.now() > until_ms then return sent, err end
    time.sleep(20)
  end
end
local a = next_answer()
t.ok(type(a) == "table" and a[1] == "hello" and a[2] == "worker", "the subprocess actor answers; _CONTEXT is worker")
ch:send("ping")
a = next_answer()
t.ok(type(a) == "table" and a[2] == "ping", "values sent with ch:send arrive in its inbox")

-- the inbox of a subprocess actor says "channel closed" once the last
-- channel naming it is closed, after every value sent before -- as the
-- same actor in the runtime does
for _, where in ipairs { "subprocess", "in-process" } do
  local dch = spawn_vm("actors:drain", where == "subprocess" and { subprocess = { newns_user = true } } or {})
  dch:send(relay)
  dch:send("one")
  dch:send("two")
  dch:close()
  local d = next_answer()
  t.ok(type(d) == "table" and d[1] == "closed" and d[2] == 2,
       where .. ": the inbox reports closed after the two values sent before the close")
  t.like(type(d) == "table" and d[3] or nil, "channel closed", where .. ": with the reason")
end

-- kill with a signal other than SIGKILL leaves the channel open
t.ok(pcall(ch.kill, ch, 18), "kill(SIGCONT) is accepted")
ch:send("after")
a = next_answer()
t.ok(type(a) == "table" and a[2] == "after", "the channel stays open after a signal other than SIGKILL")
-- SIGUSR1 is forwarded by the child's PID 1 to the actor, which has no
-- handler: it ends, and its stand-in with it
t.ok(pcall(ch.kill, ch, 10), "kill(SIGUSR1) is accepted")
local sent, serr = send_until_gone(ch, "gone")
t.ok(not sent and tostring(serr):find("exited"), "the actor ended by SIGUSR1 is gone: a send says so")

-- SIGKILL closes the channel
local ch2 = spawn_vm("actors:vmecho", { subprocess = { newns_user = true, newns_pid = true } })
ch2:kill()
t.ok(not pcall(ch2.send, ch2, "x"), "kill() (SIGKILL) closes the channel")

-- only the spawner may kill, detach or ask child_pid
local ch3 = spawn_vm("actors:vmecho", { subprocess = { newns_user = true } })
local okd = pcall(ch3.detach, ch3)
t.ok(okd, "detach is accepted from the spawner")
ch3:kill()

-- a subprocess actor ends with the process that spawned it, unless detached
for _, detach in ipairs { false, true } do
  local sp = process.spawn_monitored("actors:vmspawner", "ward:main", me, detach)
  local c = next_on("chan")
  -- the spawner has ended once its EXIT is in
  local events, gone = process.events(), t.after(60000)
  while true do
    local r = channel.select { events:case_receive(), gone:case_receive() }
    if r.channel ~= events or r.value.from == sp then break end
  end
  local alive
  if detach then
    time.sleep(300)   -- (a short look: an end coming later would go unseen)
    alive = c and pcall(c.send, c, relay)
  else
    alive = c and send_until_gone(c, relay)
  end
  if detach then
    t.ok(alive, "a detached subprocess actor outlives its spawner")
  else
    t.ok(c and not alive, "a subprocess actor ends with its spawner")
  end
end

-- a bad table is refused
local bad = { { stdin = 0 }, { newns_user = "yes" }, { bogus = true }, { init = { arg = 3 } },
              { environment = { ["A=B"] = "c" } } }
for i, sub in ipairs(bad) do
  t.ok(not pcall(spawn_vm, "actors:vmecho", { subprocess = sub }), "bad subprocess table " .. i .. " is refused")
end
-- a failing init script names the call and the line
local okf, ef = pcall(spawn_vm, "actors:vmecho", { subprocess = { newns_user = true,
  init = { script = '\n\ninit.mount("none", "/nonexistent-dir", "tmpfs", 0, "")' } } })
t.ok(not okf and tostring(ef):find("init.script:3: mount"), "a failing init script is the spawner's error, with its line and call")
if okf then t.diag("no error") else t.diag(ef) end
t.plan(t.run)
t.done()
