-- actors.modargs -- a module file that returns what require passed it.
return { n = select("#", ...), ... }
