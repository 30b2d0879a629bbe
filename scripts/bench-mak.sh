#!/bin/sh
# bench-mak.sh: MAK activations per second through the activation service's
# HTTP API, on SQLite and on PostgreSQL, with 1, 8 and 64 concurrent clients
# (go test -cpu sets GOMAXPROCS, and RunParallel runs that many clients).
#
# PostgreSQL: a throwaway server is started from the local installation
# (initdb, pg_ctl), or VOLACT_TEST_PG=postgres://... names an existing one.
#
# Usage: scripts/bench-mak.sh [BENCHTIME]   (default 2s; e.g. 5s or 2000x)
set -eu
cd "$(dirname "$0")/.."
benchtime=${1:-2s}

echo "machine: $(uname -sm), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs," \
	"$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || echo 'unknown CPU')"
echo "go: $(go env GOVERSION)"
echo

out=$(go test -run '^$' -bench '^BenchmarkActivate$' -benchtime "$benchtime" -cpu 1,8,64 ./internal/mak/) || {
	echo "$out"
	exit 1
}
echo "$out" | awk '
	/^BenchmarkActivate\// {
		name = $1; sub(/^BenchmarkActivate\//, "", name)
		clients = 1
		if (match(name, /-[0-9]+$/)) { clients = substr(name, RSTART + 1); name = substr(name, 1, RSTART - 1) }
		rate = "?"
		for (i = 2; i <= NF; i++) if ($i == "activations/s") rate = $(i - 1)
		printf "%-10s %8s clients %12.0f activations/s\n", name, clients, rate
	}
	/^(FAIL|panic)/ { print; bad = 1 }
	END { exit bad }
'
