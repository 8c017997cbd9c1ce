#!/usr/bin/env bash
# The console's load figures (docs/benchmarks.md): gzip size of the first page's files and
# time to the first dashboard render in headless Chromium. Run through `make bench-web`.
set -euo pipefail
cd "$(dirname "$0")/../.."
node bench/web/first_render.mjs --trustd build/src/trustd --trustctl build/src/trustctl --console web/dist \
  --runs "${RUNS:-20}"
