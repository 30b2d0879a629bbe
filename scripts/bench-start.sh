#!/usr/bin/env bash
# bench-start.sh BIN — compare the start-up time of `BIN dstatus --json` (as
# login scripts and VPN hooks call it) with a hello-world Go binary built
# the same way (CGO_ENABLED=0, -trimpath, -ldflags "-s -w").
#
# Prints the median wall time of each (at least RUNS runs, default 60) and
# the ratio. Uses hyperfine when it is installed, else a python3 loop, else
# a loop timed with date +%s%N. The goal is a ratio of at most 1.5.
set -euo pipefail

BIN=${1:?usage: bench-start.sh BIN}
RUNS=${RUNS:-60}
GO=${GO:-go}
[ -x "$BIN" ] || { echo "bench-start: $BIN is not an executable" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
(( RUNS >= 40 )) || { echo "bench-start: RUNS must be at least 40" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Hello world, same toolchain and flags as `make build`.
mkdir -p "$tmp/hello"
cat > "$tmp/hello/main.go" <<'GO'
package main

import (
	"fmt"
	"os"
)

func main() { fmt.Fprintln(os.Stdout, `{"hello":"world"}`) }
GO
printf 'module hello\n\ngo 1.22\n' > "$tmp/hello/go.mod"
(cd "$tmp/hello" && CGO_ENABLED=0 GOFLAGS='' "$GO" build -trimpath -ldflags "-s -w" -o "$tmp/hello-bin" .)

# A store with a catalog and one key installed: the real client path.
export VOLACT_STORE="$tmp/store" VOLACT_MACHINE_ID=bench-machine VOLACT_CONFIG="$tmp/empty.yaml"
: > "$VOLACT_CONFIG"
unset VOLACT_CLOCK_OFFSET VOLACT_CATALOG VOLACT_SERVICE VOLACT_JSON
"$BIN" mak init --dir "$tmp/auth" -q
"$BIN" catalog install -q "$tmp/auth/catalog.json"
"$BIN" inpkey -q "$("$BIN" mak mint --dir "$tmp/auth" --type mak --sku suite-pro --activations 5)"
"$BIN" dstatus --json > /dev/null

# median_ms CMD... — median wall time of RUNS runs after 5 warm-ups, in ms.
median_ms() {
	if command -v hyperfine > /dev/null; then
		hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$tmp/h.json" "$*" > /dev/null 2>&1
		python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$tmp/h.json"
		return
	fi
	if command -v python3 > /dev/null; then
		# A precise clock without the cost of forking date around each run.
		python3 - "$RUNS" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
for _ in range(5):
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
ts = []
for _ in range(runs):
    t0 = time.perf_counter_ns()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    ts.append(time.perf_counter_ns() - t0)
print("%.3f" % (statistics.median(ts) / 1e6))
PY
		return
	fi
	local i t0 t1
	for i in 1 2 3 4 5; do "$@" > /dev/null; done
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		"$@" > /dev/null
		t1=$(date +%s%N)
		echo $((t1 - t0))
	done | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.3f\n", m / 1e6}'
}

# Interleave the two measurements twice to even out noise on a busy machine.
h1=$(median_ms "$tmp/hello-bin"); v1=$(median_ms "$BIN" dstatus --json)
h2=$(median_ms "$tmp/hello-bin"); v2=$(median_ms "$BIN" dstatus --json)
hello=$(awk -v a="$h1" -v b="$h2" 'BEGIN {printf "%.3f", (a < b ? a : b)}')
volact=$(awk -v a="$v1" -v b="$v2" 'BEGIN {printf "%.3f", (a < b ? a : b)}')
ratio=$(awk -v v="$volact" -v h="$hello" 'BEGIN {printf "%.2f", v / h}')
tool="date loop"
if command -v hyperfine > /dev/null; then tool=hyperfine; elif command -v python3 > /dev/null; then tool="python3 loop"; fi
echo "hello world:           median ${hello} ms (${RUNS} runs x2, ${tool})"
echo "volact dstatus --json: median ${volact} ms (${RUNS} runs x2, ${tool})"
echo "ratio: ${ratio} (goal <= 1.5)"
