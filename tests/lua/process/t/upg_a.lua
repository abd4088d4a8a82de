-- t:upg_a -- upgrades to t:upg_b (generation 1).
process.upgrade("t:upg_b", 1)
error("upgrade returned", 0)
