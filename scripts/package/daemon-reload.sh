#!/bin/sh
# Maintainer script of the volact and volactd packages, after install,
# upgrade and removal (deb postinst/postrm, rpm %post/%postun): tell systemd
# that unit files changed. It enables and starts nothing; the administrator
# does (systemctl enable --now volact-act.timer, volact-kms.service, ...).
# Does nothing when systemd is not running, or when dpkg installs into
# another root (DPKG_ROOT, dpkg --instdir with --force-script-chrootless).
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] &&
	command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
