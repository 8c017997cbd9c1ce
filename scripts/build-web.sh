#!/usr/bin/env bash
# Builds the web console into web/dist: `npm ci` from the committed lock file when
# node_modules is missing or older than the lock, then `npm run build` (type check + Vite)
# when any source is newer than the last build.
set -euo pipefail
cd "$(dirname "$0")/../web"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "web: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

stamp=dist/index.html
if [ ! -f "$stamp" ] || [ -n "$(find src public index.html package.json package-lock.json tsconfig.json vite.config.ts \
    -newer "$stamp" -print -quit)" ]; then
  echo "web: building the console"
  npm run --silent build
fi
