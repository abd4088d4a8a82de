-- actors:retfn -- returns a value the codec refuses (a function).
return print
