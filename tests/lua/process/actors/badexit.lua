-- actors:badexit -- returns a value that cannot be sent.
return function() end
