-- identity.lua -- process.pid(), process.id(), constants of the module.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

t.is(type(process), "table", "process is a global table")
t.like(me, u.PID_PATTERN, "pid() looks like {ward:main|0x...}")
t.is(process.pid(), me, "pid() is stable")
t.is(process.id(), me, "the first process starts its own call chain: id() == pid()")
t.is(type(process.id()), "string", "id() is a string")

t.is(process.event.CANCEL, "CANCEL", "process.event.CANCEL")
t.is(process.event.EXIT, "EXIT", "process.event.EXIT")
t.is(process.event.LINK_DOWN, "LINK_DOWN", "process.event.LINK_DOWN")
t.is(errors.INVALID, "INVALID", "errors.INVALID")
t.is(errors.NOT_FOUND, "NOT_FOUND", "errors.NOT_FOUND")
t.is(errors.PERMISSION_DENIED, "PERMISSION_DENIED", "errors.PERMISSION_DENIED")
t.is(errors.ALREADY_EXISTS, "ALREADY_EXISTS", "errors.ALREADY_EXISTS")

for _, f in ipairs { "id", "pid", "send", "spawn", "spawn_monitored", "spawn_linked",
                     "spawn_linked_monitored", "terminate", "cancel", "monitor", "unmonitor",
                     "link", "unlink", "get_options", "set_options", "inbox", "events",
                     "listen", "unlisten", "exec", "upgrade", "with_context", "context" } do
  t.is(type(process[f]), "function", "process." .. f .. " is a function")
end
for _, f in ipairs { "register", "lookup", "unregister" } do
  t.is(type(process.registry[f]), "function", "process.registry." .. f .. " is a function")
end

-- A spawned process has its own pid and starts its own call chain.
local pids = {}
for i = 1, 3 do
  local c, e = process.spawn("actors:ident", H, me)
  t.like(c, u.PID_PATTERN, "spawn " .. i .. " returns a pid")
  local m = u.msg_on("ident")
  t.ok(m ~= nil, "child " .. i .. " reported")
  if m then
    local pid, id = m:payload()
    t.is(pid, c, "child " .. i .. ": its pid() is the pid spawn returned")
    t.is(id, c, "child " .. i .. ": its id() is its own pid (a new chain)")
    t.is(m:from(), c, "child " .. i .. ": the message comes from its pid")
  end
  pids[#pids + 1] = c
end
t.ok(pids[1] ~= pids[2] and pids[2] ~= pids[3] and pids[1] ~= pids[3], "pids are distinct")
t.ok(pids[1] ~= me, "a child's pid differs from the parent's")

-- A grandchild spawned by a child starts yet another chain.
local c = process.spawn("actors:ident", H, me, true)
local m1 = u.msg_on("ident")
local m2 = u.msg_on("ident")
t.ok(m1 and m2, "child and grandchild reported")
if m1 and m2 then
  local p1, id1 = m1:payload()
  local p2, id2 = m2:payload()
  t.is(p1, c, "first report is the child's")
  t.is(id2, p2, "the grandchild's id() is its own pid")
  t.ok(p2 ~= c and p2 ~= me, "the grandchild has a pid of its own")
end

-- exec runs on behalf of its caller: the call chain is shared, down the
-- whole nested exec chain, while each has a pid of its own.
local r, e = process.exec("actors:exec_id", H, 2)
t.ok(type(r) == "table", "exec of actors:exec_id returned a table")
if type(r) == "table" then
  t.is(r.id, me, "exec child: id() is the caller's id")
  t.ok(r.pid ~= me and r.pid:find(u.PID_PATTERN) ~= nil, "exec child: a pid of its own")
  t.is(r.child and r.child.id, me, "nested exec child: id() is still the caller's id")
  t.is(r.child and r.child.child and r.child.child.id, me, "doubly nested exec child: same id")
  t.ok(r.child and r.child.pid ~= r.pid, "nested exec child: a pid of its own")
end

u.finish(t)
