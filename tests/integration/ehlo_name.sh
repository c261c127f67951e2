#!/bin/bash
# ehlo_name.sh - the EHLO name is the host's fully qualified name, found
# as Postfix finds myhostname: gethostname(), completed through the
# resolver's canonical name when it has no dot; a name still without a
# dot is used with a warning in the log; ehlo_name overrides. Each case
# runs in its own UTS and mount namespaces (unshare -mu, as root) with a
# host name and an /etc/hosts of its own, and asserts the name that
# smtp-sink received with EHLO.
. "$(dirname "$0")/lib.sh"
need smtp-sink unshare mount hostname
[ "$(id -u)" = 0 ] || skip "needs root for unshare -mu"
port=2695
start_sink $port || exit 1
printf 'Subject: ehlo\n\nbody\n' >"$T/msg"
printf '127.0.0.1 localhost\n127.0.1.1 relay.example.org relaybox\n' >"$T/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"

# as_host NAME QUEUE-ID [slimrelay -o args]: relay the message from a
# host called NAME; sets RC, OUT and HELO (what the sink got).
as_host() {
	local name=$1 q=$2 f
	shift 2
	OUT=$(unshare -mu sh -c 'mount --bind "$1" /etc/hosts &&
	    mount --bind "$2" /etc/resolv.conf && hostname "$3" && shift 3 &&
	    exec "$@"' sh "$T/hosts" "$T/resolv.conf" "$name" \
	    "$SLIMRELAY" -o log="$LOG" -o state_directory="$STATE" -q "$q" \
	    -n "[127.0.0.1]:$port" "$@" -f a@example.org -- b@example.com \
	    2>&1 <"$T/msg")
	RC=$?
	f=$(grep -l "^X-Rcpt-Args: <b@example.com>" $(sink_files $port) /dev/null |
	    xargs -r ls -t | head -n 1)
	HELO=$(sed -n 's/^X-Helo-Args: //p' "$f" 2>/dev/null)
	[ -n "$f" ] && rm -f "$f"
}

as_host relaybox E1
check "short name in /etc/hosts: delivered" eq "$RC" 0
check "short name in /etc/hosts: EHLO with the canonical name" eq "$HELO" relay.example.org
check "short name in /etc/hosts: no warning" sh -c "! grep -q 'not a fully qualified' '$LOG'"

as_host mx1.example.net E2
check "qualified name: delivered" eq "$RC" 0
check "qualified name: EHLO with it as it is" eq "$HELO" mx1.example.net

as_host lonely E3
check "unqualified name: delivered" eq "$RC" 0
check "unqualified name: EHLO lonely" eq "$HELO" lonely
check "unqualified name: warning" log_has "relay: my host name lonely is not a fully qualified domain name; set ehlo_name in slimrelay.conf"

as_host lonely E4 -o ehlo_name=mail.example.org
check "ehlo_name: delivered" eq "$RC" 0
check "ehlo_name overrides" eq "$HELO" mail.example.org

finish
