-- actors:block -- waits for one message.
process.inbox():receive()
