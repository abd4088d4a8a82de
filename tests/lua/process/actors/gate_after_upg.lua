-- actors:gate_after_upg -- the body a gate-trace upgrade lands in: ends the
-- traced section at once.
process.registry.unregister("END-MARK")
print("DONE")
return "upgraded"
