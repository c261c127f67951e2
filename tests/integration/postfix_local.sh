#!/bin/bash
# postfix_local.sh - final delivery through slimrelay and the real
# maildrop, under a real Postfix.
#
# A private Postfix (smtpd on 127.0.0.1:2650) configured from
# postfix-example/ plus master-local.cf, main-local.cf and
# slimrelay-local.conf: transport_maps sends local.test to the
# "slimrelay-local" pipe(8) service, which runs slimrelay as user mail;
# slimrelay's route "local.test maildrop" runs maildrop -d ${user}.
# maildrop is a setuid-root copy (what dpkg-statoverride makes: Debian
# ships it setgid mail only, and then maildrop cannot switch to the
# recipient's user). Bounces to sender.test leave through the
# "slimrelay" service to smtp-sink on 127.0.0.1:2651.
#
# 1. a message for a local user ends in that user's Maildir/new, owned
#    by the user, byte for byte after Return-Path:, Delivered-To: and
#    Postfix's Received: header; Postfix and slimrelay log it as sent;
# 2. an unknown user: Postfix bounces with slimrelay's 5.1.1 status and
#    text (maildrop's "Invalid user specified."), and the notification
#    reaches the sender.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
need postfix postconf postqueue smtp-sink swaks script maildrop maildirmake \
    pkill userdel
mta_init postfix_local

SMTPD=2650
SINK=2651
USER1=srpf_bob

# pl_cleanup - remove the test's users, show slimrelay-local's log after
#	a failure, then mtalib.sh's cleanup (which keeps the exit status)
pl_cleanup()
{
	local status=$?
	mta_local_users
	if [ "$status" != 0 ] && [ "$status" != 77 ] && [ -s "${LLOG:-}" ]; then
		echo "# ----- $LLOG (last 20 lines)"
		tail -n 20 "$LLOG" | sed 's/^/# /'
	fi
	(exit "$status")
	mta_cleanup
}
trap pl_cleanup EXIT

mta_users
mta_transport
mta_suid_maildrop
mta_local_transport
mta_maildir_user $USER1
mta_sink $SINK
postfix_setup $SMTPD
postfix_route sender.test $SINK
postfix_local_service
postfix_route_local local.test
postfix_start

# --- 1. delivered into the Maildir -------------------------------------------

mta_message "$T/m1" m1.local@sender.test $USER1@local.test
postfix_send a@sender.test $USER1@local.test "$T/m1"
Q1=$QID
check "delivered: Postfix logs it as sent via slimrelay-local" \
    wait_line 30 "$PF_LOG" "$Q1: to=<$USER1@local.test>, relay=slimrelay-local, " \
    "dsn=2.0.0, status=sent (delivered via slimrelay-local service (delivered via maildrop service))"
check "delivered: slimrelay logs relay=maildrop under Postfix's queue id" \
    has_line "$LLOG" "$Q1: to=<$USER1@local.test>, relay=maildrop, " \
    "dsn=2.0.0, status=sent (delivered via maildrop service)"
check "delivered: the transport ran as user mail (user=mail)" \
    eq "$(stat -c %U "$LLOG" 2>/dev/null)" mail
got=$(mta_maildir_new $USER1)
check "delivered: one message in Maildir/new" eq "$(echo "$got" | grep -c .)" 1
check "delivered: the file belongs to the recipient" \
    eq "$(stat -c %U "$got" 2>/dev/null)" $USER1
check "delivered: Return-Path: first" \
    eq "$(sed -n 1p "$got")" "Return-Path: <a@sender.test>"
check "delivered: Delivered-To: second" \
    eq "$(sed -n 2p "$got")" "Delivered-To: $USER1@local.test"
tail -n +3 "$got" >"$T/got1"
mta_drop_trace "$T/got1" >"$T/got1.body"
check "delivered: then Postfix's Received: and the message byte for byte" \
    cmp -s "$T/got1.body" "$T/m1"

# --- 2. unknown user: a bounce with our text ----------------------------------

TEXT="user unknown. Command output: Invalid user specified."
mta_message "$T/m2" m2.local@sender.test nosuch@local.test
postfix_send a@sender.test srpf_nosuch@local.test "$T/m2"
Q2=$QID
check "bounced: Postfix logs slimrelay's 5.1.1 and text" \
    wait_line 30 "$PF_LOG" "$Q2: to=<srpf_nosuch@local.test>, relay=slimrelay-local, " \
    "dsn=5.1.1, status=bounced ($TEXT"
check "bounced: slimrelay logs the bounce" \
    has_line "$LLOG" "$Q2: to=<srpf_nosuch@local.test>, relay=maildrop, " \
    "dsn=5.1.1, status=bounced ($TEXT)"
check "bounced: Postfix returns a non-delivery notification" \
    wait_line 10 "$PF_LOG" "$Q2: sender non-delivery notification: "
BQ=$(sed -n "s/^.*$Q2: sender non-delivery notification: \([0-9A-Za-z]*\).*/\1/p" \
    "$PF_LOG")
check "bounced: the notification leaves through slimrelay" \
    wait_line 30 "$PF_LOG" "${BQ:-?}: to=<a@sender.test>, relay=slimrelay, " \
    "status=sent ("
d=$(mta_sink_file $SINK "X-Postfix-Queue-ID: $Q2") ||
    fatal "bounced: the notification reached the sender's next hop"
mta_unfold "$d" >"$T/bounce"
check "bounced: the DSN has slimrelay's status" \
    has_line "$T/bounce" "Status: 5.1.1"
check "bounced: the DSN has slimrelay's text" \
    has_line "$T/bounce" "Diagnostic-Code: x-unix; $TEXT"
check "bounced: the DSN names the recipient" \
    has_line "$T/bounce" "Final-Recipient: rfc822; srpf_nosuch@local.test"
check "bounced: nothing was delivered to $USER1" \
    eq "$(mta_maildir_new $USER1 | grep -c .)" 1

finish
