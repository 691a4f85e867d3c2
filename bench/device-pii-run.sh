#!/usr/bin/env bash
# The check issue 3 waits for, on a machine with more cores than this one (the device machine, 16 vCPUs,
# when a session draws one): the pipeline `pii` step on one thread, with its own pool, on two slices
# (`run --threads 2`) and as two independent processes; first pinned to the two fastest CPUs on
# different physical cores (`core-rates`), then `scrub` line-parallel against two processes on those CPUs,
# then unpinned with time left (the pair still pinned). Rounds alternate the modes.
#   here:   bash bench/device-pack.sh
#   there:  bash bench/device-pii-run.sh [MB] [ROUNDS]   (device tool: carry [".devcarry"], timeout_s 540)
# Session 10 timings there at 100 MB: unpack 4 s, core-rates 26 s, 80 s a pinned round, 52 s an unpinned one
# (scrub line-parallel, not measured there yet: ≈ 20 s a round by this machine's rates).
# With time left (under 330 s gone) one file read in ranges, then (under 470 s) slice start-up.
# Writes the log to $OUT/pii-run.txt when $OUT is set (the device tool's output folder), else stdout.
set -uo pipefail
MB=${1:-100}
ROUNDS=${2:-3}
T0=$(date +%s)
el() { echo $(($(date +%s) - T0)); }
if [ -f .devcarry/node.xz ] && [ ! -x /tmp/nb/node ]; then
  mkdir -p /tmp/nb && xz -dc .devcarry/node.xz > /tmp/nb/node && chmod +x /tmp/nb/node
fi
[ -x /tmp/nb/node ] && export PATH=/tmp/nb:$PATH
[ -d packages/cli/dist ] || tar -xJf .devcarry/bundle.tar.xz
[ -f bench/data/pii-chat-20mb.jsonl ] || { mkdir -p bench/data && xz -dc .devcarry/pii-chat-20mb.jsonl.xz > bench/data/pii-chat-20mb.jsonl; }
log=${OUT:+$OUT/pii-run.txt}
log=${log:-/dev/stdout}
say() { echo "== $* [$(date -u +%T), +$(el) s] load $(cut -d' ' -f1-3 /proc/loadavg)"; }
{
  say machine
  uname -r; nproc; node --version; grep -m1 'model name' /proc/cpuinfo || true
  # which vCPUs are hardware threads of one core (core-rates picks two on different cores)
  lscpu -e=CPU,CORE,SOCKET,NODE,MAXMHZ 2>/dev/null || grep -H . /sys/devices/system/cpu/cpu*/topology/thread_siblings_list || true
  say core-rates
  n=$(nproc)
  rates=$(node bench/core-rates.mjs --cpus "$([ "$n" -ge 8 ] && echo 1 || echo 0)-$((n - 1))" --rounds 2)
  echo "$rates"
  cpus=$(echo "$rates" | sed -n 's/.*fastest two: \([0-9]*,[0-9]*\).*/\1/p')
  echo "using CPUs ${cpus:=0,1}"
  say pii-run, pinned
  node bench/pii-run.mjs --mb "$MB" --files 4 --runs "$ROUNDS" --pin --pair --cpus "$cpus"
  # the filter: `scrub` line-parallel on the same two CPUs, against two independent processes
  say scrub line-parallel, pinned
  node bench/pii-cli.mjs --mb "$MB" --runs 2 --pin --modes line --pair --cpus "$cpus"
  if [ "$(el)" -lt 320 ]; then
    say pii-run, unpinned
    node bench/pii-run.mjs --mb "$MB" --files 4 --runs "$ROUNDS" --pair --cpus "$cpus"
  fi
  if [ "$(el)" -lt 330 ]; then
    say pii-run, one file
    node bench/pii-run.mjs --mb "$MB" --files 1 --runs 2 --pin --cpus "$cpus"
  fi
  if [ "$(el)" -lt 470 ]; then
    say slice start-up
    node bench/slice-startup.mjs --runs 5
  fi
  say done
} > "$log" 2>&1
