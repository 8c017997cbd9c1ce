#!/usr/bin/env bash
# Audit trail benchmarks (docs/benchmarks.md, "Audit trail"): durable appends against plain
# inserts of the same rows in one run, the tree builder keeping up, full verification, and
# inclusion and consistency proofs on a tree of 10 million leaves.
#
#   bench/audit/run.sh                         # 200,000 records from 64 threads; 10 M leaves
#   RECORDS=50000 THREADS=16 LEAVES=1000000 bench/audit/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
RECORDS=${RECORDS:-200000}
THREADS=${THREADS:-64}
LEAVES=${LEAVES:-10000000}
PROOFS=${PROOFS:-20000}
build/bench/bench_audit_append --records "$RECORDS" --threads "$THREADS"
echo
build/bench/bench_audit_proofs --leaves "$LEAVES" --proofs "$PROOFS"
