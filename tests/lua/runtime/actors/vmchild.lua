-- actors:vmchild -- answers its parent through the channel it was sent.
local inbox = require "inbox"
local m = inbox.receive()
m.reply:send{ op = "child_answer", value = m.value * 2, ctx = _CONTEXT }
