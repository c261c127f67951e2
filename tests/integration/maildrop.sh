#!/bin/bash
# maildrop.sh - final delivery through the real courier maildrop into
# the Maildirs of users this test creates (homes below $T).
#
#   1. delivery: the message lands in Maildir/new byte for byte, after
#      the Return-Path: and Delivered-To: headers slimrelay adds;
#      ${user} folds Bob+ext to bob; the log has relay=maildrop
#   2. CRLF input is delivered with LF line ends
#   3. the null sender: Return-Path: <>
#   4. unknown user: maildrop says "Invalid user specified." (exit 67),
#      slimrelay bounces 5.1.1 with that text and exits 67
#   5. a mailfilter that sleeps past maildrop_timeout=1s: 4.4.2, exit
#      75, nothing delivered and no process of the user left behind
#   6. a mailfilter that exits 75: deferred 4.3.0, exit 75
#   7. two recipients in one run, one delivered and one unknown
#   8. a 100 MiB message, byte for byte, in bounded memory
#   9. an option-like recipient never reaches maildrop (5.1.3)
#  10. Delivered-To: already naming the recipient: 5.4.6, not delivered
#  11. the generic pipe relay (pipe_command): plain message, status from
#      its output
#  12. a mailfilter that prints an RFC 3463 code first: the code is the
#      status and its class wins over the exit status, as with pipe(8):
#      "4.2.0 ..." and EXITCODE=77 defers (exit 75), "5.7.1 ..." and
#      EXITCODE=75 bounces (exit 77)
#
# Needs root (maildrop -d switches to the user) and Debian's maildrop.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"

# md_cleanup - remove the users, then lib.sh's cleanup
md_cleanup() {
	local status=$?
	trap - EXIT
	mta_local_users
	if [ "$status" != 0 ] && [ "$status" != 77 ] && [ -f "$LOG" ]; then
		tail -n 20 "$LOG" | sed 's/^/# /'
	fi
	cleanup
	exit "$status"
}

[ "$(id -u)" = 0 ] || skip "maildrop.sh must run as root"
need maildrop maildirmake useradd userdel pkill pgrep cmp
trap md_cleanup EXIT

# md_count NAME - how many messages arrived
md_count() {
	mta_maildir_new "$1" | wc -l | tr -d ' '
}

# deliver_md ARGS... - slimrelay with local.test routed to maildrop
deliver_md() {
	relay -o "route = local.test maildrop" "$@"
}

# same_file A B - byte for byte, or say where they differ
same_file() {
	cmp "$1" "$2" 2>&1 | sed 's/^/#   /'
	cmp -s "$1" "$2"
}

mta_maildir_user srmd_bob
mta_maildir_user srmd_eve
mta_maildir_user srmd_tmp

# A message that stresses the local form: leading dots, a lone dot,
# "From " lines, 8-bit text, trailing blanks, a long line.
MSG=$T/msg
{
	printf 'From: Alice <alice@sender.test>\n'
	printf 'To: bob@local.test\n'
	printf 'Subject: maildrop test\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf '\n'
	printf '.\n..\n.leading dot\nFrom the start\n>From quoted\n'
	printf 'caf\303\251 \342\202\254\n\ttab\ntrailing   \n\n'
	awk 'BEGIN { for (i = 0; i < 998; i++) printf("%c", 33 + i % 94)
		print ""; for (i = 1; i <= 500; i++) printf("%04d fox\n", i) }'
	printf 'last line\n'
} >"$MSG"

# 1. delivery, byte for byte
RELAY_INPUT=$MSG deliver_md -q QMD1 -f alice@sender.test -- \
    Srmd_Bob+ext@local.test
check "1 delivered: exit 0" eq "$RC" 0
check "1 delivered: status line" eq "$OUT" "delivered via maildrop service"
check "1 one message in Maildir/new" eq "$(md_count srmd_bob)" 1
{
	printf 'Return-Path: <alice@sender.test>\n'
	printf 'Delivered-To: Srmd_Bob+ext@local.test\n'
	cat "$MSG"
} >"$T/want1"
check "1 byte for byte, after Return-Path and Delivered-To" \
    same_file "$(mta_maildir_new srmd_bob | head -n 1)" "$T/want1"
check "1 log record" log_has "QMD1: to=<Srmd_Bob+ext@local.test>, relay=maildrop,"
check "1 log status" log_has "dsn=2.0.0, status=sent (delivered via maildrop service)"

# 2. CRLF input: LF in the mailbox
sed 's/$/\r/' "$MSG" >"$T/msg.crlf"
RELAY_INPUT=$T/msg.crlf deliver_md -q QMD2 -f alice@sender.test -- \
    srmd_eve@local.test
check "2 CRLF input: exit 0" eq "$RC" 0
{
	printf 'Return-Path: <alice@sender.test>\n'
	printf 'Delivered-To: srmd_eve@local.test\n'
	cat "$MSG"
} >"$T/want2"
check "2 CRLF input delivered with LF" same_file "$(mta_maildir_new srmd_eve)" "$T/want2"

# 3. the null sender
RELAY_INPUT=$MSG deliver_md -q QMD3 -f "" -- srmd_tmp@local.test
check "3 null sender: exit 0" eq "$RC" 0
check "3 Return-Path: <>" eq "$(head -n 1 "$(mta_maildir_new srmd_tmp)")" "Return-Path: <>"

# 4. unknown user
RELAY_INPUT=$MSG deliver_md -q QMD4 -f alice@sender.test -- \
    srmd_nosuch@local.test
check "4 unknown user: exit 67 (EX_NOUSER)" eq "$RC" 67
check "4 unknown user: 5.1.1 and maildrop's text" eq "$OUT" \
    "5.1.1 user unknown. Command output: Invalid user specified."
check "4 log" log_has "QMD4: to=<srmd_nosuch@local.test>, relay=maildrop"
check "4 log status" log_has "dsn=5.1.1, status=bounced (user unknown. Command output: Invalid user specified.)"

# 5. a mailfilter that hangs: killed with its process group, deferred
mta_mailfilter srmd_tmp sleep
before=$(md_count srmd_tmp)
t0=$(date +%s)
RELAY_INPUT=$MSG deliver_md -o maildrop_timeout=1s -q QMD5 \
    -f alice@sender.test -- srmd_tmp@local.test
t1=$(date +%s)
check "5 timeout: exit 75" eq "$RC" 75
check "5 timeout: 4.4.2" starts "$OUT" "4.4.2 maildrop delivery timed out after 1 s; command killed"
check "5 timeout: within a few seconds" test $((t1 - t0)) -le 5
check "5 timeout: nothing delivered" eq "$(md_count srmd_tmp)" "$before"
# The killed processes may take a moment to be reaped by init.
left=""
for i in $(seq 1 20); do
	left=$(pgrep -u srmd_tmp -a)
	[ -z "$left" ] && break
	sleep 0.1
done
check "5 timeout: no process of the user left (sleep killed too)" eq "$left" ""
check "5 timeout: log" log_has "QMD5: to=<srmd_tmp@local.test>, relay=maildrop"
check "5 timeout: log status" log_has "dsn=4.4.2, status=deferred (maildrop delivery timed out"

# 6. a mailfilter that exits 75
mta_mailfilter srmd_tmp tempfail
RELAY_INPUT=$MSG deliver_md -q QMD6 -f alice@sender.test -- srmd_tmp@local.test
check "6 EXITCODE=75: exit 75" eq "$RC" 75
check "6 EXITCODE=75: 4.3.0" starts "$OUT" "4.3.0 temporary failure"
check "6 nothing delivered" eq "$(md_count srmd_tmp)" "$before"
mta_mailfilter srmd_tmp deliver

# 7. two recipients: each has its own result and its own copy
RELAY_INPUT=$MSG deliver_md -q QMD7 -f alice@sender.test -- \
    srmd_eve@local.test srmd_nosuch2@local.test
check "7 mixed: one delivered" eq "$(md_count srmd_eve)" 2
check "7 mixed: log sent" log_has "QMD7: to=<srmd_eve@local.test>, relay=maildrop" "status=sent"
check "7 mixed: log bounced" log_has "QMD7: to=<srmd_nosuch2@local.test>, relay=maildrop"
check "7 mixed: exit is the bounce (67)" eq "$RC" 67

# 8. 100 MiB, byte for byte, memory bounded
BIG=$T/big
{
	printf 'Subject: big\n\n'
	awk 'BEGIN { s = sprintf("%0100d", 0)
		for (i = 0; i < 1048576; i++) print "." s }'
} >"$BIG"
size=$(stat -c %s "$BIG")
check "8 the message is over 100 MiB" test "$size" -gt 104857600
OUT=$(/usr/bin/time -f 'maxrss=%M' "$SLIMRELAY" -o log="$LOG" \
    -o state_directory="$STATE" -o "route = local.test maildrop" \
    -o maildrop_timeout=120s -q QMD8 -f alice@sender.test -- \
    srmd_tmp@local.test <"$BIG" 2>"$T/time.out")
RC=$?
check "8 big: exit 0" eq "$RC" 0
got=$(mta_maildir_new srmd_tmp | tail -n 1)
check "8 big: delivered" test -n "$got"
{
	printf 'Return-Path: <alice@sender.test>\n'
	printf 'Delivered-To: srmd_tmp@local.test\n'
	cat "$BIG"
} >"$T/want8"
check "8 big: byte for byte" same_file "$got" "$T/want8"
rss=$(sed -n 's/^maxrss=//p' "$T/time.out")
check "8 big: slimrelay stayed under 32 MiB (maxrss ${rss:-?} KiB)" \
    test "${rss:-999999}" -lt 32768
rm -f "$BIG" "$T/want8" "$got"

# 9. an option-like recipient is refused before maildrop runs
before=$(md_count srmd_bob)
RELAY_INPUT=$MSG deliver_md -q QMD9 -f alice@sender.test -- -d@local.test
check "9 option-like recipient: permanent" starts "$OUT" "5.1.3"
check "9 nothing delivered" eq "$(md_count srmd_bob)" "$before"

# 10. a forward that came back: Delivered-To: already names the recipient
{
	printf 'Delivered-To: srmd_eve@local.test\n'
	cat "$MSG"
} >"$T/looped"
before=$(md_count srmd_eve)
RELAY_INPUT=$T/looped deliver_md -q QMD10 -f alice@sender.test -- \
    srmd_eve@local.test
check "10 loop: 5.4.6" eq "$OUT" "5.4.6 mail forwarding loop for srmd_eve@local.test"
check "10 loop: permanent exit status (69)" eq "$RC" 69
check "10 loop: nothing delivered" eq "$(md_count srmd_eve)" "$before"

# 11. the generic pipe relay: argv, local form, status from the output
cat >"$T/deliver.sh" <<'SH'
#!/bin/sh
cat >"$(dirname "$0")/piped.$1"
[ "$1" = full@local.test ] && { echo "4.2.2 mailbox over quota"; exit 1; }
exit 0
SH
chmod 755 "$T/deliver.sh"
RELAY_INPUT=$MSG relay -o "route = local.test pipe" \
    -o "pipe_command = /bin/sh $T/deliver.sh \${recipient}" -q QMD11 \
    -f alice@sender.test -- ok@local.test
check "11 pipe: delivered" eq "$RC" 0
check "11 pipe: the message as it was, no headers added" \
    same_file "$T/piped.ok@local.test" "$MSG"
check "11 pipe: log relay=pipe" log_has "QMD11: to=<ok@local.test>, relay=pipe,"
RELAY_INPUT=$MSG relay -o "route = local.test pipe" \
    -o "pipe_command = /bin/sh $T/deliver.sh \${recipient}" -q QMD12 \
    -f alice@sender.test -- full@local.test
check "11 pipe: 4.2.2 from the output defers" eq "$OUT" "4.2.2 mailbox over quota"
check "11 pipe: exit 75" eq "$RC" 75

# 12. maildrop's own output carries the status, as pipe(8) reads it
mta_mailfilter srmd_tmp status
before=$(md_count srmd_tmp)
RELAY_INPUT=$MSG deliver_md -q QMD13 -f alice@sender.test -- srmd_tmp@local.test
check "12 code 4.2.0, EXITCODE=77: the code is the status line" eq "$OUT" \
    "4.2.0 mailbox busy, try again later"
check "12 code 4.2.0, EXITCODE=77: deferred, exit 75" eq "$RC" 75
check "12 code 4.2.0: log" log_has "QMD13: to=<srmd_tmp@local.test>, relay=maildrop"
check "12 code 4.2.0: log status" log_has "dsn=4.2.0, status=deferred (mailbox busy, try again later)"
mta_mailfilter srmd_tmp reject
RELAY_INPUT=$MSG deliver_md -q QMD14 -f alice@sender.test -- srmd_tmp@local.test
check "12 code 5.7.1, EXITCODE=75: the code is the status line" eq "$OUT" \
    "5.7.1 refused by the recipient's mail filter"
check "12 code 5.7.1, EXITCODE=75: bounced, exit 77 (EX_NOPERM)" eq "$RC" 77
check "12 code 5.7.1: log status" log_has "dsn=5.7.1, status=bounced (refused by the recipient's mail filter)"
check "12 nothing delivered" eq "$(md_count srmd_tmp)" "$before"
mta_mailfilter srmd_tmp deliver

finish
