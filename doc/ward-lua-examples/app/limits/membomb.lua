-- pcall does not save a process that went over its memory cap.
local ok = pcall(string.rep, "x", 1 << 30)
return "not reached"
