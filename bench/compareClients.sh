#!/bin/bash
# Before and after in one sitting: this checkout's warmcc against another checkout's (say a
# worktree of the commit before a change: git worktree add /tmp/before HEAD~1 && (cd /tmp/before
# && npm ci)), and ccache for reference, in alternating rounds so the machine's drift hits all of
# them alike. Each round, for each tool: a warm rebuild of the generated project (make -jJOBS,
# bench/generateProject.ts) and CALLS hits of one small file in a row (the per-hit cost). Each
# warmcc has its own server, socket and cache. Reports only; asserts nothing.
#   bench/compareClients.sh OTHER_CHECKOUT [ROUNDS [JOBS [CALLS [WORKDIR]]]]
#   (default: 7 rounds, make -j2, 200 calls, /tmp/warmcc-compare)
set -euo pipefail
OTHER=$(cd "${1:?usage: bench/compareClients.sh OTHER_CHECKOUT [ROUNDS [JOBS [CALLS [WORKDIR]]]]}" && pwd)
ROUNDS=${2:-7}
JOBS=${3:-2}
CALLS=${4:-200}
WORK=${5:-/tmp/warmcc-compare}
REPO=$(cd "$(dirname "$0")/.." && pwd)
PROJECT="$WORK/project"
for checkout in "$REPO" "$OTHER"; do
  [ -x "$checkout/bin/warmcc" ] || { echo "no $checkout/bin/warmcc (npm ci there first)" >&2; exit 2; }
done

if [ ! -f "$PROJECT/Makefile" ]; then
  mkdir -p "$WORK"
  (cd "$REPO" && node --import tsx bench/generateProject.ts "$PROJECT" >/dev/null)
  printf 'int small(int x) { return x * 3 + 1; }\n' > "$WORK/small.c"
  # direct mode trusts files that have not changed for a while
  find "$PROJECT" "$WORK/small.c" -type f -exec touch -d '-5 min' {} +
fi

TOOLS=(this other ccache)
launcher() {
  case "$1" in
    this) echo "$REPO/bin/warmcc" ;;
    other) echo "$OTHER/bin/warmcc" ;;
    ccache) echo ccache ;;
  esac
}
tool_env() {
  case "$1" in
    this) echo "WARMCC_DIR=$WORK/cache-this WARMCC_SOCKET=$WORK/this.sock WARMCC_LOG=$WORK/this.log" ;;
    other) echo "WARMCC_DIR=$WORK/cache-other WARMCC_SOCKET=$WORK/other.sock WARMCC_LOG=$WORK/other.log" ;;
    ccache) echo "CCACHE_DIR=$WORK/ccache" ;;
  esac
}
build() { # tool -> seconds of one rebuild
  make -s -C "$PROJECT" clean
  # shellcheck disable=SC2046
  { env $(tool_env "$1") /usr/bin/time -f %e make -s -C "$PROJECT" -j"$JOBS" CC="$(launcher "$1") gcc" CXX="$(launcher "$1") g++" >/dev/null; } 2>&1 | tail -1
}
hits() { # tool -> ms per call of CALLS compiles of small.c, all hits after the first
  local start end
  # shellcheck disable=SC2046
  env $(tool_env "$1") $(launcher "$1") gcc -O2 -c "$WORK/small.c" -o "$WORK/small-$1.o"
  start=$(date +%s%N)
  for _ in $(seq "$CALLS"); do
    # shellcheck disable=SC2046
    env $(tool_env "$1") $(launcher "$1") gcc -O2 -c "$WORK/small.c" -o "$WORK/small-$1.o"
  done
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v n="$CALLS" 'BEGIN { printf "%.2f", ns / n / 1e6 }'
}
server() { # start|stop tool
  [ "$2" = ccache ] && return 0
  # shellcheck disable=SC2046
  env $(tool_env "$2") "$(launcher "$2")" "--$1-server" >/dev/null 2>&1 || [ "$1" = stop ]
}

echo "this:  $REPO ($(git -C "$REPO" rev-parse --short HEAD))"
echo "other: $OTHER ($(git -C "$OTHER" rev-parse --short HEAD 2>/dev/null || echo '?'))"
for t in "${TOOLS[@]}"; do server stop "$t"; server start "$t"; done
for t in "${TOOLS[@]}"; do echo "$t: first build $(build "$t") s (cold the first time this work dir is used)"; done

declare -A BUILDS HITS
for _ in $(seq "$ROUNDS"); do
  for t in "${TOOLS[@]}"; do
    BUILDS[$t]="${BUILDS[$t]:-} $(build "$t")"
    HITS[$t]="${HITS[$t]:-} $(hits "$t")"
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "$ROUNDS rounds, make -j$JOBS, $CALLS hits per round ($(nproc) cores, $(date -u +%FT%TZ)):"
for t in "${TOOLS[@]}"; do
  # shellcheck disable=SC2086
  printf '  %-6s warm rebuild median %s s (%s)\n         per hit median %s ms (%s)\n' "$t" "$(median ${BUILDS[$t]})" "${BUILDS[$t]# }" "$(median ${HITS[$t]})" "${HITS[$t]# }"
done
for t in "${TOOLS[@]}"; do server stop "$t"; done
