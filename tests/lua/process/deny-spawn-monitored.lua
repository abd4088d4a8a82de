-- deny-spawn-monitored.lua -- process.spawn.monitored denied.
-- ward-args: --deny process.spawn.monitored
local t = require("tap").setup(...)
local u = require "util"
u.deny_spawn_kind(t, "monitored")
u.finish(t)
