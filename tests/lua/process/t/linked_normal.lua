-- t:linked_normal -- spawn_linked t:ret (exits normally), waits, survives.
local c = process.spawn_linked("t:ret", "ward:main", 1)
time.sleep(200)
return "alive"
