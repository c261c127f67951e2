#!/bin/bash
# tls.sh - TLS and AUTH against a real Postfix smtpd as the next hop.
#
# A private receiving Postfix ("rx", postfix -c $T/rx/etc) runs smtpd
# with certificates that openssl makes here and Cyrus SASL (sasldb), on
#   2631 STARTTLS, AUTH after TLS only (the usual submission set-up)
#   2632 implicit TLS (smtpd_tls_wrappermode), AUTH
#   2633 STARTTLS with an expired certificate
#   2634 STARTTLS with a certificate for another name
#   2635 no TLS, AUTH offered in plaintext
#   2636 STARTTLS offered, but TLS broken (TLS 1.0/1.1 only: no
#        protocol in common with slimrelay's TLS 1.2 minimum)
# and relays what it accepts to smtp-sink on 2639 (which has no
# STARTTLS: the "not offered" case). The front Postfix of
# postfix-example/ (smtpd on 2630) runs slimrelay with
# postfix-example/slimrelay-smarthost.conf: STARTTLS + AUTH to 2631.
# Cases: opportunistic success; handshake failure falls back to
# plaintext under "may", defers under "encrypt"; not offered under
# "encrypt" (4.7.4); "verify": success, wrong name, untrusted CA,
# expired certificate; "fingerprint" of the certificate and of its
# public key, and a mismatch; implicit TLS; AUTH PLAIN, LOGIN and
# CRAM-MD5; wrong password defers 4.7.8 (bounces 5.7.8 with
# auth_soft_bounce = no); no AUTH over plaintext;
# a secrets file readable by others is refused; no secret in a -v
# trace; TLS session resumption across processes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
. "$(dirname "$0")/dnslib.sh"
need postfix postconf smtp-sink swaks openssl saslpasswd2 script base64 \
    ldns-testns drill
mta_init tls
[ -e /usr/lib/x86_64-linux-gnu/sasl2/libsasldb.so ] ||
    ls /usr/lib/*/sasl2/libsasldb.so >/dev/null 2>&1 ||
    skip "Cyrus SASL sasldb plugin missing (libsasl2-modules-db)"
[ -n "$(ls /usr/lib/*/sasl2/libcrammd5.so 2>/dev/null)" ] ||
    skip "Cyrus SASL CRAM-MD5 plugin missing (libsasl2-modules)"

FRONT=2630
STARTTLS=2631
WRAPPED=2632
EXPIRED=2633
WRONGNAME=2634
PLAINAUTH=2635
BROKEN=2636
SINK=2639
USER=alice@tls.test
PASS='s3cret p@ss+word'
C=$T/certs
RX=$T/rx

# ---- certificates -----------------------------------------------------------

mkdir -p "$C"
# cert NAME CA SAN: a P-256 key and certificate signed by CA
cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.csr" -subj "/CN=$1" \
	    -addext "subjectAltName=$3" 2>/dev/null &&
	openssl x509 -req -in "$C/$1.csr" -CA "$C/$2.crt" -CAkey "$C/$2.key" \
	    -CAcreateserial -days 30 -copy_extensions copy \
	    -out "$C/$1.crt" 2>/dev/null
}
for ca in ca otherca; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$ca.key" -out "$C/$ca.crt" -subj "/CN=slimrelay $ca" \
	    -days 30 2>/dev/null || fatal "openssl makes $ca"
done
cert good ca "DNS:mail.tls.test,IP:127.0.0.1" || fatal "openssl: good cert"
cert wrong ca "DNS:other.tls.test,IP:127.0.0.9" || fatal "openssl: wrong cert"
# An expired certificate: "openssl ca" takes explicit dates.
mkdir -p "$C/db"
: >"$C/db/index.txt"
echo 1000 >"$C/db/serial"
cat >"$C/ca.cnf" <<EOF
[ ca ]
default_ca = test
[ test ]
database = $C/db/index.txt
serial = $C/db/serial
new_certs_dir = $C/db
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/expired.key" -out "$C/expired.csr" -subj "/CN=expired" \
    -addext "subjectAltName=DNS:mail.tls.test,IP:127.0.0.1" 2>/dev/null &&
openssl ca -batch -config "$C/ca.cnf" -cert "$C/ca.crt" -keyfile "$C/ca.key" \
    -startdate 20200101000000Z -enddate 20200201000000Z \
    -in "$C/expired.csr" -out "$C/expired.crt" >/dev/null 2>&1 ||
    fatal "openssl ca makes an expired certificate"
chmod 755 "$C"
chmod 644 "$C"/*

# SHA-256 of the certificate (DER) and of its public key (SPKI, DER)
FP_CERT=$(openssl x509 -in "$C/good.crt" -outform DER |
    openssl dgst -sha256 -r | cut -d' ' -f1)
FP_SPKI=$(openssl x509 -in "$C/good.crt" -pubkey -noout |
    openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
FP_OTHER=$(openssl x509 -in "$C/wrong.crt" -outform DER |
    openssl dgst -sha256 -r | cut -d' ' -f1)

# ---- the receiving Postfix ------------------------------------------------------

# Debian's Postfix reads $config_directory/sasl/smtpd.conf, upstream's
# cyrus_sasl_config_path: both are $RX/etc/sasl.
postfix_instance_dirs "$RX"
mkdir -p "$RX/etc/sasl" "$RX/sasl"
echo "$PASS" | saslpasswd2 -p -f "$RX/sasl/sasldb2" -c -u tls.test alice ||
    fatal "saslpasswd2"
chown postfix "$RX/sasl/sasldb2"
chmod 600 "$RX/sasl/sasldb2"
cat >"$RX/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN CRAM-MD5
sasldb_path: $RX/sasl/sasldb2
EOF
{
echo "# Receiving Postfix of tests/integration/tls.sh"
postfix_instance_conf "$RX" rx.tls.test
cat <<EOF
relay_domains = tls.test
relayhost = [127.0.0.1]:$SINK
smtp_tls_security_level = none
smtpd_relay_restrictions = permit_sasl_authenticated, permit_mynetworks, reject
smtpd_tls_chain_files = $C/good.key, $C/good.crt
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $RX/etc/sasl
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_auth_enable = yes
smtpd_tls_auth_only = yes
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
EOF
} >"$RX/etc/main.cf"
cat >"$RX/etc/master.cf" <<EOF
127.0.0.1:$STARTTLS inet n - n - - smtpd
127.0.0.1:$WRAPPED inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
127.0.0.1:$EXPIRED inet n - n - - smtpd
  -o smtpd_tls_chain_files=$C/expired.key,$C/expired.crt
127.0.0.1:$WRONGNAME inet n - n - - smtpd
  -o smtpd_tls_chain_files=$C/wrong.key,$C/wrong.crt
127.0.0.1:$PLAINAUTH inet n - n - - smtpd -o smtpd_tls_security_level=none
  -o smtpd_tls_auth_only=no
127.0.0.1:$BROKEN inet n - n - - smtpd
  -o smtpd_tls_protocols=!TLSv1.2,!TLSv1.3
  -o smtpd_tls_mandatory_protocols=!TLSv1.2,!TLSv1.3
$(postfix_services)
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
EOF

mta_users
mta_transport
mta_sink $SINK
postfix_instance_start "$RX"
for p in $STARTTLS $WRAPPED $EXPIRED $WRONGNAME $PLAINAUTH $BROKEN; do
	mta_wait 30 mta_listening $p || fatal "rx smtpd listens on $p"
done

# Secrets: mode 600, owned by the user slimrelay runs as (root here).
SECRETS=$T/secrets
cat >"$SECRETS" <<EOF
# next hop                 user            password
[127.0.0.1]:$STARTTLS      $USER   $PASS
[127.0.0.1]:$WRAPPED       $USER   $PASS
[127.0.0.1]:$PLAINAUTH     $USER   $PASS
EOF
chmod 600 "$SECRETS"

n=0
printf 'Subject: tls test\n\nHello over TLS.\n' >"$T/msg"
# send NAME NEXTHOP OPTION...: one delivery to bob@tls.test
send() {
	local name=$1 hop=$2
	shift 2
	RELAY_INPUT=$T/msg relay -q "Q$name" -n "$hop" "$@" \
	    -f a@sender.test -- bob@tls.test
}
# arrived N: the sink has N messages (waits for the rx queue)
arrived() {
	mta_wait 20 test "$(sink_count $SINK)" -ge "$1"
	eq "$(sink_count $SINK)" "$1"
}
# last_received STRING: the newest dump's Received: header has STRING
last_received() {
	local f
	f=$(ls -t "$T/sink-$SINK"/* 2>/dev/null | head -1)
	[ -n "$f" ] && mta_unfold "$f" | grep -m1 "^Received: .* by rx\.tls\.test " |
	    grep -qF -- "$1" || { echo "#   newest dump's Received: lacks '$1'"; return 1; }
}

# ---- the level that applies (slimrelay --route) -----------------------------

relay -o smarthost_tls_level=verify -o tls_level=encrypt \
    -o 'route=part.test smtp:[127.0.0.1]:465 tls=fingerprint wrappermode=yes' \
    -n "[127.0.0.1]:$STARTTLS" --route bob@tls.test bob@part.test
check "--route: the smart host's level" has "$OUT" "  tls: verify
"
check "--route: a route's tls= and wrappermode=" has "$OUT" \
    "  tls: fingerprint (implicit TLS, wrappermode)"

# ---- opportunistic TLS ------------------------------------------------------

send may "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=may
n=$((n + 1))
check "may: delivered" eq "$RC" 0
check "may: logged Untrusted TLS with protocol and cipher" \
    log_has "Untrusted TLS connection established to 127.0.0.1[127.0.0.1]:$STARTTLS: TLSv1.3 with cipher"
check "may: the message arrives" arrived $n
check "may: rx received it over TLS" last_received "using TLSv1.3"

send may_broken "[127.0.0.1]:$BROKEN" -o smarthost_tls_level=may
n=$((n + 1))
check "may, broken TLS: delivered in plaintext" eq "$RC" 0
check "may, broken TLS: the handshake failure is logged" \
    log_has "Cannot start TLS: handshake failure with host 127.0.0.1[127.0.0.1]"
check "may, broken TLS: retried without TLS" log_has "trying again without TLS"
check "may, broken TLS: the message arrives" arrived $n
check "may, broken TLS: rx received it without TLS" last_received "(Postfix) with ESMTP id"

send encrypt_broken "[127.0.0.1]:$BROKEN" -o smarthost_tls_level=encrypt
check "encrypt, broken TLS: deferred (75)" eq "$RC" 75
check "encrypt, broken TLS: 4.7.5 handshake failure" \
    starts "$OUT" "4.7.5 Cannot start TLS: handshake failure with host 127.0.0.1[127.0.0.1]:"

send encrypt_none "[127.0.0.1]:$SINK" -o smarthost_tls_level=encrypt
check "encrypt, not offered: deferred" eq "$RC" 75
check "encrypt, not offered: Postfix's 4.7.4 words" \
    eq "$OUT" "4.7.4 TLS is required, but was not offered by host 127.0.0.1[127.0.0.1]"

send none "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=none
n=$((n + 1))
check "none: delivered" eq "$RC" 0
check "none: the message arrives without TLS" arrived $n

# ---- verify -----------------------------------------------------------------

send verify "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=verify \
    -o tls_ca_file="$C/ca.crt" -o tls_ca_path=
n=$((n + 1))
check "verify: delivered" eq "$RC" 0
check "verify: logged as Verified" \
    log_has "Verified TLS connection established to 127.0.0.1[127.0.0.1]:$STARTTLS"
check "verify: the message arrives" arrived $n

send verify_name "[127.0.0.1]:$WRONGNAME" -o smarthost_tls_level=verify \
    -o tls_ca_file="$C/ca.crt" -o tls_ca_path=
check "verify, wrong name: deferred" eq "$RC" 75
check "verify, wrong name: reason" eq "$OUT" \
    "4.7.5 Server certificate not verified: IP address mismatch (host 127.0.0.1[127.0.0.1])"

send verify_ca "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=verify \
    -o tls_ca_file="$C/otherca.crt" -o tls_ca_path=
check "verify, untrusted CA: deferred" eq "$RC" 75
check "verify, untrusted CA: reason" eq "$OUT" \
    "4.7.5 Server certificate not verified: unable to get local issuer certificate (host 127.0.0.1[127.0.0.1])"

send verify_expired "[127.0.0.1]:$EXPIRED" -o smarthost_tls_level=verify \
    -o tls_ca_file="$C/ca.crt" -o tls_ca_path=
check "verify, expired: deferred" eq "$RC" 75
check "verify, expired: reason" eq "$OUT" \
    "4.7.5 Server certificate not verified: certificate has expired (host 127.0.0.1[127.0.0.1])"

send verify_noca "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=verify \
    -o tls_ca_file="$C/missing.crt" -o tls_ca_path=
check "verify, unreadable CA file: deferred 4.3.5" starts "$OUT" \
    "4.3.5 cannot load the CA certificates"

# MX delivery: the name checked is the MX host's (tests/data/tls/mx.data).
DNS_BASE_PORT=53900 dns_start "$top_srcdir/tests/data/tls/mx.data" ||
    fatal "ldns-testns starts"
n=$((n + 1))
send mx_verify "tls.test:$STARTTLS" -o tls_level=verify \
    -o smarthost_tls_level=none -o tls_ca_file="$C/ca.crt" -o tls_ca_path= \
    $(dns_servers_option)
check "verify, MX: delivered" eq "$RC" 0
check "verify, MX: the MX host's name was verified" log_has \
    "Verified TLS connection established to mail.tls.test[127.0.0.1]:$STARTTLS"
check "verify, MX: the message arrives" arrived $n
send mx_wrong "wrongmx.test:$STARTTLS" -o tls_level=verify \
    -o tls_ca_file="$C/ca.crt" -o tls_ca_path= $(dns_servers_option)
check "verify, MX host not in the certificate: deferred" eq "$RC" 75
check "verify, MX host not in the certificate: reason" eq "$OUT" \
    "4.7.5 Server certificate not verified: hostname mismatch (host other.tls.test[127.0.0.1])"

# ---- fingerprint ------------------------------------------------------------

send fp_cert "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=fingerprint \
    -o tls_fingerprints="$FP_OTHER, $FP_CERT"
n=$((n + 1))
check "fingerprint of the certificate: delivered" eq "$RC" 0
check "fingerprint: Verified TLS line" grep -q \
    "Verified TLS connection .* to 127.0.0.1\[127.0.0.1\]:$STARTTLS" "$LOG"
COLONS=$(echo "$FP_SPKI" | sed 's/../&:/g; s/:$//' | tr a-f A-F)
send fp_spki "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=fingerprint \
    -o tls_fingerprints="$COLONS"
n=$((n + 1))
check "fingerprint of the public key (colons, upper case): delivered" eq "$RC" 0
check "fingerprint: both messages arrive" arrived $n
send fp_bad "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=fingerprint \
    -o tls_fingerprints="$FP_OTHER"
check "fingerprint mismatch: deferred" eq "$RC" 75
check "fingerprint mismatch: reason names the certificate's digest" has "$OUT" \
    "4.7.5 Server certificate not verified: its fingerprint $(echo "$FP_CERT" | sed 's/../&:/g; s/:$//' | tr a-f A-F) is not in tls_fingerprints"

# ---- implicit TLS -------------------------------------------------------------

send wrapped "[127.0.0.1]:$WRAPPED" -o smarthost_tls_wrappermode=yes \
    -o smarthost_tls_level=may -o auth_secrets_file="$SECRETS"
n=$((n + 1))
check "implicit TLS: delivered" eq "$RC" 0
check "implicit TLS: logged" log_has \
    "TLS connection established to 127.0.0.1[127.0.0.1]:$WRAPPED: TLSv1.3"
check "implicit TLS: arrives, authenticated over TLS" arrived $n
check "implicit TLS: rx says ESMTPSA" last_received "with ESMTPSA id"
send wrapped_plain "[127.0.0.1]:$STARTTLS" -o smarthost_tls_wrappermode=yes
check "implicit TLS to a plaintext port: deferred 4.7.5" starts "$OUT" \
    "4.7.5 Cannot start TLS: handshake failure"

# ---- AUTH -------------------------------------------------------------------

for mech in PLAIN LOGIN; do
	send "auth_$mech" "[127.0.0.1]:$STARTTLS" -v \
	    -o auth_secrets_file="$SECRETS" -o auth_mechanism=$mech
	n=$((n + 1))
	check "AUTH $mech: delivered" eq "$RC" 0
	check "AUTH $mech: arrives, authenticated (ESMTPSA)" arrived $n
	check "AUTH $mech: rx logged the login" \
	    wait_line 10 "$RX/maillog" "sasl_method=$mech, sasl_username=$USER"
done
check "AUTH default over TLS is PLAIN" grep -q "> AUTH PLAIN \[redacted\]" "$LOG"
check "AUTH LOGIN traced redacted" grep -q "> \[redacted\]" "$LOG"
B64_PASS=$(printf '%s' "$PASS" | base64 -w0)
B64_USER=$(printf '%s' "$USER" | base64 -w0)
B64_PLAIN=$(printf '\0%s\0%s' "$USER" "$PASS" | base64 -w0)
check "-v trace: no password" sh -c "! grep -qF -- '$PASS' '$LOG'"
check "-v trace: no base64 password" sh -c "! grep -qF -- '$B64_PASS' '$LOG'"
check "-v trace: no base64 LOGIN user" sh -c "! grep -qF -- '$B64_USER' '$LOG'"
check "-v trace: no PLAIN response" sh -c "! grep -qF -- '$B64_PLAIN' '$LOG'"

send auth_cram "[127.0.0.1]:$PLAINAUTH" -o smarthost_tls_level=may \
    -o auth_secrets_file="$SECRETS" -o auth_allow_plaintext=yes
n=$((n + 1))
check "AUTH without TLS, allowed: delivered" eq "$RC" 0
check "AUTH without TLS, allowed: CRAM-MD5 chosen" \
    wait_line 10 "$RX/maillog" "sasl_method=CRAM-MD5, sasl_username=$USER"
check "AUTH CRAM-MD5: arrives" arrived $n

send auth_plaintext "[127.0.0.1]:$PLAINAUTH" -o auth_secrets_file="$SECRETS"
check "no AUTH over plaintext: deferred" eq "$RC" 75
check "no AUTH over plaintext: reason" starts "$OUT" \
    "4.7.0 AUTH refused over an unencrypted connection to host 127.0.0.1[127.0.0.1]"

printf '[127.0.0.1]:%s %s wrong-password\n' $STARTTLS "$USER" >"$T/secrets.wrong"
chmod 600 "$T/secrets.wrong"
send auth_wrong "[127.0.0.1]:$STARTTLS" -o auth_secrets_file="$T/secrets.wrong"
check "wrong password: deferred by default (auth_soft_bounce)" eq "$RC" 75
check "wrong password: 4.7.8 with the server's reply" starts "$OUT" \
    "4.7.8 SASL authentication failed; server 127.0.0.1[127.0.0.1] said: 535 5.7.8"
check "wrong password: not in the output" sh -c "! printf '%s' '$OUT' | grep -qF wrong-password"
send auth_wrong_hard "[127.0.0.1]:$STARTTLS" -o auth_secrets_file="$T/secrets.wrong" \
    -o auth_soft_bounce=no
check "wrong password, auth_soft_bounce = no: bounced (77, EX_NOPERM)" eq "$RC" 77
check "wrong password, auth_soft_bounce = no: 5.7.8" starts "$OUT" \
    "5.7.8 SASL authentication failed; server 127.0.0.1[127.0.0.1] said: 535 5.7.8"

chmod 644 "$SECRETS"
send auth_mode "[127.0.0.1]:$STARTTLS" -o auth_secrets_file="$SECRETS"
check "secrets readable by others: deferred 4.3.5" starts "$OUT" \
    "4.3.5 auth_secrets_file $SECRETS is readable by others"
chmod 600 "$SECRETS"

# ---- session resumption -------------------------------------------------------

rm -rf "$STATE/tls"
send resume1 "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=encrypt
send resume2 "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=encrypt
n=$((n + 2))
check "resumption: both delivered" eq "$RC" 0
check "resumption: a private cache file per destination" \
    eq "$(stat -c %a "$STATE"/tls/encrypt-127.0.0.1*"$STARTTLS"-*.der 2>/dev/null)" 600
check "resumption: the second process reused the session" \
    log_has "Untrusted TLS connection reused to 127.0.0.1[127.0.0.1]:$STARTTLS"
reused() { grep -c "TLS connection reused to 127.0.0.1\[127.0.0.1\]:$STARTTLS" "$LOG"; }
before=$(reused)
send resume_off "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=encrypt \
    -o tls_session_cache=no
n=$((n + 1))
check "resumption off: delivered" eq "$RC" 0
check "resumption off: a full handshake" eq "$(reused)" "$before"
printf 'garbage' >"$STATE"/tls/encrypt-127.0.0.1*"$STARTTLS"-*.der
send resume_bad "[127.0.0.1]:$STARTTLS" -o smarthost_tls_level=encrypt
n=$((n + 1))
check "resumption: a corrupt cache file is ignored" eq "$RC" 0
check "resumption: all arrive" arrived $n

# ---- through the front Postfix ------------------------------------------------

postfix_setup $FRONT
printf 'tls.test\tslimrelay:\n' >>"$PF_DIR/etc/transport"
SR_SECRETS=$T/var/secrets
install -o slimrelay -g slimrelay -m 600 "$SECRETS" "$SR_SECRETS"
sed -e "s|@SMARTHOST@|[127.0.0.1]:$STARTTLS|" \
    -e "s|@SECRETS@|$SR_SECRETS|" -e "s|@CAFILE@|$C/ca.crt|" \
    "$top_srcdir/postfix-example/slimrelay-smarthost.conf" >>"$MTA_CONF"
sed -i 's/^relay_domains = .*/relay_domains = tls.test/' "$PF_DIR/etc/main.cf"
postfix_start
mta_message "$T/m1" m1.tls@sender.test bob@tls.test
postfix_send a@sender.test bob@tls.test "$T/m1"
n=$((n + 1))
check "front Postfix: slimrelay relays with STARTTLS + AUTH" \
    wait_line 30 "$PF_LOG" "$QID: to=<bob@tls.test>, relay=slimrelay, " \
    "status=sent"
check "front Postfix: verified TLS to the smart host" has_line "$RLOG" \
    "Verified TLS connection established to 127.0.0.1[127.0.0.1]:$STARTTLS"
check "front Postfix: the message arrives" arrived $n
check "front Postfix: authenticated at the smart host (ESMTPSA)" \
    last_received "with ESMTPSA id"
sent_message() { mta_sink_file $SINK "Message-ID: <m1.tls@sender.test>" >/dev/null; }
check "front Postfix: it is the message sent" sent_message
finish
