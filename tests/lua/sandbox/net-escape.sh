#!/bin/sh
# net-escape.sh -- the `net` module on loopback (net-attempts.lua) as a
# trusted actor and as a subprocess actor (--untrusted), as root and as
# nobody: granted endpoints work, every other is refused before anything
# is sent, and the audit names each resolved address (attr.address).
# Nothing leaves the machine: the only connections made are to 127.0.0.1.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
chmod 755 "$T"
cat "$src/attempts-tap.lua" "$src/net-attempts.lua" > "$T/net-attempts.lua"
cp "$WARD" "$T/ward"
chmod 755 "$T/ward" "$T/net-attempts.lua"
cat > "$T/p.policy" <<'POL'
policy "netgrant" {
  allow lua.require on "net";
  allow net.listen on "127.0.0.1:0";
  allow net.connect on "127.0.0.1:*", "localhost:*", "*:80";
  # a name must not lead to loopback, nor anything to 10.x
  deny net.connect on "localhost:*" when attr.address matches "127.**";
  deny net.connect on "*" when attr.address matches "10.**";
  # a name denied by its resource, whatever its case or a trailing dot
  allow net.connect on "**:9";
  deny net.connect on "localhost:9";
  # other spellings of loopback: allowed by name, denied by address
  allow net.connect on "[::ffff:**", "0.0.0.0:*", "0:*", "[::]:*";
  deny net.connect on "[::ffff:**", "0.0.0.0:*", "0:*", "[::]:*"
    when attr.address matches "127.**";
  allow process.spawn, process.host on "**";
}
POL
strict_actors netgrant >> "$T/p.policy"
chmod 644 "$T/p.policy"
pick_users
for who in $users; do
  for kind in trusted sandboxed; do
    mode="$who, $kind"
    state=$T/state-$who-$kind
    mkdir -p "$state"; chmod 777 "$state"
    flags=
    [ $kind = sandboxed ] && flags=--untrusted
    (cd "$T" && as_user $who env XDG_STATE_HOME="$state" HOME="$state" \
      "$T/ward" run $flags --policy "$T/p.policy" "$T/net-attempts.lua") > "$T/out" 2>&1
    status=$?
    if [ $kind = sandboxed ] && grep -q 'not permitted' "$T/out"; then
      echo "# SKIP $mode: the sandbox cannot run here"
      continue
    fi
    merge "$mode" "$T/out"
    ran_to_end "$mode" $status "$T/out"
    as_user $who env XDG_STATE_HOME="$state" HOME="$state" "$T/ward" audit --json \
      --action net.connect > "$T/audit" 2>&1
    has "$mode: the audit names the resolved address of a denied name" \
      '"resource":"localhost:[0-9]*".*"address":"127.0.0.1"' "$T/audit"
    has "$mode: ... and of another spelling" '"resource":"0xa000001:80".*"address":"10.0.0.1"' "$T/audit"
  done
done
finish
