-- actors.sub:leaf -- a definition two namespace levels deep; returns "leaf" and
-- its arguments' count.
return { "leaf", select("#", ...) }
