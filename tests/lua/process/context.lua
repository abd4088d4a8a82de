-- context.lua -- process.context(): read-only, what children see.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

local c = process.context()
t.ok(type(c) == "table" or type(c) == "userdata", "context() returns a table (or a table-like read-only view)")
t.ok(rawequal(c, process.context()), "the same table each call")
t.is(c.anything, nil, "the first process has an empty context")
local nkeys = 0
for _ in pairs(c) do nkeys = nkeys + 1 end
t.is(nkeys, 0, "nothing to iterate in an empty context")
local ok, err = pcall(function() c.x = 1 end)
t.ok(not ok, "assigning to the context raises")
t.like(tostring(err), "read%-only", "saying it is read-only")
t.is(c.x, nil, "and the value is not set")
t.ok(not pcall(setmetatable, c, {}), "its metatable cannot be replaced")
t.ok(getmetatable(c) ~= nil, "getmetatable gives the protected value, not the real metatable")
t.is(process.context("ignored", 1), c, "context() ignores arguments")

local b = process.with_context { user = "alice", level = 2, flag = true, ratio = 0.5,
                                 nested = { x = "orig", list = { 1, 2 } } }
b:spawn("actors:ctx", H, me, { "user", "level", "flag", "ratio", "nested", "missing" })
local m = u.msg_on("ctx")
local v = m and m:payload()
t.ok(v ~= nil, "a child spawned with a context reports it")
if v then
  t.is(v.user, "alice", "string value")
  t.is(v.level, 2, "integer value")
  t.is(math.type(v.level), "integer", "integers stay integers")
  t.is(v.flag, true, "boolean value")
  t.is(v.ratio, 0.5, "float value")
  t.ok(u.deep_eq(v.nested, { x = "orig", list = { 1, 2 } }), "nested table value")
  t.is(v.missing, nil, "absent keys are nil")
end

b:spawn("actors:ctx_ro", H, me)
m = u.msg_on("ctx-ro")
local r = m and m:payload()
t.ok(r ~= nil, "the child tried to change its context")
if r then
  t.is(r.set_ok, false, "assignment to an existing key raises in a child")
  t.is(r.new_ok, false, "assignment to a new key raises")
  t.is(r.user, "alice", "the value is unchanged")
  t.is(r.fresh, nil, "the new key is not set")
  t.is(r.after_rawset, "alice", "rawset cannot change the context either")
  t.is(r.after_nested, "orig", "nor can assigning inside a nested table")
  t.is(r.setmt_ok, false, "setmetatable on the context fails")
  t.ok(r.same, "context() returns the same table in the child")
  t.is(r.keys, "flag,level,nested,ratio,user", "pairs() over the context gives its keys")
  t.ok(type(r.child) == "table" and r.child.user == "alice" and r.child.nested
       and r.child.nested.x == "orig", "the child's own children still get the original context")
end

u.finish(t)
