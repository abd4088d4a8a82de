-- tap.lua -- TAP for ward's Lua end-to-end tests.
-- local t = require("tap").setup(...); t.plan(n); t.ok(cond, name); t.is(got, want, name);
-- t.err(kind, f, ...) checks that f returns nil, err with err:kind() == kind;
-- t.raises(pattern, name, f, ...) that f raises; t.no_sandbox(v, e) skips a
-- file where the machine does not allow the sandbox;
-- t.await(topic) and t.exit_of(pid) wait for a message and for an EXIT;
-- t.done() ends the test (raises if the plan was not met, so ward exits 1).
-- Timeouts: a test waits on the event it expects, bounded by a generous
-- deadline scaled by WARD_TEST_TIMEOUT_SCALE. The safe stdlib has no
-- os.getenv, so run-lua-test.sh passes the scale to the test as an argument
-- "timeout-scale=N"; the test hands its arguments over with t.setup(...),
-- then t.ms(ms) is ms scaled and t.after(ms) a time.after channel for it.
-- A process the test spawns that waits gets t.scale as an argument.
local t = { run = 0, failed = 0, planned = nil, scale = nil }

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

function t.plan(n)
  t.planned = n
  print("1.." .. n)
end

function t.ok(cond, name)
  t.run = t.run + 1
  if not cond then t.failed = t.failed + 1 end
  print(string.format("%sok %d - %s", cond and "" or "not ", t.run, name or ""))
  return cond
end

function t.is(got, want, name)
  local ok = t.ok(got == want, name)
  if not ok then print("#   got " .. show(got) .. ", want " .. show(want)) end
  return ok
end

function t.like(got, pattern, name)
  local ok = t.ok(type(got) == "string" and got:find(pattern) ~= nil, name)
  if not ok then print("#   got " .. show(got) .. ", want a match of " .. show(pattern)) end
  return ok
end

-- f(...) must return nil, err with the given kind (and message pattern).
function t.err(kind, pattern, name, f, ...)
  local v, e = f(...)
  local ok = v == nil and e ~= nil and type(e) == "userdata" and e:kind() == kind
  if ok and pattern then ok = e:message():find(pattern) ~= nil end
  t.ok(ok, name)
  if not ok then
    print("#   got " .. show(v) .. ", " .. (e and (type(e) == "userdata" and tostring(e) or show(e)) or "nil"))
  end
  return e
end

-- f(...) must raise a string error containing pattern (plain text).
function t.raises(pattern, name, f, ...)
  local ok, e = pcall(f, ...)
  local good = not ok and type(e) == "string" and e:find(pattern, 1, true) ~= nil
  t.ok(good, name)
  if not good then t.diag("got " .. tostring(ok) .. ", " .. tostring(e)) end
end

-- v, e: what a first spawn on the sandbox gave. When it failed because the
-- machine does not allow the sandbox's namespaces, skips the whole file and
-- returns true (the test then returns).
function t.no_sandbox(v, e)
  if v or not tostring(e):find("not permitted") then return false end
  t.skip_all("this machine does not allow the sandbox's namespaces: " .. tostring(e))
  return true
end

function t.diag(msg) print("# " .. tostring(msg)) end

-- Skip the whole file (where the machine cannot run it): call before any test.
function t.skip_all(reason)
  print("1..0 # SKIP " .. tostring(reason))
  t.planned = 0
end

-- Take the scale from the test's arguments (the main chunk's ...); returns
-- t and the other arguments.
function t.setup(...)
  local rest, n = {}, 0
  for i = 1, select("#", ...) do
    local a = select(i, ...)
    local v = type(a) == "string" and a:match("^timeout%-scale=(.*)$")
    if v then
      local k = v:match("^[1-9]%d?%d?%d?$") and tonumber(v)
      if not k or k > 1000 then
        error("WARD_TEST_TIMEOUT_SCALE=" .. string.format("%q", v) ..
              ": want an integer from 1 to 1000", 2)
      end
      t.scale = k
    else
      n = n + 1
      rest[n] = a
    end
  end
  if not t.scale then
    error("no timeout-scale=N argument: run the test through tests/lua/run-lua-test.sh", 2)
  end
  return t, table.unpack(rest, 1, n)
end

-- ms milliseconds, scaled (t.setup first).
function t.ms(ms)
  if not t.scale then error("t.ms before t.setup(...)", 2) end
  return math.floor(ms * t.scale)
end

-- A channel that receives once t.ms(ms) have passed.
function t.after(ms)
  return assert(time.after(t.ms(ms)))
end

-- The next message of the process inbox with this topic (nil once timeout
-- ms, default t.ms(30000), have passed); the others that came first are
-- kept, in order, for later calls.
local stash = {}
function t.await(topic, timeout)
  for i, m in ipairs(stash) do
    if m:topic() == topic then return table.remove(stash, i) end
  end
  local inbox = process.inbox()
  local deadline = time.after(timeout or t.ms(30000))
  while true do
    local r = channel.select { inbox:case_receive(), deadline:case_receive() }
    if r.channel ~= inbox then return nil end
    if r.value:topic() == topic then return r.value end
    stash[#stash + 1] = r.value
  end
end

-- The EXIT event of pid (other events are passed over; nil once timeout
-- ms, default t.ms(30000), have passed); t.exit_of gives its result.
function t.exit_event(pid, timeout)
  local events = process.events()
  local deadline = time.after(timeout or t.ms(30000))
  while true do
    local r = channel.select { events:case_receive(), deadline:case_receive() }
    if r.channel ~= events then return nil end
    if r.value.kind == "EXIT" and r.value.from == pid then return r.value end
  end
end

function t.exit_of(pid, timeout)
  local ev = t.exit_event(pid, timeout)
  return ev and ev.result
end

function t.done()
  if t.planned and t.planned ~= t.run then
    error(string.format("planned %d tests but ran %d", t.planned, t.run))
  end
  if t.failed > 0 then error(t.failed .. " test(s) failed") end
end

return t
