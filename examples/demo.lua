-- demo.lua -- a supervisor, a pool of workers and a timeout, in ward.
-- Run: ward run examples/demo.lua
print(("demo: I am %s, actor main, on ward:main"):format(process.pid()))

-- Workers are process definitions: demo:square is examples/demo/square.lua.
local workers = {}
for i = 1, 4 do
  local pid, err = process.spawn_monitored("demo:square", "ward:main", i)
  if not pid then error(err) end
  workers[pid] = i
end

-- Each worker returns its result; its EXIT event carries it back to us.
local events, total = process.events(), 0
for _ = 1, 4 do
  local r = channel.select{ events:case_receive(), time.after("5s"):case_receive() }
  if r.channel ~= events then error("a worker did not answer in time") end
  local ev = r.value
  print(("demo: %s squared %d -> %s"):format(ev.from, workers[ev.from], ev.result.value))
  total = total + ev.result.value
end

-- A worker that fails takes its linked supervisor down unless it traps links.
process.set_options{ trap_links = true }
process.spawn_linked("demo:crash", "ward:main")
local ev = events:receive()
print(("demo: %s went down: %s"):format(ev.from, ev.error))

-- Bad input is an error value, never a crash.
local ok, err = process.send(process.pid(), "@reserved", 1)
print(("demo: sending on a reserved topic -> %s"):format(tostring(err)))

print(("demo: sum of squares = %d"):format(total))
return total == 30 and 0 or error("wrong sum")
