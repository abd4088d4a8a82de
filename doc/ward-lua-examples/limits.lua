-- limits.lua -- run with:
--   ward run --memory 16M --instructions 100000000 limits.lua
local events = process.events()
for _, id in ipairs{ "app.limits:membomb", "app.limits:spin",
                     "app.limits:backtrack", "app.limits:gc" } do
  process.spawn_monitored(id, "ward:main")
  local r = events:receive().result
  print(id, r.error or r.value)
end
