-- library.lua -- the process table: its fields are made on first use (an
-- idle process pays only for what it touches), yet it behaves as a plain
-- table of the whole API.
local t = require("tap").setup(...)
local u = require "util"
local names = { "id", "pid", "send", "spawn", "spawn_monitored", "spawn_linked",
  "spawn_linked_monitored", "exec", "terminate", "cancel", "monitor", "unmonitor", "link",
  "unlink", "get_options", "set_options", "inbox", "events", "listen", "unlisten", "upgrade",
  "with_context", "context" }
-- a field not used yet is not in the table; its first use stores it
t.is(rawget(process, "unmonitor"), nil, "a field not used yet is not made")
local um = process.unmonitor
t.ok(type(um) == "function" and rawget(process, "unmonitor") == um,
     "its first use makes it and stores it in the table")
-- pairs before any other use sees everything
local seen, n = {}, 0
for k, v in pairs(process) do seen[k] = type(v); n = n + 1 end
t.is(n, #names + 3, "pairs(process) lists every function, registry, event and permissions")
local missing = {}
for _, k in ipairs(names) do if seen[k] ~= "function" then missing[#missing + 1] = k end end
t.is(table.concat(missing, ","), "", "each API name is a function")
t.is(seen.registry, "table", "process.registry is a table")
t.is(seen.event, "table", "process.event is a table")
t.is(process.event.EXIT, "EXIT", "process.event.EXIT")
t.is(type(process.registry.lookup), "function", "process.registry.lookup")
t.is(process.no_such_thing, nil, "an unknown name is nil")
t.is(process[1], nil, "a non-string key is nil")
t.is(getmetatable(process), false, "its metatable is hidden")
t.ok(not pcall(setmetatable, process, {}), "and cannot be replaced")
-- a child that touches only what it needs still has the rest on demand
local c = process.spawn_monitored("actors:ident", u.HOST, process.pid())
local m = u.msg_on("ident")
t.ok(m ~= nil, "a child using a few fields works")
u.event_from("EXIT", c)
u.finish(t)
