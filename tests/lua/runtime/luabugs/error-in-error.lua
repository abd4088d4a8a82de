-- Lua 5.4.4 bug "Lua-stack overflow when C stack overflows while handling
-- an error" (CVE-2022-33099): a message handler that overflows again.
local function loop () assert(pcall(loop)) end
local ok, msg = xpcall(loop, loop)
print((ok == false and "ok" or "fail") .. " xpcall(loop, loop) fails with an error: " .. tostring(msg))
print("END")
