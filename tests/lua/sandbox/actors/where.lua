-- actors:where -- returns the host part of its own PID.
return (process.pid():match("^{(.*)|"))
