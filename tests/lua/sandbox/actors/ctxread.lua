-- actors:ctxread -- reads the channel in its context, lets it go, and ends.
local ch = process.context().ch
local ok = ch ~= nil
ch = nil
collectgarbage()
collectgarbage()
return ok
