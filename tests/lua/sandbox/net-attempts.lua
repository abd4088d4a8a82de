-- net-attempts.lua -- the `net` module on loopback only, run by
-- net-escape.sh as a trusted actor and as a subprocess actor: what the
-- grant allows works (listen, connect, accept, a round trip, UDP), and
-- every other endpoint is refused before anything is sent -- other ports,
-- other hosts, a name that resolves to a denied address, another spelling
-- of a denied address (decimal, hex, IPv4-mapped IPv6), a denied name in
-- capitals, the unspecified addresses (this host to the kernel), IPv6,
-- listening elsewhere. TAP on stdout (ok, denied, done: attempts-tap.lua,
-- which net-escape.sh puts before this file).
local net = require "net"

local l, port = net.listen("127.0.0.1", 0)
ok(l ~= nil and port > 0, "listen on a port the system chooses", port)
local c, e = net.connect("127.0.0.1", port, { timeout = 5000 })
ok(c ~= nil, "connect to it", e)
local s, peer = net.accept(l, 5000)
ok(s ~= nil and peer:match("^127%.0%.0%.1:%d+$"), "accept gives the connection and its peer", peer)
if c and s then
  ok(c:write("ping") == 4 and s:read(10, 5000) == "ping", "a byte stream one way")
  ok(s:write("pong") == 4 and c:read(10, 5000) == "pong", "and back")
  c:close(); s:close()
end
local u, ue = net.connect("127.0.0.1", port, { proto = "udp" })
ok(u ~= nil, "a UDP socket connected to a granted endpoint", ue)
if u then u:close() end
local v, ae = net.accept(l, 50)
ok(v == nil and kind(ae) == "UNAVAILABLE", "accept with a timeout and nothing to take", ae)
-- loopback under other names, with the listener there: an IPv4-mapped IPv6
-- address is its IPv4 address (attr.address "127.0.0.1"), and the
-- unspecified addresses, which the kernel takes as this host, name no
-- endpoint to connect to
denied("IPv4-mapped loopback (attr.address is the IPv4 address)",
       net.connect("::ffff:127.0.0.1", port, { timeout = 2000 }))
denied("IPv4-mapped loopback in hex", net.connect("::ffff:7f00:1", port, { timeout = 2000 }))
denied("IPv4-mapped loopback over UDP", net.connect("::ffff:127.0.0.1", port, { proto = "udp" }))
for _, h in ipairs { "0.0.0.0", "0", "::" } do
  local x, xe = net.connect(h, port, { timeout = 2000 })
  ok(x == nil and kind(xe) == "INVALID", "connect to the unspecified address " .. h
     .. " (this host to the kernel) is refused", x and "connected" or xe)
  if x then x:close() end
end
l:close()

denied("another loopback address", net.connect("127.0.0.2", port))
denied("another host", net.connect("10.0.0.1", 80))
denied("a name whose address is denied (attr.address)", net.connect("localhost", port))
denied("another spelling of a denied address", net.connect("0xa000001", 80))
denied("a denied address in decimal", net.connect("167772161", 80))
denied("IPv6 loopback", net.connect("::1", port))
denied("IPv4-mapped IPv6", net.connect("::ffff:10.0.0.1", 80))
denied("a name denied by its resource, in capitals", net.connect("LocalHost", 9))
ok(not net.connect("localhost.", 9), "... or with a trailing dot (not connected)")
denied("listen on a fixed port", net.listen("127.0.0.1", 8080))
denied("listen on every address", net.listen("0.0.0.0", 0))
ok(not pcall(net.connect, "127.0.0.1\0evil", 80), "a host with a NUL byte raises")
ok(not pcall(net.connect, "127.0.0.1", 70000), "a port out of range raises")
ok(not pcall(net.connect, "127.0.0.1", 80, { proto = "raw" }), "an unknown proto raises")
return done()
