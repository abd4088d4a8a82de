-- sbx.lua -- subprocess actors through the runtime (make bench-sandbox):
-- spawn on ward:sandbox (strict profile) to the first message back, one at
-- a time and N back to back (all spawned, then all answered: the time per
-- actor), and a message round trip (median of 5 rounds), each beside the
-- same on ward:main.
-- Arguments: spawns (100), round trips (5000), and the raw socketpair round
-- trip in us measured just before in the same run (sandbox-bench --raw-rt,
-- as make bench-sandbox does): the round trip is then printed beside it,
-- with the ratio and the target (<= 2x raw).
local N_SPAWN, N_RT = tonumber((...)) or 100, tonumber((select(2, ...))) or 5000
local RAW = tonumber((select(3, ...)))
local inbox = process.inbox()
local function median(t) table.sort(t); return t[(#t + 1) // 2] end

-- time.now() counts milliseconds: the mean over N spawns, one at a time
local function spawn_first(host)
  local t0 = time.now()
  for i = 1, N_SPAWN do
    local p = process.spawn("actors:pong", host)
    process.send(p, "ping", i)
    inbox:receive()
    process.send(p, "stop")
  end
  return (time.now() - t0) / N_SPAWN
end

-- spawns 10 ms apart: a sandboxed host keeps a child built ahead, and
-- this is the time from spawn to the answer when it is ready. The mean of
-- millisecond differences at random phases is unbiased.
local function spawn_first_warm(host)
  local sum = 0
  for i = 1, N_SPAWN do
    time.sleep("10ms")
    local t0 = time.now()
    local p = process.spawn("actors:pong", host)
    process.send(p, "ping", i)
    inbox:receive()
    sum = sum + (time.now() - t0)
    process.send(p, "stop")
  end
  return sum / N_SPAWN
end

-- N spawns back to back, each sent a ping, then every answer awaited: the
-- time per actor, the mean of 5 bursts 200 ms apart (a sandboxed host
-- sizes the children it keeps ready by the demand of the last seconds)
local function spawn_burst(host)
  local sum, n = 0, 0
  for r = 1, 5 do
    time.sleep("200ms")
    local ps, t0 = {}, time.now()
    for i = 1, N_SPAWN // 5 do
      ps[i] = process.spawn("actors:pong", host)
      process.send(ps[i], "ping", i)
    end
    for _ = 1, #ps do inbox:receive() end
    sum, n = sum + (time.now() - t0), n + #ps
    for _, p in ipairs(ps) do process.send(p, "stop") end
  end
  return sum / n
end

local function round_trip(host)
  local p = process.spawn("actors:pong", host)
  for i = 1, 100 do process.send(p, "ping", i); inbox:receive() end
  local rounds = {}
  for r = 1, 5 do
    local t0 = time.now()
    for i = 1, N_RT // 5 do process.send(p, "ping", i); inbox:receive() end
    rounds[r] = (time.now() - t0) * 1000 / (N_RT // 5)
  end
  process.send(p, "stop")
  return median(rounds)
end

-- kept ready first: spawns back to back make the host keep more children
-- ready, and build them for a while after (one untimed spawn primes it)
local sm = spawn_first("ward:main")
do local p = process.spawn("actors:pong", "ward:sandbox"); process.send(p, "stop") end
local sw = spawn_first_warm("ward:sandbox")
local ss = spawn_first("ward:sandbox")
local bm, bs = spawn_burst("ward:main"), spawn_burst("ward:sandbox")
local rm, rs = round_trip("ward:main"), round_trip("ward:sandbox")
print(string.format("%-44s %10s %10s", "subprocess actors (through the runtime)", "sandbox", "in-process"))
print(string.format("%-44s %10.2f %10.3f", "spawn to first message back (ms)", ss, sm))
print(string.format("%-44s %10.2f %10s   target <= 1 ms: %s", "... 10 ms apart: the child kept ready (ms)",
                    sw, "", sw <= 1 and "met" or "not met"))
print(string.format("%-44s %10.2f %10.3f   target <= 1 ms: %s", "20 spawned back to back: per actor (ms)",
                    bs, bm, bs <= 1 and "met" or "not met"))
print(string.format("%-44s %10.1f %10.1f   target: <= 2x the raw round trip", "message round trip (us)",
                    rs, rm))
if RAW and RAW > 0 then
  print(string.format("%-44s %10.1f %10.2f   ratio %.2fx, target <= 2x raw: %s",
                      "... beside the raw socketpair round trip (us)", rs, RAW, rs / RAW,
                      rs <= 2 * RAW and "met" or "not met"))
end
