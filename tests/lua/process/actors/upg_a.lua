-- actors:upg_a -- upgrades to actors:upg_b (generation 1).
process.upgrade("actors:upg_b", 1)
error("upgrade returned", 0)
