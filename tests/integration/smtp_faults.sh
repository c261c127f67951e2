#!/bin/bash
# smtp_faults.sh - every failure of the next hop defers or bounces as
# Postfix's smtp(8) would, with its words: 4xx and 5xx replies at each
# stage, 421 and dropped connections at each stage, a server too slow
# for each stage's timeout, the overall deadline, a refused connection.
# Each case asserts the exit status, the status line and whether the
# sink kept a message.
. "$(dirname "$0")/lib.sh"
need smtp-sink
H="127.0.0.1[127.0.0.1]"
port=2510
printf 'Subject: faults\n\nbody\n' >"$T/msg"

# case NAME EXIT STDOUT-PREFIX KEPT [sink args] [-- slimrelay -o args]
fault() {
	local name=$1 want_rc=$2 want_out=$3 want_kept=$4
	shift 4
	local sargs=() rargs=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		sargs+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	rargs=("$@")
	port=$((port + 1))
	start_sink $port "${sargs[@]}" || { FAILED=$((FAILED + 1)); return; }
	RELAY_INPUT="$T/msg" relay -q F$port -n "[127.0.0.1]:$port" \
	    "${rargs[@]}" -f a@example.org -- b@example.com
	check "$name: exit $want_rc" eq "$RC" "$want_rc"
	check "$name: status line" starts "$OUT" "$want_out"
	check "$name: sink kept $want_kept" eq "$(sink_count $port)" "$want_kept"
}

B=(-B "550 5.7.1 Go away")
S=(-b "451 4.3.2 Try later")

# Replies at each stage (smtp-sink -f hard, -r soft rejects a command).
fault "greeting 5xx defers" 75 "4.7.1 host $H refused to talk to me: 550 5.7.1 Go away" 0 -f CONNECT "${B[@]}"
fault "greeting 4xx" 75 "4.3.2 host $H refused to talk to me: 451 4.3.2 Try later" 0 -r CONNECT "${S[@]}"
fault "EHLO 5xx falls back to HELO" 0 "250 2.0.0 Ok" 1 -f EHLO "${B[@]}"
fault "EHLO 4xx falls back to HELO (Postfix)" 0 "250 2.0.0 Ok" 1 -r EHLO "${S[@]}"
fault "EHLO and HELO 5xx" 77 "5.7.1 host $H refused to talk to me: 550 5.7.1 Go away" 0 -f EHLO,HELO "${B[@]}"
fault "MAIL 4xx" 75 "4.3.2 host $H said: 451 4.3.2 Try later (in reply to MAIL FROM command)" 0 -r MAIL "${S[@]}"
fault "MAIL 5xx" 77 "5.7.1 host $H said: 550 5.7.1 Go away (in reply to MAIL FROM command)" 0 -f MAIL "${B[@]}"
fault "RCPT 4xx" 75 "4.3.2 host $H said: 451 4.3.2 Try later (in reply to RCPT TO command)" 0 -r RCPT "${S[@]}"
fault "RCPT 5xx unknown user" 67 "5.1.1 host $H said: 550 5.1.1 <b@example.com>: Recipient address rejected (in reply to RCPT TO command)" 0 -f RCPT -B "550 5.1.1 <b@example.com>: Recipient address rejected"
fault "DATA 4xx" 75 "4.3.2 host $H said: 451 4.3.2 Try later (in reply to DATA command)" 0 -r DATA "${S[@]}"
fault "DATA 5xx" 77 "5.7.1 host $H said: 550 5.7.1 Go away (in reply to DATA command)" 0 -f DATA "${B[@]}"
fault "end of data 4xx" 75 "4.3.2 host $H said: 451 4.3.2 Try later (in reply to end of DATA command)" 1 -r . "${S[@]}"
fault "end of data 5xx" 65 "5.6.0 host $H said: 554 5.6.0 Content rejected (in reply to end of DATA command)" 1 -f . -B "554 5.6.0 Content rejected"

# 421 and a closed connection at each stage.
for c in CONNECT EHLO; do
	fault "421 after $c" 75 "4." 0 -Q $c
	check "421 after $c: reported" has "$OUT" "host $H refused to talk to me: 421 "
done
for c in MAIL RCPT DATA; do
	fault "421 after $c" 75 "4." 0 -Q $c
	check "421 after $c: reported" has "$OUT" "host $H said: 421 "
done
fault "421 after end of data" 75 "4." 1 -Q .
fault "disconnect after EHLO" 75 "4.4.2 lost connection with $H while performing the EHLO handshake" 0 -q EHLO
fault "disconnect after MAIL" 75 "4.4.2 lost connection with $H while sending MAIL FROM" 0 -q MAIL
fault "disconnect after RCPT" 75 "4.4.2 lost connection with $H while sending RCPT TO" 0 -q RCPT
fault "disconnect after DATA" 75 "4.4.2 lost connection with $H while sending DATA command" 0 -q DATA
fault "disconnect after end of data" 75 "4.4.2 lost connection with $H while sending end of data -- message may be sent more than once" 1 -q .

# A server too slow for each stage's timeout (smtp-sink -W waits; -p
# because smtp-sink answers pipelined commands out of order while it
# delays one of them).
fault "slow greeting" 75 "4.4.2 conversation with $H timed out while receiving the initial server greeting" 0 -p -W CONNECT:3 -- -o greeting_timeout=300ms
fault "slow EHLO" 75 "4.4.2 conversation with $H timed out while performing the EHLO handshake" 0 -p -W EHLO:3 -- -o ehlo_timeout=300ms
fault "slow MAIL" 75 "4.4.2 conversation with $H timed out while sending MAIL FROM" 0 -p -W MAIL:3 -- -o mail_timeout=300ms
fault "slow RCPT" 75 "4.4.2 conversation with $H timed out while sending RCPT TO" 0 -p -W RCPT:3 -- -o rcpt_timeout=300ms
fault "slow DATA" 75 "4.4.2 conversation with $H timed out while sending DATA command" 0 -p -w 3 -- -o data_timeout=300ms
fault "slow end of data" 75 "4.4.2 conversation with $H timed out while sending end of data -- message may be sent more than once" 1 -p -W .:3 -- -o dot_timeout=300ms
fault "overall deadline" 75 "4.4.2 conversation with $H timed out while sending RCPT TO" 0 -p -W RCPT:3 -- -o deadline=500ms

# A reader that stalls during the message body: the xfer timeout.
head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 76 >"$T/body"
{ printf 'Subject: slow reader\n\n'; cat "$T/body"; } >"$T/msg.big"
port=$((port + 1))
start_sink $port -H 3 -T 4096
RELAY_INPUT="$T/msg.big" relay -o xfer_timeout=300ms -n "[127.0.0.1]:$port" -f a@example.org -- b@example.com
check "slow reader: exit 75" eq "$RC" 75
check "slow reader: status line" starts "$OUT" "4.4.2 conversation with $H timed out while sending message body"

# Nothing listens: connect fails, relay=none in the record.
RELAY_INPUT="$T/msg" relay -q Qrefused -n "[127.0.0.1]:2599" -f a@example.org -- b@example.com
check "refused: exit 75" eq "$RC" 75
check "refused: status line" eq "$OUT" "4.4.1 connect to $H:2599: Connection refused"
check "refused: record" log_has "Qrefused: to=<b@example.com>, relay=none, "
check "refused: record status" log_has "dsn=4.4.1, status=deferred (connect to $H:2599: Connection refused)"

finish
