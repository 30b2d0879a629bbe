#!/bin/sh
# OpenVPN hook: after the tunnel comes up (or reconnects), let volact
# activate or renew if an attempt is due, so that a laptop that was offline
# at boot renews as soon as the VPN is up. It returns at once: OpenVPN waits
# for its up script, and the connection must never wait for activation.
#
# Install:
#   install -m 0755 openvpn-volact-up.sh /etc/openvpn/volact-up.sh
#   install -D -m 0755 volact-act-bg /usr/local/libexec/volact/volact-act-bg
# and in the client config:
#   script-security 2
#   route-up /etc/openvpn/volact-up.sh   # preferred: routes are in place
#   # or: up /etc/openvpn/volact-up.sh   # the run then waits 5 s for routes
#
# With `user nobody` in the config, restarts run as nobody, who cannot write
# the machine's store: prefer the systemd timer and NetworkManager hook then.
set -u

# OpenVPN sets script_type (up, route-up) and dev (tun0) in the environment.
kind=${script_type:-up}
if [ "$kind" = "up" ]; then
	VOLACT_ACT_DELAY=${VOLACT_ACT_DELAY:-5}
	export VOLACT_ACT_DELAY
fi

# The helper: VOLACT_ACT_BG, else the packaged one, else a hand-installed one.
bg=${VOLACT_ACT_BG:-/usr/libexec/volact/volact-act-bg}
[ -x "$bg" ] || bg=/usr/local/libexec/volact/volact-act-bg
if [ -x "$bg" ]; then
	"$bg" "openvpn $kind ${dev:-${1:-}}" || :
fi
# A non-zero exit would make OpenVPN drop the tunnel: always succeed.
exit 0
