#!/bin/bash
# postfix_lmtp_tls.sh - LMTP mode keeps TLS and AUTH sessions open:
# a burst of N messages through a private Postfix -> lmtp(8) -> spawn(8)
# -> "slimrelay --lmtp" (postfix-example/master-lmtp.cf, main-lmtp.cf)
# to a smart host that is a Postfix smtpd with STARTTLS and SASL AUTH,
# configured as postfix-example/slimrelay-smarthost.conf says (TLS with
# a verified certificate, AUTH from auth_secrets_file). All N arrive,
# authenticated, over far fewer connections, TLS handshakes and AUTH
# exchanges than messages, as the receiving smtpd logged them:
# "connect from", "TLS connection established from", and the auth=
# count of its "disconnect from" lines.
# Ports: 2780 the front Postfix's smtpd, 2781 the receiving smtpd
# (STARTTLS, AUTH after TLS, relaying only for authenticated clients),
# 2782 smtp-sink, where the receiving Postfix relays what it accepts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
need postfix postconf postqueue postsuper smtp-sink smtp-source openssl \
    saslpasswd2 script
mta_init postfix_lmtp_tls
[ -n "$(ls /usr/lib/*/sasl2/libsasldb.so* /usr/lib/sasl2/libsasldb.so* \
    2>/dev/null)" ] ||
    skip "Cyrus SASL sasldb plugin missing (libsasl2-modules-db)"

FRONT=2780
STARTTLS=2781
SINK=2782
USER=alice@tls.test
PASS='lmtp s3cret'
C=$T/certs
RX=$T/rx
# N messages: Postfix runs up to slimlmtp_destination_concurrency_limit
# = 20 deliveries at once (qmgr starts at 5 and raises it while they
# succeed), and a delivery that finds no idle connection in the
# connection cache starts a new slimrelay process, and so a new session
# (30 messages took 11 here). spawn's maxproc = 20 bounds the processes,
# so N = 60 must take at most N / 3.
N=60

# ---- the smart host: STARTTLS, AUTH required to relay ---------------------

mta_tls_certs "$C"
mta_users
mta_transport
mta_sink $SINK
postfix_rx_tls "$RX" $STARTTLS $SINK "$C" "$PASS"

# ---- the front Postfix: LMTP mode, the smart host set-up of the example ----

mta_smarthost_tls $STARTTLS "$C" "$USER" "$PASS"
postfix_setup $FRONT
postfix_lmtp_service
postconf -c "$PF_DIR/etc" -e "relay_domains = tls.test" \
    "defer_transports = slimlmtp"
postfix_route_lmtp tls.test
postfix_start

# ---- N messages queued, then released at once ------------------------------

smtp-source -d -m $N -l 1024 -S "lmtp tls burst" -f a@sender.test \
    -t bob@tls.test "127.0.0.1:$FRONT" >"$T/source.out" 2>&1 ||
    fatal "smtp-source submits $N messages: $(tail -n 2 "$T/source.out")"
queued() {
	[ "$(grep -c 'to=<bob@tls.test>.*status=deferred (deferred transport)' "$PF_LOG")" -ge $N ]
}
check "$N messages wait in the queue (defer_transports)" mta_wait 30 queued
postconf -c "$PF_DIR/etc" -e "defer_transports ="
postfix -c "$PF_DIR/etc" reload >/dev/null 2>&1
sleep 1
postqueue -c "$PF_DIR/etc" -f

sent() {
	grep 'postfix/slimlmtp/lmtp\[.*: to=<bob@tls.test>, .*status=sent (250 2.0.0 sent to 127.0.0.1\[127.0.0.1\]:'$STARTTLS "$PF_LOG" | wc -l
}
check "all $N delivered through slimlmtp to the smart host" \
    mta_wait 60 eval '[ "$(sent)" -ge $N ]'
check "exactly $N delivery records" eq "$(sent)" $N
check "Postfix reused its LMTP connection (conn_use=)" \
    has_line "$PF_LOG" "postfix/slimlmtp" "to=<bob@tls.test>" "conn_use="
check "slimrelay reused its TLS session (conn_use=)" \
    has_line "$RLOG" "to=<bob@tls.test>, relay=127.0.0.1[127.0.0.1]:$STARTTLS" \
    "conn_use=" "status=sent"
check "all $N arrive at the smart host's next hop" \
    mta_wait 30 eval '[ "$(sink_count $SINK)" -ge $N ]'
check "exactly $N arrive" eq "$(sink_count $SINK)" $N
esmtpsa() {
	local f n=0
	for f in $(sink_files $SINK); do
		mta_unfold "$f" | grep -q "^Received: .* by rx\.tls\.test .*with ESMTPSA id" &&
		    n=$((n + 1))
	done
	echo $n
}
check "every one was relayed over TLS after AUTH (ESMTPSA)" eq "$(esmtpsa)" $N

# The counts, once slimrelay has closed its idle sessions
# (connection_idle_timeout, 2 s): auth= is logged at disconnect.
rx_closed() {
	[ "$(grep -c 'postfix/smtpd\[[0-9]*\]: connect from' "$RX/maillog")" = \
	    "$(grep -c 'postfix/smtpd\[[0-9]*\]: disconnect from' "$RX/maillog")" ]
}
check "slimrelay closes its idle sessions" mta_wait 30 rx_closed
read -r conns tls auth mail _ < <(postfix_rx_counts "$RX/maillog")
echo "# $N messages: $conns connections, $tls TLS handshakes, $auth AUTH," \
    "$mail MAIL FROM at the smart host"
check "far fewer connections than messages ($conns for $N)" \
    test "$conns" -ge 1 -a "$conns" -le $((N / 3))
check "far fewer TLS handshakes than messages ($tls for $N)" \
    test "$tls" -ge 1 -a "$tls" -le $((N / 3))
check "far fewer AUTH exchanges than messages ($auth for $N)" \
    test "$auth" -ge 1 -a "$auth" -le $((N / 3))
check "every connection used TLS" eq "$tls" "$conns"
check "every connection authenticated once" eq "$auth" "$conns"
check "all $N transactions went over those sessions" eq "$mail" $N
# (a handshake that resumed a session is logged "reused")
check "slimrelay logged as many verified handshakes" eq \
    "$(grep -c "Verified TLS connection \(established\|reused\) to 127.0.0.1\[127.0.0.1\]:$STARTTLS" "$RLOG")" \
    "$tls"
check "no password in slimrelay's log" sh -c "! grep -qF -- '$PASS' '$RLOG'"
finish
