-- actors:count_events -- on "report", sends ("events", how many events are
-- waiting) to parent.
local parent = ...
process.inbox():receive()
local n, events = 0, process.events()
while channel.select { events:case_receive(), default = true }.channel == events do n = n + 1 end
process.send(parent, "events", n)
process.inbox():receive()
