#!/bin/bash
# postfix.sh - slimrelay as the pipe(8) transport of a real Postfix.
#
# Starts a private Postfix (postfix -c DIR) configured from
# postfix-example/, submits mail with swaks into its smtpd on
# 127.0.0.1:2610 and checks what Postfix and slimrelay did:
# 1. delivered: two recipients, relayed one per request (the example's
#    recipient limit), byte for byte, logged as sent by Postfix and by
#    slimrelay under Postfix's queue id;
# 2. deferred: the next hop's port is closed; the message waits in the
#    deferred queue with slimrelay's 4.4.1 reason, and is delivered
#    once the next hop is up and the message is flushed;
# 3. bounced: the next hop rejects the recipient; Postfix bounces with
#    slimrelay's 5.1.1 status and text, and the bounce itself is relayed
#    by slimrelay with the null sender;
# 4. Postfix's smtpd as slimrelay's own next hop: one recipient of two
#    refused (the other delivered), and SIZE limits before and after data.
# Next hops are smtp-sink on 127.0.0.1:2611 (accepts), :2612 (rejects
# RCPT) and :2613 (closed, then opened in case 2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
. "$(dirname "$0")/dnslib.sh"
need postfix postconf postqueue smtp-sink swaks script ldns-testns drill
mta_init postfix

SMTPD=2610
ACCEPT=2611
REJECT=2612
CLOSED=2613
SAID="host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <bob@reject.test>: Recipient address rejected: User unknown (in reply to RCPT TO command)"
REFUSED="connect to 127.0.0.1[127.0.0.1]:$CLOSED: Connection refused"

mta_users
mta_transport
# Case 5: MX lookups go to a name server of the test's own.
DNS_BASE_PORT=53750 dns_start "$top_srcdir/tests/data/dns/mxrelay.data" ||
    fatal "ldns-testns starts"
echo "dns_servers = 127.0.0.1:$DNS_PORT" >>"$MTA_CONF"
start_sink_at 127.0.0.81 25 || fatal "smtp-sink on 127.0.0.81:25"
mta_sink $ACCEPT
mta_sink $REJECT -f RCPT \
    -B "550 5.1.1 <bob@reject.test>: Recipient address rejected: User unknown"
postfix_setup $SMTPD
postfix_route accept.test $ACCEPT
postfix_route sender.test $ACCEPT
postfix_route reject.test $REJECT
postfix_route closed.test $CLOSED
postfix_start

# --- 1. delivered, one recipient per request -------------------------------

mta_message "$T/m1" m1.postfix@sender.test bob@accept.test
postfix_send a@sender.test bob@accept.test,carol@accept.test "$T/m1"
Q1=$QID
for r in bob carol; do
	check "delivered: Postfix logs $r as sent via slimrelay" \
	    wait_line 30 "$PF_LOG" "$Q1: to=<$r@accept.test>, relay=slimrelay, " \
	    "dsn=2.0.0, status=sent (delivered via slimrelay service (250 2.0.0 Ok"
	check "delivered: slimrelay logs $r as sent under Postfix's queue id" \
	    has_line "$RLOG" \
	    "$Q1: to=<$r@accept.test>, relay=127.0.0.1[127.0.0.1]:$ACCEPT, " \
	    "dsn=2.0.0, status=sent (250 2.0.0 Ok"
done
check "delivered: the transport ran as user slimrelay (user=)" \
    eq "$(stat -c %U "$RLOG" 2>/dev/null)" slimrelay
check "delivered: Postfix removes the message from its queue" \
    wait_line 10 "$PF_LOG" "$Q1: removed"
check "delivered: one transaction per recipient" \
    eq "$(sink_count $ACCEPT)" 2
for r in bob carol; do
	d=$(mta_sink_file $ACCEPT "X-Rcpt-Args: <$r@accept.test>") ||
	    fatal "delivered: the next hop got a transaction for $r"
	check "delivered: $r's transaction has the sender" \
	    has_line "$d" "X-Mail-Args: <a@sender.test>"
	check "delivered: $r's transaction has one recipient" \
	    eq "$(grep -c '^X-Rcpt-Args: ' "$d")" 1
	check "delivered: $r's copy has Postfix's trace header" \
	    has_line "$d" "by postfix.slimrelay.test (Postfix) with ESMTP id $Q1"
	check "delivered: $r's copy is the message byte for byte" \
	    mta_same_message "$d" "$T/m1"
done

# --- 2. deferred, then delivered --------------------------------------------

mta_message "$T/m2" m2.postfix@sender.test bob@closed.test
postfix_send a@sender.test bob@closed.test "$T/m2"
Q2=$QID
check "deferred: Postfix logs slimrelay's 4.4.1 reason" \
    wait_line 30 "$PF_LOG" "$Q2: to=<bob@closed.test>, relay=slimrelay, " \
    "dsn=4.4.1, status=deferred ($REFUSED"
check "deferred: slimrelay logs the deferral" \
    has_line "$RLOG" "$Q2: to=<bob@closed.test>, " \
    "dsn=4.4.1, status=deferred ($REFUSED)"
check "deferred: the message waits in the deferred queue" \
    mta_wait 10 postfix_in_queue "$Q2" deferred
postfix_queue >"$T/queue2"
check "deferred: postqueue -p shows the message" has_line "$T/queue2" "$Q2"
check "deferred: postqueue -p shows slimrelay's reason" \
    has_line "$T/queue2" "($REFUSED)"

mta_sink $CLOSED
postfix_flush "$Q2"
check "deferred: Postfix delivers the message when the next hop is up" \
    wait_line 30 "$PF_LOG" "$Q2: to=<bob@closed.test>, relay=slimrelay, " \
    "dsn=2.0.0, status=sent ("
check "deferred: Postfix removes the message from its queue" \
    wait_line 10 "$PF_LOG" "$Q2: removed"
d=$(mta_sink_file $CLOSED "Message-ID: <m2.postfix@sender.test>") ||
    fatal "deferred: the retried message reached the next hop"
check "deferred: the retried message arrives byte for byte" \
    mta_same_message "$d" "$T/m2"

# --- 3. bounced ----------------------------------------------------------------

mta_message "$T/m3" m3.postfix@sender.test bob@reject.test
postfix_send a@sender.test bob@reject.test "$T/m3"
Q3=$QID
check "bounced: Postfix logs slimrelay's 5.1.1 status and text" \
    wait_line 30 "$PF_LOG" "$Q3: to=<bob@reject.test>, relay=slimrelay, " \
    "dsn=5.1.1, status=bounced ($SAID"
check "bounced: slimrelay logs the bounce" \
    has_line "$RLOG" \
    "$Q3: to=<bob@reject.test>, relay=127.0.0.1[127.0.0.1]:$REJECT, " \
    "dsn=5.1.1, status=bounced ($SAID)"
check "bounced: Postfix returns a non-delivery notification" \
    wait_line 10 "$PF_LOG" "$Q3: sender non-delivery notification: "
BQ=$(sed -n "s/^.*$Q3: sender non-delivery notification: \([0-9A-Za-z]*\).*/\1/p" \
    "$PF_LOG")
check "bounced: the notification leaves through slimrelay" \
    wait_line 30 "$PF_LOG" "${BQ:-?}: to=<a@sender.test>, relay=slimrelay, " \
    "status=sent ("
d=$(mta_sink_file $ACCEPT "X-Postfix-Queue-ID: $Q3") ||
    fatal "bounced: the notification reached the sender's next hop"
check "bounced: the notification has the null sender (null_sender=)" \
    has_line "$d" "X-Mail-Args: <>"
mta_unfold "$d" >"$T/bounce"
check "bounced: the DSN has slimrelay's status" \
    has_line "$T/bounce" "Status: 5.1.1"
check "bounced: the DSN has slimrelay's text" \
    has_line "$T/bounce" "Diagnostic-Code: x-unix; $SAID"
check "bounced: the DSN names the recipient" \
    has_line "$T/bounce" "Final-Recipient: rfc822; bob@reject.test"

# --- 4. Postfix's smtpd as slimrelay's next hop ------------------------------
# A real server that rejects one recipient of two, and announces SIZE.

H="127.0.0.1[127.0.0.1]"
printf 'Subject: mixed\n\nbody\n' >"$T/m4"
RELAY_INPUT="$T/m4" relay -q Q4 -n "[127.0.0.1]:$SMTPD" -f a@sender.test \
    -- ok@accept.test no@refuse.test
check "mixed: exit 77 (the permanent result decides)" eq "$RC" 77
check "mixed: status line from the refused recipient" starts "$OUT" \
    "5.7.1 host $H said: 554 5.7.1 <no@refuse.test>: Recipient address rejected: Access denied (in reply to RCPT TO command)"
check "mixed: the other recipient was delivered" grep -qF \
    "Q4: to=<ok@accept.test>, relay=$H:$SMTPD, " "$LOG"
check "mixed: delivered record says sent" grep -q \
    "Q4: to=<ok@accept.test>, .*dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as " "$LOG"
check "mixed: refused record says bounced" grep -q \
    "Q4: to=<no@refuse.test>, .*dsn=5.7.1, status=bounced (host " "$LOG"
check "mixed: Postfix relays the accepted copy to its next hop" \
    wait_line 30 "$PF_LOG" "to=<ok@accept.test>, relay=slimrelay, " \
    "status=sent ("

# SIZE: for a message larger than its read-ahead (64 KiB) slimrelay
# takes the MTA's estimate (-s): over the server's limit it bounces
# before MAIL FROM; without an estimate, the server refuses the message
# at end of data. (A small message's exact size is always known.)
{ printf 'Subject: big\n\n'; head -c 1500000 /dev/zero | tr '\0' 'y' | fold -w 70; echo; } >"$T/m5"
RELAY_INPUT="$T/m5" relay -s 1545000 -n "[127.0.0.1]:$SMTPD" -f a@sender.test -- ok@accept.test
check "SIZE: over the announced limit: exit 69" eq "$RC" 69
check "SIZE: 5.3.4 with Postfix's words" eq "$OUT" \
    "5.3.4 message size 1545000 exceeds size limit 1000000 of server $H"
RELAY_INPUT="$T/m5" relay -n "[127.0.0.1]:$SMTPD" -f a@sender.test -- ok@accept.test
check "SIZE: too big on the wire: exit 69" eq "$RC" 69
check "SIZE: refused at end of data" starts "$OUT" "5.3.4 host $H said: 552 5.3.4 "

# --- 5. MX relaying: default_transport = slimrelay, no transport_maps ----
# Postfix passes the recipient domain as ${nexthop}; slimrelay finds its
# MX host in DNS (pfmx.test MX 10 pf.hosts.test = 127.0.0.81).

mta_message "$T/m6" m6.postfix@sender.test bob@pfmx.test
postfix_send a@sender.test bob@pfmx.test "$T/m6"
Q6=$QID
check "MX: Postfix logs the delivery via slimrelay" \
    wait_line 30 "$PF_LOG" "$Q6: to=<bob@pfmx.test>, relay=slimrelay, " \
    "dsn=2.0.0, status=sent (delivered via slimrelay service (250 2.0.0 Ok"
check "MX: slimrelay found the MX host" \
    has_line "$RLOG" "$Q6: to=<bob@pfmx.test>, " \
    "relay=pf.hosts.test[127.0.0.81]:25, " "status=sent"
check "MX: the MX host's sink got it" eq "$(sink_count 127.0.0.81_25)" 1
d=$(mta_sink_file 127.0.0.81_25 "Message-ID: <m6.postfix@sender.test>") ||
    fatal "MX: the message reached the MX host"
check "MX: byte for byte" mta_same_message "$d" "$T/m6"

postfix_queue >"$T/queue-end"
check "the queue is empty at the end" has_line "$T/queue-end" "Mail queue is empty"

postfix_stop
finish
