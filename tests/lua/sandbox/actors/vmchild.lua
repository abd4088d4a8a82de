-- actors:vmchild -- a subprocess actor that calls spawn_vm: how = "same" (its own
-- context), "ctx" (a new context), "sub" (a subprocess table with an init
-- script of its own: refused), "self" (module "."); the actor spawned
-- (actors:vmprobe) reports where it runs.
local parent, how = ...
if parent == nil then
  -- spawned as "." by the "self" case (spawn_vm passes no arguments)
  local inbox = require "inbox"
  local to = inbox.receive()
  process.send(to, "probe", "self", process.pid(), _CONTEXT)
  return
end
local opts = how == "ctx" and { inherit_context = false }
  or how == "sub" and { subprocess = { init = { script = "error('must never run')" } } }
  or {}
local ok, ch = pcall(spawn_vm, how == "self" and "." or "actors:vmprobe", opts)
if not ok then process.send(parent, "spawn_vm", false, tostring(ch)) return end
process.send(parent, "spawn_vm", true)
ch:send(parent)
process.inbox():receive()
