-- ward-args: --memory 64M
-- memory.lua -- DESIGN 2.0: a memory bomb ends only that process, with
-- "memory limit" in its EXIT error, even inside pcall; the runtime and the
-- other processes go on.
local t = require("tap").setup(...)
local me = process.pid()
-- the next message with this topic, or nil after timeout ms (default: a
-- scaled 30 s, for a message that must come)
local await = t.await

-- the result of pid's EXIT event; a bomb may take long on a loaded machine
local function exit_of(pid) return t.exit_of(pid, t.ms(120000)) end

local echo = process.spawn("actors:echo", "ward:main")

for _, how in ipairs{ "rep", "table", "strings", "concat", "coroutine", "retry" } do
  local t0 = time.now()
  local pid = process.spawn_monitored("actors:membomb", "ward:main", me, how)
  local res = exit_of(pid)
  t.ok(res ~= nil, how .. ": the memory bomb ended")
  t.like(res and res.error, "memory limit", how .. ": its EXIT error says \"memory limit\"")
  t.like(res and res.error, "67108864", how .. ": and names the 64M cap")
  -- (a short look: a late "survived" could only hide a failure, never make one)
  t.ok(await("survived", 50) == nil, how .. ": pcall did not swallow the limit")
  t.diag(how .. " took " .. (time.now() - t0) .. " ms")
  process.send(echo, "ping", how)
  local m = await("ping")
  t.ok(m and m:payload() == how, how .. ": another process still answers")
end

-- the cap is per process: a new process can still use a good part of it
do
  local pid = process.spawn_monitored("actors:membomb", "ward:main", me, "fits")
  local res = exit_of(pid)
  t.is(res and res.value, 20 << 20, "a fresh process can still allocate 20 MiB")
end

-- and this process is untouched
do
  local s = string.rep("q", 1 << 20)
  t.is(#s, 1 << 20, "the test process still allocates")
end
process.send(echo, "stop")
t.plan(t.run)
t.done()
