#!/usr/bin/env bash
# HTTP benchmark: wrk against trustd's GET /health and an authenticated GET /api/auth/me, and
# against nginx (Debian nginx-light) serving the same fixed JSON body, in one run, same machine,
# same connection count. Prints a Markdown table for docs/benchmarks.md.
#
# The machine is shared and noisy, so nginx and trustd /health are measured in rounds of one
# each, back to back, in the order nginx-trustd, trustd-nginx, ... (so a drift in the machine's
# speed weighs on both alike). Each round gives trustd's requests/s as a share of nginx's; the
# median of those shares is the figure, beside the median round of each and their ratio.
#
# With PIN=1 the load generator gets a core of its own, as a client on another machine would:
# the servers run on CPU 0 (one nginx worker, one trustd I/O thread) and wrk on CPU 1. Without
# it, wrk and the server share both cores and the scheduler's time slices set the tail latency.
#
#   bench/http/run.sh                       # 64 connections, 5 rounds of 8 s per target
#   CONNECTIONS=32 ROUNDS=3 DURATION=10 bench/http/run.sh
#   PIN=1 bench/http/run.sh                 # wrk on its own core
set -euo pipefail
cd "$(dirname "$0")/../.."

CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-5}
PIN=${PIN:-0}
if [ "$PIN" = 1 ]; then
  THREADS=${THREADS:-1}
  server_cpu=(taskset -c 0)
  client_cpu=(taskset -c 1)
  server_workers=1
else
  THREADS=${THREADS:-2}
  server_cpu=()
  client_cpu=()
  server_workers=$(nproc)
fi
NGINX_PORT=${NGINX_PORT:-18181}
TRUSTD_PORT=${TRUSTD_PORT:-18182}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for tool in wrk nginx taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# --- nginx: same body and security headers, access log off, one worker per server core --------------------------------
mkdir -p "$work/nginx/logs"
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes $server_workers;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    # The security headers trustd sends on every response (src/http/message.cc).
    add_header Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'" always;
    add_header X-Content-Type-Options nosniff always;
    add_header Referrer-Policy no-referrer always;
    add_header X-Frame-Options DENY always;
    location = /health { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
NGINX
${server_cpu[@]+"${server_cpu[@]}"} nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)

# --- trustd: production defaults, access log off (as nginx's) ------------------------------
build/src/trustctl --data-dir "$work/trustd" bootstrap --email bench@trust.local --password-stdin \
  <<<"wrk-load-passphrase-93" >/dev/null 2>&1
TRUST_SERVER_IO_THREADS=$server_workers TRUST_LOG_ACCESS_LOG=false TRUST_LOG_LEVEL=warn \
  ${server_cpu[@]+"${server_cpu[@]}"} build/src/trustd --listen "127.0.0.1:$TRUSTD_PORT" --data-dir "$work/trustd" >"$work/trustd.out" 2>"$work/trustd.log" &
trustd_pid=$!
pids+=($trustd_pid)
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$TRUSTD_PORT/health" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$NGINX_PORT/health" >/dev/null 2>&1 && break
  sleep 0.1
done
token=$(curl -sf "http://127.0.0.1:$TRUSTD_PORT/api/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"bench@trust.local","password":"wrk-load-passphrase-93"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
idle_rss=$(rss_kib "$trustd_pid")

# run NAME URL [HEADER] -> "rps p50 p99"
run() {
  local out
  if [ -n "${3:-}" ]; then
    out=$(${client_cpu[@]+"${client_cpu[@]}"} wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$3" "$2")
  else
    out=$(${client_cpu[@]+"${client_cpu[@]}"} wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$2")
  fi
  echo "$out" >"$work/$1.txt"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ' || true)
  echo "$rps $p50 $p99 ${errors:-none}"
}

# Warm-up, then the measured runs back to back.
wrk -t1 -c8 -d2s "http://127.0.0.1:$TRUSTD_PORT/health" >/dev/null
wrk -t1 -c8 -d2s "http://127.0.0.1:$NGINX_PORT/health" >/dev/null
# median FILE COLUMN: the median line of FILE ordered by the numeric COLUMN (rps).
median() { sort -n -k"$2" "$1" | awk '{a[NR]=$0} END {print a[int((NR + 1) / 2)]}'; }
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/, "", v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v*=1000}; printf "%.2f", v}' <<<"$1"; }
: >"$work/nginx.rounds"
: >"$work/trustd.rounds"
: >"$work/shares"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then
    run nginx "http://127.0.0.1:$NGINX_PORT/health" >>"$work/nginx.rounds"
    run trustd-health "http://127.0.0.1:$TRUSTD_PORT/health" >>"$work/trustd.rounds"
  else
    run trustd-health "http://127.0.0.1:$TRUSTD_PORT/health" >>"$work/trustd.rounds"
    run nginx "http://127.0.0.1:$NGINX_PORT/health" >>"$work/nginx.rounds"
  fi
  n_round=$(tail -1 "$work/nginx.rounds" | cut -d' ' -f1)
  t_round=$(tail -1 "$work/trustd.rounds" | cut -d' ' -f1)
  awk -v t="$t_round" -v n="$n_round" 'BEGIN {printf "%.1f\n", 100 * t / n}' >>"$work/shares"
  echo "round $round/$ROUNDS: nginx $(tail -1 "$work/nginx.rounds" | cut -d' ' -f1,3) | trustd $(tail -1 "$work/trustd.rounds" | cut -d' ' -f1,3) | trustd/nginx $(tail -1 "$work/shares") %" >&2
done
read -r n_rps n_p50 n_p99 n_err < <(median "$work/nginx.rounds" 1)
read -r t_rps t_p50 t_p99 t_err < <(median "$work/trustd.rounds" 1)
loaded_rss=$(rss_kib "$trustd_pid")
read -r m_rps m_p50 m_p99 m_err < <(run trustd-me "http://127.0.0.1:$TRUSTD_PORT/api/auth/me" "Authorization: Bearer $token")
loaded_rss_me=$(rss_kib "$trustd_pid")
# p99 of every round in ms, sorted: FILE -> lines
p99s() { awk '{print $3}' "$1" | while read -r v; do to_ms "$v"; echo; done | sort -n; }
t_p99_worst=$(p99s "$work/trustd.rounds" | tail -1)
t_p99_best=$(p99s "$work/trustd.rounds" | head -1)
t_p99_median=$(p99s "$work/trustd.rounds" | awk '{a[NR]=$0} END {print a[int((NR + 1) / 2)]}')
n_p99_median=$(p99s "$work/nginx.rounds" | awk '{a[NR]=$0} END {print a[int((NR + 1) / 2)]}')

ratio=$(awk -v t="$t_rps" -v n="$n_rps" 'BEGIN {printf "%.1f", 100 * t / n}')
share_median=$(sort -n "$work/shares" | awk '{a[NR]=$0} END {print a[int((NR + 1) / 2)]}')
shares=$(sort -n "$work/shares" | paste -sd' ')
echo
placement="wrk and the servers share $(nproc) cores"
[ "$PIN" = 1 ] && placement="servers on CPU 0 (1 worker / I/O thread), wrk on CPU 1"
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS alternating rounds (median round shown), $placement, $(date -u +%Y-%m-%d)"
echo
echo "| target | requests/s | p50 | p99 | errors |"
echo "|---|---:|---:|---:|---|"
echo "| nginx GET /health (fixed body) | $n_rps | $n_p50 | $n_p99 | $n_err |"
echo "| trustd GET /health | $t_rps | $t_p50 | $t_p99 | $t_err |"
echo "| trustd GET /api/auth/me (bearer session) | $m_rps | $m_p50 | $m_p99 | $m_err |"
echo
echo "trustd /health at ${share_median}% of nginx's requests/s (median of the rounds' shares: ${shares});"
echo "the median rounds' ratio: ${ratio}%. trustd /health p99 over the rounds: ${t_p99_best}-${t_p99_worst} ms."
echo "Median p99 over the rounds: trustd ${t_p99_median} ms, nginx ${n_p99_median} ms."
echo "trustd RSS: idle $((idle_rss / 1024)) MiB, after /health load $((loaded_rss / 1024)) MiB, after /api/auth/me load $((loaded_rss_me / 1024)) MiB."
