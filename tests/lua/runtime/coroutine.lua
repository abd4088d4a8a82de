-- coroutine.lua -- DESIGN 2.0: a blocking call (receive, sleep, select)
-- inside the script's own coroutine suspends the whole process and returns
-- its value to that coroutine; ordinary coroutine.yield keeps working.
local t = require("tap").setup(...)
local me = process.pid()
local inbox, events = process.inbox(), process.events()
local echo = process.spawn("actors:echo", "ward:main")

-- ---- receive inside coroutine.wrap ----
do
  local co = coroutine.wrap(function(a)
    t.ok(coroutine.isyieldable(), "inside wrap: isyieldable")
    process.send(echo, "ping", "v1")
    local m = inbox:receive()                 -- suspends the whole process
    local b = coroutine.yield(a + 1, m:payload())
    time.sleep("30ms")                        -- blocks again after a yield
    local c = coroutine.yield(b .. "!")
    return "done", c
  end)
  local x, y = co(10)
  t.is(x, 11, "wrap: the coroutine's yield reached us after it received")
  t.is(y, "v1", "wrap: receive returned the right value inside the coroutine")
  t.is(co("b"), "b!", "wrap: resumed with a value, slept, yielded again")
  local d, c = co("c")
  t.ok(d == "done" and c == "c", "wrap: returned at the end")
  t.ok(not pcall(co), "wrap: resuming a dead coroutine raises")
end

-- ---- receive inside coroutine.resume ----
do
  local co = coroutine.create(function(a)
    process.send(echo, "ping", "v2")
    local m = inbox:receive()
    local b = coroutine.yield(a * 2, m:payload())
    local r = channel.select{ inbox:case_receive(), time.after("40ms"):case_receive() }
    return b, r.channel == inbox
  end)
  local ok, x, y = coroutine.resume(co, 21)
  t.ok(ok and x == 42 and y == "v2", "resume: yield after a receive returns true, values")
  t.is(coroutine.status(co), "suspended", "resume: status is suspended after a yield")
  local ok2, b, was_inbox = coroutine.resume(co, "B")
  t.ok(ok2 and b == "B" and was_inbox == false, "resume: select with a timeout inside")
  t.is(coroutine.status(co), "dead", "resume: dead at the end")
  local ok3, e = coroutine.resume(co)
  t.ok(ok3 == false and e:find("dead") ~= nil, "resume of a dead coroutine: false, message")
end

-- ---- the value goes to the coroutine that asked ----
do
  local la, lb = process.listen("a"), process.listen("b")
  local got = {}
  local A = coroutine.wrap(function()
    got.a = la:receive()                      -- blocks until "a" arrives
    coroutine.yield("A done")
  end)
  local B = coroutine.wrap(function()
    got.b = lb:receive()
    coroutine.yield("B done")
  end)
  process.send(echo, "b", "for b")            -- the echo answers on the same topics
  process.send(echo, "a", "for a")
  t.is(A(), "A done", "coroutine A finished its receive")
  t.is(B(), "B done", "coroutine B finished its receive")
  t.is(got.a, "for a", "A got the value on its channel")
  t.is(got.b, "for b", "B got the value on its channel")
  la:close(); lb:close()
end

-- ---- nested coroutines ----
do
  local outer = coroutine.wrap(function()
    local inner = coroutine.wrap(function()
      time.sleep("20ms")
      coroutine.yield("inner yield")
      process.send(echo, "ping", "deep")
      return inbox:receive():payload()
    end)
    local first = inner()
    coroutine.yield(first)
    return inner()
  end)
  t.is(outer(), "inner yield", "nested: the inner yield reaches the outer, then us")
  t.is(outer(), "deep", "nested: receive in the inner coroutine got its value")
end

-- ---- a generator that sleeps between yields ----
do
  local gen = coroutine.wrap(function()
    for i = 1, 5 do time.sleep(5); coroutine.yield(i) end
  end)
  local s = 0
  for _ = 1, 5 do s = s + gen() end
  t.is(s, 15, "a generator sleeping between yields produces 1..5")
end

-- ---- preemption inside a coroutine ----
do
  local co = coroutine.wrap(function()
    local n = 0
    for i = 1, 3000000 do n = n + i end
    coroutine.yield(n)
    return "after"
  end)
  t.is(co(), 4500001500000, "a long loop in a coroutine (preempted) gives its result")
  t.is(co(), "after", "and the coroutine continues normally")
end

-- ---- errors after a block ----
do
  local co = coroutine.create(function()
    time.sleep(5)
    error("boom")
  end)
  local ok, e = coroutine.resume(co)
  t.ok(ok == false and tostring(e):find("boom") ~= nil, "an error after a block: false, message")
  local w = coroutine.wrap(function() time.sleep(5); error("wrapped boom") end)
  local ok2, e2 = pcall(w)
  t.ok(not ok2 and tostring(e2):find("wrapped boom") ~= nil, "wrap propagates the error")
end

-- ---- blocking where it cannot yield ----
do
  local ok, e = pcall(table.sort, { 3, 1, 2 }, function(a, b) time.sleep(1); return a < b end)
  t.ok(not ok and tostring(e):find("cannot block here") ~= nil,
       "sleep inside a sort comparator: \"cannot block here\"")
  ok, e = pcall(string.gsub, "abc", "%w", function(c) return inbox:receive() end)
  t.ok(not ok and tostring(e):find("cannot block here") ~= nil,
       "receive inside a gsub callback: \"cannot block here\"")
  process.send(echo, "ping", "alive")
  local m = inbox:receive()
  t.is(m:payload(), "alive", "the process still works after refused blocks")
end

-- ---- coroutine.yield at the top level ----
do
  t.is(coroutine.isyieldable(), false, "top level: not yieldable")
  local _, ismain = coroutine.running()
  t.is(ismain, true, "top level: coroutine.running says main")
  local ok, e = pcall(coroutine.yield, 1)
  t.ok(not ok and tostring(e):find("outside a coroutine") ~= nil,
       "coroutine.yield at the top level raises")
  local pid = process.spawn_monitored("actors:topyield", "ward:main")
  local r = channel.select{ events:case_receive(), t.after(60000):case_receive() }
  t.ok(r.channel == events and r.value.from == pid, "a process yielding at the top exits")
  t.like(r.value and r.value.result and r.value.result.error, "outside a coroutine",
         "with \"attempt to yield from outside a coroutine\"")
end

-- ---- terminate while blocked inside a coroutine ----
do
  local pid = process.spawn_monitored("actors:coblock", "ward:main", me)
  local m = channel.select{ inbox:case_receive(), t.after(60000):case_receive() }
  t.ok(m.channel == inbox and m.value:topic() == "started", "a process blocked in a coroutine")
  process.terminate(pid)
  local r = channel.select{ events:case_receive(), t.after(60000):case_receive() }
  t.ok(r.channel == events and r.value.result and r.value.result.error == "terminated by " .. me,
       "terminate ends it with \"terminated by\"")
end

process.send(echo, "stop")
t.plan(t.run)
t.done()
