-- deny-context.lua -- process.context denied: with_context.
-- ward-args: --deny process.context
local t = require("tap").setup(...)
local u = require "util"

u.denied(t, "with_context", "process.context", "context", process.with_context, { a = 1 })
u.denied(t, "with_context of an empty table", "process.context", "context", process.with_context, {})
local c = process.context()
t.ok(c ~= nil and c.anything == nil, "reading one's own context is not affected")
t.is(process.exec("actors:ret", u.HOST, 3), 3, "plain spawns are not affected")

u.finish(t)
