-- Lua 5.4.4 bug "Wrong code generation for constants in bitwise
-- operations": with more than 256 constants in a function, `1 ~ (2 or 3)`
-- compiles to the wrong operand. Wrong results only.
local prefix = {"local x = {"}
for i = 1, 257 do prefix[#prefix + 1] = i .. ".1," end
prefix[#prefix + 1] = "};"
prefix = table.concat(prefix)
for _, case in ipairs{ { "1 ~ (2 or 3)", 1 ~ 2 }, { "1 | (2 or 3)", 1 | 2 },
                       { "1 + (2 or 3)", 1 + 2 }, { "1 << (2 or 3)", 1 << 2 } } do
  local got = load(prefix .. "return " .. case[1])()
  print((got == case[2] and "ok " or "wrong ") .. case[1] .. " after 257 constants is "
        .. case[2] .. (got == case[2] and "" or ": got " .. tostring(got)))
end
print("END")
