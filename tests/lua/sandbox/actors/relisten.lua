-- actors:relisten -- returns whether listen() of the same topic gives the same
-- channel object twice, and ALREADY_EXISTS with other options.
local a = process.listen("x")
local b = process.listen("x")
local c, e = process.listen("x", { message = true })
return rawequal(a, b) and c == nil and e:kind() == errors.ALREADY_EXISTS
