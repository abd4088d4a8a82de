# lib.sh -- a real PostgreSQL server for the fleet tests, on top of the
# policy tests' lib.sh (paths, $T, TAP helpers). Source it, then:
#   pg_start            initdb + pg_ctl start into $T/pg (as nobody when
#                       run as root: initdb refuses root), listening on a
#                       Unix socket in $T/pg/sock only; stopped on exit
#   pg_createdb NAME    a new database; prints nothing
#   pg_kv NAME          its libpq key=value connection string
#   pg_uri NAME         its postgresql:// URI
#   pg_psql NAME SQL    run SQL there (psql -XAt: unaligned, tuples only)
#   pg_stop [MODE]      stop the server (pg_ctl -m MODE, default fast)
#   pg_restart          start it again after pg_stop (same data)
# The server's binaries are Debian's (postgresql, README's first command);
# without them the test fails, it never skips: the fleet tests run in CI.
WARD_PG_LIB=1
[ -n "${WARD_POLICY_LIB:-}" ] || . "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"

PGBIN=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then PGBIN=$d; break; fi
done
if [ -z "$PGBIN" ] && command -v initdb > /dev/null 2>&1; then
  PGBIN=$(dirname "$(command -v initdb)")
fi
PGDIR=$T/pg
PGSOCK=$PGDIR/sock
PGUSER_TEST=ward
pg_as () {  # run a server command as the server's owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
pg_start () {
  if [ -z "$PGBIN" ]; then
    echo "Bail out! no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql (README's first command)"
    exit 99
  fi
  mkdir -p "$PGDIR/sock" || exit 99
  if [ "$(id -u)" -eq 0 ]; then
    chmod 711 "$T" && chown -R nobody "$PGDIR" || exit 99
  fi
  if ! pg_as "$PGBIN/initdb" -D "$PGDIR/data" -U "$PGUSER_TEST" --auth=trust -E UTF8 \
       --locale=C --no-sync > "$PGDIR/initdb.log" 2>&1; then
    echo "Bail out! initdb failed:"; sed 's/^/# /' "$PGDIR/initdb.log"; exit 99
  fi
  pg_restart
  trap 'pg_stop immediate > /dev/null 2>&1; rm -rf "$T"' EXIT
  # a test stopped by a signal stops its server too (the shell runs the
  # EXIT trap only on exit)
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
pg_restart () {
  if ! pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t "$(scaled_s 60)" \
       -o "-k $PGSOCK -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=200" \
       start > "$PGDIR/pg_ctl.log" 2>&1; then
    echo "Bail out! the PostgreSQL server did not start:"
    sed 's/^/# /' "$PGDIR/pg_ctl.log" "$PGDIR/server.log"; exit 99
  fi
}
pg_stop () {
  pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -m "${1:-fast}" -w -t "$(scaled_s 60)" stop
}
ends_within () {  # ends_within SECONDS PID: wait until PID (a child) ends,
  # its status then in $rc (0 returned); past SECONDS scaled it is killed
  # and rc=hung (1 returned)
  _i=0; _limit=$(($1 * 20 * ward_test_scale))
  while kill -0 "$2" 2>/dev/null && [ "$_i" -lt "$_limit" ]; do _i=$((_i + 1)); sleep 0.05; done
  if kill -0 "$2" 2>/dev/null; then
    kill -9 "$2"; wait "$2" 2>/dev/null; rc=hung; return 1
  fi
  wait "$2"; rc=$?; return 0
}
pg_kv () { echo "host=$PGSOCK user=$PGUSER_TEST dbname=$1"; }
pg_uri () {
  echo "postgresql://$PGUSER_TEST@$(printf %s "$PGSOCK" | sed 's|/|%2F|g')/$1"
}
pg_psql () {
  "$PGBIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -U "$PGUSER_TEST" -d "$1" -c "$2"
}
pg_createdb () {
  pg_psql postgres "CREATE DATABASE \"$1\"" || { echo "Bail out! CREATE DATABASE $1 failed"; exit 99; }
}
