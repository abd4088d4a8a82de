-- init-lockdown.lua -- the capability and process calls an init script has
-- from Emilua's C table run before the lockdown and cannot weaken it: a
-- script that raises an ambient capability, keeps capabilities across a
-- uid change and moves to a process group of its own still gets an actor
-- that runs locked down; a script that locks a securebit against the
-- lockdown makes the spawn fail.
local t = require("tap").setup(...)
local inbox = process.inbox()
local me = process.pid()

local relay = spawn_vm("actors:relay", {})
relay:send(me)
local function answer()
  local r = channel.select { inbox:case_receive(), t.after(30000):case_receive() }
  if r.channel == inbox and r.value:topic() == "relay" then return r.value:payload() end
end

local probe_ok, probe = pcall(spawn_vm, "actors:vmecho", { subprocess = { newns_user = true } })
if t.no_sandbox(probe_ok, probe) then return end
if probe_ok then probe:send("quit") end

local ok, ch = pcall(spawn_vm, "actors:vmecho", { subprocess = { newns_user = true, init = {
  script = [[
    C.cap_set_proc('cap_sys_admin,cap_setpcap=eip')
    C.cap_set_ambient('CAP_SYS_ADMIN', true)
    assert(init.cap_has('CAP_SYS_ADMIN', 'ambient'))
    C.cap_set_secbits(C.SECBIT_KEEP_CAPS)
    C.setpgid(0, 0)
    assert(C.umask(init.mode(0, 7, 7)) >= 0)
  ]] } } })
t.ok(ok, "an init script may raise an ambient capability, set securebits, setpgid and umask"
     .. (ok and "" or ": " .. tostring(ch)))
if ok then
  ch:send(relay)
  local a = answer()
  t.ok(type(a) == "table" and a[1] == "hello", "... and the actor runs after the lockdown")
  ch:send("quit")
end

local bad, err = pcall(spawn_vm, "actors:vmecho", { subprocess = { newns_user = true, init = {
  script = "C.cap_set_secbits(C.SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)" } } })
t.ok(not bad, "a securebit locked against the lockdown makes the spawn fail")
t.like(tostring(err), "lockdown: setting the securebits", "... at the lockdown's securebits step")

local bad2, err2 = pcall(spawn_vm, "actors:vmecho", { subprocess = { newns_user = true, init = {
  script = "C.cap_set_secbits(C.SECBIT_NOROOT_LOCKED)" } } })
t.ok(not bad2 and tostring(err2):find("lockdown: setting the securebits") ~= nil,
     "so does SECBIT_NOROOT locked off")
t.plan(t.run)
t.done()
