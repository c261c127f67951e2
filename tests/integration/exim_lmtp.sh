#!/bin/bash
# exim_lmtp.sh - LMTP mode through a real Exim: its lmtp transport runs
# "slimrelay --lmtp" (command =, exim-example/transport-lmtp.conf) and
# reads one reply per recipient. One message to three recipients: Exim
# logs each with its own result (=> delivered, == deferred with
# slimrelay's 4.4.1, ** failed with the next hop's 5.1.1), keeps the
# deferred one, bounces only the failed one, and slimrelay has exited
# when Exim is done. Two more messages reuse the first one's session
# through the keeper, though each is a process of its own. Next hops: smtp-sink on 127.0.0.1:2771 (accepts),
# :2772 (refuses RCPT), :2773 (closed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
need smtp-sink ldd pgrep
mta_init exim_lmtp
exim_find

ACCEPT=2771
REJECT=2772
CLOSED=2773
H="127.0.0.1[127.0.0.1]"

mta_users
mta_transport
cat >>"$MTA_CONF" <<CONF
route = accept.test smtp:[127.0.0.1]:$ACCEPT
route = reject.test smtp:[127.0.0.1]:$REJECT
route = closed.test smtp:[127.0.0.1]:$CLOSED
connection_idle_timeout = 30s
CONF
mta_sink $ACCEPT
mta_sink $REJECT -f RCPT -B "550 5.1.1 <dave@reject.test>: no such user"
exim_setup -lmtp

mta_message "$T/m1" m1.exim-lmtp@sender.test bob@accept.test
exim_send a@sender.test "bob@accept.test, carol@closed.test, dave@reject.test" "$T/m1"
check "bob delivered (=>) with slimrelay's reply" \
    has_line "$EX_LOG" "$MID => bob <bob@accept.test>" "T=slimrelay_lmtp" "250 2.0.0 sent to $H:$ACCEPT"
check "carol deferred (==) with 4.4.1" \
    has_line "$EX_LOG" "$MID == carol@closed.test" "4.4.1 connect to $H:$CLOSED: Connection refused"
check "dave failed (**) with the next hop's 5.1.1" \
    has_line "$EX_LOG" "$MID ** dave@reject.test" "550 5.1.1 <dave@reject.test>: no such user"
check "the message reached the next hop" \
    mta_wait 10 mta_sink_file $ACCEPT "Message-ID: <m1.exim-lmtp@sender.test>"
check "the message waits for carol" exim_in_queue "$MID"
check "the bounce names dave" mta_wait 10 grep -q "dave@reject.test" "$EX_MBOX"
check "the bounce does not name carol" sh -c "! grep -q 'carol@closed.test' '$EX_MBOX'"
check "slimrelay's own record" has_line "$RLOG" "to=<bob@accept.test>" "status=sent"
check "no slimrelay --lmtp left running" sh -c "! pgrep -u slimrelay -f -- '$MTA_BIN --lmtp' >/dev/null"

# Exim runs one slimrelay per message: the next messages to the same
# next hop reuse the first one's session through the keeper
# (slimrelay(8), CONNECTION REUSE).
for i in 2 3; do
	mta_message "$T/m$i" "m$i.exim-lmtp@sender.test" bob@accept.test
	exim_send a@sender.test "bob@accept.test" "$T/m$i"
	check "message $i delivered (=>)" has_line "$EX_LOG" \
	    "$MID => bob <bob@accept.test>" "T=slimrelay_lmtp"
done
check "message 2 went over the first message's session" has_line "$RLOG" \
    "to=<bob@accept.test>" "relay=$H:$ACCEPT, conn_use=2," "status=sent"
check "message 3 too" has_line "$RLOG" \
    "to=<bob@accept.test>" "relay=$H:$ACCEPT, conn_use=3," "status=sent"

finish
