# shellcheck shell=sh
# Login hook (Linux, BSD, macOS shells): on every login, let volact activate
# or renew if an attempt is due. Sourced by login shells, so it must be
# quick and must never fail: it hands over to volact-act-bg, which runs
# detached and bounded, and returns at once.
#
# Install:
#   install -m 0644 login-volact.sh /etc/profile.d/volact.sh
#   install -D -m 0755 volact-act-bg /usr/local/libexec/volact/volact-act-bg
# Opt out per user: export VOLACT_LOGIN_HOOK=0 in ~/.profile before it runs.
#
# Runs as the user who logs in, so it renews that user's store (the user's
# state directory); the machine's store (/var/lib/volact) is kept by the
# systemd timer (volact-act.timer) or launchd (com.volact.act.plist).

# The helper: VOLACT_ACT_BG, else the packaged one (/usr/libexec/volact),
# else a hand-installed one (/usr/local/libexec/volact).
bg=${VOLACT_ACT_BG:-/usr/libexec/volact/volact-act-bg}
[ -x "$bg" ] || bg=/usr/local/libexec/volact/volact-act-bg
if [ "${VOLACT_LOGIN_HOOK:-1}" != "0" ] && [ -x "$bg" ]; then
	"$bg" "login ${USER:-$(id -un)}" || :
fi
