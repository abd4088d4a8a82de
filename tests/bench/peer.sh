# peer.sh -- sourced by the benches that time a module of ward beside
# plain lua5.4 doing the same (fs-read.sh, net-connect.sh), with $bench
# (their name), $WARD and $REPS set; it exits 77 when lua5.4 is missing.
# Once they have made $tmp (their scratch directory):
#   write_policy NAME RULES   $tmp/p.policy: policy NAME of RULES for the
#                             actors `main` and `untrusted`, the latter in
#                             a strict sandbox
#   rounds ARGS...            REPS rounds, alternating: $tmp/w.lua ARGS
#                             (which prints its figure) as a subprocess
#                             actor into $tmp/sbx (exit 77 when it cannot
#                             run), as an in-process actor into $tmp/in,
#                             then the caller's function `peer` into
#                             $tmp/lua; exit 1 when one of those fails
#   report TITLE UNIT PEER    the medians of the three and their ratios to
#                             the peer's, PEER naming it
#   median                    the median of the numbers on stdin
command -v lua5.4 >/dev/null 2>&1 || { echo "$bench: lua5.4 is not installed" >&2; exit 77; }
median () { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
write_policy () {
  cat > "$tmp/p.policy" <<EOF
policy "$1" {
$2
}
actor "main" { scope = ["$1"]; }
actor "untrusted" { scope = ["$1"]; }
host "ward:sandbox" { threads = 1; sandbox = "strict"; }
sandbox "strict" {
  namespaces = [user, pid, net, mount, ipc, uts];
  seccomp = "default"; capabilities = []; memory = "64M"; cpu = "60s"; nofile = 32;
  children = 16; init = "init/empty-root.lua";
}
EOF
}
rounds () {
  : > "$tmp/sbx"; : > "$tmp/in"; : > "$tmp/lua"
  for _ in $(seq "$REPS"); do
    if ! "$WARD" run --untrusted --policy "$tmp/p.policy" "$tmp/w.lua" "$@" \
         >> "$tmp/sbx" 2> "$tmp/err"; then
      echo "$bench: the subprocess actor did not run: $(head -c 300 "$tmp/err")" >&2
      exit 77
    fi
    "$WARD" run --policy "$tmp/p.policy" "$tmp/w.lua" "$@" >> "$tmp/in" || exit 1
    peer >> "$tmp/lua" || exit 1
  done
}
report () {
  s=$(median < "$tmp/sbx"); i=$(median < "$tmp/in"); l=$(median < "$tmp/lua")
  echo "$1"
  printf '  %-40s %10s %10s\n' "" "$2" "ratio"
  printf '  %-40s %10s %10s\n' "$3" "$l" "1.0"
  printf '  %-40s %10s %10s\n' "ward, in-process actor" "$i" "$(awk -v a="$i" -v b="$l" 'BEGIN { printf "%.1f", a / b }')"
  printf '  %-40s %10s %10s\n' "ward, subprocess actor (--untrusted)" "$s" "$(awk -v a="$s" -v b="$l" 'BEGIN { printf "%.1f", a / b }')"
}
