-- actors:raw -- a compromised child for hostile-child.sh: run with
-- WARD_TEST_RAW_WIRE=1 by tests/ward-faults, it has the global `wire`
-- (tests/harness/rawwire.c) and attacks the runtime as its first argument
-- names. Attacks that break the protocol expect to be ended and sleep
-- until they are; the others report what they got to `parent` (or print
-- it, without one) and return.
local attack, parent, scale = ...
scale = tonumber(scale) or 1
local W = wire
local function hdr(t, flags, pad) return string.char(W.MAGIC, t, flags or 0, pad or 0) end
local function str(s) return string.pack("<s4", s) end
local function u32(n) return string.pack("<I4", n) end
local function report(...)
  if parent then process.send(parent, "report", ...) else print(...) end
end
-- A value holding a channel that names pid (the codec's handle tag 7),
-- which the child was never given: its own codec never makes one.
local function forged_channel(pid)
  return "\1\1\7" .. string.char(#pid) .. pid
end
-- Ended by the runtime, or say that it was not.
local function await_end()
  W.sleep(math.floor(60000 * scale))
  return "survived " .. attack
end

local A = {}
-- frame types only the runtime sends, and ones nobody sends
for name, t in pairs { boot = W.BOOT, msg = W.MSG, reply = W.REPLY, senders = W.SENDERS,
                       detached = W.DETACHED, zero = 0, unknown = 200 } do
  A["type-" .. name] = function() W.frame(t, u32(0) .. str("x")); return await_end() end
end
-- datagrams that are no frame
A["magic"] = function() W.datagram(string.char(0x66, W.CALL, 0, 0) .. "x"); return await_end() end
A["short"] = function() W.datagram("W"); return await_end() end
A["empty"] = function() W.datagram(""); return await_end() end
A["long"] = function() W.datagram(hdr(W.CALL) .. string.rep("x", W.CHUNK + 1)); return await_end() end
A["flags"] = function() W.datagram(hdr(W.CALL, 0x80) .. "x"); return await_end() end
A["pad"] = function() W.datagram(hdr(W.CALL, 0, 1) .. "x"); return await_end() end
A["type-change"] = function()
  W.datagram(hdr(W.CALL, W.MORE) .. "abc")
  W.datagram(hdr(W.EXIT) .. "def")
  return await_end()
end
A["oversized"] = function()
  local chunk = hdr(W.CALL, W.MORE) .. string.rep("x", W.CHUNK)
  for _ = 1, W.MAX // W.CHUNK + 2 do
    if not W.datagram(chunk) then break end
  end
  return await_end()
end
A["fds-many"] = function()
  local fds = {}
  for i = 1, W.FD_MAX + 1 do fds[i] = W.chan end
  W.datagram(hdr(W.CALL) .. str("send") .. str(W.encode(parent, "x")), fds)
  return await_end()
end
A["fds-later"] = function()
  W.datagram(hdr(W.CALL, W.MORE) .. str("send"))
  W.datagram(hdr(W.CALL) .. str(W.encode(parent, "x")), { W.chan })
  return await_end()
end
-- frames whose body is not what their type holds
A["call-short"] = function() W.frame(W.CALL, "\1\0"); return await_end() end
A["call-length"] = function() W.frame(W.CALL, u32(0xffffffff) .. "send"); return await_end() end
A["call-op"] = function() W.frame(W.CALL, str("no.such.call") .. str(W.encode(1))); return await_end() end
A["call-args"] = function() W.frame(W.CALL, str("send") .. str("\255\255\255")); return await_end() end
-- a send with no arguments at all (not even the codec's version): not
-- performed by the runtime's reader, the stand-in ends the child
A["call-args-empty"] = function() W.frame(W.CALL, str("send") .. str("")); return await_end() end
-- sends of exactly 64 KiB of arguments (the most the runtime's reader
-- performs itself) and one byte more (the stand-in's): both performed
A["send-edge"] = function()
  local function args(n)
    local a = W.encode(parent, "edge", "")
    local pad = n - #a
    a = W.encode(parent, "edge", string.rep("e", pad))
    return W.encode(parent, "edge", string.rep("e", pad - (#a - n)))
  end
  local a, b = args(64 * 1024), args(64 * 1024 + 1)
  assert(#a == 64 * 1024 and #b == 64 * 1024 + 1)
  local sa = W.call("send", a)
  local sb = W.call("send", b)
  report("edge", sa, sb)
  return "done"
end
A["call-trailing"] = function()
  W.frame(W.CALL, str("send") .. str(W.encode(parent, "x")) .. "junk")
  return await_end()
end
A["exit-short"] = function() W.frame(W.EXIT, "\0"); return await_end() end
A["exit-status"] = function() W.frame(W.EXIT, u32(7) .. str("x")); return await_end() end
A["exit-result"] = function() W.frame(W.EXIT, u32(0) .. str("\255\255")); return await_end() end
-- handles the child was never given
-- vmchan.send(channel, "x") on a channel naming pid
local function forged_send(pid)
  W.call("vmchan.send", "\1\2" .. forged_channel(pid):sub(3) .. W.encode("x"):sub(3))
  return await_end()
end
-- its own address (what its inbox sends as): not forged; the send is
-- performed
A["handle-call-self"] = function()
  local st = W.call("vmchan.send", "\1\2" .. forged_channel(process.pid()):sub(3)
                    .. W.encode("x"):sub(3))
  report("self", st)
  return "done"
end
-- DROP of its own address, which it holds no copy of (a copy of its
-- address it made itself, its inbox decoded as a channel, is never given
-- back: the runtime never counted it)
A["drop-self"] = function() W.frame(W.DROP, str(process.pid()) .. u32(1)); return await_end() end
-- DROPs that are not a PID and a count of at least one
A["drop-pid-only"] = function() W.frame(W.DROP, str(process.pid())); return await_end() end
A["drop-zero"] = function() W.frame(W.DROP, str(process.pid()) .. u32(0)); return await_end() end
A["handle-call-parent"] = function() return forged_send(parent) end
A["handle-call-none"] = function() return forged_send("{ward:main|0xfffff}") end
A["handle-exit"] = function()
  W.frame(W.EXIT, u32(0) .. str(forged_channel(parent)))
  return await_end()
end
-- an error text that reads as a channel grants nothing: a child whose
-- monitored child ended with one still may not name that channel
A["error-handle"] = function() error(forged_channel(parent), 0) end
A["grant-by-error"] = function()
  local ev = process.events()
  process.spawn_monitored("actors:raw", "ward:sandbox", "error-handle", parent, scale)
  local e = ev:receive()
  report("child ended", #tostring(e.result.error))
  return forged_send(parent)
end
-- calls in an order the child side never makes
A["exit-twice"] = function()
  W.frame(W.EXIT, u32(0) .. str(W.encode("first")))
  W.sleep(math.floor(200 * scale))
  return "second"
end
A["call-after-exit"] = function()
  W.frame(W.EXIT, u32(0) .. str(W.encode("exited")))
  W.frame(W.CALL, str("send") .. str(W.encode(parent, "late")))
  return await_end()
end
A["calls-unanswered"] = function()
  -- three calls before reading any reply: each is answered, in order
  W.frame(W.CALL, str("send") .. str(W.encode(parent, "one")))
  W.frame(W.CALL, str("send") .. str(W.encode(parent, "two")))
  local st, a, b = W.call("send", W.encode(parent, "three"))
  report("calls", st, a, b)
  return "done"
end
A["calls-mixed"] = function()
  -- calls sent before any reply is read, large ones (over 64 KiB: the
  -- stand-in performs them) between small ones (the runtime's reader
  -- does): each is performed, in the order sent
  local big = string.rep("x", 70 * 1024)
  W.frame(W.CALL, str("send") .. str(W.encode(parent, "one", big)))
  W.frame(W.CALL, str("send") .. str(W.encode(parent, "two")))
  W.frame(W.CALL, str("send") .. str(W.encode(parent, "three", big)))
  W.frame(W.CALL, str("send") .. str(W.encode(parent, "four")))
  local st, a, b = W.call("send", W.encode(parent, "five", big))
  report("calls", st, a, b)
  return "done"
end
-- forged PIDs: answered by the permission engine, as the actor
A["pids"] = function()
  local function try(op, ...)
    local st, kind, msg = W.call(op, W.encode(...))
    report("pid", op, st, kind, msg)
  end
  try("send", "{ward:main|0x00001}", "x")
  try("send", "{evil:main|0x00001}", "x")
  try("send", "{ward:main|" .. string.rep("f", 4000) .. "}", "x")
  try("terminate", "{ward:main|0x00001}")
  try("link", "{ward:main|0x00001}")
  try("monitor", "{ward:main|0x00001}")
  try("cancel", "{ward:main|0x00001}")
  -- a builder claiming another actor: with_actor is asked of this one
  try("builder.spawn", { actor = "main" }, "actors:ret", "ward:main", 1, 2)
  return "done"
end
-- descriptors where none belong
A["fds-exit"] = function()
  W.frame(W.EXIT, u32(0) .. str(W.encode("with fds")), { 0, 1, 2, W.chan })
  return await_end()
end
A["fds-call"] = function()
  local st, a, b = W.call("monitor", W.encode(parent), { W.chan, W.chan, W.chan })
  report("fds-call", st, a, b)
  return "done"
end
-- pace
A["deaf"] = function()
  W.pace(-1)
  report("deaf")
  return await_end()
end
A["slow"] = function()
  W.pace(math.floor(1900 * scale))
  report("slow")
  local inbox = process.inbox()
  local got = 0
  while true do
    local m = inbox:receive()
    if m:topic() == "stop" then return "slow read " .. got end
    got = got + 1
  end
end
A["call-flood"] = function()
  -- calls without end, none of whose replies is read: the runtime takes
  -- one call at a time, and ends a child that takes no reply
  W.pace(-1)
  for i = 1, 100000 do
    if not W.frame(W.CALL, str("send") .. str(W.encode(parent, "flood"))) then break end
  end
  return await_end()
end
A["truncated"] = function()
  W.datagram(hdr(W.CALL, W.MORE) .. string.rep("x", 100))
  W.quit()
end
A["exec-quit"] = function()
  -- a call that does not end on its own (exec of a process that waits),
  -- then the child is gone: its end ends the stand-in's call too
  W.frame(W.CALL, str("exec") .. str(W.encode("actors:block", "ward:main")))
  W.sleep(math.floor(200 * scale))
  W.quit()
end
-- a table of n empty tables, in codec bytes (3 bytes each)
local function empties(n)
  local t = {}
  local v = n
  repeat
    local b = v & 0x7f
    v = v >> 7
    t[#t + 1] = string.char(v > 0 and b | 0x80 or b)
  until v == 0
  return "\6" .. table.concat(t) .. "\0" .. string.rep("\6\0\0", n)
end
A["bomb"] = function()
  -- a call whose arguments are 5 million empty tables in 15 MB: decoded
  -- by the stand-in, within the child's memory, not the run's
  W.call("send", "\1\3" .. W.encode(parent, "x"):sub(3) .. empties(5000000))
  return await_end()
end
A["cpu-bombs"] = function()
  -- calls without end that each cost the runtime more than the child:
  -- the stand-in's CPU time is the child's, under its profile's limit
  local args = "\1\1" .. empties(300000)
  while true do W.call("monitor", args) end
end
A["cpu-sends"] = function()
  -- plain sends, which the runtime's reader performs itself (at most 64
  -- KiB of arguments): each of 21000 empty tables, to a PID that does not
  -- exist, costs the reader far more than the child; its CPU time is the
  -- child's too
  local args = "\1\3" .. W.encode("{ward:main|0xfffff}", "x"):sub(3) .. empties(21000)
  assert(#args <= 64 * 1024)
  while true do W.call("send", args) end
end
A["send-flood"] = function()
  -- plain sends of 60 KiB without end (the runtime's reader performs
  -- each), to a PID that does not exist: the reader serves the others too
  local args = W.encode("{ward:main|0xfffff}", "flood", string.rep("x", 60 * 1024))
  report("flooding")
  while true do W.call("send", args) end
end
A["fds-park"] = function()
  -- the first datagram of a CALL with the most descriptors a frame may
  -- bring, and never the rest, once every child exists ("go")
  local fds = {}
  for i = 1, W.FD_MAX do fds[i] = W.chan end
  process.inbox():receive()
  W.datagram(hdr(W.CALL, W.MORE) .. "x", fds)
  return await_end()
end
A["half"] = function()
  W.datagram(hdr(W.CALL, W.MORE) .. string.rep("x", W.CHUNK))
  return await_end()
end
-- the standard streams asked again and again (the child side asks once):
-- each answer's descriptor is the child's, none stays with the runtime
A["io-stream-many"] = function()
  local got = {}
  for _ = 1, 2000 do
    local st = W.call("io.stream", W.encode("stdin"))
    got[st] = (got[st] or 0) + 1
  end
  report("io-stream-many", got[0] or 0, got[1] or 0, got[2] or 0)
  return "done"
end

local f = A[attack]
if not f then error("actors:raw: no attack named " .. tostring(attack)) end
return f()
