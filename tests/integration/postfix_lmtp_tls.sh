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

# ---- a CA and the smart host's certificate --------------------------------

mkdir -p "$C"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/ca.key" -out "$C/ca.crt" -subj "/CN=slimrelay lmtp ca" \
    -days 30 2>/dev/null || fatal "openssl makes a CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/rx.key" -out "$C/rx.csr" -subj "/CN=rx.tls.test" \
    -addext "subjectAltName=DNS:rx.tls.test,IP:127.0.0.1" 2>/dev/null &&
openssl x509 -req -in "$C/rx.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" \
    -CAcreateserial -days 30 -copy_extensions copy -out "$C/rx.crt" \
    2>/dev/null || fatal "openssl makes the smart host's certificate"
chmod 755 "$C"
chmod 644 "$C"/*

# ---- the receiving Postfix: STARTTLS, AUTH required to relay ---------------

postfix_instance_dirs "$RX"
mkdir -p "$RX/etc/sasl" "$RX/sasl"
echo "$PASS" | saslpasswd2 -p -f "$RX/sasl/sasldb2" -c -u tls.test alice ||
    fatal "saslpasswd2"
chown postfix "$RX/sasl/sasldb2"
chmod 600 "$RX/sasl/sasldb2"
cat >"$RX/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $RX/sasl/sasldb2
EOF
{
echo "# Receiving Postfix of tests/integration/postfix_lmtp_tls.sh"
postfix_instance_conf "$RX" rx.tls.test
cat <<EOF
relay_domains = tls.test
relayhost = [127.0.0.1]:$SINK
smtp_tls_security_level = none
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_tls_chain_files = $C/rx.key, $C/rx.crt
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $RX/etc/sasl
smtpd_sasl_security_options = noanonymous
smtpd_sasl_auth_enable = yes
smtpd_tls_auth_only = yes
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
EOF
} >"$RX/etc/main.cf"
cat >"$RX/etc/master.cf" <<EOF
127.0.0.1:$STARTTLS inet n - n - - smtpd
$(postfix_services)
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
EOF

mta_users
mta_transport
mta_sink $SINK
postfix_instance_start "$RX"
mta_wait 30 mta_listening $STARTTLS || fatal "rx smtpd listens on $STARTTLS"

# ---- the front Postfix: LMTP mode, the smart host set-up of the example ----

SR_SECRETS=$T/var/secrets
printf '[127.0.0.1]:%s %s %s\n' $STARTTLS "$USER" "$PASS" >"$T/secrets.tmp"
install -o slimrelay -g slimrelay -m 600 "$T/secrets.tmp" "$SR_SECRETS"
rm -f "$T/secrets.tmp"
sed -e "s|@SMARTHOST@|[127.0.0.1]:$STARTTLS|" \
    -e "s|@SECRETS@|$SR_SECRETS|" -e "s|@CAFILE@|$C/ca.crt|" \
    "$top_srcdir/postfix-example/slimrelay-smarthost.conf" >>"$MTA_CONF"
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
read -r conns tls auth mail < <(awk '
/ postfix\/smtpd\[[0-9]+\]: connect from / { c++ }
/ TLS connection established from / { t++ }
/ postfix\/smtpd\[[0-9]+\]: disconnect from / {
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		split(kv[2], n, "/")
		if (kv[1] == "auth")
			a += n[1]
		if (kv[1] == "mail")
			m += n[1]
	}
}
END { printf "%d %d %d %d\n", c, t, a, m }' "$RX/maillog")
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
