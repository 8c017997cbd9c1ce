#!/usr/bin/env bash
# Store benchmark: the same HTTP workload on SQLite and on PostgreSQL, with one and with two
# trustd instances sharing the store, in one run on this machine. Prints a Markdown table for
# docs/benchmarks.md.
#
# Workload, per configuration:
#   create  POST /api/users with a new email each time (an insert; argon2id hashing included)
#   list    GET /api/users?limit=50 walking every page by next_cursor, then starting over
# With two instances the same connections are split between them (one wrk per instance).
#
#   bench/store/run.sh                     # 10 s per phase, 8 create / 16 list connections
#   DURATION=20 bench/store/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
CREATE_CONNECTIONS=${CREATE_CONNECTIONS:-8}
LIST_CONNECTIONS=${LIST_CONNECTIONS:-16}
PASSWORD="bench-Ledger-passphrase-93"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg-test-server.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

for tool in wrk curl psql; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done
scripts/pg-test-server.sh start "$work/pg" >&2
# shellcheck disable=SC1091
source "$work/pg/env"

# start_instance PORT DATA_DIR [ENV...]: starts trustd in the background, waits for /health.
start_instance() {
  local port=$1 dir=$2
  shift 2
  env "$@" TRUST_LOG_ACCESS_LOG=false TRUST_LOG_LEVEL=warn \
    build/src/trustd --listen "127.0.0.1:$port" --data-dir "$dir" >>"$work/trustd.out" 2>>"$work/trustd.log" &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: trustd on port $port did not start; see the log:" >&2
  tail -5 "$work/trustd.log" >&2
  exit 1
}

stop_instances() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

# phase NAME SCRIPT CONNECTIONS PORT... -> "req/s worst-p99 errors" summed over the instances
phase() {
  local name=$1 script=$2 connections=$3
  shift 3
  local n=$#
  local per=$((connections / n)) i=0 wrk_pids=()
  for port in "$@"; do
    i=$((i + 1))
    TAG="$name-$i-$RANDOM" wrk -t1 -c"$per" -d"${DURATION}s" --latency -s "bench/store/$script" \
      "http://127.0.0.1:$port" >"$work/$name-$i.txt" 2>"$work/$name-$i.err" &
    wrk_pids+=($!)
  done
  wait "${wrk_pids[@]}"
  local rps=0 p99=0 errors=0
  for j in $(seq 1 "$n"); do
    local out="$work/$name-$j.txt"
    rps=$(awk -v a="$rps" '/Requests\/sec/ {printf "%.1f", a + $2}' "$out")
    local p
    p=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' "$out")
    p99=$(awk -v a="$p99" -v b="$p" 'BEGIN {print (b > a ? b : a)}')
    errors=$((errors + $(grep -c 'HTTP' "$work/$name-$j.err" || true)))
  done
  echo "$rps $p99 $errors"
}

results=()
port_base=18400
for backend in sqlite postgres; do
  for instances in 1 2; do
    dir="$work/data-$backend-$instances"
    envs=()
    if [ "$backend" = postgres ]; then
      db="bench_${instances}"
      psql -q "$TF_TEST_PG_ADMIN_URL/postgres" -c "CREATE DATABASE $db OWNER tf_owner" >/dev/null
      psql -q "$TF_TEST_PG_ADMIN_URL/postgres" -c "CREATE DATABASE ${db}_keys OWNER tf_owner" >/dev/null
      envs=("TRUST_DATABASE_URL=$TF_TEST_PG_APP_URL/$db" "TRUST_DATABASE_MIGRATION_URL=$TF_TEST_PG_OWNER_URL/$db"
            "TRUST_SECRETS_SUBJECT_KEYS_URL=$TF_TEST_PG_APP_URL/${db}_keys"
            "TRUST_SECRETS_SUBJECT_KEYS_MIGRATION_URL=$TF_TEST_PG_OWNER_URL/${db}_keys")
    fi
    ports=()
    for i in $(seq 1 "$instances"); do
      port=$((port_base + i))
      start_instance "$port" "$dir" "${envs[@]}"
      ports+=("$port")
    done
    port_base=$((port_base + 10))
    env "${envs[@]}" build/src/trustctl --data-dir "$dir" bootstrap --email "ops@bench.example" --password-stdin \
      <<<"$PASSWORD" >/dev/null
    TOKEN=$(curl -sf "http://127.0.0.1:${ports[0]}/api/auth/login" -H 'Content-Type: application/json' \
      -d "{\"email\":\"ops@bench.example\",\"password\":\"$PASSWORD\"}" | sed -E 's/.*"token":"([^"]+)".*/\1/')
    TENANT=$(curl -sf "http://127.0.0.1:${ports[0]}/api/tenants" -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $TOKEN" -d '{"slug":"bench","name":"Bench LLP"}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
    export TOKEN TENANT
    read -r c_rps c_p99 c_err < <(phase create create_users.lua "$CREATE_CONNECTIONS" "${ports[@]}")
    read -r l_rps l_p99 l_err < <(phase list list_users.lua "$LIST_CONNECTIONS" "${ports[@]}")
    results+=("| $backend | $instances | $c_rps | $c_p99 ms | $l_rps | $l_p99 ms | $((c_err + l_err)) |")
    echo "$backend x$instances: create $c_rps req/s (p99 $c_p99 ms), list $l_rps req/s (p99 $l_p99 ms)" >&2
    stop_instances
  done
done

echo
echo "create: wrk -c$CREATE_CONNECTIONS, list: wrk -c$LIST_CONNECTIONS, ${DURATION} s each, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| store | trustd instances | create users/s | create p99 | list pages/s | list p99 | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for r in "${results[@]}"; do echo "$r"; done
