-- actors:topyield -- coroutine.yield at the top level of a process.
coroutine.yield(1)
return "yielded and came back"
