-- actors:upg_sort -- tries upgrade("actors:ret") where it cannot yield (inside a
-- table.sort comparator), which must fail and change nothing; then
-- upgrade(nil, "again") must restart THIS definition.
local mode = ...
if mode == "again" then return "sort-again" end
local ok, err = pcall(table.sort, { 3, 1, 2 }, function(a, b)
  process.upgrade("actors:ret", "wrong body")
  return a < b
end)
if ok then return "upgrade inside sort did not fail" end
process.upgrade(nil, "again")
error("upgrade returned", 0)
