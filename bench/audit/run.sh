#!/usr/bin/env bash
# Audit trail benchmarks (docs/benchmarks.md, "Audit trail"): durable appends against plain
# inserts of the same rows in one run, the tree builder keeping up, full verification, and
# inclusion and consistency proofs on a tree of 10 million leaves.
#
#   bench/audit/run.sh                         # 9 rounds of 100,000 records, 128 in flight; 10 M leaves
#   RECORDS=50000 IN_FLIGHT=256 LEAVES=1000000 bench/audit/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
RECORDS=${RECORDS:-100000}
IN_FLIGHT=${IN_FLIGHT:-128}
LEAVES=${LEAVES:-10000000}
PROOFS=${PROOFS:-20000}
build/bench/bench_audit_append --records "$RECORDS" --in-flight "$IN_FLIGHT"
echo
build/bench/bench_audit_proofs --leaves "$LEAVES" --proofs "$PROOFS"
