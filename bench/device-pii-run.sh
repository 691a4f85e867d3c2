#!/usr/bin/env bash
# The one check issue 3 still waits for, prepared for a machine with more (and steadier) cores than
# this one (e.g. the device machine, when a session draws one): the pipeline `pii` step on one thread,
# with its own pool, on two slices (`run --threads 2`), and as two independent processes, pinned to
# the two fastest CPUs (`core-rates`), 300 MB in 4 files, 3 rounds alternating.
#   bash bench/device-pii-run.sh [MB] [ROUNDS]      (repository root; packages built; node on PATH)
#   ONE_FILE=1 also runs the same MB as one file (read in ranges by both threads; no pair: it needs two files).
# Writes the log to $OUT/pii-run.txt when $OUT is set (the device tool's output folder), else stdout.
# About 3 minutes a round on this 2-vCPU machine at 300 MB; generating the input adds about a minute.
set -euo pipefail
MB=${1:-300}
ROUNDS=${2:-3}
log=${OUT:+$OUT/pii-run.txt}
log=${log:-/dev/stdout}
{
  echo "== machine $(date -u +%FT%TZ)"
  nproc; node --version; grep -m1 'model name' /proc/cpuinfo || true; uptime
  echo "== core-rates"
  rates=$(node bench/core-rates.mjs --rounds 2)
  echo "$rates"
  cpus=$(echo "$rates" | sed -n 's/.*fastest two: \([0-9]*,[0-9]*\).*/\1/p')
  echo "using CPUs ${cpus:=0,1}"
  echo "== pii-run"
  node bench/pii-run.mjs --mb "$MB" --files 4 --runs "$ROUNDS" --pin --pair --cpus "$cpus"
  if [ "${ONE_FILE:-0}" = 1 ]; then
    echo "== pii-run, one file"
    node bench/pii-run.mjs --mb "$MB" --files 1 --runs "$ROUNDS" --pin --cpus "$cpus"
  fi
  echo "== slice start-up"
  node bench/slice-startup.mjs --runs 5
  echo "== done $(date -u +%FT%TZ)"
} > "$log" 2>&1
