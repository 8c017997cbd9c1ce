#!/usr/bin/env bash
# Starts trustd on 127.0.0.1:8080 with the embedded SQLite store in ./var. On the first run it
# creates the first SUPER_ADMIN and prints a one-time password (there is no default password).
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=${TRUST_DATA_DIR:-./var}
listen=${TRUST_LISTEN:-127.0.0.1:8080}
email=${TRUST_ADMIN_EMAIL:-admin@trust.local}
mkdir -p "$data_dir"

echo
build/src/trustctl --data-dir "$data_dir" bootstrap --email "$email" --if-needed 2>/dev/null \
  | sed 's/^/  /'
echo "  Console: open http://$listen/ and sign in as $email with the one-time password"
echo "  (you are asked to choose a new one), or use the API:"
echo "  Sign in: POST http://$listen/api/auth/login {\"email\": \"$email\", \"password\": \"...\"}"
echo "  e.g. curl -s http://$listen/api/auth/login -H 'Content-Type: application/json' \\"
echo "         -d '{\"email\":\"$email\",\"password\":\"<the one-time password>\"}'"
echo "  then change the one-time password: POST /api/auth/password (docs/api/openapi.yaml)."
echo
exec build/src/trustd --listen "$listen" --data-dir "$data_dir"
