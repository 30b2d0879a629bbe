#!/usr/bin/env bash
# bench-sim.sh [SIZES] — volactd sim speed and memory: a year (365 days) of
# a mixed fleet (BenchmarkSim's scenario: KMS desktops reimaged every 90
# days, VPN laptops, MAK servers, offline machines, two hosts sharing a
# count, a host and a DNS outage) for each size in SIZES (default
# "100000 1000000"). Prints seconds, machine-days per second and heap bytes
# per machine. It measures; it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
SIZES=${1:-100000 1000000}
printf '| machines | days | seconds | machine-days/s | heap bytes/machine |\n|---:|---:|---:|---:|---:|\n'
for n in $SIZES; do
	out=$(SIM_BENCH_MACHINES=$n "$GO" test ./internal/sim -run '^$' -bench '^BenchmarkSim$' -benchtime 1x -count 1)
	line=$(grep '^BenchmarkSim' <<<"$out") || { echo "$out" >&2; exit 1; }
	# BenchmarkSim-2  1  2748450454 ns/op  77.14 heap-B/machine  13312696 machine-days/s
	# Thousands separators by hand: mawk (Debian's awk) ignores %'d.
	awk -v n="$n" 'function commas(x,   s) { s = sprintf("%d", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
		{ for (i = 1; i <= NF; i++) { if ($i == "ns/op") s = $(i-1) / 1e9; if ($i == "heap-B/machine") h = $(i-1); if ($i == "machine-days/s") r = $(i-1) }
		printf "| %s | 365 | %.2f | %s | %.0f |\n", commas(n), s, commas(r), h }' <<<"$line"
done
