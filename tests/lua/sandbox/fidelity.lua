-- fidelity.lua -- a subprocess actor (ward:sandbox) sees the same Lua
-- contract and error values as an in-process one: string.find(err, ...),
-- err:find, `..`, load's nil, message for a binary chunk, reader
-- functions, and an idempotent registry.register.
local t = require("tap").setup(...)
local u = require "util"
local r, e = process.exec("actors:fidelity", "ward:sandbox")
if t.no_sandbox(r, e) then return end
t.is(type(r), "table", "the sandboxed definition ran")
if type(r) ~= "table" then t.diag(tostring(e)) r = {} end
t.is(r.find, true, "string.find(err, \"not found\") in the child")
t.is(r.method, true, "err:find(\"not found\") in the child")
t.is(r.concat, true, "\"...\" .. err in the child")
t.is(r.kind, true, "err:kind() in the child")
t.is(r.load_binary, true, "load of a binary chunk: nil, message in the child")
t.is(r.load_reader, true, "load of a reader function in the child")
t.is(r.registered, true, "registering one's own name twice in the child")
u.finish(t)
