#!/bin/sh
# gen-policy.sh NRULES -- print a policy of NRULES rules shaped like a large
# multi-tenant deployment (the policy scale bench, make bench-scale): tenants
# t0, t1, ... of ten applications each; every application has its own policy
# (20 rules) and actor, whose scope is the application's policy and its
# tenant's (10 rules); the tenant's plugins are the actor pattern
# tT.plugin.*, whose scope is the tenant's policy alone. The rules name distinct actions, resources and
# attributes, as real ones do: literal resources of the application's own,
# globs under its own segment, conditions on the request's and the
# target's attributes, denials of the tenant's secrets, and a few rules
# every application has (answering its parent, watching its own children),
# so that the index is exercised as a large deployment exercises it, not by
# one rule copied NRULES times.
n=${1:-100000}
awk -v n="$n" 'BEGIN {
  r = 0
  for (t = 0; r < n; t++) {
    T = "t" t
    printf "policy \"%s.common\" {\n", T
    printf "  allow process.host on \"ward:main\";\n"
    printf "  allow lua.require on \"string\", \"table\", \"math\", \"%s.lib.util\";\n", T
    printf "  deny process.registry.lookup on \"%s.secret.**\";\n", T
    printf "  deny process.spawn, process.spawn.linked on \"%s.secret:**\";\n", T
    printf "  allow process.registry.lookup on \"%s.svc.*\";\n", T
    printf "  allow process.send on \"*\" when attr has \"parent\" and resource == attr.parent;\n"
    printf "  allow process.monitor, process.unmonitor, process.cancel on \"*\" when target has \"parent\" and target.parent == attr.pid;\n"
    printf "  allow process.send on \"*\" when target.actor == \"%s.gateway\";\n", T
    printf "  deny process.link, process.unlink on \"**\" when attr.host != \"ward:main\";\n"
    printf "  allow process.spawn on \"%s.shared:*\";\n", T
    printf "}\n"
    printf "actor \"%s.plugin.*\" { tier = \"untrusted\"; scope = [\"%s.common\"]; }\n", T, T
    r += 10
    for (a = 0; a < 10 && r < n; a++) {
      A = T ".app" a
      printf "policy \"%s\" {\n", A
      for (k = 0; k < 12; k++)
        printf "  allow process.spawn, process.spawn.monitored on \"%s:w%d\";\n", A, k
      printf "  allow process.send on \"%s:*\";\n", A
      printf "  allow process.exec on \"%s.jobs.**\";\n", A
      printf "  allow process.registry.register, process.registry.unregister on \"%s.name%d\";\n", A, a
      printf "  allow lua.require on \"%s.mod%d\", \"%s.mod%d\";\n", T, a, T, a + 10
      printf "  deny process.spawn on \"%s:w%d\" when attr.host == \"ward:sandbox\";\n", A, 11
      printf "  allow process.terminate on \"*\" when target.actor == \"%s\";\n", A
      printf "  allow process.host on \"ward:context.%d\";\n", a
      printf "  deny process.send on \"%s.secret.*\";\n", T
      printf "}\n"
      printf "actor \"%s\" { scope = [\"%s.common\", \"%s\"]; }\n", A, T, A
      r += 20
    }
  }
}'
