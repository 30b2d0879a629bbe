#!/bin/sh
# CI smoke test: fail the job when the product is not licensed.
#
# Runs in any CI (GitHub Actions, GitLab CI, Jenkins, a cron job): optionally
# installs a key and activates, then asks `volact dstatus --check -q`, which
# exits 0 only when every installed product is licensed (6 when one is not,
# or when none is installed). The job fails with volact's exit code and the
# status of the products in its log.
#
# Usage:  smoke-test.sh [VOLACT]          VOLACT: the binary (default: volact)
# Env:    VOLACT_KEY       install this key first (keep it in a CI secret; the
#                          log shows its last 5 characters only)
#         VOLACT_KMS_HOST  pin this KMS host (HOST[:PORT]) before activating
#         VOLACT_SERVICE   activation service URL for MAK/retail keys
#         VOLACT_STORE     store directory (a fresh one per job is fine)
#         and every other VOLACT_* setting of volact.
#
# See github-actions.yml next to this file for a workflow that uses it.
set -u

volact=${1:-volact}
NO_COLOR=1
export NO_COLOR

if [ -n "${VOLACT_KEY:-}" ]; then
	"$volact" inpkey "$VOLACT_KEY" -q || exit $?
fi
if [ -n "${VOLACT_KMS_HOST:-}" ]; then
	"$volact" sethst "$VOLACT_KMS_HOST" -q || exit $?
fi
if [ -n "${VOLACT_KEY:-}${VOLACT_KMS_HOST:-}" ]; then
	# A failed activation is reported below by the status check.
	"$volact" act -q || echo "volact act exited $?" >&2
fi

"$volact" dstatus --check -q
code=$?
if [ "$code" -ne 0 ]; then
	# GitHub Actions shows ::error:: lines as annotations; elsewhere they
	# are ordinary log lines.
	echo "::error::product not licensed (volact dstatus --check exit $code)"
	"$volact" dli >&2 || :
	exit "$code"
fi
echo "volact: every installed product is licensed"
