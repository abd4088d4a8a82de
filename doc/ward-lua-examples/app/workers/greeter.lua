-- app.workers:greeter -- reads its context and its first message.
local msg = process.inbox():receive()
return ("%s %s (request %s)"):format(msg:topic(), msg:payload(),
                                     process.context().request_id)
