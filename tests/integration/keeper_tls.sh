#!/bin/bash
# keeper_tls.sh - pipe mode's one-message runs keep a TLS + AUTH session
# open through the keeper and a TLS pump, against a real smart host.
#
# The smart host is a Postfix smtpd with STARTTLS and Cyrus SASL (AUTH
# after TLS only, relaying for authenticated clients only), set up as
# mtalib.sh's postfix_rx_tls; slimrelay relays to it as
# postfix-example/slimrelay-smarthost.conf says (TLS verified with the
# test CA, AUTH from auth_secrets_file). Every run is a separate
# process, as an MTA starts it: user slimrelay, SIGTERM, SIGINT and
# SIGHUP ignored (as Exim hands them over; SIGQUIT and SIGUSR2 too),
# its standard output a pipe that must reach end of file as soon as the
# run exits. The smtpd's log counts what slimrelay did: "connect from"
# lines (connections), "TLS connection established from" (handshakes),
# and auth=, mail=, quit= of its "disconnect from" lines (AUTH
# exchanges, transactions, QUIT).
# 1. N sequential runs with the keeper: all delivered over one
#    connection, one TLS handshake, one AUTH; while the session is
#    parked, one pump holds it: detached, standard input, output and
#    error on /dev/null, no descriptor but its two sockets, only
#    SIGPIPE ignored; the keeper ignores none of what the run had
#    ignored but SIGHUP; neither pump nor keeper holds a pipe. When the
#    keeper drops the session at its idle TTL, it says QUIT (quit=1)
#    and the pump exits; the keeper then exits when idle.
# 2. connection_keeper = no: N runs, N connections, handshakes, AUTH.
# 3. The pump of a parked session is killed (SIGKILL): the next run
#    connects anew and delivers.
# 4. A run that took a parked TLS session is killed (SIGKILL) in the
#    middle of DATA: the smtpd loses the connection after DATA, the
#    partial message is discarded, the pump exits, and the next run
#    delivers over a new connection.
# 5. A run that took a parked TLS session hangs (SIGSTOP) in DATA: the
#    pump ends at its absolute lifetime (connection_reuse_time_limit
#    plus deadline from the connection), and the smtpd discards the
#    partial message.
# 6. At the end no process of the test's slimrelay is left.
# Ports: 2820 the smart host's smtpd, 2821 smtp-sink behind it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
need postfix postconf smtp-sink openssl saslpasswd2 script setpriv pgrep \
    timeout mkfifo
mta_init keeper_tls
# After a failure, stop what is left of the keeper and the pumps too.
trap 'st=$?; stop_ours; (exit $st); mta_cleanup' EXIT
[ -n "$(ls /usr/lib/*/sasl2/libsasldb.so* /usr/lib/sasl2/libsasldb.so* \
    2>/dev/null)" ] ||
    skip "Cyrus SASL sasldb plugin missing (libsasl2-modules-db)"

SMARTHOST=2820
SINK=2821
N=10
PASS='keeper s3cret'
C=$T/certs
RX=$T/rx
RXLOG=$RX/maillog
H="127.0.0.1[127.0.0.1]:$SMARTHOST"

mta_tls_certs "$C"
mta_users
mta_transport
mta_sink $SINK
postfix_rx_tls "$RX" $SMARTHOST $SINK "$C" "$PASS"
mta_smarthost_tls $SMARTHOST "$C" alice@tls.test "$PASS"
# Parked sessions outlive the gaps between runs; the keeper exits soon
# after it holds nothing.
cat >>"$MTA_CONF" <<EOF
# ---- tests/integration/keeper_tls.sh ----
connection_idle_timeout = 30s
keeper_idle = 2s
EOF
KEEPER_LOCK=$T/var/keeper/k1.lock
printf 'Subject: keeper tls\n\nOne message per process.\n' >"$T/msg"
chmod 644 "$T/msg"

# ---- helpers --------------------------------------------------------------

# run_as_mta - run ARGS as pipe(8) and Exim run the transport: user
#	slimrelay, signals ignored: SIGTERM, SIGINT and SIGHUP (as Exim
#	hands them over), and SIGQUIT and SIGUSR2, which slimrelay's
#	main() leaves alone, so that only the keeper's and the pump's own
#	set-up can undo them
run_as_mta()
{
	trap '' TERM INT HUP QUIT USR2
	exec setpriv --reuid=slimrelay --regid=slimrelay --init-groups "$@"
}

# send NAME [OPTION...] - one run delivering $T/msg to bob@tls.test;
#	sets RC, OUT (its output) and EOF (0 when its standard output, a
#	pipe, reached end of file within 10 seconds: nothing else holds
#	it, no pump, no keeper)
send()
{
	local name=$1 res
	shift
	res=$({ (run_as_mta "$MTA_BIN" -c "$MTA_CONF" -q "$name" "$@" \
	    -f a@sender.test -- bob@tls.test <"$T/msg" 2>&1)
	    echo "exit=$?"; } | { timeout 10 cat; echo "eof=$?"; })
	OUT=$(printf '%s\n' "$res" | grep -v '^exit=\|^eof=')
	RC=$(printf '%s\n' "$res" | sed -n 's/^exit=//p')
	EOF=$(printf '%s\n' "$res" | sed -n 's/^eof=//p')
}

# counts - set CONNS TLS AUTH MAIL QUIT from the smart host's log
counts()
{
	read -r CONNS TLS AUTH MAIL QUIT < <(postfix_rx_counts "$RXLOG")
}

# ours - the PIDs of the processes of this test's slimrelay: its runs
#	and keeper (by the program's path), and the TLS pumps, which take
#	the title "slimrelay: tls pump HOST[ADDR]:PORT" (PORT is this
#	test's smart host)
ours()
{
	{
		pgrep -f "^$T/bin/slimrelay "
		pgrep -f "^slimrelay: tls pump [^ ]*\\]:$SMARTHOST\$"
	} | sort -n
}

# pumps - the PIDs of the TLS pumps: by their title, which also says
#	that a pump does not show the command line of the run that made it
pumps()
{
	pgrep -f "^slimrelay: tls pump [^ ]*\\]:$SMARTHOST\$" | sort -n
}

# keeper_pid - the keeper's PID, from its lock file
keeper_pid()
{
	tr -dc '0-9' <"$KEEPER_LOCK" 2>/dev/null
}

# stop_ours - SIGKILL every process of this test's slimrelay
stop_ours()
{
	local p
	for p in $(ours); do
		kill -KILL "$p" 2>/dev/null
	done
}

# is_count - (for check) VALUE is WANT
is_count() { eq "$1" "$2"; }

# no_pumps - (for check, polled) no pump is left
no_pumps() { [ -z "$(pumps)" ]; }

# no_process - (for check, polled) no process of ours is left
no_process() { [ -z "$(ours)" ]; }

# sessions_closed - (for check, polled) every smtpd session ended
sessions_closed()
{
	counts
	[ "$(grep -c 'postfix/smtpd\[[0-9]*\]: disconnect from' "$RXLOG")" = \
	    "$CONNS" ]
}

# arrived COUNT - (for check) the sink has COUNT messages (polls for
#	the smart host's queue)
arrived()
{
	mta_wait 20 test "$(sink_count $SINK)" -ge "$1"
	eq "$(sink_count $SINK)" "$1"
}

# fds_are PID LIST - (for check) the targets of PID's descriptors, one a
#	line, "socket" for every socket, are LIST
fds_are()
{
	local got
	got=$(for f in /proc/"$1"/fd/*; do
		readlink "$f"
	done | sed 's/^socket:\[[0-9]*\]$/socket/' | tr '\n' ' ')
	eq "$got" "$2"
}

# no_pipe PID - (for check) PID has no pipe open
no_pipe()
{
	local f t
	for f in /proc/"$1"/fd/*; do
		t=$(readlink "$f") || continue
		case $t in
		pipe:*)
			echo "#   $1 holds a pipe: ${f##*/} -> $t"
			return 1
		esac
	done
}

# sig_mask PID FIELD - PID's SigIgn, SigBlk... from /proc
sig_mask()
{
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# start_stuck NAME [OPTION...] - start a run (in the background, PID in
#	KPID) whose message comes through a FIFO: more than the read-ahead
#	(64 KiB), then nothing and no end of file, so that it stays in
#	DATA; end_stuck closes the FIFO once the run is gone
start_stuck()
{
	local name=$1
	shift
	CLIENT_LINES=$(grep -c "$CLIENT_RE" "$RXLOG")
	rm -f "$T/fifo"
	mkfifo -m 600 "$T/fifo"
	exec 7<>"$T/fifo"
	(run_as_mta "$MTA_BIN" -c "$MTA_CONF" -v -q "$name" "$@" \
	    -f a@sender.test -- bob@tls.test) <"$T/fifo" >"$T/$name.out" \
	    2>&1 7>&- &
	KPID=$!
	# (not reported by the shell when it is killed)
	disown $KPID
	{
		printf 'Subject: never complete\n\n'
		yes 'a line of a message that never ends, sent in pieces' |
		    head -c 200000
	} >"$T/fifo" 7>&- &
	WPID=$!
	track $KPID
	track $WPID
}

# end_stuck - after start_stuck's run has gone: close the FIFO
end_stuck()
{
	mta_wait 5 mta_gone $KPID
	exec 7>&-
	wait $WPID 2>/dev/null
}

# The smart host's line for each transaction, with its queue id
CLIENT_RE='postfix/smtpd\[[0-9]*\]: [0-9A-F]*: client='

# new_client - (for check, polled) a transaction began since start_stuck
new_client()
{
	[ "$(grep -c "$CLIENT_RE" "$RXLOG")" -gt "$CLIENT_LINES" ]
}

# last_client - the queue id of the newest transaction at the smart host
last_client()
{
	grep "$CLIENT_RE" "$RXLOG" | tail -n 1 |
	    sed 's/^.*: \([0-9A-F]*\): client=.*$/\1/'
}

# in_data QUEUEID - (for check, polled) the smart host's queue file of
#	the transaction has grown past 64 KiB: the run is in DATA
in_data()
{
	[ "$(stat -c %s "$RX/spool/incoming/$1" 2>/dev/null || echo 0)" \
	    -gt 65536 ]
}

# ---- 1. N runs, one session -----------------------------------------------

all_ok=yes
all_eof=yes
for i in $(seq 1 $N); do
	ttl=()
	# The last run parks the session for 2 s only: the keeper then
	# drops it.
	[ "$i" != $N ] || ttl=(-o connection_idle_timeout=2s)
	send "K$i" "${ttl[@]}"
	if [ "$RC" != 0 ] || ! starts "$OUT" "250 2.0.0 Ok: queued as "; then
		all_ok="run $i: exit $RC: $OUT"
	fi
	[ "$EOF" = 0 ] || all_eof="run $i: $EOF"
	if [ "$i" = $((N - 1)) ]; then
		# Parked, with the TTL of 30 s: look at the pump.
		counts
		check "keeper: one connection for $i runs so far" \
		    is_count "$CONNS" 1
		P=$(pumps)
		check "keeper: one pump holds the parked session" \
		    is_count "$(echo "$P" | wc -w)" 1
		P=${P%%[!0-9]*}
		K=$(keeper_pid)
		check "keeper: the keeper runs (PID in k1.lock)" \
		    test -n "$K" -a -d "/proc/${K:-x}"
		check "pump: stdio on /dev/null, its two sockets, nothing else" \
		    fds_are "${P:-x}" \
		    "/dev/null /dev/null /dev/null socket socket "
		# Signals 32 and 33 are glibc's own: no program can set
		# them through it (GNU make hands them ignored to its jobs).
		m=$(sig_mask "${P:-x}" SigIgn)
		check "pump: only SIGPIPE ignored (the run had 5 more)" \
		    is_count "$(printf '%x' $(( 0x${m:-ffff} & ~0x180000000 )))" 1000
		check "pump: no signal blocked" \
		    is_count "$(sig_mask "${P:-x}" SigBlk)" 0000000000000000
		check "pump: a session of its own, not the run's" \
		    test "$(ps -o sid= -p "${P:-x}")" != "$(ps -o sid= -p $$)"
		check "keeper: stdio on /dev/null" eq \
		    "$(readlink /proc/"${K:-x}"/fd/0 /proc/"${K:-x}"/fd/1 \
		    /proc/"${K:-x}"/fd/2 | tr '\n' ' ')" \
		    "/dev/null /dev/null /dev/null "
		check "keeper: holds no pipe" no_pipe "${K:-x}"
		m=$(sig_mask "${K:-x}" SigIgn)
		check "keeper: none of SIGINT, SIGQUIT, SIGUSR2, SIGTERM ignored" \
		    is_count "$(printf '%x' $(( 0x${m:-ffff} & 0x4806 )))" 0
	fi
done
check "keeper: all $N runs exit 0 with the smart host's 250" eq "$all_ok" yes
check "keeper: every run's stdout reaches EOF at its exit" eq "$all_eof" yes
check "keeper: all $N arrive" arrived $N
check "keeper: runs 2..$N reused the session (conn_use=$N)" \
    has_line "$RLOG" "K$N: to=<bob@tls.test>, relay=$H, conn_use=$N, " \
    "status=sent"
check "keeper: the keeper drops the session at its TTL" \
    mta_wait 15 sessions_closed
counts
echo "# keeper: $N runs: $CONNS connections, $TLS TLS handshakes," \
    "$AUTH AUTH, $MAIL MAIL FROM, $QUIT QUIT at the smart host"
check "keeper: one connection for $N runs" is_count "$CONNS" 1
check "keeper: one TLS handshake for $N runs" is_count "$TLS" 1
check "keeper: one AUTH for $N runs" is_count "$AUTH" 1
check "keeper: slimrelay verified one TLS handshake" is_count "$(grep -cF \
    -e "Verified TLS connection established to $H:" \
    -e "Verified TLS connection reused to $H:" "$RLOG")" 1
check "keeper: $N transactions over it" is_count "$MAIL" $N
check "keeper: the dropped session ends with QUIT" is_count "$QUIT" 1
check "keeper: the pump exits with the session" mta_wait 5 no_pumps
check "keeper: the keeper exits when idle" \
    wait_line 10 "$RLOG" "keeper: exiting after idle: sessions kept=$N," \
    "reused=$((N - 1)), refused=0, closed by server=0, expired=1, left=0"
check "keeper: no process is left" mta_wait 5 no_process

# ---- 2. no keeper: N connections ------------------------------------------

read -r c0 t0 a0 _ q0 < <(postfix_rx_counts "$RXLOG")
all_ok=yes
all_eof=yes
for i in $(seq 1 $N); do
	send "D$i" -o connection_keeper=no
	if [ "$RC" != 0 ] || ! starts "$OUT" "250 2.0.0 Ok: queued as "; then
		all_ok="run $i: exit $RC: $OUT"
	fi
	[ "$EOF" = 0 ] || all_eof="run $i: $EOF"
done
check "no keeper: all $N runs exit 0" eq "$all_ok" yes
check "no keeper: every run's stdout reaches EOF at its exit" \
    eq "$all_eof" yes
check "no keeper: all $N arrive" arrived $((2 * N))
check "no keeper: every session ended" mta_wait 10 sessions_closed
counts
echo "# no keeper: $N runs: $((CONNS - c0)) connections," \
    "$((TLS - t0)) TLS handshakes, $((AUTH - a0)) AUTH at the smart host"
check "no keeper: $N connections" is_count $((CONNS - c0)) $N
check "no keeper: $N TLS handshakes" is_count $((TLS - t0)) $N
check "no keeper: $N AUTH exchanges" is_count $((AUTH - a0)) $N
check "no keeper: $N QUIT" is_count $((QUIT - q0)) $N
check "no keeper: no keeper, no pump" no_process

# ---- 3. the pump of a parked session is killed ----------------------------

read -r c0 _ < <(postfix_rx_counts "$RXLOG")
send P1
check "pump killed: the first run delivers" eq "$RC" 0
P=$(pumps)
check "pump killed: one pump holds the parked session" \
    is_count "$(echo "$P" | wc -w)" 1
[ -z "$P" ] || kill -KILL $P
send P2
check "pump killed: the next run exits 0" eq "$RC" 0
check "pump killed: the next run delivers" \
    starts "$OUT" "250 2.0.0 Ok: queued as "
check "pump killed: it connected anew (no conn_use=)" \
    has_line "$RLOG" "P2: to=<bob@tls.test>, relay=$H, delay=" \
    "status=sent"
check "pump killed: two connections for the two runs" \
    is_count $(($(postfix_rx_counts "$RXLOG" | cut -d' ' -f1) - c0)) 2
check "pump killed: both arrive" arrived $((2 * N + 2))

# ---- 4. a run on a parked TLS session is killed in DATA -------------------
# It takes the session P2 parked, and its message never ends
# (start_stuck).

read -r c0 _ < <(postfix_rx_counts "$RXLOG")
start_stuck KILLED
check "killed in DATA: the transaction started" mta_wait 10 new_client
QK=$(last_client)
check "killed in DATA: the body reaches the smart host" \
    mta_wait 10 in_data "$QK"
check "killed in DATA: the run reused the parked session" \
    has_line "$RLOG" "slimrelay[$KPID]: session_cache: $H:" \
    "reusing a session from the keeper"
kill -KILL $KPID
end_stuck
check "killed in DATA: the smart host loses the connection after DATA" \
    wait_line 10 "$RXLOG" "lost connection after DATA" \
    "from localhost[127.0.0.1]"
check "killed in DATA: the smart host discards the partial message" \
    mta_wait 10 test ! -e "$RX/spool/incoming/$QK"
check "killed in DATA: it never reaches the queue manager" \
    sh -c "! grep -qF ' $QK: from=<' '$RXLOG'"
check "killed in DATA: no connection was opened for it" \
    is_count $(($(postfix_rx_counts "$RXLOG" | cut -d' ' -f1) - c0)) 0
check "killed in DATA: its pump exits" mta_wait 5 no_pumps
send AFTER -o connection_idle_timeout=1s
check "killed in DATA: the next run exits 0" eq "$RC" 0
check "killed in DATA: the next run delivers over a new connection" \
    has_line "$RLOG" "AFTER: to=<bob@tls.test>, relay=$H, delay=" \
    "status=sent"
check "killed in DATA: nothing but the next run's message arrives" \
    arrived $((2 * N + 3))

check "killed in DATA: every session ended" mta_wait 10 sessions_closed
check "killed in DATA: no keeper, no pump left" mta_wait 10 no_process

# ---- 5. a run that took a parked TLS session hangs ------------------------
# H1 parks its session with connection_reuse_time_limit = 3s and
# deadline = 3s: the pump then lives at most 6 s from the connection
# (the reuse time limit plus the longest transaction), whatever the run
# that holds the session does. H2 takes the session, and is stopped
# (SIGSTOP) in the middle of DATA.

LIFE=(-o connection_reuse_time_limit=3s -o deadline=3s)
lost=$(grep -c "lost connection after DATA" "$RXLOG")
t0=$EPOCHREALTIME
send H1 "${LIFE[@]}"
check "hung run: the first run delivers" eq "$RC" 0
start_stuck H2 "${LIFE[@]}"
check "hung run: the transaction started" mta_wait 10 new_client
QH=$(last_client)
check "hung run: the body reaches the smart host" mta_wait 10 in_data "$QH"
check "hung run: the run took the parked session" \
    has_line "$RLOG" "slimrelay[$KPID]: session_cache: $H:" \
    "reusing a session from the keeper"
kill -STOP $KPID
check "hung run: the pump ends at its lifetime" mta_wait 10 no_pumps
t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "# hung run: the pump ended ${t}s after the session began"
check "hung run: ... not before (6 s from the connection)" \
    awk -v t="$t" 'BEGIN { exit !(t >= 5.5) }'
check "hung run: the smart host loses the connection after DATA" \
    mta_wait 5 test "$(grep -c "lost connection after DATA" "$RXLOG")" \
    -gt "$lost"
check "hung run: ... while the run is still there, stopped" \
    kill -0 $KPID
check "hung run: the smart host discards the partial message" \
    mta_wait 10 test ! -e "$RX/spool/incoming/$QH"
kill -KILL $KPID
end_stuck
check "hung run: one message arrives, the first run's" \
    arrived $((2 * N + 4))

# ---- 6. nothing left behind -----------------------------------------------

check "the end: every session ended" mta_wait 10 sessions_closed
check "the end: no keeper, no pump left" mta_wait 10 no_process
finish
