-- actors:options -- returns its get_options().
return process.get_options()
