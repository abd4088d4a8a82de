-- actors:upg_bad -- tries upgrades that must fail and returns what each gave.
local res = {}
local function try(name, ...)
  local ok, r, e = pcall(process.upgrade, ...)
  res[name] = { raised = not ok, r = ok and r or nil,
                kind = ok and e and e:kind() or nil, msg = ok and e and e:message() or tostring(r) }
end
try("number id", 5)
try("table id", {})
try("empty id", "")
try("bad id", "not an id")
try("id with ..", "..:x")
try("missing", "actors:does_not_exist")
try("syntax", "actors:syntax")
try("function state", nil, function() end)
try("function state with id", "actors:ret", 1, function() end)
try("metatable state", nil, setmetatable({}, {}))
try("boolean id", true)
res.still_running = true
return res
