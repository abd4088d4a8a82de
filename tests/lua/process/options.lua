-- options.lua -- get_options / set_options.
local t = require("tap").setup(...)
local u = require "util"

local o = process.get_options()
t.is(type(o), "table", "get_options returns a table")
t.is(o.trap_links, false, "trap_links is false by default")
o.trap_links = true
t.is(process.get_options().trap_links, false, "changing the returned table changes nothing")

t.is(process.set_options { trap_links = true }, true, "set_options returns true")
t.is(process.get_options().trap_links, true, "trap_links is now true")
t.is(process.set_options {}, true, "set_options{} is accepted")
t.is(process.get_options().trap_links, true, "and changes nothing")

local function refuses(name, ...)
  local why = u.refused(t, errors.INVALID, "set_options refuses " .. name, process.set_options, ...)
  t.is(process.get_options().trap_links, true, "  ... and trap_links is unchanged")
  return why
end
refuses("nil", nil)
refuses("no argument")
refuses("a number", 5)
refuses("a string", "trap_links")
refuses("a boolean", true)
refuses("trap_links = \"no\"", { trap_links = "no" })
refuses("trap_links = 0", { trap_links = 0 })
refuses("trap_links = {}", { trap_links = {} })
refuses("an unknown option", { bogus = false })
refuses("an array entry", { false })
refuses("a valid and an unknown option together", { trap_links = false, bogus = 1 })
refuses("a valid and a bad-typed option together", { trap_links = false, [2] = true })

t.is(process.set_options { trap_links = false }, true, "set trap_links back to false")
t.is(process.get_options().trap_links, false, "trap_links is false again")

-- a spawned child starts with the default options
local r = process.exec("actors:options", u.HOST)
t.is(type(r) == "table" and r.trap_links, false, "a child's trap_links starts false")

u.finish(t)
