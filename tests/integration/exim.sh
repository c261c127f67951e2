#!/bin/bash
# exim.sh - slimrelay as the pipe transport of a real Exim.
#
# Runs Debian's Exim 4.96, unpacked by exim-unpack.sh, as root with a
# private configuration (-C) built from exim-example/, submits messages
# with immediate delivery (-odi) and checks what Exim and slimrelay did:
# 1. delivered: byte for byte at the next hop, with the sender Exim put
#    in $SENDER and the recipient from $pipe_addresses; Exim logs "=>"
#    and slimrelay's reply, slimrelay logs under Exim's message id;
# 2. null sender: an empty $SENDER is relayed as MAIL FROM:<>;
# 3. deferred: the next hop's port is closed; Exim logs "==" with
#    slimrelay's 4.4.1 line and keeps the message, which is delivered
#    when forced (-M) once the next hop is up;
# 4. failed: the next hop rejects the recipient; Exim logs "**" and the
#    bounce returns slimrelay's 5.1.1 line.
# Next hops are smtp-sink on 127.0.0.1:2621 (accepts), :2622 (rejects
# RCPT) and :2623 (closed, then opened in case 3); bounces are
# delivered locally into an mbox.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
need smtp-sink ldd
mta_init exim
exim_find

ACCEPT=2621
REJECT=2622
CLOSED=2623
SAID="5.1.1 host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <bob@reject.test>: Recipient address rejected: User unknown (in reply to RCPT TO command)"
REFUSED="4.4.1 connect to 127.0.0.1[127.0.0.1]:$CLOSED: Connection refused"

mta_users
mta_transport
mta_sink $ACCEPT
mta_sink $REJECT -f RCPT \
    -B "550 5.1.1 <bob@reject.test>: Recipient address rejected: User unknown"
exim_setup

# --- 1. delivered ----------------------------------------------------------------

exim_smarthost $ACCEPT
mta_message "$T/m1" m1.exim@sender.test bob@accept.test
exim_send a@sender.test bob@accept.test "$T/m1"
M1=$MID
check "delivered: Exim logs the delivery through slimrelay" \
    has_line "$EX_LOG" "$M1 => " "<bob@accept.test> R=slimrelay T=slimrelay"
check "delivered: Exim logs the next hop's reply" \
    has_line "$EX_LOG" \
    "$M1 <bob@accept.test>: slimrelay transport output: 250 2.0.0 Ok"
check "delivered: Exim completes the message" has_line "$EX_LOG" "$M1 Completed"
check "delivered: slimrelay logs it as sent under Exim's message id" \
    has_line "$RLOG" \
    "$M1: to=<bob@accept.test>, relay=127.0.0.1[127.0.0.1]:$ACCEPT, " \
    "dsn=2.0.0, status=sent (250 2.0.0 Ok"
check "delivered: the transport ran as user slimrelay (user=)" \
    eq "$(stat -c %U "$RLOG" 2>/dev/null)" slimrelay
d=$(mta_sink_file $ACCEPT "Message-ID: <m1.exim@sender.test>") ||
    fatal "delivered: the message reached the next hop"
check "delivered: the sender comes from \$SENDER" \
    has_line "$d" "X-Mail-Args: <a@sender.test>"
check "delivered: the recipient comes from \$pipe_addresses" \
    has_line "$d" "X-Rcpt-Args: <bob@accept.test>"
check "delivered: the copy has Exim's trace header" has_line "$d" "id $M1"
check "delivered: the copy is the message byte for byte" \
    mta_same_message "$d" "$T/m1"

# --- 2. null sender -------------------------------------------------------------

mta_message "$T/m2" m2.exim@sender.test bob@accept.test
exim_send "" bob@accept.test "$T/m2"
M2=$MID
check "null sender: Exim logs the delivery" \
    has_line "$EX_LOG" "$M2 => " "<bob@accept.test> R=slimrelay T=slimrelay"
d=$(mta_sink_file $ACCEPT "Message-ID: <m2.exim@sender.test>") ||
    fatal "null sender: the message reached the next hop"
check "null sender: an empty \$SENDER becomes MAIL FROM:<>" \
    has_line "$d" "X-Mail-Args: <>"

# --- 3. deferred, then delivered -------------------------------------------

exim_smarthost $CLOSED
mta_message "$T/m3" m3.exim@sender.test bob@closed.test
exim_send a@sender.test bob@closed.test "$T/m3"
M3=$MID
check "deferred: Exim logs a deferral for exit status 75" \
    has_line "$EX_LOG" "$M3 == bob@closed.test R=slimrelay T=slimrelay defer" \
    "returned 75"
check "deferred: Exim logs slimrelay's 4.4.1 line" \
    has_line "$EX_LOG" \
    "$M3 <bob@closed.test>: slimrelay transport output: $REFUSED"
check "deferred: slimrelay logs the deferral" \
    has_line "$RLOG" "$M3: to=<bob@closed.test>, " \
    "dsn=4.4.1, status=deferred (${REFUSED#4.4.1 })"
check "deferred: the message waits in Exim's queue" exim_in_queue "$M3"

mta_sink $CLOSED
exim_run -M "$M3" || fatal "deferred: exim -M $M3 runs"
check "deferred: Exim delivers the message when forced" \
    has_line "$EX_LOG" "$M3 => " "<bob@closed.test> R=slimrelay T=slimrelay"
check "deferred: the message has left the queue" exim_not_in_queue "$M3"
d=$(mta_sink_file $CLOSED "Message-ID: <m3.exim@sender.test>") ||
    fatal "deferred: the retried message reached the next hop"
check "deferred: the retried message arrives byte for byte" \
    mta_same_message "$d" "$T/m3"

# --- 4. failed --------------------------------------------------------------------

exim_smarthost $REJECT
mta_message "$T/m4" m4.exim@sender.test bob@reject.test
exim_send a@sender.test bob@reject.test "$T/m4"
M4=$MID
check "failed: Exim logs a failure (**)" \
    has_line "$EX_LOG" "$M4 ** bob@reject.test " "R=slimrelay T=slimrelay"
check "failed: Exim logs slimrelay's 5.1.1 line" \
    has_line "$EX_LOG" "$M4 <bob@reject.test>: slimrelay transport output: $SAID"
check "failed: slimrelay logs the bounce" \
    has_line "$RLOG" \
    "$M4: to=<bob@reject.test>, relay=127.0.0.1[127.0.0.1]:$REJECT, " \
    "dsn=5.1.1, status=bounced (${SAID#5.1.1 })"
check "failed: the bounce names the failed recipient" \
    wait_line 30 "$EX_MBOX" "X-Failed-Recipients: bob@reject.test"
check "failed: the bounce returns slimrelay's line" has_line "$EX_MBOX" "$SAID"
check "failed: the bounce quotes the message" \
    has_line "$EX_MBOX" "Message-ID: <m4.exim@sender.test>"
check "failed: the message has left the queue" exim_not_in_queue "$M4"

finish
