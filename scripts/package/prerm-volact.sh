#!/bin/sh
# Maintainer script of the volact package before removal (deb prerm, rpm
# %preun): stop and disable the activation timer when the package goes
# away, not on an upgrade. The machine's store (/var/lib/volact) stays.
case ${1:-} in
remove | 0) ;; # deb: remove; rpm: 0 packages left (1 = upgrade)
*) exit 0 ;;
esac
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] &&
	command -v systemctl >/dev/null 2>&1; then
	systemctl --no-reload disable --now volact-act.timer volact-act.service >/dev/null 2>&1 || :
fi
exit 0
