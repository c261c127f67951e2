#!/bin/bash
# dane.sh - DANE for SMTP (RFC 7672) through real DNS servers.
#
# The chain, all on loopback:
#   nsd (authoritative, 127.0.0.1:2741) serves dane.test, signed here
#   with ldns-signzone, and plain.test, unsigned;
#   unbound (127.0.0.1:2742) validates with dane.test's KSK as its
#   only trust anchor: slimrelay's dns_servers point at it;
#   a second unbound (127.0.0.1:2743) does not validate at all;
#   a private Postfix smtpd on port 2725 of 127.0.0.21-28, one address
#   per MX host, each with its own certificate, relays what it accepts
#   to smtp-sink on 127.0.0.1:2729.
#
#   domain          MX host            TLSA _2725._tcp.HOST    server cert
#   ok.dane.test    mx-ok     .21      3 1 1 (its key)         ee (match)
#   ta.dane.test    mx-ta     .22      2 1 1 (the CA's key)    CA-signed leaf
#   bad.dane.test   mx-bad1   .23 (10) 3 1 1 (another key)     ee (mismatch)
#                   mx-bad2   .24 (20) 3 1 1 (another key)     ee (mismatch)
#   mixed.dane.test mx-bad1 (10), mx-ok (20)
#   pkix.dane.test  mx-pkix   .25      1 1 1 only (unusable)   ee
#   forged.dane.test mx-forged .26     3 1 1, edited after signing (bogus)
#   notlsa.dane.test mx-notlsa .27     none (secure denial)    ee
#   plain.test      mx.plain.test .28  3 1 1 (another key), unsigned zone
#   tawrong.dane.test mx-tawrong .29   2 1 1 (the CA's key)    CA-signed leaf
#                                                              for another name
#   tanexthop.dane.test mx-tanexthop .30 2 1 1                 CA-signed leaf
#                                                              for the next hop
#   notls.dane.test mx-notls .32       3 1 1 (its key)         no STARTTLS
#   cnamed.dane.test mx-alias, a CNAME to mx-ok: mx-ok's TLSA record
#   cnamed2.dane.test mx-alias2, a CNAME to mx-notlsa (no TLSA): its own
#   bogusmx.dane.test MX 10 mx-ok, edited after signing (bogus MX answer)
#   expired.dane.test mx-expired .31   3 1 1 (its key)         expired leaf,
#                                                              another name
#
# Cases: secure + matching 3 1 1 and 2 1 1 -> delivered, Verified, the
# TLSA record logged; mismatch -> the next MX, then deferred, nothing
# delivered; mismatch then a good MX -> delivered there; bogus TLSA or
# bogus MX -> deferred; no TLSA -> opportunistic; unusable TLSA only ->
# encrypted, unauthenticated; insecure zone -> opportunistic, its TLSA
# ignored; dane-only against the insecure zone and the TLSA-less host
# -> deferred; usable TLSA but no STARTTLS -> deferred; DANE-TA checks
# the name (the MX host or the next-hop domain), DANE-EE neither names
# nor dates; a bracketed next hop counts as a secure MX; a
# non-validating resolver, or one not trusted -> DANE not claimed, and
# an MX host that is a CNAME -> the TLSA records of its target, else its
# own;
# the probe warns; the MX and TLSA answers and the TLS session are
# reused; --route shows the DNSSEC status, the TLSA records and the
# policy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
need postfix postconf smtp-sink openssl nsd unbound ldns-keygen \
    ldns-signzone ldns-key2ds drill
mta_init dane

NSD_PORT=2741
VAL_PORT=2742
NOVAL_PORT=2743
SMTP_PORT=2725
SINK=2729
Z=$T/dns
C=$T/certs
RX=$T/rx
mkdir -p "$Z" "$C" "$T/state-noval" "$T/state-untrusted"

# ---- certificates -----------------------------------------------------------

# selfsigned NAME CN: a P-256 key and a self-signed certificate
selfsigned() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.crt" -subj "/CN=$2" \
	    -addext "subjectAltName=DNS:$2" -days 30 2>/dev/null
}
# spki_sha256 CERT: the hex SHA-256 of its SubjectPublicKeyInfo (TLSA x 1 1)
spki_sha256() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -r | cut -d' ' -f1
}
selfsigned ee mx-ok.dane.test || fatal "openssl: ee certificate"
selfsigned other other.dane.test || fatal "openssl: other certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/ca.key" -out "$C/ca.crt" -subj "/CN=slimrelay DANE test CA" \
    -days 30 2>/dev/null || fatal "openssl: CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/ta.key" -out "$C/ta.csr" -subj "/CN=mx-ta.dane.test" \
    -addext "subjectAltName=DNS:mx-ta.dane.test" 2>/dev/null &&
openssl x509 -req -in "$C/ta.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" \
    -CAcreateserial -days 30 -copy_extensions copy -out "$C/ta.crt" \
    2>/dev/null || fatal "openssl: leaf signed by the CA"
cat "$C/ta.crt" "$C/ca.crt" >"$C/ta-chain.crt"
# leaf NAME SAN [OPTION...]: a key and a certificate that the CA signs
leaf() {
	local name=$1 san=$2
	shift 2
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$name.key" -out "$C/$name.csr" -subj "/CN=$san" \
	    -addext "subjectAltName=DNS:$san" 2>/dev/null &&
	openssl ca -batch -config "$C/ca.cnf" -cert "$C/ca.crt" \
	    -keyfile "$C/ca.key" -in "$C/$name.csr" -out "$C/$name.crt" \
	    "$@" >/dev/null 2>&1 &&
	cat "$C/$name.crt" "$C/ca.crt" >"$C/$name-chain.crt"
}
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
default_days = 30
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
EOF
leaf tawrong elsewhere.dane.test || fatal "openssl: leaf for another name"
leaf tanexthop tanexthop.dane.test || fatal "openssl: leaf for the next hop"
# Expired long ago, for another name: DANE-EE checks neither.
leaf expired unrelated.example -startdate 20200101000000Z \
    -enddate 20200201000000Z || fatal "openssl: an expired leaf"
chmod 755 "$C"
chmod 644 "$C"/*
EE=$(spki_sha256 "$C/ee.crt")
EXPIRED=$(spki_sha256 "$C/expired.crt")
OTHER=$(spki_sha256 "$C/other.crt")
CA=$(spki_sha256 "$C/ca.crt")

# ---- zones, signed; nsd; the two unbounds -------------------------------------

cat >"$Z/dane.test.zone" <<EOF
\$ORIGIN dane.test.
\$TTL 300
@		SOA	ns.dane.test. hostmaster.dane.test. 1 3600 600 86400 300
@		NS	ns.dane.test.
ns		A	127.0.0.1
ok		MX	10 mx-ok
ta		MX	10 mx-ta
bad		MX	10 mx-bad1
bad		MX	20 mx-bad2
mixed		MX	10 mx-bad1
mixed		MX	20 mx-ok
pkix		MX	10 mx-pkix
forged		MX	10 mx-forged
notlsa		MX	10 mx-notlsa
tawrong		MX	10 mx-tawrong
tanexthop	MX	10 mx-tanexthop
expired		MX	10 mx-expired
bogusmx		MX	10 mx-ok
notls		MX	10 mx-notls
cnamed		MX	10 mx-alias
cnamed2		MX	10 mx-alias2
mx-alias	CNAME	mx-ok
mx-alias2	CNAME	mx-notlsa
mx-ok		A	127.0.0.21
mx-ta		A	127.0.0.22
mx-bad1		A	127.0.0.23
mx-bad2		A	127.0.0.24
mx-pkix		A	127.0.0.25
mx-forged	A	127.0.0.26
mx-notlsa	A	127.0.0.27
mx-tawrong	A	127.0.0.29
mx-tanexthop	A	127.0.0.30
mx-expired	A	127.0.0.31
mx-notls	A	127.0.0.32
_$SMTP_PORT._tcp.mx-ok		TLSA	3 1 1 $EE
_$SMTP_PORT._tcp.mx-ta		TLSA	2 1 1 $CA
_$SMTP_PORT._tcp.mx-bad1	TLSA	3 1 1 $OTHER
_$SMTP_PORT._tcp.mx-bad2	TLSA	3 1 1 $OTHER
_$SMTP_PORT._tcp.mx-pkix	TLSA	1 1 1 $EE
_$SMTP_PORT._tcp.mx-forged	TLSA	3 1 1 $OTHER
_$SMTP_PORT._tcp.mx-tawrong	TLSA	2 1 1 $CA
_$SMTP_PORT._tcp.mx-tanexthop	TLSA	2 1 1 $CA
_$SMTP_PORT._tcp.mx-expired	TLSA	3 1 1 $EXPIRED
_$SMTP_PORT._tcp.mx-notls	TLSA	3 1 1 $EE
_$SMTP_PORT._tcp.mx-alias2	TLSA	3 1 1 $EE
EOF
cat >"$Z/plain.test.zone" <<EOF
\$ORIGIN plain.test.
\$TTL 300
@		SOA	ns.plain.test. hostmaster.plain.test. 1 3600 600 86400 300
@		NS	ns.plain.test.
ns		A	127.0.0.1
@		MX	10 mx
mx		A	127.0.0.28
_$SMTP_PORT._tcp.mx	TLSA	3 1 1 $OTHER
EOF
(
	cd "$Z" || exit 1
	zsk=$(ldns-keygen -a ECDSAP256SHA256 dane.test) &&
	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k dane.test) &&
	ldns-signzone dane.test.zone "$zsk" "$ksk" &&
	ldns-key2ds -n -2 "$ksk.key" >anchor.ds
) || fatal "ldns-signzone signs dane.test"
# Bogus: the record of mx-forged changed after signing (the RRSIG stays).
sed -i "/^_$SMTP_PORT\._tcp\.mx-forged\.dane\.test\..*TLSA/s/$OTHER/$EE/" \
    "$Z/dane.test.zone.signed"
grep -q "mx-forged.*TLSA.*$EE" "$Z/dane.test.zone.signed" ||
    fatal "the forged TLSA record is in the signed zone"
sed -i "/^bogusmx\.dane\.test\..*MX/s/	10 mx-ok/	20 mx-ok/" \
    "$Z/dane.test.zone.signed"
grep -q "^bogusmx.*MX.20 mx-ok" "$Z/dane.test.zone.signed" ||
    fatal "the forged MX record is in the signed zone"

cat >"$Z/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$NSD_PORT
	port: $NSD_PORT
	username: ""
	chroot: ""
	database: ""
	zonelistfile: "$Z/zone.list"
	xfrdfile: "$Z/xfrd.state"
	pidfile: "$Z/nsd.pid"
	logfile: "$Z/nsd.log"
	zonesdir: "$Z"
	server-count: 1
remote-control:
	control-enable: no
zone:
	name: dane.test
	zonefile: dane.test.zone.signed
zone:
	name: plain.test
	zonefile: plain.test.zone
EOF
# unbound_conf PORT MODULES: a resolver for the two test zones only
unbound_conf() {
	cat <<EOF
server:
	interface: 127.0.0.1@$1
	port: $1
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$Z"
	pidfile: "$Z/unbound-$1.pid"
	logfile: "$Z/unbound-$1.log"
	use-syslog: no
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	# The stub is on 127.0.0.1, and test. is a special-use name.
	do-not-query-localhost: no
	local-zone: "test." nodefault
	module-config: "$2"
	val-log-level: 2
stub-zone:
	name: "dane.test"
	stub-addr: 127.0.0.1@$NSD_PORT
stub-zone:
	name: "plain.test"
	stub-addr: 127.0.0.1@$NSD_PORT
remote-control:
	control-enable: no
EOF
}
{ unbound_conf $VAL_PORT "validator iterator"
  echo "server:"
  echo "	trust-anchor-file: \"$Z/anchor.ds\""; } >"$Z/unbound-val.conf"
unbound_conf $NOVAL_PORT "iterator" >"$Z/unbound-noval.conf"

nsd -c "$Z/nsd.conf" -d >"$Z/nsd.out" 2>&1 &
track $!
unbound -c "$Z/unbound-val.conf" >"$Z/unbound-val.out" 2>&1 &
track $!
unbound -c "$Z/unbound-noval.conf" >"$Z/unbound-noval.out" 2>&1 &
track $!

# dig PORT TYPE NAME: drill's answer, DO bit set
dig() { drill -D -p "$1" @127.0.0.1 "$2" "$3" 2>&1; }
up() { dig $VAL_PORT SOA dane.test | grep -q 'rcode: NOERROR'; }
mta_wait 20 up || fatal "nsd and unbound answer"
check "chain: a secure TLSA answer has AD" \
    has "$(dig $VAL_PORT TLSA _$SMTP_PORT._tcp.mx-ok.dane.test)" "flags: qr rd ra ad"
check "chain: the forged TLSA record is SERVFAIL" \
    has "$(dig $VAL_PORT TLSA _$SMTP_PORT._tcp.mx-forged.dane.test)" "rcode: SERVFAIL"
check "chain: plain.test has no AD" \
    lacks "$(dig $VAL_PORT MX plain.test)" "ra ad"
check "chain: secure denial has AD" \
    has "$(dig $VAL_PORT TLSA _$SMTP_PORT._tcp.mx-notlsa.dane.test)" "ra ad"
check "chain: the other resolver does not validate" \
    lacks "$(dig $NOVAL_PORT TLSA _$SMTP_PORT._tcp.mx-ok.dane.test)" "ra ad"

# ---- the receiving Postfix ------------------------------------------------------

postfix_instance_dirs "$RX"
{
echo "# Receiving Postfix of tests/integration/dane.sh"
# One smtpd per loopback address: not only 127.0.0.1.
postfix_instance_conf "$RX" rx.dane.test |
    sed 's/^inet_interfaces = .*/inet_interfaces = all/'
cat <<EOF
notify_classes =
relayhost = [127.0.0.1]:$SINK
smtp_tls_security_level = none
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_tls_chain_files = $C/ee.key, $C/ee.crt
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
EOF
} >"$RX/etc/main.cf"
# listener N NAME [OPTION...]: smtpd on 127.0.0.N:2725 as host NAME
listener() {
	local n=$1 name=$2
	shift 2
	echo "127.0.0.$n:$SMTP_PORT inet n - n - - smtpd -o myhostname=$name $*"
}
{
listener 21 mx-ok.dane.test
listener 22 mx-ta.dane.test \
    -o smtpd_tls_chain_files=$C/ta.key,$C/ta-chain.crt
listener 23 mx-bad1.dane.test
listener 24 mx-bad2.dane.test
listener 25 mx-pkix.dane.test
listener 26 mx-forged.dane.test
listener 27 mx-notlsa.dane.test
listener 28 mx.plain.test
listener 29 mx-tawrong.dane.test \
    -o smtpd_tls_chain_files=$C/tawrong.key,$C/tawrong-chain.crt
listener 30 mx-tanexthop.dane.test \
    -o smtpd_tls_chain_files=$C/tanexthop.key,$C/tanexthop-chain.crt
listener 31 mx-expired.dane.test \
    -o smtpd_tls_chain_files=$C/expired.key,$C/expired-chain.crt
listener 32 mx-notls.dane.test -o smtpd_tls_security_level=none
postfix_services
echo "tlsmgr    unix  -       -       n       1000?   1       tlsmgr"
echo "smtp      unix  -       -       n       -       -       smtp"
echo "relay     unix  -       -       n       -       -       smtp"
} >"$RX/etc/master.cf"

mta_users
mta_sink $SINK
postfix_instance_start "$RX"
rx_up() { ss -Hltn "sport = :$SMTP_PORT" 2>/dev/null | grep -c "127.0.0.[23][0-9]:$SMTP_PORT" | grep -qx 12; }
mta_wait 30 rx_up || fatal "rx smtpd listens on 127.0.0.21-32:$SMTP_PORT"

# ---- deliveries -------------------------------------------------------------------

n=0
printf 'Subject: dane test\n\nHello over DANE.\n' >"$T/msg"
# send NAME DOMAIN OPTION...: one delivery to bob@DOMAIN by MX on 2725,
# through the validating resolver unless an option says otherwise
send() {
	local name=$1 dom=$2
	shift 2
	RELAY_INPUT=$T/msg relay -q "Q$name" -n "$dom:$SMTP_PORT" \
	    -o dns_servers=127.0.0.1:$VAL_PORT -o dns_timeout=2s \
	    -o dnssec_probe=ns:dane.test -o tls_level=dane "$@" \
	    -f a@sender.test -- "bob@$dom"
}
# arrived N: the sink has N messages (waits for the rx queue)
arrived() {
	mta_wait 20 test "$(sink_count $SINK)" -ge "$1"
	eq "$(sink_count $SINK)" "$1"
}
# nothing_more N: after a while, still only N messages at the sink
nothing_more() {
	sleep 1
	eq "$(sink_count $SINK)" "$1"
}
# last_by HOST STRING: the newest dump was received by HOST, with STRING
last_by() {
	local f
	f=$(ls -t "$T/sink-$SINK"/* 2>/dev/null | head -1)
	[ -n "$f" ] && mta_unfold "$f" | grep -m1 "^Received: .* by $1 " |
	    grep -qF -- "$2" || { echo "#   newest dump: no Received: by $1 with '$2'"; return 1; }
}
# log_since MARK STRING: the log after line MARK has STRING
mark() { if [ -f "$LOG" ]; then wc -l <"$LOG"; else echo 0; fi; }
log_since() {
	touch "$LOG"
	tail -n +"$(($1 + 1))" "$LOG" | grep -qF -- "$2" ||
	    { echo "#   log since line $1 lacks '$2'"; tail -n +"$(($1 + 1))" "$LOG" | sed 's/^/#   /' | tail -8; return 1; }
}
log_lacks() {
	! tail -n +"$(($1 + 1))" "$LOG" | grep -qF -- "$2" ||
	    { echo "#   log since line $1 has '$2'"; return 1; }
}

m=$(mark)
send ok ok.dane.test
n=$((n + 1))
check "3 1 1 match: delivered" eq "$RC" 0
check "3 1 1 match: Verified by DANE, the record and depth logged" log_since "$m" \
    "Verified TLS connection established to mx-ok.dane.test[127.0.0.21]:$SMTP_PORT"
check "3 1 1 match: the matching TLSA record is named" log_since "$m" \
    "DANE TLSA 3 1 1 ${EE:0:16}"
check "3 1 1 match: at depth 0" log_since "$m" "matched at depth 0"
check "3 1 1 match: the message arrives at mx-ok" arrived $n
check "3 1 1 match: over TLS" last_by mx-ok.dane.test "using TLSv1.3"

m=$(mark)
send ta ta.dane.test
n=$((n + 1))
check "2 1 1 match: delivered" eq "$RC" 0
check "2 1 1 match: Verified, the trust anchor at depth 1" log_since "$m" \
    "DANE TLSA 2 1 1 ${CA:0:16}"
check "2 1 1 match: depth 1" log_since "$m" "matched at depth 1"
check "2 1 1 match: the message arrives at mx-ta" arrived $n
check "2 1 1 match: received by mx-ta" last_by mx-ta.dane.test "using TLSv1.3"

m=$(mark)
send tawrong tawrong.dane.test
check "2 1 1, a leaf for another name: deferred" eq "$RC" 75
check "2 1 1, a leaf for another name: hostname mismatch" has "$OUT" \
    "4.7.5 Server certificate not verified: hostname mismatch (host mx-tawrong.dane.test[127.0.0.29])"
check "2 1 1, a leaf for another name: nothing delivered" nothing_more $n

m=$(mark)
send tanexthop tanexthop.dane.test
n=$((n + 1))
check "2 1 1, a leaf for the next-hop domain: delivered" eq "$RC" 0
check "2 1 1, a leaf for the next-hop domain: Verified" log_since "$m" \
    "Verified TLS connection established to mx-tanexthop.dane.test[127.0.0.30]"
check "2 1 1, a leaf for the next-hop domain: it arrives" arrived $n

m=$(mark)
send expired expired.dane.test
n=$((n + 1))
check "3 1 1, an expired leaf for another name: delivered (DANE-EE)" eq "$RC" 0
check "3 1 1, an expired leaf: Verified" log_since "$m" \
    "DANE TLSA 3 1 1 ${EXPIRED:0:16}"
check "3 1 1, an expired leaf: it arrives" arrived $n

m=$(mark)
send bad bad.dane.test
check "mismatch: deferred" eq "$RC" 75
check "mismatch: 4.7.5, no matching TLSA record" has "$OUT" \
    "4.7.5 Server certificate not verified: no matching DANE TLSA records"
check "mismatch: the first MX was tried" log_since "$m" \
    "no matching DANE TLSA records (host mx-bad1.dane.test[127.0.0.23])"
check "mismatch: then the next MX" log_since "$m" \
    "no matching DANE TLSA records (host mx-bad2.dane.test[127.0.0.24])"
check "mismatch: never sent in plaintext" log_lacks "$m" "without TLS"
check "mismatch: nothing delivered" nothing_more $n

m=$(mark)
send mixed mixed.dane.test
n=$((n + 1))
check "mismatch, then a good MX: delivered" eq "$RC" 0
check "mismatch, then a good MX: the first failed verification" log_since "$m" \
    "no matching DANE TLSA records"
check "mismatch, then a good MX: delivered to mx-ok" arrived $n
check "mismatch, then a good MX: received by mx-ok" last_by mx-ok.dane.test "using TLS"

m=$(mark)
send forged forged.dane.test
check "bogus TLSA: deferred" eq "$RC" 75
check "bogus TLSA: 4.7.5 TLSA lookup error" has "$OUT" \
    "4.7.5 TLSA lookup error for mx-forged.dane.test:$SMTP_PORT"
check "bogus TLSA: no connection to the host" log_lacks "$m" "127.0.0.26"
check "bogus TLSA: nothing delivered" nothing_more $n

m=$(mark)
send cnamed cnamed.dane.test
n=$((n + 1))
check "MX host a CNAME: delivered" eq "$RC" 0
check "MX host a CNAME: verified by the target's TLSA record" log_since "$m" \
    "DANE TLSA 3 1 1 ${EE:0:16}"
check "MX host a CNAME: it arrives at mx-ok" arrived $n

m=$(mark)
send cnamed2 cnamed2.dane.test
n=$((n + 1))
check "CNAME target without TLSA: delivered" eq "$RC" 0
check "CNAME target without TLSA: verified by the alias's own record" \
    log_since "$m" "DANE TLSA 3 1 1 ${EE:0:16}"
check "CNAME target without TLSA: it arrives" arrived $n

m=$(mark)
send notls notls.dane.test
check "usable TLSA, no STARTTLS (stripped): deferred" eq "$RC" 75
check "usable TLSA, no STARTTLS: 4.7.4, TLS required" eq "$OUT" \
    "4.7.4 TLS is required, but was not offered by host mx-notls.dane.test[127.0.0.32]"
check "usable TLSA, no STARTTLS: never sent in plaintext" nothing_more $n

m=$(mark)
send bogusmx bogusmx.dane.test
check "bogus MX answer: deferred" eq "$RC" 75
check "bogus MX answer: 4.4.3, never a downgrade to may" has "$OUT" \
    "4.4.3 Host or domain name not found. Name service error for name=bogusmx.dane.test type=MX: Host not found, try again"
check "bogus MX answer: no connection" log_lacks "$m" "Qbogusmx: to=<bob@bogusmx.dane.test>, relay=mx-ok"

m=$(mark)
send notlsa notlsa.dane.test
n=$((n + 1))
check "no TLSA (secure denial): delivered" eq "$RC" 0
check "no TLSA: opportunistic TLS, not verified" log_since "$m" \
    "Untrusted TLS connection established to mx-notlsa.dane.test[127.0.0.27]"
check "no TLSA: it arrives" arrived $n

m=$(mark)
send pkix pkix.dane.test
n=$((n + 1))
check "unusable TLSA only: delivered" eq "$RC" 0
check "unusable TLSA only: encrypted, not authenticated" log_since "$m" \
    "Untrusted TLS connection established to mx-pkix.dane.test[127.0.0.25]"
check "unusable TLSA only: said so" log_since "$m" \
    "mx-pkix.dane.test:$SMTP_PORT: no usable TLSA records"
check "unusable TLSA only: it arrives" arrived $n

m=$(mark)
send plain plain.test
n=$((n + 1))
check "insecure zone: delivered" eq "$RC" 0
check "insecure zone: opportunistic, its TLSA record ignored" log_since "$m" \
    "Untrusted TLS connection established to mx.plain.test[127.0.0.28]"
check "insecure zone: it arrives" arrived $n
check "insecure zone: no warning about the resolver" log_lacks "$m" \
    "does not validate"

m=$(mark)
send plain_only plain.test -o tls_level=dane-only
check "dane-only, insecure zone: deferred" eq "$RC" 75
check "dane-only, insecure zone: 4.7.5, why" has "$OUT" \
    "4.7.5 DANE required, but the MX records of plain.test are not DNSSEC-validated"
check "dane-only, insecure zone: no connection" log_lacks "$m" "127.0.0.28"

send notlsa_only notlsa.dane.test -o tls_level=dane-only
check "dane-only, no TLSA: deferred" eq "$RC" 75
check "dane-only, no TLSA: 4.7.5, why" has "$OUT" \
    "4.7.5 DANE required, but mx-notlsa.dane.test:$SMTP_PORT has no usable TLSA records"

send ok_only ok.dane.test -o tls_level=dane-only
n=$((n + 1))
check "dane-only, matching TLSA: delivered" eq "$RC" 0
check "dane-only, matching TLSA: it arrives" arrived $n

m=$(mark)
RELAY_INPUT=$T/msg relay -q Qbracket -n "[mx-ok.dane.test]:$SMTP_PORT" \
    -o dns_servers=127.0.0.1:$VAL_PORT -o smarthost_tls_level=dane \
    -o dnssec_probe=ns:dane.test -f a@sender.test -- bob@ok.dane.test
n=$((n + 1))
check "[host] next hop: counts as secure, delivered" eq "$RC" 0
check "[host] next hop: verified by DANE" log_since "$m" "DANE TLSA 3 1 1"
check "[host] next hop: it arrives" arrived $n

m=$(mark)
send noval ok.dane.test -o dns_servers=127.0.0.1:$NOVAL_PORT \
    -o state_directory="$T/state-noval"
n=$((n + 1))
check "non-validating resolver: delivered" eq "$RC" 0
check "non-validating resolver: DANE not claimed" log_lacks "$m" "DANE TLSA"
check "non-validating resolver: opportunistic TLS" log_since "$m" \
    "Untrusted TLS connection established to mx-ok.dane.test"
check "non-validating resolver: the probe warns" log_since "$m" \
    "does not validate"
check "non-validating resolver: it arrives" arrived $n

m=$(mark)
send untrusted ok.dane.test -o dnssec_trust_resolver= \
    -o state_directory="$T/state-untrusted"
n=$((n + 1))
check "untrusted resolver: delivered" eq "$RC" 0
check "untrusted resolver: DANE not claimed" log_lacks "$m" "DANE TLSA"
check "untrusted resolver: it arrives" arrived $n

tlsa_file=$STATE/mx/_$SMTP_PORT._tcp.mx-ok.dane.test
check "TLSA cache: the answer is kept, secure" \
    grep -q "^tlsa ok secure 1 0\$" "$tlsa_file"
check "MX cache: kept with its DNSSEC status" \
    grep -q "^mx 0 10 1 secure\$" "$STATE/mx/ok.dane.test"
m=$(mark)
# A new connection (not one kept by the keeper), to see TLS resumption.
send cached ok.dane.test -v -o connection_keeper=no
n=$((n + 1))
check "cached MX and TLSA: delivered" eq "$RC" 0
check "cached MX and TLSA: the TLSA answer came from the cache" \
    log_since "$m" "mx_cache: _$SMTP_PORT._tcp.mx-ok.dane.test: hit"
check "cached MX and TLSA: the DANE-verified session resumed" log_since "$m" \
    "Verified TLS connection reused to mx-ok.dane.test[127.0.0.21]:$SMTP_PORT"
check "cached MX and TLSA: it arrives" arrived $n

# ---- --route ------------------------------------------------------------------

relay -n "mixed.dane.test:$SMTP_PORT" -o dns_servers=127.0.0.1:$VAL_PORT \
    -o tls_level=dane -o dnssec_probe=ns:dane.test --route bob@mixed.dane.test
check "--route: exit 0" eq "$RC" 0
check "--route: the MX answer is DNSSEC-validated" has "$OUT" "dnssec: secure"
check "--route: the TLSA record of mx-ok" has "$OUT" \
    "TLSA _$SMTP_PORT._tcp.mx-ok.dane.test 3 1 1 $EE"
check "--route: what the policy requires of mx-ok" has "$OUT" \
    "mx-ok.dane.test: dane: TLS required, authenticated by DANE"
relay -n "cnamed.dane.test:$SMTP_PORT" -o dns_servers=127.0.0.1:$VAL_PORT \
    -o tls_level=dane -o dnssec_probe=ns:dane.test --route bob@cnamed.dane.test
check "--route: a CNAME MX host, its target" has "$OUT" \
    "host mx-alias.dane.test: addresses dnssec: secure, CNAME to mx-ok.dane.test"
check "--route: the target's TLSA record" has "$OUT" \
    "TLSA _$SMTP_PORT._tcp.mx-ok.dane.test 3 1 1 $EE"
relay -n "plain.test:$SMTP_PORT" -o dns_servers=127.0.0.1:$VAL_PORT \
    -o tls_level=dane -o dnssec_probe=ns:dane.test --route bob@plain.test
check "--route: an insecure MX" has "$OUT" "dnssec: insecure"
check "--route: opportunistic for it" has "$OUT" \
    "mx.plain.test: may: opportunistic TLS"
finish
