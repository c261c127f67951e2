#!/bin/bash
# postfix_lmtp.sh - LMTP mode through a real Postfix: lmtp(8) talks to
# "slimrelay --lmtp" through a spawn(8) service, as postfix-example/
# master-lmtp.cf and main-lmtp.cf configure it.
# 1. one message to three recipients: each gets its own result in
#    Postfix's log (sent, deferred 4.4.1, bounced 5.1.1), the bounce
#    names only the refused one, the deferred one waits in the queue;
# 2. 60 messages queued while the transport is held, then released:
#    all delivered, over far fewer connections to the next hop than
#    messages (counted at smtp-sink), Postfix's lmtp reusing its
#    connection to slimrelay (conn_use=) and slimrelay its own;
# 3. DSN requests (sendmail -N, -V) reach the next hop as NOTIFY, ORCPT,
#    RET and ENVID;
# 4. slimrelay killed after the data, before its replies: Postfix
#    defers, nothing is lost, and the retry delivers.
# Next hops: smtp-sink on 127.0.0.1:2761 (accepts, -v counts
# connections), :2762 (refuses RCPT), :2763 (closed), :2764 (slow to
# answer the dot).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
need postfix postconf postqueue postsuper smtp-sink smtp-source swaks script \
    pgrep
mta_init postfix_lmtp

SMTPD=2760
ACCEPT=2761
REJECT=2762
CLOSED=2763
SLOW=2764
H="127.0.0.1[127.0.0.1]"

mta_users
mta_transport
cat >>"$MTA_CONF" <<CONF
smarthost = [127.0.0.1]:$ACCEPT
route = closed.test smtp:[127.0.0.1]:$CLOSED
route = reject.test smtp:[127.0.0.1]:$REJECT
route = slow.test smtp:[127.0.0.1]:$SLOW
CONF
mta_sink $ACCEPT -v
mta_sink $REJECT -f RCPT -B "550 5.1.1 <dave@reject.test>: no such user"
mta_sink $SLOW -W .:6
postfix_setup $SMTPD
postfix_lmtp_service
postconf -c "$PF_DIR/etc" -e "relay_domains = accept.test closed.test reject.test slow.test sender.test"
for d in accept.test closed.test reject.test slow.test sender.test; do
	postfix_route_lmtp $d
done
postfix_start
connects() { grep -c "smtp-sink: connect (" "$T/sink-$ACCEPT.out"; }

# --- 1. one message, three recipients, three results ----------------------

mta_message "$T/m1" m1.lmtp@sender.test bob@accept.test
postfix_send a@sender.test bob@accept.test,carol@closed.test,dave@reject.test "$T/m1"
Q1=$QID
check "1: bob sent through slimlmtp, with where it went" \
    wait_line 30 "$PF_LOG" "postfix/slimlmtp" "$Q1: to=<bob@accept.test>" \
    "dsn=2.0.0, status=sent (250 2.0.0 sent to $H:$ACCEPT (250 2.0.0 Ok"
check "1: carol deferred with slimrelay's 4.4.1" \
    wait_line 30 "$PF_LOG" "$Q1: to=<carol@closed.test>" "dsn=4.4.1, status=deferred" \
    "connect to $H:$CLOSED: Connection refused"
check "1: dave bounced with the next hop's 5.1.1" \
    wait_line 30 "$PF_LOG" "$Q1: to=<dave@reject.test>" "dsn=5.1.1, status=bounced" \
    "550 5.1.1 <dave@reject.test>: no such user"
check "1: slimrelay's own records" has_line "$RLOG" "to=<bob@accept.test>, relay=$H:$ACCEPT" "status=sent"
# bob's copy (the bounce to the sender quotes the same Message-ID).
bob_copy() {
	grep -l "^X-Rcpt-Args: <bob@accept.test>" $(sink_files $ACCEPT) /dev/null |
	    xargs -r grep -l "^Message-ID: <m1.lmtp@sender.test>" | head -n 1
}
check "1: the message reached the next hop" mta_wait 10 test -n "$(bob_copy)"
check "1: the message reached the next hop byte for byte" \
    mta_same_message "$(bob_copy)" "$T/m1"
check "1: carol waits in the deferred queue" mta_wait 10 postfix_in_queue "$Q1" deferred
check "1: the bounce to the sender names dave" \
    mta_wait 30 mta_sink_file $ACCEPT "<dave@reject.test>: no such user"
bounce=$(mta_sink_file $ACCEPT "<dave@reject.test>: no such user")
check "1: the bounce does not name bob or carol" sh -c "! grep -q 'carol@closed.test\|Final-Recipient: rfc822; bob@' '$bounce'"

# --- 2. many messages, few connections ----------------------------------

postconf -c "$PF_DIR/etc" -e "defer_transports = slimlmtp"
postfix -c "$PF_DIR/etc" reload >/dev/null 2>&1
sleep 1
before=$(connects)
# Postfix runs up to 20 deliveries at once (qmgr starts at 5 and raises
# the limit while they succeed), and one that finds no idle connection
# in its connection cache gets a new slimrelay process with a session of
# its own: 20 messages took 3 to 7 connections, depending on the load.
# spawn's maxproc = 20 bounds them, so 60 must take at most N / 3.
N=60
smtp-source -d -m $N -l 200 -S burst -f a@sender.test -t bob@accept.test \
    "127.0.0.1:$SMTPD" >"$T/source.out" 2>&1 ||
    fatal "smtp-source submits $N messages: $(tail -n 2 "$T/source.out")"
postconf -c "$PF_DIR/etc" -e "defer_transports ="
postfix -c "$PF_DIR/etc" reload >/dev/null 2>&1
sleep 1
postqueue -c "$PF_DIR/etc" -f
burst_sent() { [ "$(grep -c 'to=<bob@accept.test>.*status=sent (250 2.0.0 sent to' "$PF_LOG")" -ge $((N + 1)) ]; }
check "2: all $N delivered through slimlmtp" mta_wait 60 burst_sent
used=$(( $(connects) - before ))
echo "# $N messages over $used connections to the next hop"
# Each slimrelay connects once and carries the rest of its messages
# over that connection.
most=$(sed -n 's/.*to=<bob@accept.test>.* conn_use=\([0-9]*\),.*/\1/p' "$RLOG" |
    sort -n | tail -n 1)
echo "# at most ${most:-1} messages over one of slimrelay's connections"
check "2: far fewer connections than messages ($used for $N)" test "$used" -le $((N / 3))
check "2: a connection carried several messages (conn_use=${most:-1})" \
    test "${most:-1}" -ge 3
check "2: Postfix reused its LMTP connection (conn_use=)" has_line "$PF_LOG" "postfix/slimlmtp" "conn_use="
check "2: slimrelay reused its SMTP session (conn_use=)" has_line "$RLOG" "to=<bob@accept.test>" "conn_use="
check "2: each reuse began with an RSET probe" \
    test "$(grep -c 'smtp-sink: RSET' "$T/sink-$ACCEPT.out")" -ge 1

# --- 3. DSN parameters reach the next hop -------------------------------

printf 'Subject: dsn\nMessage-ID: <m3.lmtp@sender.test>\n\nplease tell me\n' >"$T/m3"
sendmail -C "$PF_DIR/etc" -N success,delay -R hdrs -V ENV42 -f a@sender.test bob@accept.test <"$T/m3"
check "3: delivered" wait_line 30 "$PF_LOG" "to=<bob@accept.test>" "status=sent" "conn_use" 
check "3: RET and ENVID in MAIL FROM" wait_line 30 "$T/sink-$ACCEPT.out" "MAIL FROM:<a@sender.test>" "RET=HDRS" "ENVID=ENV42"
check "3: NOTIFY and ORCPT in RCPT TO" has_line "$T/sink-$ACCEPT.out" "RCPT TO:<bob@accept.test>" "NOTIFY=SUCCESS,DELAY" "ORCPT=rfc822;bob@accept.test"

# --- 4. killed after the data: deferred, then delivered -----------------

mta_message "$T/m4" m4.lmtp@sender.test eve@slow.test
postfix_send a@sender.test eve@slow.test "$T/m4"
Q4=$QID
slow_got_data() { grep -ql "Message-ID: <m4.lmtp@sender.test>" $(sink_files $SLOW) /dev/null 2>/dev/null; }
check "4: the data reached the slow next hop" mta_wait 20 slow_got_data
# Only the transport: spawn(8) carries the same words in its argv.
pkill -KILL -u slimrelay -f -- "$MTA_BIN --lmtp"
check "4: Postfix defers what got no reply" \
    wait_line 30 "$PF_LOG" "$Q4: to=<eve@slow.test>" "status=deferred"
check "4: nothing was reported delivered" sh -c "! grep -q '$Q4: to=<eve@slow.test>.*status=sent' '$PF_LOG'"
check "4: the message waits in the queue" mta_wait 10 postfix_in_queue "$Q4" deferred
postfix_flush "$Q4"
check "4: the retry delivers it" \
    wait_line 30 "$PF_LOG" "$Q4: to=<eve@slow.test>" "status=sent"

finish
