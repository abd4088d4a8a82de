-- emilua.lua -- spawn_vm, a tx-channel and require "inbox".
print(_CONTEXT)                             --> main
local ch = spawn_vm("app.emilua:echo",
                    { inherit_context = false })
local replies = process.listen("reply")
ch:send({ text = "hi", reply_to = process.pid() })
print(replies:receive())              --> worker says hi true
ch:close()                  -- the worker's next receive() fails
print(replies:receive())
