#!/bin/sh
# fs-escape.sh -- the `fs` module cannot be led out of its grant: runs
# fs-attempts.lua (every resolution trick, races, descriptors after close,
# hard links, fifos and devices, and a positive test of each function) as
# a trusted actor and as a subprocess actor (--untrusted), each as root and
# as nobody (setpriv), each with openat2 and with the component walk that
# replaces it on older kernels (WARD_FS_NO_OPENAT2). A racer swaps a file
# and a directory with symlinks to the secret while the script reads them
# (a bounded number of reads). After each run the secret is as it was, and
# the audit names the path asked for and the canonical one. A mode that
# cannot run (no setpriv, no sandbox) is skipped with the reason.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
races=$(scaled_s 1)            # (scaled_s: the scale; more reads on a slow machine)
races=$((races * 150))
chmod 755 "$T"
cat "$src/attempts-tap.lua" "$src/fs-attempts.lua" > "$T/fs-attempts.lua"
cp "$WARD" "$T/ward"
chmod 755 "$T/ward" "$T/fs-attempts.lua"

# the tree: grant/ is granted; secret/ and grant2/ are not
make_tree () {
  tree=$1
  rm -rf "$tree"
  mkdir -p "$tree/grant/sub" "$tree/secret/deep" "$tree/grant2" "$tree/racedir"
  printf SECRET > "$tree/secret/s.txt"
  printf x > "$tree/secret/only-in-secret"
  printf SIB > "$tree/grant2/x.txt"
  printf ok > "$tree/grant/ok.txt"
  printf ok > "$tree/racedir/s.txt"
  ln -s ok.txt "$tree/grant/link-in"
  ln -s ../secret/s.txt "$tree/grant/link-out"
  ln -s ../secret "$tree/grant/link-dir"
  ln -s "$tree/secret/s.txt" "$tree/grant/link-abs"
  ln -s chain2 "$tree/grant/chain1"
  ln -s chain3 "$tree/grant/chain2"
  ln -s ../secret/s.txt "$tree/grant/chain3"
  ln -s "/proc/self/root$tree/secret/s.txt" "$tree/grant/link-proc"
  ln -s ../secret/deep "$tree/grant/link-deep"
  long=$tree/secret/deep/$(printf '%0200d/%0200d/%0200d' 0 0 0 | tr 0 w)
  mkdir -p "$long"; printf SECRET > "$long/f"
  ln -s "$long/f" "$tree/grant/link-long"
  ln -s loop2 "$tree/grant/loop1"
  ln -s loop1 "$tree/grant/loop2"
  ln -s ../grant2 "$tree/grant/link-sib"
  ln -s ../secret/created "$tree/grant/dangling"
  ln "$tree/secret/s.txt" "$tree/grant/hard.txt"
  mkfifo "$tree/grant/fifo"
  dev=nodev
  mknod "$tree/grant/null" c 1 3 2>/dev/null && dev=dev
  printf ok > "$tree/grant/race"
  mkdir "$tree/grant/raced" "$tree/grant/keep" "$tree/grant/keep/in" "$tree/grant/free"
  printf KEPT > "$tree/grant/keep/in/k.txt"
  printf f > "$tree/grant/free/f.txt"
  printf ok > "$tree/grant/raced/s.txt"
  chmod -R a+rwX "$tree"
}

# swap grant/race between a file and a symlink to the secret, and
# grant/raced between a directory and one, until killed
racer () {
  g=$1/grant
  while :; do
    printf ok > "$g/.rf"; mv -Tf "$g/.rf" "$g/race"
    ln -sfn ../secret/s.txt "$g/.rl"; mv -Tf "$g/.rl" "$g/race"
    rm -rf "$g/.rd"; cp -R "$1/racedir" "$g/.rd" 2>/dev/null
    mv -Tf "$g/.rd" "$g/raced" 2>/dev/null || { rm -rf "$g/raced"; mv -Tf "$g/.rd" "$g/raced"; }
    ln -sfn ../secret "$g/.rs"; rm -rf "$g/raced.old"; mv -Tf "$g/raced" "$g/raced.old" 2>/dev/null
    mv -Tf "$g/.rs" "$g/raced"
  done
}

policy () {   # TREE FILE: the grant for `main` and for `untrusted`
  cat > "$2" <<EOF
policy "fsgrant" {
  allow lua.require on "fs";
  allow fs.read, fs.write, fs.create, fs.remove on "$1/grant/**";
  allow fs.list on "$1/grant", "$1/grant/**";
  # the names below keep/ may not be removed or replaced (keep/ itself is
  # not named): renaming keep/ would move them all
  deny fs.remove, fs.write on "$1/grant/keep/**";
  allow process.spawn, process.host on "**";
}
$(strict_actors fsgrant)
EOF
}

pick_users
for who in $users; do
  for kind in trusted sandboxed; do
    for walk in openat2 walk; do
      mode="$who, $kind, $walk"
      tree=$T/tree-$who-$kind-$walk
      make_tree "$tree"
      policy "$tree" "$T/p.policy"
      state=$T/state-$who-$kind-$walk
      mkdir -p "$state"; chmod 777 "$state"
      racer "$tree" > /dev/null 2>&1 &
      rpid=$!
      flags=
      [ $kind = sandboxed ] && flags=--untrusted
      noat2=
      [ $walk = walk ] && noat2=1
      (cd "$tree" && as_user $who env XDG_STATE_HOME="$state" HOME="$state" \
        WARD_FS_NO_OPENAT2=$noat2 "$T/ward" run $flags --policy "$T/p.policy" \
        "$T/fs-attempts.lua" "$tree" "$races" "$dev") > "$T/out" 2>&1
      status=$?
      kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null
      if [ $kind = sandboxed ] && grep -q 'not permitted' "$T/out"; then
        echo "# SKIP $mode: the sandbox cannot run here: $(grep 'not permitted' "$T/out" | head -c 200)"
        continue
      fi
      merge "$mode" "$T/out"
      ran_to_end "$mode" $status "$T/out"
      n=$((n + 1))
      if [ "$(cat "$tree/secret/s.txt")" = SECRET ] \
         && [ "$(ls "$tree/secret" | tr '\n' ' ')" = "deep only-in-secret s.txt " ] \
         && [ ! -e "$tree/grant/stolen" ] && [ "$(cat "$tree/grant/keep/in/k.txt")" = KEPT ]; then
        echo "ok $n - $mode: the secret is as it was, nothing was made or moved in it"
      else
        echo "not ok $n - $mode: the secret is as it was"; ls -la "$tree/secret" | sed 's/^/# /'
        fails=$((fails + 1))
      fi
      # the audit: the path asked for (attr.path) beside the canonical one
      as_user $who env XDG_STATE_HOME="$state" HOME="$state" "$T/ward" audit --json \
        --action fs.read > "$T/audit" 2>&1
      has "$mode: the audit names the path asked for and the canonical one" \
        "\"resource\":\"$tree/secret/s.txt\".*\"path\":\"$tree/grant/link-out\"\|\"path\":\"$tree/grant/link-out\".*\"resource\":\"$tree/secret/s.txt\"" \
        "$T/audit"
    done
  done
done
finish
