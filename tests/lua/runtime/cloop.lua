-- cloop.lua -- DESIGN 2.0 (beyond the listed cases): the count hook never
-- fires inside a C function, so a long C loop that neither allocates nor
-- calls back into Lua -- table.move over a huge range of an empty table --
-- is invisible to preemption, the memory cap and the 5 s watchdog. It must
-- still be possible to end such a process. (If the runtime cannot, this
-- file fails and takes ~10-15 s: the run waits for the loop to finish.)
local t = require("tap").setup(...)
local me = process.pid()
local events = process.events()

local await_topic = t.await

local t0 = time.now()
local pid = process.spawn_monitored("actors:cloop", "ward:main", me, 1 << 29)
t.ok(await_topic("started", t.ms(30000)) ~= nil, "a table.move over 2^29 slots started")
-- the child sent "started" just before entering the C loop: that message
-- (and our wake-up) must not be held up behind the stuck worker
t.ok(time.now() - t0 < t.ms(3000), "its last message arrived promptly (" .. (time.now() - t0) .. " ms)")
local echo = process.spawn("actors:echo", "ward:main")
process.send(echo, "ping", 1)
t.ok(await_topic("ping", t.ms(30000)) ~= nil, "others keep running on the other thread")
time.sleep("200ms")
t0 = time.now()
t.is(process.terminate(pid), true, "terminate while it is inside the C loop")
local r = channel.select{ events:case_receive(), t.after(60000):case_receive() }
local el = time.now() - t0
t.ok(r.channel == events and r.value.from == pid, "the process ends after terminate (" .. el .. " ms)")
t.is(r.value and r.value.result and r.value.result.error, "terminated by " .. me,
     "its EXIT says it was terminated (it did not just finish)")
-- (far less than the loop would take: it finishes in 10-15 s if not ended)
t.ok(el < 5000 + t.ms(4000), "within the 5 s watchdog, with a scaled margin")
t.ok(await_topic("finished", "100ms") == nil, "its code after the C loop never ran")
process.send(echo, "stop")
t.plan(t.run)
t.done()
