-- actors:idle -- waits for one message.
process.inbox():receive()
