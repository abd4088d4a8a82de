-- pending.lua -- the case listen-pending.lua (process) and listen.lua
-- (sandbox) share (require "pending"): worker w, an actors:latelisten that
-- listens late, is sent its jobs and another topic before it listens; it
-- must get every job, the waiting ones first, in order, and its inbox only
-- the other topic. who names the worker in the test names.
return function(t, u, w, who)
  t.is(process.send(w, "job", 1), true, "send job 1 right after the spawn")
  t.is(process.send(w, "other", "x"), true, "a message of another topic")
  t.is(process.send(w, "job", 2), true, "job 2")
  t.is(process.send(w, "go"), true, "go")
  t.is(process.send(w, "job", 3), true, "job 3")
  t.is(process.send(w, "job", "end"), true, "end")
  local m = u.msg_on("got")
  local vals, first = nil, nil
  if m then vals, first = m:payload() end
  if not t.ok(type(vals) == "table" and table.concat(vals, ",") == "1,2,3",
              "the " .. who .. " got every job, the waiting ones first, in order") then
    t.diag("got " .. (type(vals) == "table" and table.concat(vals, ",") or tostring(vals)))
  end
  t.is(first, "other", "its inbox got only the topic it does not listen to")
end
