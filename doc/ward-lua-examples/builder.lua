-- builder.lua -- SpawnBuilder, context, names, queued messages.
local b = process.with_context({ request_id = "123" })
local b2 = b:with_name("greeter"):with_message("hello", "world")
local pid = assert(b2:spawn_monitored("app.workers:greeter",
                                      "ward:main"))
print(process.registry.lookup("greeter") == pid)      --> true
local ev = process.events():receive()
print(ev.kind, ev.result.value)
print(process.registry.lookup("greeter"))   -- released at exit
assert(process.registry.register("greeter"))          -- now ours
local child, err = b2:spawn("app.workers:greeter", "ward:main")
print(child, err:kind())                    --> nil ALREADY_EXISTS
print(b:with_name(""))                      --> nil INVALID: ...
