-- util.lua -- shared helpers of the Lua tests (require "util"): the
-- process-module tests', linked into the sandbox and runtime areas too.
local u = {}

-- ms scaled by WARD_TEST_TIMEOUT_SCALE once the test has called
-- t.setup(...) (a script run by a shell test without the scale: ms as is).
-- tap is required here, not when util loads: loading util asks the gate
-- for util alone (gate-trace.sh checks that).
function u.ms(ms)
  local tap = require "tap"
  return tap.scale and tap.ms(ms) or ms
end

u.HOST = "ward:main"
u.PID_PATTERN = "^{ward:main|0x%x+}$"

-- Escape s for use inside a Lua pattern.
function u.esc(s)
  return (tostring(s):gsub("%p", "%%%0"))
end

-- Receive from ch, giving up after timeout (default a scaled 30 s: a loaded
-- machine running the whole suite on two cores can be slow; a pass costs
-- nothing). Returns value, ok or nil, "timeout".
function u.recv(ch, timeout)
  local r = channel.select { ch:case_receive(), time.after(timeout or u.ms(30000)):case_receive() }
  if r.channel == ch then return r.value, r.ok end
  return nil, "timeout"
end

-- The next value of ch, nil after ms (default 60 s), scaled.
function u.wait(ch, ms) return (u.recv(ch, u.ms(ms or 60000))) end

function u.msg(timeout) return u.recv(process.inbox(), timeout) end
function u.event(timeout) return u.recv(process.events(), timeout) end

-- The next value of ch that pred accepts, within timeout (default a scaled
-- 30 s); the values that came before it are returned in the second
-- result, a list in order, so that a test can still look at them.
local function next_of(ch, pred, timeout)
  local skipped = {}
  local deadline = time.now() + (timeout or u.ms(30000))
  while true do
    local left = deadline - time.now()
    if left < 0 then left = 0 end
    local v = u.recv(ch, left)
    if v == nil then return nil, skipped end
    if pred(v) then return v, skipped end
    skipped[#skipped + 1] = v
  end
end

-- Next inbox Message with the given topic (and the others before it).
function u.msg_on(topic, timeout)
  return next_of(process.inbox(), function(m) return m:topic() == topic end, timeout)
end

-- Send count messages (topic "n", payload(i)) to pid: how many went, how
-- many were refused, the set of the refusals' kinds, the last refusal's
-- message.
function u.send_n(pid, count, payload)
  local ok, refused, kinds, msg = 0, 0, {}, nil
  for i = 1, count do
    local r, err = process.send(pid, "n", payload(i))
    if r then ok = ok + 1 else
      refused = refused + 1
      kinds[err:kind()] = true
      msg = err:message()
    end
  end
  return ok, refused, kinds, msg
end

-- True when nothing arrives on ch within ms; else false and the value.
function u.quiet(ch, ms)
  local r = channel.select { ch:case_receive(), time.after(ms or 300):case_receive() }
  if r.channel == ch then return false, r.value end
  return true
end

-- Wait for an event of kind from pid (and the other events before it).
function u.event_from(kind, pid, timeout)
  return next_of(process.events(), function(ev) return ev.kind == kind and ev.from == pid end, timeout)
end

-- An Emilua actors:relay (spawn_vm) that sends pid each value it is sent,
-- as a "relay" message.
function u.relay(pid)
  local r = spawn_vm("actors:relay", {})
  r:send(pid)
  return r
end

local function is_nan(x) return x ~= x end

function u.deep_eq(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) == "number" then
    if math.type(a) ~= math.type(b) then return false end
    if is_nan(a) then return is_nan(b) end
    if a == 0 and b == 0 and math.type(a) == "float" then return 1 / a == 1 / b end
    return a == b
  end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not u.deep_eq(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

function u.show(v, depth)
  depth = depth or 0
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" or depth > 4 then return tostring(v) end
  local parts = {}
  for k, x in pairs(v) do
    parts[#parts + 1] = "[" .. u.show(k, depth + 1) .. "]=" .. u.show(x, depth + 1)
  end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- err is an error object of the given kind whose message matches pattern.
function u.is_err(e, kind, pattern)
  if type(e) ~= "userdata" then return false end
  local ok, k = pcall(function() return e:kind() end)
  if not ok or k ~= kind then return false end
  if pattern then return e:message():find(pattern) ~= nil end
  return true
end

-- Call f in protected mode: it must neither raise nor succeed, and return
-- nil, err of the given kind. Returns ok, description.
function u.refuses(kind, f, ...)
  local r = table.pack(pcall(f, ...))
  if not r[1] then return false, "raised: " .. tostring(r[2]) end
  if r[2] ~= nil then return false, "returned " .. u.show(r[2]) end
  if not u.is_err(r[3], kind) then
    return false, "error " .. (type(r[3]) == "userdata" and tostring(r[3]) or u.show(r[3]))
  end
  return true, tostring(r[3])
end

-- u.refuses as one TAP line, name (with the reason when it fails);
-- returns the description.
function u.refused(t, kind, name, f, ...)
  local ok, why = u.refuses(kind, f, ...)
  t.ok(ok, name)
  if not ok then t.diag(why) end
  return why
end

-- Each call process[fn] of fns refuses what is not a live process: nil, no
-- argument, a number, a table, "" (INVALID); an exited pid, an unknown pid,
-- an unregistered name (NOT_FOUND). One TAP line each ("FN refuses ...").
-- The exited pid is dead, or one spawned here and waited for.
function u.refuses_targets(t, fns, dead)
  if dead == nil then
    dead = process.spawn_monitored("actors:ret", u.HOST)
    u.event_from("EXIT", dead)
  end
  for _, fn in ipairs(fns) do
    local function refuses(kind, name, ...)
      u.refused(t, kind, fn .. " refuses " .. name, process[fn], ...)
    end
    refuses(errors.INVALID, "nil", nil)
    refuses(errors.INVALID, "no argument")
    refuses(errors.INVALID, "a number", 5)
    refuses(errors.INVALID, "a table", {})
    refuses(errors.INVALID, "an empty string", "")
    refuses(errors.NOT_FOUND, "an exited pid", dead)
    refuses(errors.NOT_FOUND, "an unknown pid", "{ward:main|0xffffe}")
    refuses(errors.NOT_FOUND, "an unregistered name", "no-such-name")
  end
end

-- f(...) must return nil, err with kind PERMISSION_DENIED whose message
-- names action and resource. Adds two TAP lines; returns the error.
function u.denied(t, name, action, resource, f, ...)
  local r = table.pack(pcall(f, ...))
  local e = r[1] and r[3] or nil
  local ok = r[1] and r[2] == nil and u.is_err(e, errors.PERMISSION_DENIED)
  t.ok(ok, name .. ": PERMISSION_DENIED")
  if not ok then
    t.diag(r[1] and ("got " .. u.show(r[2]) .. ", " .. tostring(r[3])) or ("raised " .. tostring(r[2])))
  end
  t.like(e and u.is_err(e, errors.PERMISSION_DENIED) and e:message() or nil,
         u.esc(action) .. " on " .. u.esc(resource), name .. ": the message names " .. action .. " on " .. resource)
  return e
end

-- process[verb] denied on pid x, and by name (a name registered for x:
-- the resource is still the pid).
function u.denied_pid_and_name(t, verb, x, name)
  u.denied(t, verb .. " a pid", "process." .. verb, x, process[verb], x)
  u.denied(t, verb .. " by name (the resource is the pid)", "process." .. verb, x, process[verb], name)
end

-- The test of one spawn permission denied (kind "linked" or "monitored",
-- run with --deny process.spawn.KIND): every spawn variant, through process
-- and through a builder, is denied when its name has KIND and runs its
-- child otherwise; exec is not affected.
function u.deny_spawn_kind(t, kind)
  local H = u.HOST
  local me = process.pid()
  local action = "process.spawn." .. kind
  local b = process.with_context {}
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
      end
    end
  end
  t.ok(u.msg_on("ping", 300) == nil, "no denied spawn ran its child")
  t.is(process.exec("actors:ret", H, 1), 1, "exec is not affected")
end

-- End a test: print the plan (TAP allows it last) and let tap check failures.
function u.finish(t)
  print("1.." .. t.run)
  t.done()
end

return u
