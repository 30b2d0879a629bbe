#!/usr/bin/env bash
# bench-shared.sh [BIN] — KMS hosts sharing one count on PostgreSQL.
#
# Starts a throwaway PostgreSQL server (scripts/pg-throwaway.sh; skipped
# with a message when PostgreSQL is not installed), an authority and an
# activated host data directory used as a template, then measures:
#
#   - staleness: on a new site (database) per trial, host A answers 4
#     distinct CMIDs of suite-pro (threshold 5) and then the 5th, which it
#     activates; host B is asked by A's first client until it activates
#     it. The time from A's activating answer to B's is one trial; prints
#     p50, p99 and max over TRIALS (default 100).
#   - throughput: three hosts on one database against one host on SQLite,
#     the same load generator (kms bench --target), 64 clients in all
#     (22+21+21 over the three hosts at once), DURATION each (default 5s);
#     prints the aggregate requests/s and the ratio.
#
# Prints Markdown. It measures; it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
DURATION=${DURATION:-5s}
TRIALS=${TRIALS:-100}

tmp=$(mktemp -d)
pids=()
# shellcheck source=scripts/pg-throwaway.sh
. scripts/pg-throwaway.sh
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
	wait 2> /dev/null || true
	pg_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
chmod 755 "$tmp"
if ! pg_start "$tmp/pg"; then
	echo "PostgreSQL is not installed: the shared-count benchmark is skipped."
	exit 0
fi
if [ -z "$BIN" ]; then
	CGO_ENABLED=0 go build -trimpath -o "$tmp/volactd" ./cmd/volactd
	BIN=$tmp/volactd
fi

waitfile() {
	for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done
	echo "bench-shared: $1 never appeared" >&2
	exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

export VOLACT_CONFIG="$tmp/empty.yaml" VOLACT_CATALOG="$tmp/auth/catalog.json"
: > "$VOLACT_CONFIG"
unset VOLACT_CLOCK_OFFSET VOLACT_SERVICE VOLACT_JSON VOLACT_DATA VOLACT_KMS_DB

"$BIN" mak init --dir "$tmp/auth" -q
"$BIN" mak serve --dir "$tmp/auth" --listen 127.0.0.1:0 --addr-file "$tmp/svc.addr" 2> "$tmp/svc.log" &
pids+=($!)
waitfile "$tmp/svc.addr"
"$BIN" kms install-key -q "$("$BIN" mak mint --dir "$tmp/auth" --type kms-host --sku suite-pro)" --data "$tmp/tmpl"
"$BIN" kms activate -q --data "$tmp/tmpl" --service "$(cat "$tmp/svc.addr")"
"$BIN" kms set -q --data "$tmp/tmpl" --new-cmid-limit 0 # every CMID comes from 127.0.0.1

# serve NAME DB — start a host on a copy of the template; sets SERVED_PID.
serve() {
	cp -a "$tmp/tmpl" "$tmp/$1"
	local db=()
	[ -n "$2" ] && db=(--db "$2")
	"$BIN" kms serve --data "$tmp/$1" --listen 127.0.0.1:0 --addr-file "$tmp/$1.addr" --name "$1" "${db[@]}" 2> "$tmp/$1.log" &
	SERVED_PID=$!
	pids+=("$SERVED_PID")
	waitfile "$tmp/$1.addr"
}

# ask ADDR CMID — one suite-pro request; prints the HTTP status.
ask() {
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "{\"version\":1,\"kind\":\"kms\",\"sku\":\"suite-pro\",\"hardware_id\":\"hw-$2\",\"cmid\":\"$2\",\"client_time\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"nonce\":\"n$RANDOM$RANDOM\"}" \
		"http://$1/v1/kms/activate"
}

echo "### Staleness: threshold reached on host A, first activated answer on host B ($TRIALS trials)"
echo
times=()
for i in $(seq "$TRIALS"); do
	url=$(pg_createdb "stale_$i")
	cp -a "$tmp/tmpl" "$tmp/init_$i"
	"$BIN" kms init-db -q --data "$tmp/init_$i" --db "$url"
	serve "a_$i" "$url"
	pa=$SERVED_PID
	serve "b_$i" "$url"
	pb=$SERVED_PID
	a=$(cat "$tmp/a_$i.addr")
	b=$(cat "$tmp/b_$i.addr")
	for c in 1 2 3 4; do ask "$a" "t$i-c$c" > /dev/null; done
	[ "$(ask "$b" "t$i-c1")" = 409 ] || echo "trial $i: B activated before the threshold" >&2
	[ "$(ask "$a" "t$i-c5")" = 200 ] || echo "trial $i: A did not activate the 5th client" >&2
	t0=$(now_ms)
	while [ "$(ask "$b" "t$i-c1")" != 200 ]; do :; done
	times+=($(($(now_ms) - t0)))
	kill "$pa" "$pb"
	wait "$pa" "$pb" 2> /dev/null || true
	rm -rf "$tmp/a_$i" "$tmp/b_$i" "$tmp/init_$i"
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
pick() { echo "$sorted" | awk -v q="$1" '{v[NR]=$1} END {i=int(NR*q+0.999999); if (i<1) i=1; print v[i]}'; }
echo "| trials | p50 | p99 | max | bound |"
echo "| ---: | ---: | ---: | ---: | ---: |"
echo "| $TRIALS | $(pick 0.5) ms | $(pick 0.99) ms | $(pick 1) ms | 1000 ms |"
echo

echo "### Throughput: 3 hosts on one PostgreSQL vs 1 host on SQLite (64 clients, $DURATION)"
echo
url=$(pg_createdb tput)
cp -a "$tmp/tmpl" "$tmp/init_tput"
"$BIN" kms init-db -q --data "$tmp/init_tput" --db "$url"
for h in p1 p2 p3; do serve "$h" "$url"; done
serve sqlite ""
rps() { jq -r '.results[0].host.requests_per_second' "$1"; }
"$BIN" kms bench --json -q --target "$(cat "$tmp/p1.addr")" --clients 22 --duration "$DURATION" > "$tmp/p1.json" &
b1=$!
"$BIN" kms bench --json -q --target "$(cat "$tmp/p2.addr")" --clients 21 --duration "$DURATION" > "$tmp/p2.json" &
b2=$!
"$BIN" kms bench --json -q --target "$(cat "$tmp/p3.addr")" --clients 21 --duration "$DURATION" > "$tmp/p3.json" &
b3=$!
wait "$b1" "$b2" "$b3"
"$BIN" kms bench --json -q --target "$(cat "$tmp/sqlite.addr")" --clients 64 --duration "$DURATION" > "$tmp/sqlite.json"
shared=$(awk -v a="$(rps "$tmp/p1.json")" -v b="$(rps "$tmp/p2.json")" -v c="$(rps "$tmp/p3.json")" 'BEGIN {printf "%.0f", a+b+c}')
alone=$(awk -v a="$(rps "$tmp/sqlite.json")" 'BEGIN {printf "%.0f", a}')
echo "| setup | clients | requests/s |"
echo "| --- | ---: | ---: |"
echo "| 3 hosts, one PostgreSQL (22+21+21) | 64 | $shared |"
echo "| 1 host, SQLite | 64 | $alone |"
echo
echo "Ratio shared / alone: $(awk -v s="$shared" -v a="$alone" 'BEGIN {printf "%.2f", s/a}')x (goal: >= 1.0x; $(getconf _NPROCESSORS_ONLN) CPUs shared by every process)"
