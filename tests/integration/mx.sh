#!/bin/bash
# mx.sh - MX relaying against a real name server (ldns-testns) and mail
# exchangers on loopback port 25 (smtp-sink on 127.0.0.x:25; tests run
# as root): preference order, fallback through three hosts in one run,
# soft errors retried at the next MX with the message replayed, implicit
# MX, null MX, NXDOMAIN, SERVFAIL, loop detection, recipients of several
# domains, force_mx routes, the cross-process MX cache (counted at the
# name server) and slimrelay --route.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnslib.sh"
need smtp-sink ldns-testns drill
[ "$(id -u)" = 0 ] || skip "binding port 25 on 127.0.0.x needs root"

for a in 11 12 23 31 42 51 61 71; do
	start_sink_at 127.0.0.$a 25 || exit 1
done
start_sink_at 127.0.0.22 25 -Q CONNECT || exit 1
start_sink_at 127.0.0.41 25 -r . -b "451 4.3.0 Try the next one" || exit 1
DNS_TESTNS_ARGS=-v DNS_BASE_PORT=53700 dns_start "$top_srcdir/tests/data/dns/mxrelay.data" || exit 1
printf 'Subject: mx\n\n.dot line\nbody\n' >"$T/msg"
export RELAY_INPUT="$T/msg"
DNS=(-o "dns_servers=127.0.0.1:$DNS_PORT" -o dns_timeout=2s)
mx() { relay "${DNS[@]}" "$@"; }
count() { sink_count "127.0.0.$1_25"; }

# The best MX takes the mail; the record names it.
mx -q Q1 -f a@example.org -- bob@mx.test
check "best MX: exit 0" eq "$RC" 0
check "best MX: mx1 got it" eq "$(count 11)" 1
check "best MX: mx2 did not" eq "$(count 12)" 0
check "best MX: record" log_has "Q1: to=<bob@mx.test>, relay=mx1.hosts.test[127.0.0.11]:25, "
check "best MX: body byte for byte" eq "$(sink_body "$(sink_files 127.0.0.11_25 | head -1)")" "$(cat "$T/msg")"

# Three MX hosts: refused, 421, accepted: delivered in one run.
mx -q Q3 -f a@example.org -- bob@three.test
check "three MX: exit 0" eq "$RC" 0
check "three MX: the third took it" eq "$(count 23)" 1
check "three MX: first refused (logged)" log_has "connect to a.hosts.test[127.0.0.21]:25: Connection refused"
check "three MX: second said 421 (logged)" log_has "host b.hosts.test[127.0.0.22] refused to talk to me: 421"
check "three MX: record" log_has "Q3: to=<bob@three.test>, relay=c.hosts.test[127.0.0.23]:25, "

# A 4xx after the data at the best MX: the next MX gets the whole message.
mx -q Qsoft -f a@example.org -- r1@soft.test r2@soft.test
check "soft error: exit 0" eq "$RC" 0
check "soft error: the next MX got it" eq "$(count 42)" 1
check "soft error: replayed byte for byte" eq "$(sink_body "$(sink_files 127.0.0.42_25 | head -1)")" "$(cat "$T/msg")"
check "soft error: both recipients there" eq "$(grep -c '^X-Rcpt-Args:' "$(sink_files 127.0.0.42_25 | head -1)")" 2

# No MX: the domain's own address.
mx -q Qimp -f a@example.org -- bob@implicit.test
check "implicit MX: exit 0" eq "$RC" 0
check "implicit MX: delivered" eq "$(count 31)" 1
check "implicit MX: record" log_has "Qimp: to=<bob@implicit.test>, relay=implicit.test[127.0.0.31]:25, "

# Null MX, NXDOMAIN, SERVFAIL.
mx -q Qnull -f a@example.org -- bob@nullmx.test
check "null MX: exit 69" eq "$RC" 69
check "null MX: 5.1.10" eq "$OUT" "5.1.10 Domain nullmx.test does not accept mail (nullMX)"
mx -f a@example.org -- bob@gone.test
check "NXDOMAIN: exit 68" eq "$RC" 68
check "NXDOMAIN: 5.4.4" starts "$OUT" "5.4.4 Host or domain name not found. Name service error for name=gone.test type=MX: Host not found"
mx -f a@example.org -- bob@broken.test
check "SERVFAIL: exit 75" eq "$RC" 75
check "SERVFAIL: 4.4.3" starts "$OUT" "4.4.3 Host or domain name not found. Name service error for name=broken.test type=MX: Host not found, try again"

# Loop detection (127.0.0.1 is ours): never to ourselves or worse MX.
mx -q Qbackup -f a@example.org -- bob@backup.test
check "backup MX: exit 0" eq "$RC" 0
check "backup MX: went to the better MX" eq "$(count 51)" 1
mx -f a@example.org -- bob@loop.test
check "loop: exit 69" eq "$RC" 69
check "loop: 5.4.6" eq "$OUT" "5.4.6 mail for loop.test loops back to myself"

# Recipients of several domains: one transaction each, each its own result.
before11=$(count 11) before31=$(count 31)
mx -q Qmulti -f a@example.org -- x@mx.test y@implicit.test z@nullmx.test w@mx.test
check "several domains: exit 69 (the null MX recipient)" eq "$RC" 69
check "several domains: mx.test got one message" eq "$(count 11)" $((before11 + 1))
check "several domains: with both of its recipients" eq "$(grep -c '^X-Rcpt-Args:' "$(ls -t "$T"/sink-127.0.0.11_25/* | head -1)")" 2
check "several domains: implicit.test got one" eq "$(count 31)" $((before31 + 1))
check "several domains: replayed byte for byte" eq "$(sink_body "$(ls -t "$T"/sink-127.0.0.31_25/* | head -1)")" "$(cat "$T/msg")"
check "several domains: x sent" log_has "Qmulti: to=<x@mx.test>, relay=mx1.hosts.test[127.0.0.11]:25"
check "several domains: z bounced" grep -q "Qmulti: to=<z@nullmx.test>, relay=none, .*dsn=5.1.10, status=bounced" "$LOG"

# force_mx: a route pins forced.test to a host; its MX is not used.
before11=$(count 11)
mx -o "route=forced.test smtp:[127.0.0.61]:25" -q Qforce -f a@example.org -- bob@forced.test
check "force_mx: exit 0" eq "$RC" 0
check "force_mx: the pinned host got it" eq "$(count 61)" 1
check "force_mx: not the MX" eq "$(count 11)" "$before11"
check "force_mx: no MX query" eq "$(dns_queries forced.test MX)" 0

# The MX cache: a second run makes no query; expiry at the TTL (2 s).
C=(-o state_directory="$T/cache")
mkdir -p "$T/cache"
mx "${C[@]}" -f a@example.org -- bob@ttl.test
check "cache: first run delivers" eq "$RC" 0
check "cache: first run asks once" eq "$(dns_queries ttl.test MX)" 1
LD_DEBUG=libs mx "${C[@]}" -f a@example.org -- bob@ttl.test
check "cache: second run delivers" eq "$RC" 0
check "cache: second run asks nothing" eq "$(dns_queries ttl.test MX)" 1
check "cache: nor for the host's address" eq "$(dns_queries ttl.hosts.test A)" 1
# Nor does it load libldns (lib/dl.c), by the loader's own trace.
check "cache: libldns not loaded on a hit" lacks "$OUT" "libldns"
sleep 2.2
mx "${C[@]}" -f a@example.org -- bob@ttl.test
check "cache: after the TTL it asks again" eq "$(dns_queries ttl.test MX)" 2

# --route shows the decision without sending anything.
before=$(count 11)
OUT=$("$SLIMRELAY" "${DNS[@]}" "${C[@]}" -o "route=forced.test smtp:[127.0.0.61]:25" --route bob@mx.test bob@forced.test bob@nullmx.test 2>&1)
RC=$?
check "--route: exit 1 (one address cannot be routed)" eq "$RC" 1
check "--route: MX list" has "$OUT" "mx1.hosts.test"
check "--route: preference" has "$OUT" "10"
check "--route: the address" has "$OUT" "127.0.0.11"
check "--route: cache" has "$OUT" "MX cache: miss"
check "--route: the rule" has "$OUT" 'route rule "forced.test smtp:[127.0.0.61]:25"'
check "--route: the failure" has "$OUT" "5.1.10 Domain nullmx.test does not accept mail (nullMX)"
check "--route: sends nothing" eq "$(count 11)" "$before"
OUT=$("$SLIMRELAY" "${DNS[@]}" "${C[@]}" --route bob@mx.test 2>&1)
check "--route: second time from the cache" has "$OUT" "MX cache: hit"

finish
