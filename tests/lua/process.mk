## tests/lua/process.mk -- end-to-end tests of the process module.
LUA_TESTS +=
