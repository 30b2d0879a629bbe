#!/usr/bin/env bash
# bench.sh [BIN] — every benchmark, one Markdown report.
#
# Runs the Go benchmarks (short benchtime), the client start-up comparison
# (scripts/bench-start.sh), the KMS host against its floor and its memory
# (scripts/bench-kms.sh), MAK activations/s (scripts/bench-mak.sh), the
# fleet simulator with 100,000 and 1,000,000 machines (scripts/bench-sim.sh),
# the KMS status page with 1M clients (scripts/bench-status.sh), KMS failover with a
# silent first host (scripts/bench-failover.sh) and KMS hosts sharing one
# count on PostgreSQL (scripts/bench-shared.sh), each
# if present, prints the report and writes it to testdata/bench/latest.md
# with the machine (uname, CPUs, CPU model, Go version). They measure; they
# assert nothing. `make bench` calls it.
#
# Env: BENCHTIME (go test -benchtime, default 200ms), OUT (report path).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BENCHTIME=${BENCHTIME:-200ms}
OUT=${OUT:-testdata/bench/latest.md}
GO=${GO:-go}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BIN=${1:-}
if [ -z "$BIN" ]; then
	CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$tmp/volact" ./cmd/volact || exit 1
	CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$tmp/volactd" ./cmd/volactd || exit 1
	BIN=$tmp/volact
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
BIND=$(dirname "$BIN")/volactd # the servers, built next to the client

report=$tmp/report.md
status=0
cpu=$(grep -m1 'model name' /proc/cpuinfo 2> /dev/null | sed 's/.*: //')
[ -n "$cpu" ] || cpu=$(sysctl -n machdep.cpu.brand_string 2> /dev/null || echo unknown)

# section TITLE CMD... — run CMD, put its output (or its failure) in the report.
section() {
	local title=$1
	shift
	echo "== $title" >&2
	{
		echo "## $title"
		echo
		if "$@" > "$tmp/out" 2> "$tmp/err"; then
			cat "$tmp/out"
		else
			echo "**failed** (exit $?):"
			echo
			echo '```'
			tail -n 30 "$tmp/out" "$tmp/err"
			echo '```'
			status=1
		fi
		echo
	} >> "$report"
}

# go_bench — go test benchmarks as a Markdown table (called through section).
# shellcheck disable=SC2317
go_bench() {
	"$GO" test -run '^$' -bench . -benchmem -benchtime "$BENCHTIME" -timeout 30m ./... > "$tmp/gobench" 2>&1
	local rc=$?
	echo "| package | benchmark | iterations | ns/op | other |"
	echo "| --- | --- | ---: | ---: | --- |"
	awk '
		/^pkg: / { pkg = $2 }
		/^Benchmark/ && NF >= 4 {
			other = ""
			for (i = 5; i < NF; i += 2) other = other (other == "" ? "" : ", ") $i " " $(i + 1)
			printf "| %s | %s | %s | %s | %s |\n", pkg, $1, $2, $3, other
		}' "$tmp/gobench"
	if [ "$rc" -ne 0 ]; then
		grep -E '^(FAIL|panic|---)' "$tmp/gobench" >&2
		return "$rc"
	fi
}

{
	echo "# volact benchmarks"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "- machine: $(uname -srm), $(getconf _NPROCESSORS_ONLN 2> /dev/null || nproc) CPUs, $cpu"
	echo "- go: $("$GO" env GOVERSION)"
	echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null || uptime)"
	echo
} > "$report"

section "Go benchmarks (benchtime $BENCHTIME)" go_bench
if [ -f scripts/bench-start.sh ]; then
	section "Client start-up and size: volact vs its floor and hello world" bash scripts/bench-start.sh "$BIN"
fi
section "KMS host" bash scripts/bench-kms.sh "$BIND"
if [ -f scripts/bench-mak.sh ]; then
	section "MAK activations/s" sh scripts/bench-mak.sh
fi
if [ -f scripts/bench-sim.sh ]; then
	section "Fleet simulator: a year of 100,000 and 1,000,000 machines" bash scripts/bench-sim.sh
fi
if [ -f scripts/bench-status.sh ]; then
	section "KMS status page with 1M clients in the history" bash scripts/bench-status.sh
fi
if [ -f scripts/bench-failover.sh ]; then
	section "KMS failover with a silent first host" bash scripts/bench-failover.sh
fi
if [ -f scripts/bench-shared.sh ]; then
	section "KMS hosts sharing one count on PostgreSQL" bash scripts/bench-shared.sh "$BIND"
fi

mkdir -p "$(dirname "$OUT")"
cp "$report" "$OUT"
cat "$report"
echo "written to $OUT" >&2
exit $status
