#!/bin/bash
# milter_route.sh - routing headers end to end: a private Postfix runs
# slimrelay-milter (smtpd_milters) and slimrelay (default_transport).
# milterforced.test has a route only the milter can apply (it depends on
# the client's address), to sink A; by DNS its MX is sink B. Checks:
# 1. mail for milterforced.test reaches sink A, not its MX, and no
#    routing header reaches either sink;
# 2. a routing header forged by the SMTP client has no effect: the milter
#    removes it (milterother.test still goes to its MX, sink B);
# 3. the transport on its own (no milter in front): a forged header with
#    a bad signature is removed and ignored, logged; a header without a
#    key configured is removed too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
. "$(dirname "$0")/dnslib.sh"
need postfix swaks smtp-sink ldns-testns drill openssl
: "${MILTER:=$top_builddir/milter/slimrelay-milter}"
[ -x "$MILTER" ] || skip "no milter at $MILTER"
mta_init postfix

SMTPD=2670
SINKA=2671
MILTERPORT=2672
mta_users
mta_transport
DNS_BASE_PORT=53800 dns_start "$top_srcdir/tests/data/dns/mxrelay.data" ||
    fatal "ldns-testns starts"
start_sink $SINKA || fatal "sink A"
start_sink_at 127.0.0.91 25 || fatal "sink B"

# One key for the milter and the transport, both running as slimrelay.
openssl rand -base64 32 >"$T/var/routing.key"
chown slimrelay "$T/var/routing.key"
chmod 600 "$T/var/routing.key"
ROUTE="route = milterforced.test smtp:[127.0.0.1]:$SINKA client=127.0.0.0/8"
cat >>"$MTA_CONF" <<CONF
dns_servers = 127.0.0.1:$DNS_PORT
routing_key_file = $T/var/routing.key
$ROUTE
CONF
mkdir -p "$T/milter"
chown slimrelay "$T/milter"
cat >"$T/milter/milter.conf" <<CONF
routing_key_file = $T/var/routing.key
milter_user = slimrelay
log = $T/milter/milter.log
$ROUTE
CONF
touch "$T/milter/milter.log"
chown slimrelay "$T/milter/milter.log"
"$MILTER" -c "$T/milter/milter.conf" -p "inet:$MILTERPORT@127.0.0.1" &
track $!
wait_port $MILTERPORT || fatal "the milter listens"

postfix_setup $SMTPD
sed "s|unix:/run/slimrelay-milter/milter.sock|inet:127.0.0.1:$MILTERPORT|" \
    "$top_srcdir/postfix-example/milter.cf" >>"$PF_DIR/etc/main.cf"
postfix_start

# --- 1 and 2: through Postfix, the milter and the transport -------------
printf '%s\n' "From: a@client.test" "To: b@milterforced.test" \
    "Message-ID: <mr.1@client.test>" \
    "X-Slimrelay-Route: v=1; d=milterother.test; r=[127.0.0.1]:$SINKA; t=1; b=mid:x; s=AAAA" \
    "Subject: milter route" "" "body" >"$T/m1"
postfix_send a@client.test b@milterforced.test,c@milterother.test "$T/m1"
Q1=$QID
check "forced: Postfix delivered it via slimrelay" \
    wait_line 30 "$PF_LOG" "$Q1: to=<b@milterforced.test>, relay=slimrelay, " \
    "status=sent ("
check "forced: slimrelay sent it to sink A" \
    has_line "$RLOG" "$Q1: to=<b@milterforced.test>, relay=127.0.0.1[127.0.0.1]:$SINKA, " \
    "status=sent"
check "forced: the route came from the routing header" \
    has_line "$RLOG" "routing: milterforced.test smtp:[127.0.0.1]:$SINKA (routing header)"
check "forged: milterother.test went to its MX" \
    wait_line 30 "$PF_LOG" "$Q1: to=<c@milterother.test>, relay=slimrelay, " \
    "status=sent ("
check "forged: via sink B" has_line "$RLOG" \
    "$Q1: to=<c@milterother.test>, relay=b.mhosts.test[127.0.0.91]:25, "
check "sink A got one message" eq "$(sink_count $SINKA)" 1
check "sink B got one message" eq "$(sink_count 127.0.0.91_25)" 1
check "no routing header reached sink A" \
    eq "$(cat "$T"/sink-$SINKA/* | grep -ci '^x-slimrelay-route')" 0
check "no routing header reached sink B" \
    eq "$(cat "$T"/sink-127.0.0.91_25/* | grep -ci '^x-slimrelay-route')" 0

# --- 3. the transport alone: forged headers are removed and ignored ----
printf '%s\n' "Message-ID: <mr.2@client.test>" \
    "X-Slimrelay-Route: v=1; d=milterforced.test; r=[127.0.0.1]:$SINKA; t=$(date +%s); b=mid:$(printf '<mr.2@client.test>' | sha256sum | cut -c1-64); s=$(printf 'x%.0s' $(seq 43))=" \
    "x-slimrelay-route:" " folded forgery" "Subject: direct" "" "body" >"$T/m3"
RELAY_INPUT="$T/m3" relay -o "dns_servers=127.0.0.1:$DNS_PORT" \
    -o "routing_key_file=$T/var/routing.key" -q Qforged -f a@client.test -- b@milterforced.test
check "forged direct: delivered" eq "$RC" 0
check "forged direct: by MX, to sink B" log_has "Qforged: to=<b@milterforced.test>, relay=b.mhosts.test[127.0.0.91]:25"
check "forged direct: logged as ignored" log_has "routing: routing header ignored: "
check "forged direct: stripped" eq "$(cat "$T"/sink-127.0.0.91_25/* | grep -ci 'slimrelay-route\|folded forgery')" 0
RELAY_INPUT="$T/m3" relay -o "dns_servers=127.0.0.1:$DNS_PORT" -q Qnokey -f a@client.test -- b@milterforced.test
check "no key: delivered by MX" log_has "Qnokey: to=<b@milterforced.test>, relay=b.mhosts.test[127.0.0.91]:25"
check "no key: logged" log_has "routing header(s) removed and ignored: no routing_key_file"

postfix_stop
finish
