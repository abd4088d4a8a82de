-- tools.helpers:idle -- a helper an untrusted script may spawn: waits.
process.inbox():receive()
