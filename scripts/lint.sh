#!/usr/bin/env bash
# lint.sh: check the deployment files under scripts/ with the tools that
# exist on this machine.
#
#   shell scripts and hooks  shellcheck (installed with apt-get when missing
#                            and running as root; skipped otherwise)
#   systemd units            systemd-analyze verify, and systemd-analyze
#                            security --offline (exposure at most 3.0) for
#                            services; a syntax check when verify cannot run
#   launchd plist, task XML  plutil -lint when present, else xmllint --noout
#   PowerShell               pwsh parser when present
#   YAML (goreleaser, CI)    goreleaser check when present, else a YAML parse
#
# Usage: scripts/lint.sh            (from anywhere; `make lint` calls it)
# Env:   VOLACT_LINT_STRICT=1       a skipped check fails the run (CI)
# Exit:  0 when every check that ran passed, 1 otherwise.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
root=$PWD
failed=0
skipped=0

say() { printf '%s\n' "$*"; }
fail() {
	say "FAIL  $*"
	failed=1
}
skip() {
	say "SKIP  $*"
	skipped=1
}
ok() { say "ok    $*"; }

# ensure TOOL PACKAGE: TOOL is on PATH, installing PACKAGE with apt-get when
# running as root; returns 1 (and the caller skips) when it is not.
ensure() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "      installing $2 for $1"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; }
	fi
	command -v "$1" >/dev/null 2>&1
}

# shell_scripts lists *.sh files and files with a shell #! line under
# scripts/ and .ci/, one per line.
shell_scripts() {
	local f
	while IFS= read -r f; do
		case $f in
		*.sh) printf '%s\n' "$f" ;;
		*) head -n1 "$f" 2>/dev/null | grep -Eq '^#!.*/(env )?(ba|da|k|z)?sh( |$)' && printf '%s\n' "$f" ;;
		esac
	done < <(find scripts .ci -type f ! -name '*.go' 2>/dev/null | sort)
}

lint_shell() {
	local files
	mapfile -t files < <(shell_scripts)
	if ! ensure shellcheck shellcheck; then
		skip "shellcheck not installed (apt-get install shellcheck, or run as root): ${#files[@]} shell scripts unchecked"
		return
	fi
	if shellcheck -x "${files[@]}"; then
		ok "shellcheck: ${#files[@]} scripts"
	else
		fail "shellcheck"
	fi
}

# unit_syntax FILE: the fallback when systemd-analyze cannot run: every line
# is blank, a comment, a [Section] or Key=Value, and there is a section.
unit_syntax() {
	awk '
		/^[ \t]*($|[#;])/ { next }
		/^\[[A-Za-z]+\]$/ { sections++; next }
		/^[A-Za-z][A-Za-z0-9]*=/ { if (sections) next }
		{ printf "%s:%d: not a unit line: %s\n", FILENAME, FNR, $0; bad = 1 }
		END { exit bad || !sections }
	' "$1"
}

lint_systemd() {
	local units=(scripts/systemd/*.service scripts/systemd/*.timer) u tmp
	if ! command -v systemd-analyze >/dev/null 2>&1; then
		skip "systemd-analyze not installed: syntax check only"
		for u in "${units[@]}"; do unit_syntax "$u" || fail "unit syntax: $u"; done
		return
	fi
	# Copies whose ExecStart points at stubs, so that verify does not
	# depend on volact and volactd being installed in /usr/bin.
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	mkdir -p "$tmp/bin"
	printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/volact"
	cp "$tmp/bin/volact" "$tmp/bin/volactd"
	chmod 755 "$tmp/bin/volact" "$tmp/bin/volactd"
	for u in "${units[@]}"; do
		sed "s#/usr/bin/volact#$tmp/bin/volact#g" "$u" >"$tmp/${u##*/}"
	done
	# Probe: can verify run here at all (some containers cannot)?
	mkdir -p "$tmp/probe"
	printf '[Service]\nType=oneshot\nExecStart=%s\n' "$tmp/bin/volact" >"$tmp/probe/x.service"
	if ! systemd-analyze verify --man=no "$tmp/probe/x.service" >/dev/null 2>&1; then
		skip "systemd-analyze verify cannot run in this environment: syntax check only"
		for u in "${units[@]}"; do unit_syntax "$u" || fail "unit syntax: $u"; done
		return
	fi
	local out
	if out=$(cd "$tmp" && systemd-analyze verify --man=no "${units[@]##*/}" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify: ${#units[@]} units"
	else
		say "$out"
		fail "systemd-analyze verify"
	fi
	for u in "${units[@]}"; do
		[[ $u == *.service ]] || continue
		if out=$(systemd-analyze security --offline=true --threshold=30 "$tmp/${u##*/}" 2>&1); then
			ok "systemd-analyze security: ${u##*/} ($(printf '%s' "$out" | sed -n 's/.*exposure level for [^:]*: \([0-9.]*\).*/\1/p'))"
		else
			say "$out" | tail -n 20
			fail "systemd-analyze security: ${u##*/} exposure above 3.0"
		fi
	done
}

lint_xml() {
	local files=(scripts/launchd/*.plist scripts/windows/*.xml) f
	if command -v plutil >/dev/null 2>&1; then
		for f in scripts/launchd/*.plist; do plutil -lint "$f" >/dev/null || fail "plutil: $f"; done
		ok "plutil -lint: launchd plist"
		files=(scripts/windows/*.xml)
	fi
	if ! ensure xmllint libxml2-utils; then
		skip "xmllint not installed (apt-get install libxml2-utils): ${files[*]} unchecked"
		return
	fi
	if xmllint --noout "${files[@]}"; then
		ok "xmllint: ${#files[@]} files"
	else
		fail "xmllint"
	fi
}

lint_powershell() {
	local f
	if ! command -v pwsh >/dev/null 2>&1; then
		skip "pwsh not installed: scripts/windows/*.ps1 not parsed"
		return
	fi
	for f in scripts/windows/*.ps1; do
		# shellcheck disable=SC2016 # $errs is PowerShell, not shell
		if pwsh -NoProfile -NonInteractive -Command '$errs = $null; [void][System.Management.Automation.Language.Parser]::ParseFile($args[0], [ref]$null, [ref]$errs); if ($errs) { $errs | ForEach-Object { Write-Output $_ }; exit 1 }' "$root/$f"; then
			ok "pwsh parse: $f"
		else
			fail "pwsh parse: $f"
		fi
	done
}

lint_yaml() {
	local files=(.goreleaser.yaml scripts/ci/*.yml) f
	if ! command -v goreleaser >/dev/null 2>&1; then
		skip "goreleaser not installed: .goreleaser.yaml only parsed as YAML"
	elif [ -z "$(git remote 2>/dev/null)" ]; then
		skip "goreleaser check needs a git remote (none here): .goreleaser.yaml only parsed as YAML"
	elif goreleaser check -q -f .goreleaser.yaml; then
		ok "goreleaser check"
	else
		fail "goreleaser check"
	fi
	if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import yaml' 2>/dev/null; then
		skip "python3 with PyYAML not installed: ${files[*]} not parsed"
		return
	fi
	for f in "${files[@]}"; do
		[ -f "$f" ] || continue
		python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f" || fail "yaml: $f"
	done
	ok "yaml parse: ${#files[@]} files"
}

lint_shell
lint_systemd
lint_xml
lint_powershell
lint_yaml

if [ "$failed" -ne 0 ]; then
	say "lint.sh: FAILED"
	exit 1
fi
if [ "$skipped" -ne 0 ] && [ "${VOLACT_LINT_STRICT:-0}" = 1 ]; then
	say "lint.sh: checks were skipped and VOLACT_LINT_STRICT=1"
	exit 1
fi
say "lint.sh: ok"
