#!/usr/bin/env bash
# volact demo: the life of client machines, end to end, with real processes.
# Usage: scripts/demo.sh [path/to/volact]
set -euo pipefail
V=$(realpath "${1:-bin/volact}")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/volact-demo.XXXXXX")
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
  if [ $rc -ne 0 ]; then echo "demo: FAILED (exit $rc)" >&2; fi
  exit $rc
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

cd "$WORK"
export NO_COLOR=${NO_COLOR:-} TZ=UTC
step() { printf '\n== %s\n' "$*"; }
expect_exit() { # expect_exit N cmd...
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  if [ "$got" -ne "$want" ]; then echo "demo: '$*' exited $got, want $want" >&2; exit 1; fi
}

step "an authority: root key and signed catalog"
"$V" mak init --dir authority
KEY=$("$V" mak mint --dir authority --type mak --sku suite-pro --activations 5)
echo "minted a 5-activation MAK ending in ${KEY: -5}"

step "client 1 installs the catalog and the key"
export VOLACT_STORE=$WORK/client1 VOLACT_MACHINE_ID=demo-client-1
"$V" catalog install authority/catalog.json >/dev/null
"$V" inpkey "$KEY"
"$V" dstatus

step "30 days later, without activation: notification mode"
VOLACT_CLOCK_OFFSET=721h "$V" dli
expect_exit 6 env VOLACT_CLOCK_OFFSET=721h "$V" dstatus --check -q
echo "dstatus --check exits 6: not licensed"

step "rearm resets the grace (and the CMID)"
"$V" rearm
"$V" rearm-status

step "act with no service configured fails cleanly"
expect_exit 4 "$V" act -q
echo "act exits 4 with 0xC004F074: no host or service reachable"

echo
echo "demo: all steps gave the expected results"
