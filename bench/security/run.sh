#!/usr/bin/env bash
# Detection benchmark (docs/benchmarks.md, "Detection"): the shipped rules over 1 million audit
# records against reading the same records without evaluating them, in one run; then the time
# from a burst's sixth failed sign-in to its event while records are appended at a steady rate.
#
#   bench/security/run.sh                       # 1,000,000 records; 2,000 records/s for 30 s
#   RECORDS=200000 RATE=5000 SECONDS_UNDER_LOAD=60 bench/security/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build/bench/bench_security_detect --records "${RECORDS:-1000000}" --rate "${RATE:-2000}" \
  --seconds "${SECONDS_UNDER_LOAD:-30}" --dir build/bench-security
