-- deny-spawn-linked.lua -- process.spawn.linked denied.
-- ward-args: --deny process.spawn.linked
local t = require("tap").setup(...)
local u = require "util"
u.deny_spawn_kind(t, "linked")
u.finish(t)
