-- vmstdio.lua -- spawn_vm's subprocess.stdin, stdout and stderr take a
-- file descriptor (require "fd") besides "share" and nil, as Emilua's
-- spawn_vm reference has it ("file_descriptor: Use the file descriptor as
-- the specified standard handle"): the child's init script reads its
-- standard input from one pipe and writes to the other two, the actor
-- prints on the stdout one; the caller keeps its own descriptors.
local t = require("tap").setup(...)
local fd = require "fd"

local in_r, in_w = fd.pipe()
local out_r, out_w = fd.pipe()
local err_r, err_w = fd.pipe()
in_w:write("in-data")
in_w:close()
local ok, ch = pcall(spawn_vm, "actors:vmprint", { subprocess = {
  newns_user = true, stdin = in_r, stdout = out_w, stderr = err_w,
  init = { script = [[
    local s = init.read(0, 100)
    init.write(1, "out:" .. s .. "\n")
    init.write(2, "err:" .. s .. "\n") ]] } } })
if t.no_sandbox(ok, ch) then return end
t.ok(ok, "spawn_vm takes descriptors for stdin, stdout and stderr")
if not ok then t.diag(ch) end
t.ok(tostring(in_r):find("^fd %d") and tostring(out_w):find("^fd %d"), "the caller keeps its own descriptors")
-- only the child holds the write ends now: end of file once it has ended
in_r:close()
out_w:close()
err_w:close()

-- everything until end of file, or what came by a scaled deadline
local function slurp(f)
  local got, until_ms = {}, time.now() + t.ms(60000)
  while time.now() < until_ms do
    local s, e = f:read(4096, t.ms(60000))
    if s == nil or s == "" then
      if s == nil then t.diag(e) end
      break
    end
    got[#got + 1] = s
  end
  return table.concat(got)
end
local out = ok and slurp(out_r) or ""
t.like(out, "^out:in%-data\n", "the init script read the stdin descriptor and wrote to the stdout one")
t.like(out, "actor says hi\n", "the actor's print goes to the stdout descriptor")
t.is(ok and slurp(err_r) or "", "err:in-data\n", "the stderr descriptor is the child's standard error")

-- a closed descriptor, or anything else, is refused
local c_r, c_w = fd.pipe()
c_r:close()
local bad = { { stdin = c_r }, { stdout = 1 }, { stderr = "inherit" } }
for i, sub in ipairs(bad) do
  sub.newns_user = true
  local okb, e = pcall(spawn_vm, "actors:vmprint", { subprocess = sub })
  t.ok(not okb and tostring(e):find("open file descriptor", 1, true) ~= nil,
       "a bad standard stream " .. i .. " is refused, naming what is accepted")
  if okb then t.diag("accepted") end
end
c_w:close()
t.plan(t.run)
t.done()
