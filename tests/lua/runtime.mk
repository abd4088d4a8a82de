## tests/lua/runtime.mk -- end-to-end tests of channels, time, the Emilua face and limits.
LUA_TESTS +=
