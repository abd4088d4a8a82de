-- actors:perm_case -- the runner of tests/lua/process/permissions.sh, spawned
-- as actor "case" (every permission but `P`; none denied when P is "none")
-- on ward:main or ward:sandbox. For each call of the table that asks P (or
-- every call, when P is "none"), it makes the call, then checks that it
-- was refused with PERMISSION_DENIED naming P and that nothing was done;
-- with P "none", that it succeeded and did what it does (which shows that
-- each "nothing was done" check can see it done). Self-contained: a
-- subprocess actor cannot require module files.
-- Arguments: P, the observer's PID, its victims (PIDs of actors:perm_kid
-- "relay" processes registered as perm-victim-N), a timeout scale.
-- Returns {lines = {"ok - ...", "not ok - ..."}, names = {{name, want}}}:
-- the observer checks the names once this process has ended.
local P, M, V, scale = ...
local R = process.pid()
local H = "ward:main"
local control = P == "none"
local sandboxed = R:find("^{ward:sandbox|") ~= nil
local lines, names = {}, {}
local function line(ok, desc)
  lines[#lines + 1] = (ok and "ok - " or "not ok - ") .. desc
  return ok
end
local function note(s) lines[#lines + 1] = "# " .. s end
process.set_options { trap_links = true }

local function show(r)
  if r[1] then
    local e = r[3]
    if type(e) == "userdata" then return tostring(r[2]) .. ", " .. tostring(e) end
    return tostring(r[2]) .. ", " .. tostring(e)
  end
  return "raised " .. tostring(r[2])
end

-- The call refused: nil, err (PERMISSION_DENIED) or, for the Emilua face,
-- a raised error; either names "permission denied: P on".
local function denial_text(r)
  if r[1] then
    local e = r[3]
    -- told by another process (actors:perm_upg): "KIND|message"
    if type(e) == "string" and e:find("^PERMISSION_DENIED|") then return e:sub(19) end
    if r[2] == nil and type(e) == "userdata" and e:kind() == errors.PERMISSION_DENIED then
      return e:message()
    end
    return nil
  end
  return tostring(r[2])
end
local function is_denial(r, action)
  local msg = denial_text(r)
  return msg ~= nil and (msg:find("permission denied: " .. action .. " on", 1, true) ~= nil
                         -- require's own words
                         or msg:find("permission denied (" .. action .. " on", 1, true) ~= nil)
end

local vi = 0
local function victim()
  vi = vi + 1
  return V[vi], "perm-victim-" .. vi
end
local function pcall_pack(f, ...) return table.pack(pcall(f, ...)) end

-- Each case: name, the permissions it asks, where it runs, and run(tag),
-- which makes the call and returns its packed pcall results, the check of
-- its effect, done() -> true when the call did what it does, and witness()
-- -> true once enough has come in to tell (when done() looks for the
-- absence of an event). Both are looked at once every case has run.
local pings, exits, downs = {}, {}, {}
local function pinged(tag) return function() return pings[tag] == true end end
local cases = {}
local function case(name, perms, run, opts)
  cases[#cases + 1] = { name = name, perms = perms, run = run, opts = opts or {} }
end

local spawns = {
  spawn = { "process.spawn", "process.host" },
  spawn_monitored = { "process.spawn", "process.spawn.monitored", "process.host" },
  spawn_linked = { "process.spawn", "process.spawn.linked", "process.host" },
  spawn_linked_monitored = { "process.spawn", "process.spawn.monitored",
                             "process.spawn.linked", "process.host" },
}
local function plus(list, ...)
  local r = table.move(list, 1, #list, 1, {})
  for _, a in ipairs { ... } do r[#r + 1] = a end
  return r
end
for _, f in ipairs { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored" } do
  case("process." .. f, spawns[f], function(tag)
    return pcall_pack(process[f], "actors:perm_kid", H, R, tag), pinged(tag)
  end)
  -- a builder spawn, from with_context on: with_context asks too
  case("with_context():" .. f, plus(spawns[f], "process.context"), function(tag)
    return pcall_pack(function()
      local b, e = process.with_context({})
      if not b then return nil, e end
      return b[f](b, "actors:perm_kid", H, R, tag)
    end), pinged(tag)
  end)
end
local bspawn = plus(spawns.spawn, "process.context")
case("with_context():with_actor():spawn", plus(bspawn, "process.security"), function(tag)
  return pcall_pack(function()
    local b, e = process.with_context({})
    if not b then return nil, e end
    b = b:with_actor("case")
    return b:spawn("actors:perm_kid", H, R, tag)
  end), pinged(tag)
end)
case("with_context():with_scope():spawn", plus(bspawn, "process.security"), function(tag)
  return pcall_pack(function()
    local b, e = process.with_context({})
    if not b then return nil, e end
    b = b:with_scope({ "all" })
    return b:spawn("actors:perm_kid", H, R, tag)
  end), pinged(tag)
end)
case("with_context():with_name():spawn", plus(bspawn, "process.registry.register"), function(tag)
  local name = "perm-named-" .. tag
  names[#names + 1] = { name, control }
  return pcall_pack(function()
    local b, e = process.with_context({})
    if not b then return nil, e end
    b = b:with_name(name)
    return b:spawn("actors:perm_kid", H, R, tag)
  end), pinged(tag)
end)
case("with_context():with_message():spawn", plus(bspawn, "process.send"), function(tag)
  return pcall_pack(function()
    local b, e = process.with_context({})
    if not b then return nil, e end
    b = b:with_message("hello", 1)
    return b:spawn("actors:perm_kid", H, R, tag, "wait")
  end), pinged(tag .. ":hello")
end)
case("process.exec", { "process.exec", "process.host" }, function(tag)
  return pcall_pack(process.exec, "actors:perm_kid", H, R, tag, "ret"), pinged(tag)
end)
case("process.with_context", { "process.context" }, function()
  local r = pcall_pack(process.with_context, { a = 1 })
  return r, function() return r[1] and r[2] ~= nil end
end)
case("process.send", { "process.send" }, function(tag)
  return pcall_pack(process.send, R, "ping", tag), pinged(tag)
end)
case("process.send by name", { "process.registry.lookup", "process.send" }, function(tag)
  local _, name = victim()
  return pcall_pack(process.send, name, tag, R), pinged(tag)
end, { ghost = function() return pcall_pack(process.send, "perm-nobody-holds-this", "x") end,
        ghost_when = "process.registry.lookup" })
-- PID-targeted calls: the target is a victim, watched (monitor and link
-- are never the permission denied in the same run as these)
case("process.terminate", { "process.terminate" }, function()
  local v = victim()
  assert(process.monitor(v))
  return pcall_pack(process.terminate, v), function() return exits[v] == true end
end, { pid = true })
case("process.cancel", { "process.cancel" }, function()
  local v = victim()
  assert(process.monitor(v))
  return pcall_pack(process.cancel, v, 1), function() return exits[v] == true end
end, { pid = true })
case("process.monitor", { "process.monitor" }, function()
  local v = victim()
  local r = pcall_pack(process.monitor, v)
  assert(process.terminate(v))
  return r, function() return exits[v] == true end
end, { pid = true })
case("process.unmonitor", { "process.unmonitor" }, function()
  local v = victim()
  assert(process.link(v))       -- its LINK_DOWN tells when the EXIT would be in
  assert(process.monitor(v))
  local r = pcall_pack(process.unmonitor, v)
  assert(process.terminate(v))
  return r, function() return exits[v] == nil end, function() return downs[v] end
end, { pid = true })
case("process.link", { "process.link" }, function()
  local v = victim()
  local r = pcall_pack(process.link, v)
  assert(process.terminate(v))
  return r, function() return downs[v] == true end
end, { pid = true })
case("process.unlink", { "process.unlink" }, function()
  local v = victim()
  assert(process.link(v))
  assert(process.monitor(v))
  local r = pcall_pack(process.unlink, v)
  assert(process.terminate(v))
  return r, function() return downs[v] == nil end, function() return exits[v] end
end, { pid = true })
case("process.registry.register(name, pid)", { "process.registry.register" }, function(tag)
  local v = victim()
  names[#names + 1] = { "perm-reg-" .. tag, control }
  return pcall_pack(process.registry.register, "perm-reg-" .. tag, v)
end)
case("process.registry.register(name, name)",
     { "process.registry.lookup", "process.registry.register" }, function(tag)
  local _, vname = victim()
  names[#names + 1] = { "perm-reg-" .. tag, control }
  return pcall_pack(process.registry.register, "perm-reg-" .. tag, vname)
end)
case("process.registry.lookup", { "process.registry.lookup" }, function()
  local v, vname = victim()
  local r = pcall_pack(process.registry.lookup, vname)
  -- done: the caller learnt the PID (a refusal must not carry it)
  return r, function() return r[2] == v or tostring(r[3]):find(v, 1, true) ~= nil end
end, { ghost = function() return pcall_pack(process.registry.lookup, "perm-nobody-holds-this") end })
case("process.registry.unregister", { "process.registry.unregister" }, function()
  local _, vname = victim()
  names[#names + 1] = { vname, not control }
  return pcall_pack(process.registry.unregister, vname)
end)
case("require \"fd\"", { "lua.require" }, function()
  local r = pcall_pack(require, "fd")
  return r, function() return r[1] and type(r[2]) == "table" end
end, { raises = true })
-- in a subprocess actor, upgrade and spawn_vm are performed by its
-- stand-in, as the actor: the same permissions
case("process.upgrade", { "process.spawn" }, function(tag)
  local r = pcall_pack(process.exec, "actors:perm_upg", H, R, tag)
  -- the upgrade's own result, told by actors:perm_upg: "KIND|message" when refused
  if r[1] and type(r[2]) == "string" and r[2]:find("|", 1, true) then r = table.pack(true, nil, r[2]) end
  return r, pinged(tag)
end)
case("spawn_vm", { "process.spawn", "process.host" }, function(tag)
  local r = pcall_pack(spawn_vm, "actors:perm_vm")
  if r[1] then r[2]:send { R, tag } end
  return r, pinged(tag)
end, { raises = true })
case("spawn_vm with a subprocess table",
     { "process.spawn", "process.host", "sandbox.spawn" }, function(tag)
  local r = pcall_pack(spawn_vm, "actors:perm_vm", { subprocess = { newns_user = true } })
  if r[1] then r[2]:send { R, tag } end
  return r, pinged(tag)
end, { raises = true, sandbox = true, child_refused = "a subprocess actor cannot choose a sandbox" })
case("tx:send", { "process.send" }, function(tag)
  local ch = spawn_vm("actors:perm_vm")
  return pcall_pack(ch.send, ch, { R, tag }), pinged(tag)
end, { raises = true })
-- in-process only: kill, detach and child_pid of a subprocess actor's
-- channel, and pools
case("tx:kill", { "process.terminate" }, function(tag)
  local ok, ch = pcall(spawn_vm, "actors:perm_vm", { subprocess = { newns_user = true } })
  if not ok then return table.pack(false, ch) end
  local r = pcall_pack(ch.kill, ch)
  -- alive, it answers (a killed actor's channel is closed: send raises)
  pcall(ch.send, ch, { R, tag })
  return r, function() return not pings[tag] end,
         function() return control or pings[tag] end
end, { inproc = true, raises = true, sandbox = true })
case("spawn_context_threads", { "process.host" }, function()
  return pcall_pack(spawn_context_threads, 1)
end, { inproc = true, raises = true })

local function asks(c, a)
  for _, x in ipairs(c.perms) do if x == a then return true end end
  return false
end

-- run the cases
local checks, n = {}, 0
for _, c in ipairs(cases) do
  if (control or asks(c, P)) and not (sandboxed and c.opts.inproc) then
    n = n + 1
    local tag = "c" .. n
    local r, done, witness = c.run(tag)
    local label = c.name .. (control and "" or (" without " .. P))
    local skip = c.opts.sandbox and not r[1] and tostring(r[2]):find("not permitted")
    if skip then
      note("skipped " .. label .. ": this machine does not allow the sandbox's namespaces")
    elseif control and sandboxed and c.opts.child_refused then
      -- refused to a subprocess actor whatever its permissions
      local ok = not r[1] and tostring(r[2]):find(c.opts.child_refused, 1, true) ~= nil
      if line(ok, label .. ": refused to a subprocess actor (" .. c.opts.child_refused .. ")") == false then
        note("got " .. show(r))
      end
      checks[#checks + 1] = { label = label, done = done, witness = witness, want = false }
    elseif control then
      local ok = r[1] and (c.opts.raises or r[2] ~= nil)
      if line(ok, label .. ": allowed") == false then note("got " .. show(r)) end
      checks[#checks + 1] = { label = label, done = done, witness = witness, want = true }
    else
      if not line(is_denial(r, P), label .. ": refused, PERMISSION_DENIED naming " .. P) then
        note("got " .. show(r))
      end
      checks[#checks + 1] = { label = label, done = done, witness = witness, want = false }
      -- no oracle: a target that does not exist gets the same answer
      local rr
      if c.opts.pid then
        rr = pcall_pack(process[c.name:match("^process%.(.*)$")], "{ward:main|0xfffff}")
      elseif c.opts.ghost and (c.opts.ghost_when or P) == P then
        rr = c.opts.ghost()
      end
      if rr then
        local function norm(s)
          return (s:gsub("{[^}]*}", "PID"):gsub("perm%-victim%-%d+", "NAME")
                   :gsub("perm%-nobody%-holds%-this", "NAME"))
        end
        local a, b = denial_text(r), denial_text(rr)
        local same = a ~= nil and b ~= nil and norm(a) == norm(b)
        if not line(same, label .. ": a target that does not exist gets the same answer") then
          note("existing: " .. tostring(a) .. " / not existing: " .. tostring(b))
        end
      end
    end
  end
end

-- collect what the calls did: pings, EXIT and LINK_DOWN events, until every
-- expected one is in (control) or a quiet while has passed (refused)
local function witnessed()
  for _, c in ipairs(checks) do
    if c.witness and not c.witness() then return false end
    if control and c.done and not c.witness and not c.done() then return false end
  end
  return true
end
local inbox, events = process.inbox(), process.events()
local function take(r)
  if r.channel == inbox then
    if r.value:topic() == "ping" then pings[r.value:payload()] = true end
  elseif r.channel == events then
    local ev = r.value
    if ev.kind == process.event.EXIT then exits[ev.from] = true
    elseif ev.kind == process.event.LINK_DOWN then downs[ev.from] = true end
  end
end
-- refused calls: a quiet while for anything they might have started to
-- show (nothing should); then, and in the control run, until everything
-- looked for is in (or a generous deadline)
local t0 = time.now()
local quiet = control and 0 or math.floor(500 * scale)
local deadline = t0 + math.floor(30000 * scale)
while time.now() - t0 < quiet or not witnessed() do
  local left = deadline - time.now()
  if left <= 0 then note("gave up waiting for the calls' effects") break end
  take(channel.select { inbox:case_receive(), events:case_receive(),
                        time.after(math.min(left, 200)):case_receive() })
end
-- what was queued along with the last event looked for
while true do
  local r = channel.select { inbox:case_receive(), events:case_receive(), default = true }
  if r.channel ~= inbox and r.channel ~= events then break end
  take(r)
end
for _, c in ipairs(checks) do
  if c.done then
    local did = c.done() == true
    line(did == c.want, c.label .. (c.want and ": done" or ": nothing was done"))
  end
end
return { lines = lines, names = names, n = n }
