-- until-granted.lua LIMIT RESOURCE: "READY <state of env.read on RESOURCE>",
-- then ask again every 10 ms until it is granted ("GRANTED": a load reached
-- this running ward) or LIMIT ms have passed ("TIMEOUT")
local limit, res = tonumber((...)), select(2, ...)
print("READY " .. process.permissions.query{action = "env.read", resource = res}.state)
local t0 = time.now()
while time.now() - t0 < limit do
  if process.permissions.query{action = "env.read", resource = res}.state == "granted" then
    print("GRANTED") return
  end
  time.sleep(10)
end
print("TIMEOUT")
