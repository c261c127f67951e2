#!/bin/bash
# dns_host.sh - smart hosts named by host name are resolved through ldns
# against a real name server (ldns-testns on loopback): delivery by name,
# a CNAME, the next address when the first refuses, and the DNS failures
# with Postfix's codes (NXDOMAIN bounces 5.4.4, SERVFAIL defers 4.4.3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnslib.sh"
need smtp-sink ldns-testns drill
P=2590
start_sink $P || exit 1
DNS_BASE_PORT=53600 dns_start "$top_srcdir/tests/data/dns/relay.data" || exit 1
printf 'Subject: dns\n\nbody\n' >"$T/msg"
export RELAY_INPUT="$T/msg"
DNSOPT=(-o "dns_servers=127.0.0.1:$DNS_PORT" -o dns_timeout=2s)

relay "${DNSOPT[@]}" -q Qname -n "[smarthost.test]:$P" -f a@example.org -- b@example.com
check "by name: exit 0" eq "$RC" 0
check "by name: delivered" eq "$(sink_count $P)" 1
check "by name: record names the host" log_has "Qname: to=<b@example.com>, relay=smarthost.test[127.0.0.1]:$P, "

relay "${DNSOPT[@]}" -n "[alias.test]:$P" -f a@example.org -- b@example.com
check "CNAME: exit 0" eq "$RC" 0
check "CNAME: delivered" eq "$(sink_count $P)" 2

relay "${DNSOPT[@]}" -q Qtwo -n "[twohomed.test]:$P" -f a@example.org -- b@example.com
check "second address: exit 0" eq "$RC" 0
check "second address: delivered" eq "$(sink_count $P)" 3
check "second address: first refused, logged" log_has "connect to twohomed.test[127.0.0.3]:$P: Connection refused"
check "second address: record" log_has "Qtwo: to=<b@example.com>, relay=twohomed.test[127.0.0.1]:$P, "

# Unbracketed: MX lookup of that name; it has no MX, so its own address
# (the implicit MX of RFC 5321 5.1), on the port given.
relay "${DNSOPT[@]}" -o state_directory="$T/nocache" -n "smarthost.test:$P" -f a@example.org -- b@example.com
check "unbracketed: implicit MX, exit 0" eq "$RC" 0

relay "${DNSOPT[@]}" -q Qgone -n "[gone.test]:$P" -f a@example.org -- b@example.com
check "NXDOMAIN: exit 68" eq "$RC" 68
check "NXDOMAIN: status line" starts "$OUT" "5.4.4 Host or domain name not found. Name service error for name=gone.test type="
check "NXDOMAIN: record" log_has "Qgone: to=<b@example.com>, relay=none, "

relay "${DNSOPT[@]}" -n "[broken.test]:$P" -f a@example.org -- b@example.com
check "SERVFAIL: exit 75" eq "$RC" 75
check "SERVFAIL: status line" starts "$OUT" "4.4.3 Host or domain name not found. Name service error for name=broken.test type="
check "SERVFAIL: try again" has "$OUT" "try again"

# A name server that does not answer: transient, within dns_timeout.
relay -o dns_servers=127.0.0.1:9 -o dns_timeout=300ms -o dns_retries=0 -n "[smarthost.test]:$P" -f a@example.org -- b@example.com
check "no name server: exit 75" eq "$RC" 75
check "no name server: 4.4.3" starts "$OUT" "4.4.3 "

check "nothing else delivered" eq "$(sink_count $P)" 4
finish
