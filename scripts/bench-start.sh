#!/usr/bin/env bash
# bench-start.sh BIN — compare the start-up time of `BIN dstatus --json` and
# `BIN act --if-due -q` (as login scripts and VPN hooks call them) with the
# floor (scripts/bench-floor: cobra, viper, fatih/color and tablewriter,
# printing {}) and a hello-world Go binary, all built the same way
# (CGO_ENABLED=0, -trimpath, -ldflags "-s -w"); volactd must sit next to BIN.
#
# Prints the median wall time of each (at least RUNS runs, default 60), the
# ratios, both binaries' sizes and the client's package init time. Uses
# hyperfine when it is installed, else a python3 loop, else a loop timed
# with date +%s%N. Goals: <= 1.15x the floor, volact <= 7 MB.
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
# The floor: cobra + viper + fatih/color + tablewriter, printing {}.
here=$(cd "$(dirname "$0")" && pwd)
(cd "$here/.." && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$tmp/floor-bin" ./scripts/bench-floor)

# A store with a catalog and one key installed: the real client path.
export VOLACT_STORE="$tmp/store" VOLACT_MACHINE_ID=bench-machine VOLACT_CONFIG="$tmp/empty.yaml"
: > "$VOLACT_CONFIG"
unset VOLACT_CLOCK_OFFSET VOLACT_CATALOG VOLACT_SERVICE VOLACT_JSON
BIND=$(dirname "$BIN")/volactd
[ -x "$BIND" ] || { echo "bench-start: $BIND (volactd, next to volact) is not an executable" >&2; exit 2; }
"$BIND" mak init --dir "$tmp/auth" --allow-overrides machine-id -q
"$BIN" catalog install -q "$tmp/auth/catalog.json"
"$BIN" inpkey -q "$("$BIND" mak mint --dir "$tmp/auth" --type mak --sku suite-pro --activations 5)"
# Activate it once against a throw-away service: a permanently activated
# MAK is the "nothing due" path that login scripts hit at every logon.
"$BIND" mak serve --dir "$tmp/auth" --listen 127.0.0.1:0 --addr-file "$tmp/svc.addr" 2> "$tmp/svc.log" &
svc=$!
for _ in $(seq 100); do [ -s "$tmp/svc.addr" ] && break; sleep 0.1; done
"$BIN" act -q --service "$(cat "$tmp/svc.addr")"
kill "$svc"; wait "$svc" 2> /dev/null || true
"$BIN" dstatus --json > /dev/null
"$BIN" act --if-due -q

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

# Interleave the measurements twice to even out noise on a busy machine;
# keep the lower median of each.
lower() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (a < b ? a : b)}'; }
ratio() { awk -v v="$1" -v h="$2" 'BEGIN {printf "%.2f", v / h}'; }
h1=$(median_ms "$tmp/hello-bin"); f1=$(median_ms "$tmp/floor-bin"); d1=$(median_ms "$BIN" dstatus --json); a1=$(median_ms "$BIN" act --if-due -q)
h2=$(median_ms "$tmp/hello-bin"); f2=$(median_ms "$tmp/floor-bin"); d2=$(median_ms "$BIN" dstatus --json); a2=$(median_ms "$BIN" act --if-due -q)
hello=$(lower "$h1" "$h2"); floor=$(lower "$f1" "$f2"); dst=$(lower "$d1" "$d2"); act=$(lower "$a1" "$a2")
tool="date loop"
if command -v hyperfine > /dev/null; then tool=hyperfine; elif command -v python3 > /dev/null; then tool="python3 loop"; fi
size() { wc -c < "$1" | awk '{printf "%.1f MB (%d bytes)", $1 / 1e6, $1}'; }
echo "Median wall time of ${RUNS} runs, twice, interleaved (${tool}); ratios to the floor (cobra + viper + fatih/color + tablewriter printing {}, goal <= 1.15) and to hello world."
echo
echo "| binary | median ms | vs floor | vs hello |"
echo "| --- | ---: | ---: | ---: |"
echo "| hello world | ${hello} | $(ratio "$hello" "$floor") | 1.00 |"
echo "| floor | ${floor} | 1.00 | $(ratio "$floor" "$hello") |"
echo "| volact dstatus --json | ${dst} | $(ratio "$dst" "$floor") | $(ratio "$dst" "$hello") |"
echo "| volact act --if-due -q (not due) | ${act} | $(ratio "$act" "$floor") | $(ratio "$act" "$hello") |"
echo
echo "Sizes (static, -s -w): volact $(size "$BIN") (goal <= 7 MB), volactd $(size "$BIND"), floor $(size "$tmp/floor-bin")."
echo
# Package init time (GODEBUG=inittrace=1): volact's own packages together.
GODEBUG=inittrace=1 "$BIN" dstatus --json 2> "$tmp/init" > /dev/null
awk '/^init / { ms = $5; if ($2 ~ /volact\/volact/) own += ms; all += ms; if (ms > 0.05) slow = slow sprintf(" %s %.3f ms;", $2, ms) }
	END { printf "Init (GODEBUG=inittrace=1): volact packages %.3f ms together (goal < 0.2 ms), all packages %.3f ms.", own, all; if (slow != "") printf " Over 0.05 ms:%s", slow; print "" }' "$tmp/init"
