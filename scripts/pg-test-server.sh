#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests: initdb into a temporary folder, pg_ctl on a
# free loopback port, roles for the tests, and a state folder that tells the tests where it is.
#
#   scripts/pg-test-server.sh start STATE_DIR   # writes STATE_DIR/env (TF_TEST_PG_* variables)
#   scripts/pg-test-server.sh stop STATE_DIR
#   scripts/pg-test-server.sh pause STATE_DIR   # stops the server, keeping its data (outage tests)
#   scripts/pg-test-server.sh resume STATE_DIR  # starts it again on the same port
#   scripts/pg-test-server.sh replica STATE_DIR PRIMARY_STATE_DIR
#                                               # a streaming replica of that primary
#
# Nothing depends on a system service. Run as root, the server runs as the unprivileged
# `postgres` user (created by Debian's postgresql package), since PostgreSQL refuses root.
# Roles: tf_admin (superuser, creates each test's database), tf_owner (owns the tables, runs
# migrations) and tf_app (serves requests; owns nothing, cannot bypass row-level security).
set -euo pipefail

cmd=${1:-}
state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: $0 start|stop|pause|resume|replica STATE_DIR [PRIMARY_STATE_DIR]" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || { echo "pg-test-server: PostgreSQL server binaries missing; run scripts/install-deps.sh" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# STATE_DIR/root names the temporary folder: data/ (the cluster), the socket and server.log.
root() { cat "$state/root"; }
pg_ctl_() { as_pg "$bindir/pg_ctl" -D "$(root)/data" -w -t 60 "$@"; }

stop() {
  [ -f "$state/root" ] || return 0
  if [ -f "$(root)/data/postmaster.pid" ]; then
    pg_ctl_ stop -m immediate >/dev/null 2>&1 || true
  fi
  rm -rf "$(root)"
  rm -f "$state/root" "$state/env"
}

start_on() {
  local port=$1
  pg_ctl_ start -l "$(root)/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $(root) -c fsync=off -c synchronous_commit=off \
        -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB" >/dev/null 2>&1
}

# new_root: a fresh temporary folder for a cluster, owned by the server's user; sets $dir.
new_root() {
  mkdir -p "$state"
  stop
  dir=$(mktemp -d /tmp/tf-pg-XXXXXX)
  chmod 700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
  echo "$dir" >"$state/root"
}

# start_on_free_port: starts the cluster on a free loopback port; sets $port.
start_on_free_port() {
  port=""
  for _ in $(seq 1 20); do
    local candidate=$((20000 + RANDOM % 20000))
    if start_on "$candidate"; then port=$candidate; return 0; fi
  done
  echo "pg-test-server: could not start PostgreSQL on any port tried" >&2
  exit 1
}

case "$cmd" in
  start)
    new_root
    pwfile="$dir/.pw"
    admin_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    echo "$admin_password" | as_pg tee "$pwfile" >/dev/null
    as_pg "$bindir/initdb" -D "$dir/data" -U tf_admin --pwfile="$pwfile" --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 ||
      { cat "$state/initdb.log" >&2; exit 1; }
    rm -f "$pwfile"
    start_on_free_port
    app_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    owner_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    as_pg "$bindir/psql" -q -h "$dir" -p "$port" -U tf_admin -d postgres -v ON_ERROR_STOP=1 <<SQL
CREATE ROLE tf_owner LOGIN CREATEDB PASSWORD '$owner_password';
CREATE ROLE tf_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '$app_password';
SQL
    base="postgresql://%s:%s@127.0.0.1:$port"
    {
      echo "TF_TEST_PG_PORT=$port"
      printf "TF_TEST_PG_ADMIN_URL=$base\n" tf_admin "$admin_password"
      printf "TF_TEST_PG_OWNER_URL=$base\n" tf_owner "$owner_password"
      printf "TF_TEST_PG_APP_URL=$base\n" tf_app "$app_password"
    } >"$state/env"
    chmod 600 "$state/env"
    echo "pg-test-server: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
    ;;
  stop)
    stop
    ;;
  pause)
    pg_ctl_ stop -m fast >/dev/null
    ;;
  replica)
    primary=${3:?missing PRIMARY_STATE_DIR}
    new_root
    admin=$(sed -n 's/^TF_TEST_PG_ADMIN_URL=//p' "$primary/env")
    as_pg "$bindir/pg_basebackup" -d "$admin/postgres" -D "$dir/data" -R -X stream -c fast >"$state/basebackup.log" 2>&1 ||
      { cat "$state/basebackup.log" >&2; exit 1; }
    start_on_free_port
    primary_port=$(sed -n 's/^TF_TEST_PG_PORT=//p' "$primary/env")
    sed "s/127.0.0.1:$primary_port/127.0.0.1:$port/; s/^TF_TEST_PG_PORT=.*/TF_TEST_PG_PORT=$port/" "$primary/env" >"$state/env"
    chmod 600 "$state/env"
    ;;
  resume)
    start_on "$(sed -n 's/^TF_TEST_PG_PORT=//p' "$state/env")"
    ;;
  *)
    echo "usage: $0 start|stop|pause|resume STATE_DIR" >&2
    exit 2
    ;;
esac
