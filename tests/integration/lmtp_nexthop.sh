#!/bin/bash
# lmtp_nexthop.sh - LMTP as a next hop (python-slimta's LMTP relay): a
# route "lmtp:[host]:port" or "lmtp:unix:/path" says LHLO and reads one
# reply per accepted recipient after the data (RFC 2033), so that mixed
# outcomes at the mail store are exact: each recipient's own delivery
# record, and the exit status the worst of them. Real smtp-sink in LMTP
# mode (-L) on TCP and on a unix socket; the scripted peer
# (smtp-peer.c) for three different answers after one dot.
. "$(dirname "$0")/lib.sh"
need smtp-sink
PEER=$top_builddir/tests/integration/smtp-peer
[ -x "$PEER" ] || skip "smtp-peer was not built"
H="127.0.0.1[127.0.0.1]"
printf 'Subject: lmtp\n\nbody\n' >"$T/msg"

# TCP: smtp-sink -L.
start_sink 2730 -L || exit 1
RELAY_INPUT="$T/msg" relay -q L1 -o "route=store.test lmtp:[127.0.0.1]:2730" \
    -f a@example.org -- bob@store.test carol@store.test
check "lmtp over TCP: exit 0" eq "$RC" 0
check "lmtp over TCP: both arrived" eq "$(sink_count 2730)" 1
check "lmtp over TCP: LHLO" has "$(cat $(sink_files 2730))" "X-Client-Proto: LMTP"
check "lmtp over TCP: record bob" log_has "L1: to=<bob@store.test>, relay=$H:2730, "
check "lmtp over TCP: record carol" log_has "L1: to=<carol@store.test>, relay=$H:2730, "

# A unix socket.
mkdir -p "$T/sock" "$T/sink-unix"
chmod 777 "$T/sock" "$T/sink-unix"
smtp-sink -u nobody -L -d "$T/sink-unix/%M." "unix:$T/sock/lmtp" 16 \
    >"$T/sink-unix.out" 2>&1 &
track $!
for i in $(seq 1 100); do [ -S "$T/sock/lmtp" ] && break; sleep 0.05; done
RELAY_INPUT="$T/msg" relay -q L2 -o "route=store.test lmtp:unix:$T/sock/lmtp" \
    -f a@example.org -- bob@store.test
check "lmtp over a unix socket: exit 0" eq "$RC" 0
check "lmtp over a unix socket: arrived" eq "$(find "$T/sink-unix" -type f | wc -l)" 1
check "lmtp over a unix socket: record" log_has "L2: to=<bob@store.test>, relay=localhost[$T/sock/lmtp], "

# One message, three recipients, three answers after the dot.
mkfifo "$T/ready"
"$PEER" 127.0.0.1 2731 "$T/got" "S:220 store.test LMTP|" L \
    "S:250-store.test|250 PIPELINING|" L L L L L \
    "S:250 2.1.0 Ok|250 2.1.5 Ok|250 2.1.5 Ok|250 2.1.5 Ok|354 go|" D \
    "S:250 2.0.0 <bob> saved|452 4.2.2 <carol> mailbox full|550 5.1.1 <dave> no such user|" \
    L >"$T/ready" &
track $!
read -r _ <"$T/ready"
RELAY_INPUT="$T/msg" relay -q L3 -o "route=store.test lmtp:[127.0.0.1]:2731" \
    -f a@example.org -- bob@store.test carol@store.test dave@store.test
wait $!
check "per recipient: the worst decides (75)" eq "$RC" 75
check "per recipient: the status line is carol's" eq "$OUT" \
    "4.2.2 host $H said: 452 4.2.2 <carol> mailbox full (in reply to end of DATA command)"
check "per recipient: bob sent" log_has "L3: to=<bob@store.test>, relay=$H:2731, "
check "per recipient: bob's own reply" log_has "dsn=2.0.0, status=sent (250 2.0.0 <bob> saved)"
check "per recipient: carol deferred" log_has "dsn=4.2.2, status=deferred (host $H said: 452 4.2.2 <carol> mailbox full (in reply to end of DATA command))"
check "per recipient: dave bounced" log_has "dsn=5.1.1, status=bounced (host $H said: 550 5.1.1 <dave> no such user (in reply to end of DATA command))"
check "per recipient: LHLO sent" has "$(head -c 200 "$T/got")" "LHLO "
check "per recipient: QUIT after the replies" has "$(cat "$T/got")" "QUIT"

# A bad LMTP route is a configuration error: deferred, never bounced.
RELAY_INPUT="$T/msg" relay -o "route=store.test lmtp:unix:relative" \
    -f a@example.org -- bob@store.test
check "bad lmtp route: exit 75" eq "$RC" 75
check "bad lmtp route: 4.3.5" starts "$OUT" "4.3.5 "

finish
