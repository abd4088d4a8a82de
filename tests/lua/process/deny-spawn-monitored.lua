-- deny-spawn-monitored.lua -- process.spawn.monitored denied.
-- ward-args: --deny process.spawn.monitored
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local kind = "monitored"
local action = "process.spawn." .. kind

local b = process.with_context {}
local allowed = 0
for _, f in ipairs { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored" } do
  for _, via in ipairs { "process", "builder" } do
    local fn = via == "process" and process[f] or function(...) return b[f](b, ...) end
    local name = (via == "process" and "process." or "builder:") .. f
    if f:find(kind) then
      u.denied(t, name, action, "actors:ping", fn, "actors:ping", H, me)
    else
      local c = fn("actors:ping", H, me)
      t.like(c, u.PID_PATTERN, name .. " is allowed")
      local m = u.msg_on("ping")
      t.ok(m and m:payload() == c, name .. ": the child ran")
      allowed = allowed + 1
    end
  end
end
t.ok(u.msg_on("ping", 300) == nil, "no denied spawn ran its child")
t.is(process.exec("actors:ret", H, 1), 1, "exec is not affected")

u.finish(t)
