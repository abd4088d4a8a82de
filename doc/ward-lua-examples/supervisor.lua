-- supervisor.lua -- DESIGN 2.1: wait for a worker, or time out.
local job = { file = "cat.png", width = 64 }
local worker, err = process.spawn_monitored("app.workers:resize",
                                            "ward:main", job)
if not worker then
  if err:kind() == errors.PERMISSION_DENIED then
    return nil, err
  end
  error(err)
end
local events = process.events()
local r = channel.select{ events:case_receive(),
                          time.after("5s"):case_receive() }
if r.channel == events and r.value.kind == process.event.EXIT then
  print("result:", r.value.result.value or r.value.result.error)
  return r.value.result.value
end
process.cancel(worker, "1s")  -- CANCEL now, ended at the deadline
