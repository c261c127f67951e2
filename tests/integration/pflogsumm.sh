#!/bin/bash
# pflogsumm.sh - slimrelay's log file as Postfix's tools read it.
#
# A private Postfix relays through slimrelay (pipe(8)) to smtp-sink:
# two recipients delivered, one deferred (closed port), one bounced
# (550 5.1.1), and the bounce notification delivered. slimrelay logs to
# its own file with syslog_name = postfix/slimrelay and ehlo_name =
# Postfix's myhostname. Then:
# 1. every line of slimrelay's log has the form of the lines Postfix's
#    maillog_file writes ("Dec 06 23:19:32 postfix postfix/NAME[PID]: "),
#    the day zero-padded and the host the first label of the name;
# 2. its delivery records carry Postfix's four delays=a/b/c/d (after
#    conn_use=N when the session was reused, as Postfix's do);
# 3. pflogsumm counts slimrelay's log alone as Postfix's: 3 delivered,
#    1 deferred, 1 bounced;
# 4. the two logs together count every delivery twice, and the filter
#    slimrelay(8) gives (drop pipe(8)'s records of the slimrelay
#    service) brings the counts back to 3/1/1;
# 5. with the default syslog_name (slimrelay) pflogsumm counts none of
#    slimrelay's records: Postfix's pipe(8) record is the only count.
# Ports: Postfix's smtpd 127.0.0.1:2690, sinks :2691 (accepts), :2692
# (rejects RCPT), :2693 is closed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
need postfix postconf postqueue smtp-sink swaks script pflogsumm
mta_init pflogsumm

SMTPD=2690
ACCEPT=2691
REJECT=2692
CLOSED=2693
STAMP='[A-Z][a-z][a-z] [0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]'

# summary LOG... - pflogsumm's grand totals: "delivered deferred bounced"
summary() {
	cat "$@" | pflogsumm 2>"$T/pflogsumm.err" | awk '
		$2 == "delivered" && d == "" { d = $1 }
		$2 == "deferred" && f == "" { f = $1 }
		$2 == "bounced" && b == "" { b = $1 }
		END { print d + 0, f + 0, b + 0 }'
}

# all_lines REGEX FILE - every line of FILE matches REGEX (and there are some)
all_lines() {
	local bad
	[ -s "$2" ] || { echo "#   $2 is empty"; return 1; }
	bad=$(grep -cvE "$1" "$2")
	[ "$bad" = 0 ] && return 0
	echo "#   $bad line(s) of $2 do not match $1, e.g.:"
	grep -vE "$1" "$2" | head -3 | sed 's/^/#     /'
	return 1
}

mta_users
mta_transport
cat >>"$MTA_CONF" <<CONF
syslog_name = postfix/slimrelay
ehlo_name = postfix.slimrelay.test
CONF
mta_sink $ACCEPT
mta_sink $REJECT -f RCPT \
    -B "550 5.1.1 <bob@reject.test>: Recipient address rejected: User unknown"
postfix_setup $SMTPD
postfix_route accept.test $ACCEPT
postfix_route sender.test $ACCEPT
postfix_route reject.test $REJECT
postfix_route closed.test $CLOSED
postfix_start

mta_message "$T/m1" m1.pflogsumm@sender.test bob@accept.test
postfix_send a@sender.test bob@accept.test,carol@accept.test "$T/m1"
Q1=$QID
mta_message "$T/m2" m2.pflogsumm@sender.test bob@closed.test
postfix_send a@sender.test bob@closed.test "$T/m2"
Q2=$QID
mta_message "$T/m3" m3.pflogsumm@sender.test bob@reject.test
postfix_send a@sender.test bob@reject.test "$T/m3"
Q3=$QID
for r in bob carol; do
	wait_line 30 "$PF_LOG" "$Q1: to=<$r@accept.test>, relay=slimrelay, " \
	    "status=sent" || fatal "Postfix delivered $r through slimrelay"
done
wait_line 30 "$PF_LOG" "$Q2: to=<bob@closed.test>, relay=slimrelay, " \
    "status=deferred" || fatal "Postfix deferred the mail to closed.test"
wait_line 30 "$PF_LOG" "$Q3: to=<bob@reject.test>, relay=slimrelay, " \
    "status=bounced" || fatal "Postfix bounced the mail to reject.test"
wait_line 30 "$PF_LOG" "to=<a@sender.test>, relay=slimrelay, " \
    "status=sent" || fatal "Postfix delivered the bounce notification"
postfix_stop

# 1. the line format of Postfix's maillog_file, the same in both logs
check "1 Postfix's own lines have the expected form" all_lines \
    "^$STAMP postfix postfix/[a-z-]+\\[[0-9]+\\]: " "$PF_LOG"
check "1 slimrelay's lines have the same form" all_lines \
    "^$STAMP postfix postfix/slimrelay\\[[0-9]+\\]: " "$RLOG"

# 2. delays=a/b/c/d
D='[0-9]+(\.[0-9]+)?'
check "2 slimrelay's records have Postfix's four delays" eq \
    "$(grep -c ': to=<' "$RLOG")" \
    "$(grep -cE ": to=<[^>]*>, relay=[^,]+, (conn_use=[0-9]+, )?delay=$D, delays=$D/$D/$D/$D, dsn=" "$RLOG")"
check "2 the delivered record, delays=a/b/c/d" grep -qE \
    "$Q1: to=<bob@accept.test>, relay=127.0.0.1\\[127.0.0.1\\]:$ACCEPT, delay=$D, delays=$D/$D/$D/$D, dsn=2.0.0, status=sent " "$RLOG"

# 3. slimrelay's log alone: each delivery once
check "3 pflogsumm on slimrelay's log: 3 delivered, 1 deferred, 1 bounced" \
    eq "$(summary "$RLOG")" "3 1 1"
check "3 pflogsumm on Postfix's log: the same" \
    eq "$(summary "$PF_LOG")" "3 1 1"

# 4. both logs: twice, unless pipe(8)'s records of the service are dropped
check "4 both logs as they are: each delivery counted twice" \
    eq "$(summary "$PF_LOG" "$RLOG")" "6 1 2"
cat "$PF_LOG" "$RLOG" |
    grep -vE 'postfix/pipe\[[0-9]+\]: [0-9A-Za-z]+: to=<[^>]*>, (orig_to=<[^>]*>, )?relay=slimrelay,' \
    >"$T/filtered"
check "4 without pipe(8)'s slimrelay records: 3 delivered, 1 deferred, 1 bounced" \
    eq "$(summary "$T/filtered")" "3 1 1"

# 5. the default syslog_name is not counted
printf 'Subject: direct\n\nbody\n' >"$T/m4"
RELAY_INPUT=$T/m4 relay -q QDIRECT -n "[127.0.0.1]:$ACCEPT" \
    -f a@sender.test -- dave@accept.test
check "5 direct delivery: exit 0" eq "$RC" 0
check "5 logged as slimrelay[PID]" grep -qE \
    "^$STAMP [^ ]+ slimrelay\\[[0-9]+\\]: QDIRECT: to=<dave@accept.test>, .*status=sent" "$LOG"
check "5 pflogsumm counts nothing of syslog_name = slimrelay" \
    eq "$(summary "$LOG")" "0 0 0"

finish
