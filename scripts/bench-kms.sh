#!/usr/bin/env bash
# bench-kms.sh [BIN] — the KMS host against its floor, in one run.
#
# Sets up a throw-away authority and an activated KMS host, then starts the
# floor (`kms bench --serve-floor`: decode the request, seal the same grant
# with Ed25519, nothing else), the unsigned floor (`--serve-floor --no-sign`:
# the same without the signature) and the real host (`kms serve`,
# persistence and signing on), and drives them with the same load generator
# at 1, 8 and 64 keep-alive clients: the host against the signing floor
# (floor first at each level), then the unsigned floor alone. Every request
# comes from a new CMID, so counting and history do real work. Each server's
# PID is passed on, so the tables show its CPU time per request (Linux).
# Then it feeds 10k, 100k and 1M distinct clients straight into a host and
# reads its memory (RSS).
#
# Prints Markdown tables. Env: DURATION (default 5s), CLIENTS (1,8,64),
# TOTALS (10000,100000,1000000), SKIP_MEMORY=1 to skip the memory run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
DURATION=${DURATION:-5s}
CLIENTS=${CLIENTS:-1,8,64}
TOTALS=${TOTALS:-10000,100000,1000000}

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
	wait 2> /dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
if [ -z "$BIN" ]; then
	CGO_ENABLED=0 go build -trimpath -o "$tmp/volactd" ./cmd/volactd
	BIN=$tmp/volactd
fi

# waitfile FILE — wait up to 10s for a server to write its address.
waitfile() {
	for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
	echo "bench-kms: $1 never appeared" >&2
	exit 1
}

export VOLACT_CONFIG="$tmp/empty.yaml" VOLACT_CATALOG="$tmp/auth/catalog.json"
: > "$VOLACT_CONFIG"
unset VOLACT_CLOCK_OFFSET VOLACT_SERVICE VOLACT_JSON VOLACT_DATA

# An authority, and activated hosts (one for load, one for memory).
"$BIN" mak init --dir "$tmp/auth" --allow-overrides clock,machine-id -q
"$BIN" mak serve --dir "$tmp/auth" --listen 127.0.0.1:0 --addr-file "$tmp/svc.addr" 2> "$tmp/svc.log" &
pids+=($!)
waitfile "$tmp/svc.addr"
for d in kms mem; do
	"$BIN" kms install-key -q "$("$BIN" mak mint --dir "$tmp/auth" --type kms-host --sku suite-pro)" --data "$tmp/$d"
	"$BIN" kms activate -q --data "$tmp/$d" --service "$(cat "$tmp/svc.addr")"
	# Every request is a new CMID from 127.0.0.1: lift the per-network
	# limit on new CMIDs (default 100/h) so that each one is counted.
	"$BIN" kms set -q --data "$tmp/$d" --new-cmid-limit 0
done

"$BIN" kms bench --serve-floor --listen 127.0.0.1:0 --addr-file "$tmp/floor.addr" 2> "$tmp/floor.log" &
floor_pid=$!
pids+=("$floor_pid")
"$BIN" kms bench --serve-floor --no-sign --listen 127.0.0.1:0 --addr-file "$tmp/unsigned.addr" 2> "$tmp/unsigned.log" &
unsigned_pid=$!
pids+=("$unsigned_pid")
"$BIN" kms serve --data "$tmp/kms" --listen 127.0.0.1:0 --addr-file "$tmp/kms.addr" 2> "$tmp/kms.log" &
kms_pid=$!
pids+=("$kms_pid")
waitfile "$tmp/floor.addr"
waitfile "$tmp/unsigned.addr"
waitfile "$tmp/kms.addr"

echo "### KMS host vs floor ($CLIENTS keep-alive clients, $DURATION each, persistence and signing on)"
echo
"$BIN" kms bench --markdown --target "$(cat "$tmp/kms.addr")" --target-pid "$kms_pid" \
	--floor "$(cat "$tmp/floor.addr")" --floor-pid "$floor_pid" --clients "$CLIENTS" --duration "$DURATION"
echo
echo "### Unsigned floor (decode, the same grant and certificate, no Ed25519 signature)"
echo
"$BIN" kms bench --markdown --target "$(cat "$tmp/unsigned.addr")" --target-pid "$unsigned_pid" \
	--clients "$CLIENTS" --duration "$DURATION"
echo
if [ -r "/proc/$kms_pid/status" ]; then
	echo "Host after the load run: $(awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MiB  ", $1, $2/1024}' "/proc/$kms_pid/status")"
	echo
fi

if [ -z "${SKIP_MEMORY:-}" ]; then
	echo "### KMS host memory as distinct clients grow (in-process, Host.Activate, journaled)"
	echo
	"$BIN" kms bench --markdown --memory --data "$tmp/mem" --totals "$TOTALS"
	echo
fi
