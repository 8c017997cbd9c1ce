#!/usr/bin/env bash
# Request latency with people's data sealed against the same rows in plaintext, on the same
# routes, in one run: wrk against GET /api/users?limit=50 (50 users, 100 fields opened per
# request) and GET /api/users/{id} (one user), each as an ADMIN of a tenant whose users are
# sealed (as trustd writes them) and of a tenant whose users' rows were rewritten in plaintext
# after start-up (trustd reads an unsealed value as it is). Alternating rounds, the median
# round of each reported, and the ratio of the medians. Prints a Markdown table for
# docs/benchmarks.md.
#
#   bench/secrets/request_overhead.sh                   # 32 connections, 5 rounds of 6 s
#   CONNECTIONS=16 ROUNDS=3 DURATION=10 bench/secrets/request_overhead.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-6}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
PORT=${PORT:-18191}
USERS=${USERS:-50}
PASSWORD="wrk-load-passphrase-93"
work=$(mktemp -d)
trustd_pid=""
cleanup() {
  [ -n "$trustd_pid" ] && kill "$trustd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

base="http://127.0.0.1:$PORT"
build/src/trustctl --data-dir "$work/data" bootstrap --email root@bench.example --password-stdin <<<"$PASSWORD" >/dev/null
TRUST_LOG_ACCESS_LOG=false TRUST_LOG_LEVEL=warn \
  build/src/trustd --listen "127.0.0.1:$PORT" --data-dir "$work/data" >"$work/trustd.out" 2>"$work/trustd.log" &
trustd_pid=$!
for _ in $(seq 1 100); do curl -sf "$base/health" >/dev/null 2>&1 && break; sleep 0.1; done

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
login() {
  curl -sf "$base/api/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$PASSWORD\"}" | json_field token
}
post() { curl -sf "$base$1" -H 'Content-Type: application/json' -H "Authorization: Bearer $2" -d "$3"; }

root=$(login root@bench.example)
declare -A admin user_id
for kind in sealed plain; do
  tenant=$(post /api/tenants "$root" "{\"slug\":\"$kind\",\"name\":\"$kind\"}" | json_field id)
  post /api/users "$root" "{\"email\":\"admin@$kind.example\",\"password\":\"$PASSWORD\",\"roles\":[\"ADMIN\"],\"tenant_id\":\"$tenant\",\"display_name\":\"Admin of $kind\"}" >/dev/null
  admin[$kind]=$(login "admin@$kind.example")
  for i in $(seq 2 "$USERS"); do
    id=$(post /api/users "${admin[$kind]}" "{\"email\":\"person-$i@$kind.example\",\"password\":\"$PASSWORD\",\"roles\":[\"VIEWER\"],\"display_name\":\"Person $i of $kind\"}" | json_field id)
  done
  user_id[$kind]=$id
done
# The plain tenant's rows in plaintext, as they were before sealing existed.
python3 - "$work/data/trust.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
rows = db.execute("SELECT u.id, u.email FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = 'plain'").fetchall()
for i, (uid, _) in enumerate(rows):
    db.execute("UPDATE users SET email = ?, display_name = ? WHERE id = ?", (f"plain-{i}@plain.example", f"Plain person {i}", uid))
db.commit()
PY
body=$(curl -sf "$base/api/users?limit=$USERS" -H "Authorization: Bearer ${admin[plain]}")
grep -q 'tfpd:' <<<"$body" && { echo "bench: the plain tenant's users are still sealed" >&2; exit 1; }
grep -q 'Plain person' <<<"$body" || { echo "bench: the plain tenant's users are not served in plaintext" >&2; exit 1; }

# run URL TOKEN -> "rps p50 p99 errors"
run() {
  local out rps p50 p99 errors
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $2" "$1")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ' || true)
  echo "$rps $p50 $p99 ${errors:-none}"
}
median() { sort -n -k1 "$1" | awk '{a[NR]=$0} END {print a[int((NR + 1) / 2)]}'; }

echo "| route | rows | sealed req/s | plaintext req/s | sealed / plaintext | sealed p50 / p99 | plaintext p50 / p99 |"
echo "|---|---|---:|---:|---:|---|---|"
for target in list one; do
  : >"$work/$target-sealed"
  : >"$work/$target-plain"
  for round in $(seq 1 "$ROUNDS"); do
    for kind in sealed plain; do
      if [ "$target" = list ]; then path="/api/users?limit=$USERS"; else path="/api/users/${user_id[$kind]}"; fi
      run "$base$path" "${admin[$kind]}" >>"$work/$target-$kind"
    done
    echo "$target round $round/$ROUNDS: sealed $(tail -1 "$work/$target-sealed" | cut -d' ' -f1) | plain $(tail -1 "$work/$target-plain" | cut -d' ' -f1)" >&2
  done
  read -r s_rps s_p50 s_p99 s_err < <(median "$work/$target-sealed")
  read -r p_rps p_p50 p_p99 p_err < <(median "$work/$target-plain")
  ratio=$(awk -v s="$s_rps" -v p="$p_rps" 'BEGIN {printf "%.1f %%", 100 * s / p}')
  if [ "$target" = list ]; then route="GET /api/users?limit=$USERS"; rows="$USERS users, $((USERS * 2)) fields"; else route="GET /api/users/{id}"; rows="1 user, 2 fields"; fi
  echo "| $route | $rows | $s_rps | $p_rps | $ratio | $s_p50 / $s_p99 | $p_p50 / $p_p99 |"
  [ "$s_err" = none ] && [ "$p_err" = none ] || echo "errors: sealed $s_err; plaintext $p_err"
done
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS alternating rounds (median round), $(nproc) cores, $(date -u +%Y-%m-%d)"
