-- actors:noop -- a process that exits at once (the spawn + exit benchmark).
return true
