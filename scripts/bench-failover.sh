#!/usr/bin/env bash
# bench-failover.sh — KMS failover with a silent first host (issue 13).
#
# Runs internal/e2e TestKMSFailoverSilentHost with VOLACT_FAILOVER_RUNS
# (default 20): real `volactd kms serve` and `volact` processes behind a
# DNS server on loopback with two SRV records of one priority, the first a
# host that accepts connections and never answers. It times `volact act`
# (host caching off, so every run meets the silent host first) and prints
# the median and maximum as a Markdown table. The goal is < 1 s; this
# script measures, it asserts nothing about time.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
GO=${GO:-go}
out=$(VOLACT_FAILOVER_RUNS=$RUNS "$GO" test -count=1 -run '^TestKMSFailoverSilentHost$' -v ./internal/e2e/ 2>&1) || {
	echo "$out" | tail -n 30 >&2
	exit 1
}
line=$(echo "$out" | grep -m1 '^failover-figures ') || {
	echo "bench-failover: no figures in the test output" >&2
	exit 1
}
val() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
echo "\`volact act\` through the second of two SRV hosts of one priority, the first silent (accepts, never answers); stagger 250 ms; process start included."
echo
echo "| runs | median | max | min | goal |"
echo "| ---: | ---: | ---: | ---: | --- |"
echo "| $(val runs) | $(val median_ms) ms | $(val max_ms) ms | $(val min_ms) ms | < 1000 ms |"
