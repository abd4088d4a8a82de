-- actors:errval -- ends with an error value chosen by the second argument. The
-- metamethods of "evil" report to the parent if anyone ever calls them.
local parent, which = ...
local function tell(what) process.send(parent, "side", what) end
local evil_mt = {
  __tostring = function() tell("__tostring"); return "evil tostring" end,
  __index = function(_, k) tell("__index " .. tostring(k)); return function() return "evil" end end,
  __concat = function() tell("__concat"); return "evil concat" end,
  __len = function() tell("__len"); return 0 end,
  __eq = function() tell("__eq"); return true end,
  __call = function() tell("__call") end,
  __name = "Evil",
}
if which == "evil" then
  error(setmetatable({}, evil_mt))
elseif which == "evil-in-pcall" then
  -- the script's own pcall sees the object itself, metamethods intact
  local ok, e = pcall(error, setmetatable({ tag = "mine" }, evil_mt))
  process.send(parent, "caught", ok, rawget(e, "tag"))
  error(e)
elseif which == "nil" then
  error(nil)
elseif which == "int" then
  error(42)
elseif which == "float" then
  error(4.5)
elseif which == "bool" then
  error(true)
elseif which == "string" then
  error("plain message", 0)
elseif which == "located" then
  error("with a location")
elseif which == "table" then
  error({ code = 7 })
elseif which == "function" then
  error(print)
elseif which == "ward" then
  local _, e = time.sleep("nonsense")
  error(e)
elseif which == "long" then
  error(string.rep("y", 100000), 0)
end
return "no error"
