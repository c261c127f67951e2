#!/bin/bash
# milter.sh - slimrelay-milter against OpenDKIM's miltertest.
#
# Starts the real milter on a unix socket in the test directory (as
# nobody when the test runs as root) and drives it with the Lua scripts
# of tests/data/milter/:
# 1. -t: a good configuration and key pass; a key others may read, no
#    key, a bad route condition, and staying root are refused;
# 2. forced.lua: one signed header per forced recipient domain (the
#    signatures checked here with openssl, independently of the C
#    code), none for other domains, forged headers in any case removed;
# 3. conditions.lua: client network (IPv4, IPv6), SASL login and sender
#    conditions honoured;
# 4. abort.lua: abort and a new MAIL FROM reset the message state; a
#    message without Message-ID binds to the queue id; limit.lua: the
#    recipient of a 101st routed domain is deferred;
# 5. onerror.lua: a message that cannot be bound answers per
#    milter_on_error (tempfail, and accept on a second instance, which
#    starts with standard input, output and error closed);
# 6. SIGHUP reloads the configuration; a broken one is refused and the
#    old one kept; SIGTERM stops both processes.
# 7. A private Postfix with smtpd_milters (postfix-example/milter.cf): a
#    message sent with swaks is queued with the signed header and
#    without the forged ones (postcat); without a Message-ID from the
#    client, the header binds to the one Postfix's cleanup adds.
. "$(dirname "$0")/lib.sh"
need miltertest openssl sha256sum base64

: "${MILTER:=$top_builddir/milter/slimrelay-milter}"
SCRIPTS=$top_srcdir/tests/data/milter
KEY_TEXT=milter-test-key-0123456789abcdef
MLOG=$T/milter.log
SOCKDIR=$T/sock
SOCK=unix:$SOCKDIR/milter.sock

mkdir -p "$SOCKDIR"
printf '%s\n' "$KEY_TEXT" >"$T/key"
chmod 600 "$T/key"
: >"$MLOG"
USER_LINE=""
if [ "$(id -u)" = 0 ]; then
	# The milter refuses to stay root: it becomes nobody, who must
	# read the key (group) and the configuration, and write the socket
	# directory and the log.
	USER_LINE="milter_user = nobody"
	chgrp "$(id -gn nobody)" "$T/key"
	chmod 640 "$T/key"
	chown nobody "$SOCKDIR" "$MLOG"
fi

write_conf() {
	cat >"$T/milter.conf" <<EOF
routing_key_file = $T/key
milter_socket = $SOCK
$USER_LINE
log = $MLOG
route = forced.test smtp:[127.0.0.1]:2661
route = .sub.test smtp:[sink.example]:2525 tls=verify
route = local.test maildrop
route = mx.test smtp:
route = net.test smtp:[10.0.0.1]:25 client=192.0.2.0/24
route = auth.test smtp:[10.0.0.2]:25 sasl=alice
route = sender.test smtp:[10.0.0.3]:25 sender=@corp.example
route = v6.test smtp:[10.0.0.4]:25 client=2001:db8::/32
route = anyauth.test smtp:[10.0.0.5]:25 sasl=*
$*
EOF
	chmod 644 "$T/milter.conf"
}

# mt SCRIPT ARGS: run a Lua script; sets RC and OUT.
mt() {
	local script=$1
	shift
	OUT=$(miltertest -D SOCK="$SOCK" -D LIB="$SCRIPTS/common.lua" "$@" \
	    -s "$SCRIPTS/$script" 2>&1)
	RC=$?
}

# hmac_ok VALUE MESSAGE-ID-OR-QUEUE-ID: recompute s= with openssl from
# the documented canonical form.
hmac_ok() {
	local v=$1 bound=$2 d r o t b s want
	d=$(tag "$v" d)
	r=$(tag "$v" r)
	o=$(tag "$v" o)
	t=$(tag "$v" t)
	b=$(tag "$v" b)
	s=$(tag "$v" s)
	eq "${b#*:}" "$(printf '%s' "$bound" | sha256sum | cut -d' ' -f1)" ||
	    return 1
	want=$(printf 'slimrelay-route\nv=1\nd=%s\nr=%s\no=%s\nt=%s\nb=%s\n' \
	    "$d" "$r" "$o" "$t" "$b" |
	    openssl dgst -sha256 -hmac "$KEY_TEXT" -binary | base64)
	eq "$s" "$want" || { echo "#   header: $(printf '%q' "$v")"; return 1; }
}

# tag VALUE NAME: one tag's value of a "n=v; n=v" list, white space cut.
tag() {
	tr ';' '\n' <<<"$1" | tr -d ' \t\r' | sed -n "s/^$2=//p" | head -1
}

# milter_pids: the supervisor given and its child, the filter.
child_of() { pgrep -P "$1" 2>/dev/null | head -1; }

wait_log() {
	local i
	for i in $(seq 1 100); do
		grep -qF -- "$1" "$MLOG" && return 0
		sleep 0.05
	done
	echo "#   milter log lacks '$1'"
	tail -3 "$MLOG" | sed 's/^/#   /'
	return 1
}

wait_sock() {
	local i
	for i in $(seq 1 100); do
		[ -S "${1#unix:}" ] && return 0
		sleep 0.05
	done
	echo "#   no socket ${1#unix:}"
	return 1
}

# --- 1. -t and refusals
write_conf
OUT=$("$MILTER" -t -c "$T/milter.conf" 2>&1)
RC=$?
check "-t accepts a good configuration" eq "$RC" 0
check "-t says OK" has "$OUT" "configuration OK"
check "-t lists a conditional rule" has "$OUT" \
    "net.test smtp:[10.0.0.1]:25 client=192.0.2.0/24 (routing header when"
check "-t never shows the key" eq "$(grep -c "$KEY_TEXT" <<<"$OUT")" 0

cp -p "$T/key" "$T/key.loose"
chmod 644 "$T/key.loose"
OUT=$("$MILTER" -t -c "$T/milter.conf" -o routing_key_file="$T/key.loose" \
    2>&1)
RC=$?
check "-t refuses a key others may read" eq "$RC" 78
check "the refusal names the mode" has "$OUT" "mode 0644"

OUT=$("$MILTER" -t -c "$T/milter.conf" -o routing_key_file= 2>&1)
RC=$?
check "-t refuses to run without a key" eq "$RC" 78
check "and says why" has "$OUT" "routing_key_file is not set"

OUT=$("$MILTER" -t -c "$T/milter.conf" \
    -o "route=bad.test [h.test] client=192.0.2.1/24" 2>&1)
RC=$?
check "-t refuses a bad route condition" eq "$RC" 78
check "and names it" has "$OUT" "client=192.0.2.1/24"

if [ "$(id -u)" = 0 ]; then
	OUT=$("$MILTER" -c "$T/milter.conf" -o milter_user= 2>&1)
	RC=$?
	check "refuses to run as root without milter_user" eq "$RC" 78
	check "and says so" has "$OUT" "refusing to run as root"
fi

# --- 2. the filter
"$MILTER" -c "$T/milter.conf" &
MPID=$!
track "$MPID"
check "the milter listens" wait_sock "$SOCK"
check "and logs it" wait_log "listening on $SOCK"
FPID=$(child_of "$MPID")
if [ "$(id -u)" = 0 ]; then
	check "the supervisor runs as nobody" \
	    eq "$(ps -o user= -p "$MPID" | tr -d ' ')" nobody
	check "the filter runs as nobody" \
	    eq "$(ps -o user= -p "$FPID" | tr -d ' ')" nobody
fi

mt forced.lua
check "forced.lua passes" eq "$RC" 0
check "two routing headers" has "$OUT" "COUNT 2"
HDR_F=$(sed -n 's/^HDR \(.*d=forced\.test;.*\)/\1/p' <<<"$OUT")
HDR_S=$(sed -n 's/^HDR \(.*d=x\.sub\.test;.*\)/\1/p' <<<"$OUT")
check "forced.test (two recipients, any case) routed" \
    starts "$HDR_F" "v=1; d=forced.test; r=[127.0.0.1]:2661; t="
check "x.sub.test routed with its options" \
    starts "$HDR_S" "v=1; d=x.sub.test; r=[sink.example]:2525; o=tls=verify; t="
check "forced.test signature (openssl)" hmac_ok "$HDR_F" "<m1@example.org>"
check "x.sub.test signature (openssl)" hmac_ok "$HDR_S" "<m1@example.org>"
check "the time stamp is now" eq "$(( $(date +%s) - \
    $(sed -n 's/.*t=\([0-9]*\);.*/\1/p' <<<"$HDR_F") < 60 ))" 1
check "no header for other, local, conditional domains" \
    eq "$(grep -cE 'd=(other|local|net|auth|mx)\.test' <<<"$OUT")" 0
check "three forged headers removed" wait_log \
    "4QID1: removed 3 routing header(s) sent by client 198.51.100.7"

# --- 3. conditions
mt conditions.lua -D CLIENT=192.0.2.9 -D AUTH=alice \
    -D SENDER=boss@corp.example
check "conditions.lua (all hold) passes" eq "$RC" 0
check "all hold: four domains" eq "$(grep -c '^HDR' <<<"$OUT")" 4
check "client=192.0.2.0/24 holds" has "$OUT" "HDR net.test"
check "sasl=alice holds" has "$OUT" "HDR auth.test"
check "sender=@corp.example holds" has "$OUT" "HDR sender.test"
check "sasl=* holds" has "$OUT" "HDR anyauth.test"

mt conditions.lua -D CLIENT=198.51.100.1 -D AUTH= \
    -D SENDER=x@corp.example.net
check "conditions.lua (none hold) passes" eq "$RC" 0
check "none hold: no header" eq "$(grep -c '^HDR' <<<"$OUT")" 0

mt conditions.lua -D CLIENT=2001:db8::5 -D AUTH=bob -D SENDER=
check "conditions.lua (IPv6, other login, null sender) passes" eq "$RC" 0
check "client=2001:db8::/32 holds" has "$OUT" "HDR v6.test"
check "sasl=alice does not hold for bob" eq "$(grep -c 'HDR auth' <<<"$OUT")" 0
check "IPv6: two domains" eq "$(grep -c '^HDR' <<<"$OUT")" 2

# --- 4. abort, new MAIL FROM, queue id binding
mt abort.lua
check "abort.lua passes" eq "$RC" 0
check "state reset by abort and MAIL FROM" has "$OUT" "MSG 2 clean"
HDR_Q=$(sed -n 's/^HDR //p' <<<"$OUT")
check "no Message-ID: bound to the queue id" has "$HDR_Q" "b=qid:"
check "queue id signature (openssl)" hmac_ok "$HDR_Q" "4QIDD"

mt limit.lua
check "limit.lua passes (101st routed domain: 452 4.5.3)" eq "$RC" 0
check "100 routing headers" has "$OUT" "COUNT 100"

# --- 5. milter_on_error
mt onerror.lua -D WANT=tempfail
check "unbound message: tempfail" eq "$RC" 0
check "logged" wait_log "no Message-ID and no queue id"

# The second instance starts with standard input, output and error
# closed: they must be /dev/null in both processes, not the log file
# or the socket that took their numbers.
SOCK2=unix:$SOCKDIR/milter2.sock
"$MILTER" -c "$T/milter.conf" -p "$SOCK2" -o milter_on_error=accept \
    <&- >&- 2>&- &
M2PID=$!
track "$M2PID"
check "a second milter listens" wait_sock "$SOCK2"
devnull_fds() {
	local fd
	for fd in 0 1 2; do
		eq "$(readlink "/proc/$1/fd/$fd")" /dev/null || return 1
	done
}
check "closed stdio: /dev/null in the supervisor" devnull_fds "$M2PID"
check "closed stdio: /dev/null in the filter" devnull_fds "$(child_of "$M2PID")"
SOCK_SAVE=$SOCK
SOCK=$SOCK2
mt onerror.lua -D WANT=accept
SOCK=$SOCK_SAVE
check "milter_on_error=accept accepts, forged header removed" eq "$RC" 0
kill "$M2PID"
wait "$M2PID" 2>/dev/null
check "SIGTERM stops the milter" eq "$?" 0

# --- 6. reload
write_conf "route = other.test smtp:[10.9.9.9]:25"
kill -HUP "$MPID"
check "SIGHUP reloads" wait_log "configuration reloaded"
mt forced.lua
check "the new rule is used" has "$OUT" "d=other.test; r=[10.9.9.9]:25"
check "three routing headers now" has "$OUT" "COUNT 3"
check "the filter survived SIGHUP" eq "$(child_of "$MPID")" "$FPID"

echo "route = broken" >>"$T/milter.conf"
kill -HUP "$MPID"
check "a broken configuration is refused" \
    wait_log "reload failed, keeping the old configuration"
mt forced.lua
check "the old configuration stays" has "$OUT" "COUNT 3"

kill "$MPID"
wait "$MPID" 2>/dev/null
RC=$?
check "SIGTERM stops the supervisor cleanly" eq "$RC" 0
check "and the filter" eq "$(kill -0 "$FPID" 2>/dev/null && echo alive)" ""

# --- 7. end to end through a private Postfix
# Postfix's smtpd (user postfix) reaches a third instance on TCP; the
# message is held (HOLD) so that postcat shows it as queued, with the
# milter's changes applied.
postfix_part() {
	local mid="<e2e.1@client.test>" f v
	. "$(dirname "$0")/mtalib.sh"
	trap 'mta_cleanup' EXIT
	mta_users
	mta_transport
	postfix_setup 2660
	write_conf
	"$MILTER" -c "$T/milter.conf" -p inet:2661@127.0.0.1 &
	track $!
	check "a milter listens for Postfix" wait_port 2661
	{
		sed "s|unix:/run/slimrelay-milter/milter.sock|inet:127.0.0.1:2661|" \
		    "$top_srcdir/postfix-example/milter.cf"
		echo "smtpd_end_of_data_restrictions ="
		echo "    check_client_access inline:{127.0.0.1=HOLD}"
	} >>"$PF_DIR/etc/main.cf"
	postfix_start

	f=$T/e2e.msg
	printf '%s\n' "From: a@client.test" "To: b@forced.test" \
	    "Message-ID: $mid" "X-SLIMRELAY-ROUTE: v=1; d=forced.test; r=[evil]:25" \
	    "Subject: e2e" "x-slimrelay-route: forged" "" "body" >"$f"
	postfix_send a@client.test b@forced.test,c@other.test "$f"
	OUT=$(postcat -c "$PF_DIR/etc" -hq "$QID" 2>&1)
	v=$(sed -n 's/^X-Slimrelay-Route: //p' <<<"$OUT")
	check "Postfix queued one routing header" \
	    eq "$(grep -ci '^x-slimrelay-route:' <<<"$OUT")" 1
	check "for forced.test" starts "$v" "v=1; d=forced.test; r=[127.0.0.1]:2661;"
	check "signed over the Message-ID (openssl)" hmac_ok "$v" "$mid"
	check "the forged headers are gone" eq "$(grep -ci 'forged\|evil' <<<"$OUT")" 0

	# No Message-ID from the client: Postfix's cleanup adds one before
	# the milter sees the headers, and the header binds to that one,
	# which the transport sees too.
	printf '%s\n' "From: a@client.test" "To: b@forced.test" \
	    "Subject: e2e 2" "" "body" >"$f"
	postfix_send a@client.test b@forced.test "$f"
	OUT=$(postcat -c "$PF_DIR/etc" -hq "$QID" 2>&1)
	v=$(sed -n 's/^X-Slimrelay-Route: //p' <<<"$OUT")
	mid=$(sed -n 's/^Message-Id: //ip' <<<"$OUT")
	check "Postfix added a Message-ID with its queue id" has "$mid" "$QID"
	check "the header binds to it (openssl)" hmac_ok "$v" "$mid"
}
if [ "$(id -u)" != 0 ]; then
	echo "# the Postfix part needs root"
	[ -z "${SLIMRELAY_NO_SKIP:-}" ] || check "Postfix part runs (root)" false
elif ! command -v postfix >/dev/null || ! command -v swaks >/dev/null ||
    ! [ -x "${SLIMRELAY:-}" ]; then
	echo "# the Postfix part needs postfix, swaks and the transport"
	[ -z "${SLIMRELAY_NO_SKIP:-}" ] || check "Postfix part runs" false
else
	postfix_part
fi
finish
