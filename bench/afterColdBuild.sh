#!/bin/bash
# The rebuilds right after a cold build, as `npm run bench` times them, with what the server pays
# for each: a fresh cache and server, one cold build of the generated project, then N warm
# rebuilds at once, each printed with its wall time, the server's CPU time (/proc/PID/stat), the
# whole machine's busy time (/proc/stat) and the server's resident memory (VmRSS). Reports only.
#   bench/afterColdBuild.sh [WARM_BUILDS [JOBS [WORKDIR]]]   (default: 8, make -j2, /tmp/warmcc-after-cold)
# WARMCC_* settings in the caller's environment reach the server (e.g. WARMCC_COMPRESSION=deflate).
set -euo pipefail
BUILDS=${1:-8}
JOBS=${2:-2}
WORK=${3:-/tmp/warmcc-after-cold}
REPO=$(cd "$(dirname "$0")/.." && pwd)
WARMCC="$REPO/bin/warmcc"
PROJECT="$WORK/project"

if [ ! -f "$PROJECT/Makefile" ]; then
  mkdir -p "$WORK"
  (cd "$REPO" && node --import tsx bench/generateProject.ts "$PROJECT" >/dev/null)
  # aged sources: direct mode trusts them
  find "$PROJECT" -type f -exec touch -d '-5 min' {} +
fi

export WARMCC_DIR="$WORK/cache" WARMCC_SOCKET="$WORK/s.sock" WARMCC_LOG="$WORK/server.log"
"$WARMCC" --stop-server >/dev/null 2>&1 || true
rm -rf "$WARMCC_DIR"
"$WARMCC" --start-server >/dev/null
trap '"$WARMCC" --stop-server >/dev/null 2>&1 || true' EXIT
pid=$("$WARMCC" -s --stats-format json | node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync(0, 'utf8')).serverPid))")

server_cpu_ms() { awk '{ print ($14 + $15) * 10 }' "/proc/$pid/stat"; }           # utime + stime, 100 Hz ticks
machine_busy_ms() { awk '/^cpu / { print ($2 + $3 + $4 + $7 + $8) * 10 }' /proc/stat; } # user nice system irq softirq
build() { # prints seconds
  make -s -C "$PROJECT" clean
  { /usr/bin/time -f %e make -s -C "$PROJECT" -j"$JOBS" CC="$WARMCC gcc" CXX="$WARMCC g++" >/dev/null; } 2>&1 | tail -1
}

echo "cold build: $(build) s (make -j$JOBS, $(nproc) cores, $(date -u +%FT%TZ))"
for i in $(seq "$BUILDS"); do
  cpu=$(server_cpu_ms); busy=$(machine_busy_ms)
  seconds=$(build)
  echo "warm $i: $seconds s, server CPU $(( $(server_cpu_ms) - cpu )) ms, machine busy $(( $(machine_busy_ms) - busy )) ms, server RSS $(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status") MB"
done
"$WARMCC" -s | grep -E '^Cache (hits|misses) +[0-9]' || true
