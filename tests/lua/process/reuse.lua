-- reuse.lua -- a process's memory is reused for later processes (proc.c
-- keeps the blocks of ended ones), never what was in it: children spawned
-- after others that had a context, another actor and arguments of every
-- length, or trapped links, spent instructions, held a timer and were
-- terminated, see only their own (an empty context, the default options,
-- no kill, a PID and call chain of their own), round after round on the
-- same blocks. Events only.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()
t.plan(7)

-- EXIT events of n monitored children: the results, by PID.
local function exits(n)
  local got = {}
  for _ = 1, n do
    local r = channel.select { events:case_receive(), t.after(30000):case_receive() }
    if r.channel ~= events then break end
    if r.value.kind == "EXIT" then got[r.value.from] = r.value.result end
  end
  return got
end

local N = 300
local b = process.with_context({ secret = "A", list = { 1, 2, 3 } }):with_actor("someone")
for round = 1, 3 do
  -- first children with a context, another actor and arguments, all ended
  local firsts = {}
  for i = 1, N do
    firsts[#firsts + 1] = assert(b:spawn_monitored("actors:ctx_ret", H, { "secret", "list" },
                                                   string.rep("x", i % 200)))
  end
  local ended = exits(N)
  local seen = 0
  for _, pid in ipairs(firsts) do
    local r = ended[pid]
    if r and type(r.value) == "table" and r.value.secret == "A" then seen = seen + 1 end
  end
  if round == 1 then t.is(seen, N, "the first children see their context") end
  -- and children that set options, spend instructions, hold a timer,
  -- ended by terminate (their blocks carry a kill)
  local dirty = {}
  for _ = 1, 50 do dirty[#dirty + 1] = assert(process.spawn_monitored("actors:dirty", H, me)) end
  for _ = 1, 50 do u.msg_on("dirty") end
  for _, pid in ipairs(dirty) do process.terminate(pid) end
  exits(50)
  -- then plain children: nothing of the ones before them
  local plain, opts = {}, {}
  for _ = 1, N do
    plain[#plain + 1] = assert(process.spawn_monitored("actors:ctx_ret", H, { "secret", "list" }))
    opts[#opts + 1] = assert(process.spawn_monitored("actors:options", H))
  end
  ended = exits(2 * N)
  local clean, untrapped = 0, 0
  for i = 1, N do
    local r = ended[plain[i]]
    if r and type(r.value) == "table" and next(r.value) == nil then clean = clean + 1 end
    r = ended[opts[i]]
    if r and r.error == nil and type(r.value) == "table" and not r.value.trap_links then
      untrapped = untrapped + 1
    end
  end
  if round == 1 then
    t.is(clean, N, "children spawned after them have an empty context")
    t.is(untrapped, N, "... and the default options, and were not ended by a kill before them")
  elseif round == 3 then
    t.is(clean + untrapped, 2 * N, "... after three rounds as well")
  end
end

-- a plain child after them: its own identity, a chain of its own
local pid = assert(process.spawn_monitored("actors:ident", H, me))
local m = u.msg_on("ident")
local p1, chain
if m then p1, chain = m:payload() end
t.is(p1, pid, "a plain child after them has its own PID")
t.is(chain, pid, "and starts its own call chain")
local e = exits(1)[pid]
t.is(e and e.value, "ident-done", "and ends")
t.done()
