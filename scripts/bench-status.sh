#!/usr/bin/env bash
# bench-status.sh — the KMS host's status page with a large history (issue 14).
#
# Runs BenchmarkStatusPage (internal/kms) with VOLACT_STATUS_CLIENTS
# (CLIENTS, default 1,000,000) distinct clients written to the history
# over the last 30 days through the applier's own batch writer (so the
# triggers keep the page's aggregates), then serves GET / 100 times, each
# after a new activation (the journal is read, the charts are redrawn),
# and prints the server-side median and p99 (nearest rank) as a Markdown
# table. The goal is p99 < 50 ms; this script measures, it asserts
# nothing about time.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-1000000}
GO=${GO:-go}
out=$(VOLACT_STATUS_CLIENTS=$CLIENTS "$GO" test -count=1 -run '^$' -bench '^BenchmarkStatusPage$' -benchtime 1x -timeout 30m ./internal/kms/ 2>&1) || {
	echo "$out" | tail -n 30 >&2
	exit 1
}
line=$(echo "$out" | grep -m1 '^BenchmarkStatusPage') || {
	echo "bench-status: no figures in the benchmark output" >&2
	exit 1
}
val() { echo "$line" | awk -v u="$1" '{ for (i = 2; i <= NF; i++) if ($i == u) print $(i - 1) }'; }
fill=$(echo "$out" | sed -n 's/.*history of [0-9]* clients written in \(.*\)$/\1/p' | head -n1)
echo "\`GET /\` on a KMS host whose history holds $(val clients) distinct clients over 30 days (filled in ${fill:-?}); 100 pages, each after a new activation; server-side time."
echo
echo "| clients | pages | median | p99 | goal |"
echo "| ---: | ---: | ---: | ---: | --- |"
echo "| $(val clients) | 100 | $(val p50-ms) ms | $(val p99-ms) ms | p99 < 50 ms |"
