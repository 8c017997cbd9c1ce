#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time on a scratch copy of its seed corpus.
# Fails when a target finds a crash, a leak or undefined behaviour.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
seconds=${1:-60}
for target in http_request json_body totp audit_formats keyring detection_rules; do
  if [[ ! -x build-fuzz/tests/fuzz_$target ]]; then
    echo "fuzz_$target was not built (is it in the fuzz build preset?)"
    exit 1
  fi
  corpus=$(mktemp -d)
  cp tests/fuzz/corpus/$target/* "$corpus"/ 2>/dev/null || true
  echo "fuzz_$target: ${seconds}s"
  build-fuzz/tests/fuzz_$target -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$corpus/" "$corpus" 2>&1 | grep -E 'stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY' || true
  found=("$corpus"/crash-* "$corpus"/leak-* "$corpus"/timeout-* "$corpus"/oom-*)
  if ((${#found[@]})); then
    echo "fuzz_$target found a failing input:" "${found[@]}"
    exit 1
  fi
  rm -rf "$corpus"
done
