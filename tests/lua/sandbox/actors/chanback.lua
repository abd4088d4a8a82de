-- actors:chanback -- a subprocess actor that returns, as its result, the
-- channel its first message brought (its VM lets its copy go as it ends).
local m = process.inbox():receive()
return m:payload()
