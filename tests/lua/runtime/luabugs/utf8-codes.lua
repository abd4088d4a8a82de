-- Lua 5.4.4 bug "'utf8.codes' does not raise an error on spurious
-- continuation bytes". Wrong results only; utf8.len is right.
for _, s in ipairs{ "in\x80valid", "\xbfinvalid", "\u{3b1}\u{3bb}\u{3c6}\xBF\u{3b1}" } do
  local shown = s:gsub("[\x80-\xff]", function (c) return ("\\x%02X"):format(c:byte()) end)
  local ok = pcall(function () for _ in utf8.codes(s) do end end)
  print((ok and "wrong " or "ok ") .. "utf8.codes refuses " .. shown)
  local n, at = utf8.len(s)
  print((n == nil and at and "ok " or "fail ") .. "utf8.len refuses " .. shown)
end
print("END")
