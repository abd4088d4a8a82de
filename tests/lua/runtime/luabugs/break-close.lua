-- Lua 5.4.4 bug "'break' may not properly exit a loop with a to-be-closed
-- variable": the generic for's closing value is not closed by a break
-- when the body made an upvalue. Wrong behaviour only.
local closed = false
local o = setmetatable({}, { __close = function () closed = true end })
local function loop ()
  for k in next, {}, nil, o do
    local function up () return k end
    break
  end
  return closed
end
local ok, r = pcall(loop)
print(ok and r and "ok a break closes the for loop's closing value"
      or "wrong a break closes the for loop's closing value: " .. tostring(r))
print("END")
