#!/usr/bin/env bash
# Installs the Debian 12 packages Trust Fabric needs to build, test and benchmark.
# Idempotent: runs `apt-get update` and installs only what is missing. Works as root with no
# prompt; as another user it uses sudo when available.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang clang-tidy clang-format
  libclang-rt-14-dev
  # libraries (see docs/architecture.md for why each)
  libboost1.74-dev libabsl-dev nlohmann-json3-dev libsqlite3-dev libsodium-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libyaml-cpp-dev libpq-dev libqrencode-dev libcurl4-openssl-dev tzdata
  # the web console's browser tests
  chromium
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev postgresql prometheus curl openssl wrk nginx-light oathtool
  # the reference verifier of audit exports (docs/verify_audit_bundle.py) and its test
  python3 python3-cryptography
)

missing=()
# The console's build needs Node.js with npm; a machine that already has them (Debian's or
# NodeSource's) keeps its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
