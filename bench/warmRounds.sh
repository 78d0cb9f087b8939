#!/bin/bash
# Warm rebuilds in rounds: each round rebuilds the generated project (bench/generateProject.ts)
# once with every variant in turn, so slow drifts of the machine hit all of them alike; prints
# every time and the median per variant. Reports only; asserts nothing.
#   bench/warmRounds.sh [ROUNDS [JOBS [WORKDIR]]]      (default: 10 rounds, make -j2, /tmp/warmcc-rounds)
# Variants, each with its own server (socket) started once and warmed by one build first:
#   warmcc          the defaults (direct mode, hit servers by core count, entries LZ4)
#   warmcc-hit1     WARMCC_HIT_SERVERS=1 (same cache as warmcc)
#   warmcc-stored   WARMCC_COMPRESSION_LEVEL=0 (own cache, stored uncompressed)
#   ccache          ccache's direct mode (own CCACHE_DIR)
# The first build of each variant is a cold one (all misses); the project's sources are aged, so
# direct mode trusts them.
set -euo pipefail
ROUNDS=${1:-10}
JOBS=${2:-2}
WORK=${3:-/tmp/warmcc-rounds}
REPO=$(cd "$(dirname "$0")/.." && pwd)
WARMCC="$REPO/bin/warmcc"
PROJECT="$WORK/project"

if [ ! -f "$PROJECT/Makefile" ]; then
  mkdir -p "$WORK"
  (cd "$REPO" && node --import tsx bench/generateProject.ts "$PROJECT" >/dev/null)
  find "$PROJECT" -type f -exec touch -d '-5 min' {} +
fi

variant_env() {
  case "$1" in
    warmcc) echo "WARMCC_DIR=$WORK/cache WARMCC_SOCKET=$WORK/a.sock WARMCC_LOG=$WORK/a.log" ;;
    warmcc-hit1) echo "WARMCC_DIR=$WORK/cache WARMCC_SOCKET=$WORK/b.sock WARMCC_LOG=$WORK/b.log WARMCC_HIT_SERVERS=1" ;;
    warmcc-stored) echo "WARMCC_DIR=$WORK/cache-stored WARMCC_SOCKET=$WORK/c.sock WARMCC_LOG=$WORK/c.log WARMCC_COMPRESSION_LEVEL=0" ;;
    ccache) echo "CCACHE_DIR=$WORK/ccache" ;;
  esac
}
compilers() {
  if [ "$1" = ccache ]; then echo "ccache"; else echo "$WARMCC"; fi
}
build() { # variant -> prints seconds
  local launcher
  launcher=$(compilers "$1")
  make -s -C "$PROJECT" clean
  # shellcheck disable=SC2046
  { env $(variant_env "$1") /usr/bin/time -f %e make -s -C "$PROJECT" -j"$JOBS" CC="$launcher gcc" CXX="$launcher g++" >/dev/null; } 2>&1 | tail -1
}

VARIANTS=(warmcc warmcc-hit1 warmcc-stored ccache)
for v in "${VARIANTS[@]}"; do
  if [ "$v" != ccache ]; then
    # shellcheck disable=SC2046
    env $(variant_env "$v") "$WARMCC" --stop-server >/dev/null 2>&1 || true
    # shellcheck disable=SC2046
    env $(variant_env "$v") "$WARMCC" --start-server >/dev/null
  fi
done
for v in "${VARIANTS[@]}"; do echo "$v: first build $(build "$v") s (cold the first time this work dir is used)"; done

declare -A TIMES
for _ in $(seq "$ROUNDS"); do
  for v in "${VARIANTS[@]}"; do TIMES[$v]="${TIMES[$v]:-} $(build "$v")"; done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "warm rebuilds, make -j$JOBS, $ROUNDS rounds ($(nproc) cores, $(date -u +%FT%TZ)):"
for v in "${VARIANTS[@]}"; do
  # shellcheck disable=SC2086
  printf '  %-14s median %s s   (%s)\n' "$v" "$(median ${TIMES[$v]})" "${TIMES[$v]# }"
done
for v in warmcc warmcc-hit1 warmcc-stored; do
  # shellcheck disable=SC2046
  env $(variant_env "$v") "$WARMCC" --stop-server >/dev/null 2>&1 || true
done
