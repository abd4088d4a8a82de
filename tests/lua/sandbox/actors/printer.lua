-- actors:printer -- prints a line on its stdout.
print("hello-from-the-child")
return true
