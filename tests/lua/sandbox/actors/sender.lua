-- actors:sender -- sends one message to its first argument.
process.send((...), "hello")
return "sent"
