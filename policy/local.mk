## policy/local.mk -- the permission engine (libwardpolicy.a).
noinst_LIBRARIES += libwardpolicy.a
libwardpolicy_a_SOURCES = policy/policy.h policy/gate.c
