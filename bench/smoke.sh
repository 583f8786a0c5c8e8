#!/usr/bin/env bash
# Smoke runs of the six benchmarks, for CI: tiny sizes, synthetic data (no
# DAIAD file), but the real path end to end: an embedded PostgreSQL from the
# wheel (or RELEVE_BENCH_DATABASE_URL) and Mosquitto, which must be on PATH.
# Each run prints its figures and ratio; the first that fails stops the script
# with its exit code.
#
#     bench/smoke.sh                      # with .venv/bin/python
#     PYTHON=python3 bench/smoke.sh
set -euo pipefail

PYTHON=${PYTHON:-.venv/bin/python}
# The learned models' fits are small: BLAS threads only contend for the runner's cores.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for bench in ingest_csv ingest_mqtt estimate detect_eval api scale; do
    echo "== smoke: bench/$bench.py --smoke" >&2
    started=$SECONDS
    "$PYTHON" "$BENCH/$bench.py" --smoke
    echo "== smoke: bench/$bench.py passed in $((SECONDS - started)) s" >&2
done
echo "== smoke: all six benchmarks ran in $SECONDS s" >&2
