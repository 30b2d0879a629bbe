#!/bin/sh
# Maintainer script of the volactd package before removal (deb prerm, rpm
# %preun): stop and disable the KMS host and the activation service when the
# package goes away, not on an upgrade. Their data (/var/lib/volact-kms,
# /var/lib/volact-service, with the authority's root key) stays.
case ${1:-} in
remove | 0) ;; # deb: remove; rpm: 0 packages left (1 = upgrade)
*) exit 0 ;;
esac
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] &&
	command -v systemctl >/dev/null 2>&1; then
	systemctl --no-reload disable --now volact-kms-report.timer volact-kms.service volact-mak.service >/dev/null 2>&1 || :
fi
exit 0
