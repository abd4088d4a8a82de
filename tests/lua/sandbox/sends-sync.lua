-- ward-args: --audit-sync
-- sends-sync.lua -- under --audit-sync a child's plain sends are its
-- stand-in's (a denial waits for its commit, which the reader serving
-- every child must not): they arrive in order, and a refused one gets
-- the same answer as a large one.
local t = require("tap").setup(...)
t.plan(3)
local u = require "util"
local S = "ward:sandbox"
local me = process.pid()
local function pl(m) if m then return m:payload() end end

local c, e = process.spawn("actors:sendmix", S, me, "order")
if t.no_sandbox(c, e) then return end
local bad = 0
for i = 1, 90 do
  local m = u.msg()
  if not m or m:topic() ~= "n" or m:payload() ~= i or m:from() ~= c then bad = bad + 1 end
end
t.is(bad, 0, "90 sends of a child, small and large interleaved, arrive in order, from it")

local other = process.spawn("actors:block", "ward:main")
process.with_context({}):with_actor("untrusted"):spawn("actors:sendmix", S, me, "refused", other)
local small, large = pl(u.msg_on("refused"))
t.like(small, "^PERMISSION_DENIED: permission denied: process%.send on " .. u.esc(other)
       .. " %(actor untrusted%)$", "a small refused send of an untrusted child is denied as its actor")
t.is(large, small, "... with the very answer its stand-in gives a large one")
process.terminate(other)
t.done()
