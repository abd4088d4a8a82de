-- Lua 5.4.4 bug "'utf8.codes' does not raise an error on spurious
-- continuation bytes": ward's utf8.codes refuses them, as 5.4.5 does;
-- utf8.len was right already. Valid text still iterates as before.
for _, s in ipairs{ "in\x80valid", "\xbfinvalid", "\u{3b1}\u{3bb}\u{3c6}\xBF\u{3b1}" } do
  local shown = s:gsub("[\x80-\xff]", function (c) return ("\\x%02X"):format(c:byte()) end)
  local ok, msg = pcall(function () for _ in utf8.codes(s) do end end)
  print((not ok and tostring(msg):find("invalid UTF-8 code", 1, true) and "ok " or "fail ")
        .. "utf8.codes refuses " .. shown .. ": " .. tostring(msg))
  local n, at = utf8.len(s)
  print((n == nil and at and "ok " or "fail ") .. "utf8.len refuses " .. shown)
end
local got = {}
for p, c in utf8.codes("h\u{e9}llo\u{10FFFF}!") do got[#got + 1] = p .. "=" .. c end
got = table.concat(got, " ")
print((got == "1=104 2=233 4=108 5=108 6=111 7=1114111 11=33" and "ok " or "fail ")
      .. "valid text iterates by position and code: " .. got)
local lax = {}
for p, c in utf8.codes("\u{7FFFFFFF}a", true) do lax[#lax + 1] = p .. "=" .. c end
lax = table.concat(lax, " ")
print((lax == "1=2147483647 7=97" and "ok " or "fail ") .. "lax mode takes 6-byte forms: " .. lax)
local ok = pcall(function () for _ in utf8.codes("\u{7FFFFFFF}\x80", true) do end end)
print((not ok and "ok " or "fail ") .. "lax mode refuses a continuation byte after a 6-byte form")
print("END")
