-- actors:fdwriter -- writes "written by TOPIC" to the descriptor of the first
-- inbox message, closes it and returns "done".
local m = process.inbox():receive()
local f = m:payload()
f:write("written by " .. m:topic())
f:close()
return "done"
