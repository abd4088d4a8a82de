-- app.emilua:echo -- an Emilua actor: values arrive in "inbox".
local inbox = require "inbox"
local m = inbox.receive()
process.send(m.reply_to, "reply", _CONTEXT .. " says " .. m.text)
local ok, err = pcall(inbox.receive)
process.send(m.reply_to, "reply", "then: " .. tostring(err))
