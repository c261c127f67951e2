#!/bin/bash
# desync.sh - a next hop that sends a reply out of turn never gets a
# message reported delivered: a line that arrives when no reply is owed
# (at the greeting, after EHLO, MAIL, RCPT, DATA's 354, in the middle of
# the content, after the reply to the final dot) breaks the session
# with a transient 4.5.0 "lost synchronization", with and without
# PIPELINING. The peer is scripted (tests/integration/smtp-peer.c): no
# real server misbehaves on cue. Each case asserts the exit status, the
# status line, the delivery record and whether the peer got the dot.
. "$(dirname "$0")/lib.sh"
PEER=$top_builddir/tests/integration/smtp-peer
[ -x "$PEER" ] || skip "smtp-peer was not built"
H="127.0.0.1[127.0.0.1]"
port=2700
printf 'Subject: desync\n\nbody\n' >"$T/msg"
head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 76 >"$T/body"
{ printf 'Subject: big\n\n'; cat "$T/body"; } >"$T/msg.big"

G="S:220 peer.test ESMTP|"
EB="S:250 peer.test|"			# EHLO without extensions
EP="S:250-peer.test|250 PIPELINING|"	# EHLO with PIPELINING

# desync NAME INPUT EXIT STATUS-LINE DOT STEP...: run the peer with the
# steps, relay INPUT to it, check exit, status line, record and dot.
desync() {
	local name=$1 input=$2 want_rc=$3 want_out=$4 want_dot=$5 fifo
	shift 5
	port=$((port + 1))
	fifo="$T/ready-$port"
	mkfifo "$fifo"
	"$PEER" 127.0.0.1 $port "$T/got-$port" "$@" >"$fifo" &
	track $!
	read -r _ <"$fifo"
	RELAY_INPUT=$input relay -q D$port -n "[127.0.0.1]:$port" \
	    -f a@example.org -- b@example.com
	wait $!
	check "$name: exit $want_rc" eq "$RC" "$want_rc"
	check "$name: status line" eq "$OUT" "$want_out"
	if [ "$want_rc" = 0 ]; then
		check "$name: record" log_has "D$port: to=<b@example.com>, relay=$H:$port, "
	else
		check "$name: record" log_has "D$port: to=<b@example.com>, relay=$H:$port, "
		check "$name: record deferred" log_has "dsn=${want_out%% *}, status=deferred (${want_out#* })"
	fi
	check "$name: dot reached the peer: $want_dot" has \
	    "$(tail -n 1 "$T/got-$port")" "dot: $want_dot"
}

LS="4.5.0 lost synchronization with host $H while"

# The reference: a well-behaved dialogue is delivered.
desync "clean dialogue" "$T/msg" 0 "250 2.0.0 Ok: queued as P1" yes \
    "$G" L "$EB" L "S:250 Ok|" L "S:250 Ok|" L "S:354 go|" D \
    "S:250 2.0.0 Ok: queued as P1|" L

# Out of turn at each stage, one write with the reply before it.
desync "extra line at the greeting" "$T/msg" 75 \
    "$LS receiving the initial server greeting (out of turn: 250 extra)" no \
    "S:220 peer.test ESMTP|250 extra|"
desync "extra line after EHLO" "$T/msg" 75 \
    "$LS performing the EHLO handshake (out of turn: 250 extra)" no \
    "$G" L "S:250 peer.test|250 extra|"
desync "extra line after MAIL" "$T/msg" 75 \
    "$LS sending MAIL FROM (out of turn: 250 extra)" no \
    "$G" L "$EB" L "S:250 Ok|250 extra|"
desync "extra line after RCPT" "$T/msg" 75 \
    "$LS sending RCPT TO (out of turn: 250 extra)" no \
    "$G" L "$EB" L "S:250 Ok|" L "S:250 Ok|250 extra|"
desync "extra line after 354" "$T/msg" 75 \
    "$LS sending message body (out of turn: 250 2.0.0 spurious)" no \
    "$G" L "$EB" L "S:250 Ok|" L "S:250 Ok|" L "S:354 go|250 2.0.0 spurious|" \
    D "S:554 5.7.1 rejected|"
desync "pipelined: extra line after 354" "$T/msg" 75 \
    "$LS sending message body (out of turn: 250 2.0.0 spurious)" no \
    "$G" L "$EP" L L L "S:250 Ok|250 Ok|354 go|250 2.0.0 spurious|" \
    D "S:554 5.7.1 rejected|"
desync "pipelined: extra line inside the group" "$T/msg" 75 \
    "$LS sending DATA command (out of turn: 354 go)" no \
    "$G" L "$EP" L L L "S:250 Ok|250 Ok|250 extra|354 go|"
# The issue's example: 250 in the middle of an 8 MB content, the real
# answer (554) after the dot. The dot is never sent: the peer discards.
desync "250 in the middle of the content" "$T/msg.big" 75 \
    "$LS sending message body (out of turn: 250 2.0.0 spurious)" no \
    "$G" L "$EB" L "S:250 Ok|" L "S:250 Ok|" L "S:354 go|" B:100000 \
    "S:250 2.0.0 spurious|" D "S:554 5.7.1 rejected|"
desync "pipelined: 554 in the middle, 250 at the dot" "$T/msg.big" 75 \
    "$LS sending message body (out of turn: 554 5.7.1 early)" no \
    "$G" L "$EP" L L L "S:250 Ok|250 Ok|354 go|" B:100000 \
    "S:554 5.7.1 early|" D "S:250 2.0.0 Ok|"
desync "451 in the middle, 250 at the dot" "$T/msg.big" 75 \
    "$LS sending message body (out of turn: 451 4.3.0 early)" no \
    "$G" L "$EB" L "S:250 Ok|" L "S:250 Ok|" L "S:354 go|" B:100000 \
    "S:451 4.3.0 early|" D "S:250 2.0.0 Ok|"
# Two replies to the dot: which one answered it? Maybe sent twice.
desync "second reply after the dot" "$T/msg" 75 \
    "$LS sending end of data -- message may be sent more than once (out of turn: 554 5.7.1 rejected)" yes \
    "$G" L "$EB" L "S:250 Ok|" L "S:250 Ok|" L "S:354 go|" D \
    "S:250 2.0.0 spurious|554 5.7.1 rejected|"
desync "pipelined: second reply after the dot" "$T/msg" 75 \
    "$LS sending end of data -- message may be sent more than once (out of turn: 250 2.0.0 Ok)" yes \
    "$G" L "$EP" L L L "S:250 Ok|250 Ok|354 go|" D \
    "S:451 4.3.0 later|250 2.0.0 Ok|"
# Nonsense reply codes: transient, never a bounce.
desync "RCPT 700" "$T/msg" 75 \
    "4.5.0 host $H said: 700 what (in reply to RCPT TO command)" no \
    "$G" L "$EB" L "S:250 Ok|" L "S:700 what|" L "S:250 Ok|"
desync "dot 099" "$T/msg" 75 \
    "4.5.0 host $H sent a malformed reply while sending end of data -- message may be sent more than once" yes \
    "$G" L "$EB" L "S:250 Ok|" L "S:250 Ok|" L "S:354 go|" D "S:099 what|"
desync "MAIL 2x5" "$T/msg" 75 \
    "4.5.0 host $H sent a malformed reply while sending MAIL FROM" no \
    "$G" L "$EB" L "S:2x5 what|"

finish
