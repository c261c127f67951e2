#!/bin/bash
# keeper_mta.sh - the keeper of idle connections under real MTAs: a
# private Postfix with the pipe(8) transport and a private Exim with its
# pipe transport, configured from postfix-example/ and exim-example/ as
# postfix.sh and exim.sh do, relay N messages one after the other
# through slimrelay to smtp-sink. Each message is a run of its own;
# the first run starts the keeper, every later one takes the idle
# session from it, so the sink sees one connection, not N (smtp-sink -c
# counts the sessions that ended), and the keeper says QUIT when the
# session has idled its TTL. Neither the keeper nor anything else holds
# the MTA's pipes after a run exits: every delivery is quick (Postfix's
# "delays=" transmission time, Exim's DT= and the time exim -odi took),
# none waits for pipe(8)'s time limit (set short here: it would bounce),
# nothing is deferred or bounced, both queues end empty. The keeper has
# stdio on /dev/null, no pipe, and although Exim runs its transports
# with SIGTERM, SIGINT, SIGUSR1 and SIGHUP ignored, the keeper a run
# under Exim started does not ignore them, and takes SIGTERM: it says
# QUIT to the session it holds and exits.
# Then a burst: N_BURST messages queued, then released together, which
# Postfix delivers several at a time, each run a process of its own: all
# arrive over far fewer sessions than messages (a run that finds no idle
# session connects, so there are about as many as Postfix ran at once),
# each ended by QUIT, and again no delivery waits.
# Ports: 2810 the private Postfix's smtpd, 2811 the sink of Postfix's
# deliveries one by one, 2813 of the burst, 2812 the sink of Exim's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mtalib.sh"
need postfix postconf postqueue smtp-sink smtp-source swaks script pgrep \
    timeout ldd
mta_init keeper_mta
exim_find
# After a failure, stop what is left of the keeper too.
trap 'st=$?; stop_ours; (exit $st); mta_cleanup' EXIT

SMTPD=2810
PF_SINK=2811
EX_SINK=2812
BURST_SINK=2813
N=10
N_BURST=30

mta_users
mta_transport
# The session idles between two deliveries for far less than 5 s; the
# keeper exits 2 s after it holds nothing. pipe(8)'s time limit is 20 s
# (postfix_start below) and slimrelay's own deadline stays below it, as
# postfix-example/main.cf asks.
cat >>"$MTA_CONF" <<EOF
# ---- tests/integration/keeper_mta.sh ----
connection_idle_timeout = 5s
keeper_idle = 2s
deadline = 15s
EOF
KEEPER_LOCK=$T/var/keeper/k1.lock
mta_sink $PF_SINK -c
mta_sink $EX_SINK -c
mta_sink $BURST_SINK -c

# ---- helpers --------------------------------------------------------------

# ours - the PIDs of the processes of this test's slimrelay
ours()
{
	pgrep -f "^$T/bin/slimrelay " | sort -n
}

# stop_ours - SIGKILL every process of this test's slimrelay
stop_ours()
{
	local p
	for p in $(ours); do
		kill -KILL "$p" 2>/dev/null
	done
}

# no_process - (for check, polled) no process of ours is left
no_process() { [ -z "$(ours)" ]; }

# keeper_pid - the keeper's PID, from its lock file
keeper_pid()
{
	tr -dc '0-9' <"$KEEPER_LOCK" 2>/dev/null
}

# sink_sessions PORT - "SESSIONS QUIT MESSAGES" as smtp-sink -c counts
#	them: sessions that ended, QUIT commands, messages
sink_sessions()
{
	tr '\r' '\n' <"$T/sink-$1.out" |
	    sed -n 's/^sess=\([0-9]*\) quit=\([0-9]*\) mesg=\([0-9]*\)$/\1 \2 \3/p' |
	    tail -n 1
}

# sink_probed PORT - wait until smtp-sink -c on PORT has counted the
#	session of lib.sh's wait_port, which connected to see it listen
sink_probed()
{
	mta_wait 5 sessions_ended "$1" "1 0 0" ||
	    fatal "smtp-sink -c on $1 counts the wait_port probe:" \
		"$(sink_sessions "$1")"
}

# sessions_ended PORT WANT - (for check, polled) smtp-sink -c saw WANT
#	("SESSIONS QUIT MESSAGES")
sessions_ended()
{
	[ "$(sink_sessions "$1")" = "$2" ]
}

# new_connections PORT - slimrelay's delivery records to PORT that did
#	not reuse a session (no conn_use=)
new_connections()
{
	grep -F "relay=127.0.0.1[127.0.0.1]:$1, " "$RLOG" |
	    grep -c -v 'conn_use='
}

# slow_pipe - Postfix's delivery records through slimrelay whose
#	"delays=a/b/c/d" has d, the time pipe(8) spent on the run (until
#	it exited and its output pipe reached end of file), of 2 s or more
slow_pipe()
{
	awk '
	/ relay=slimrelay, / {
		for (i = 1; i <= NF; i++)
			if ($i ~ /^delays=/) {
				split(substr($i, 8), d, "/")
				if (d[4] + 0 >= 2)
					print
			}
	}' "$PF_LOG"
}

# keeper_fds_clean - (for check) the keeper's stdio is /dev/null and it
#	holds no pipe
keeper_fds_clean()
{
	local k f t
	k=$(keeper_pid)
	if [ -z "$k" ] || [ ! -d "/proc/$k" ]; then
		echo "#   no keeper"
		return 1
	fi
	eq "$(readlink /proc/"$k"/fd/0 /proc/"$k"/fd/1 /proc/"$k"/fd/2 |
	    tr '\n' ' ')" "/dev/null /dev/null /dev/null " || return 1
	for f in /proc/"$k"/fd/*; do
		t=$(readlink "$f") || continue
		case $t in
		pipe:*)
			echo "#   the keeper holds a pipe: ${f##*/} -> $t"
			return 1
		esac
	done
}

sink_probed $PF_SINK
sink_probed $EX_SINK
sink_probed $BURST_SINK

# ---- 1. Postfix pipe(8) ---------------------------------------------------

postfix_setup $SMTPD
postfix_route accept.test $PF_SINK
postconf -c "$PF_DIR/etc" -e "slimrelay_time_limit = 20s"
postfix_start

printf 'Subject: keeper under Postfix\n\nOne run per message.\n' >"$T/m"
all_sent=yes
for i in $(seq 1 $N); do
	postfix_send a@sender.test "bob$i@accept.test" "$T/m"
	if ! wait_line 30 "$PF_LOG" "$QID: to=<bob$i@accept.test>, " \
	    "relay=slimrelay, " \
	    "status=sent (delivered via slimrelay service"; then
		all_sent="message $i ($QID) not sent"
	fi
	if [ "$i" = 1 ]; then
		check "Postfix: the first run started the keeper" \
		    wait_line 5 "$RLOG" "keeper: started, socket "
		check "Postfix: the keeper holds no pipe of pipe(8)" \
		    keeper_fds_clean
	fi
done
check "Postfix: all $N sent through slimrelay" eq "$all_sent" yes
check "Postfix: all $N arrive at the sink" eq "$(sink_count $PF_SINK)" $N
check "Postfix: runs 2..$N reused the session (conn_use=$N)" \
    has_line "$RLOG" "to=<bob$N@accept.test>, " \
    "relay=127.0.0.1[127.0.0.1]:$PF_SINK, conn_use=$N, " "status=sent"
check "Postfix: the keeper holds no pipe after $N runs" keeper_fds_clean
check "Postfix: every delivery took pipe(8) less than 2 s" eq "$(slow_pipe)" ""
check "Postfix: no pipe(8) time limit reached" \
    sh -c "! grep -qi 'time limit' '$PF_LOG'"
check "Postfix: nothing deferred or bounced" \
    sh -c "! grep -qE 'status=(deferred|bounced)' '$PF_LOG'"
postfix_queue >"$T/queue"
check "Postfix: the queue is empty" has_line "$T/queue" "Mail queue is empty"
# The keeper says QUIT after connection_idle_timeout; smtp-sink -c
# counts a session when it ends (the first one was wait_port's).
check "Postfix: the sink saw one session for $N messages, ended by QUIT" \
    mta_wait 15 sessions_ended $PF_SINK "2 1 $N"
echo "# Postfix: $N messages, smtp-sink -c counted" \
    "sess/quit/mesg = $(sink_sessions $PF_SINK) (one session: wait_port's)"
check "Postfix: slimrelay opened one connection" \
    eq "$(new_connections $PF_SINK)" 1
check "Postfix: the keeper exits when idle" \
    wait_line 10 "$RLOG" "keeper: exiting after idle: sessions kept=$N," \
    "reused=$((N - 1)), refused=0, closed by server=0, expired=1, left=0"
check "Postfix: no keeper is left" mta_wait 5 no_process

# ---- 2. Postfix, a burst --------------------------------------------------
# Queued while the transport is deferred, then released at once.

printf 'accept.test\tslimrelay:[127.0.0.1]:%s\n' $BURST_SINK \
    >"$PF_DIR/etc/transport"
postconf -c "$PF_DIR/etc" -e "defer_transports = slimrelay"
postfix -c "$PF_DIR/etc" reload >/dev/null 2>&1
smtp-source -d -m $N_BURST -l 1024 -S "keeper burst" -f a@sender.test \
    -t bob@accept.test "127.0.0.1:$SMTPD" >"$T/source.out" 2>&1 ||
    fatal "smtp-source submits $N_BURST messages: $(tail -n 2 "$T/source.out")"
burst_sent() {
	grep 'to=<bob@accept.test>, relay=slimrelay, ' "$PF_LOG" |
	    grep -c 'status=sent (delivered via slimrelay service'
}
burst_queued() {
	[ "$(grep 'to=<bob@accept.test>, ' "$PF_LOG" |
	    grep -c 'status=deferred (deferred transport)')" -ge $N_BURST ]
}
check "burst: $N_BURST messages wait in the queue" mta_wait 30 burst_queued
postconf -c "$PF_DIR/etc" -e "defer_transports ="
postfix -c "$PF_DIR/etc" reload >/dev/null 2>&1
sleep 1
postqueue -c "$PF_DIR/etc" -f
check "burst: all $N_BURST sent through slimrelay" \
    mta_wait 60 eval '[ "$(burst_sent)" -ge $N_BURST ]'
check "burst: all $N_BURST arrive at the sink" \
    eq "$(sink_count $BURST_SINK)" $N_BURST
check "burst: every delivery took pipe(8) less than 2 s" eq "$(slow_pipe)" ""
check "burst: no pipe(8) time limit reached" \
    sh -c "! grep -qi 'time limit' '$PF_LOG'"
check "burst: nothing bounced" sh -c "! grep -qE 'status=bounced' '$PF_LOG'"
postfix_queue >"$T/queue"
check "burst: the queue is empty" has_line "$T/queue" "Mail queue is empty"
C=$(new_connections $BURST_SINK)
echo "# burst: $N_BURST messages, $C connections"
check "burst: far fewer connections than messages ($C for $N_BURST)" \
    test "$C" -ge 1 -a "$C" -le $((N_BURST / 3))
check "burst: every session ended by the keeper's QUIT" \
    mta_wait 15 sessions_ended $BURST_SINK "$((C + 1)) $C $N_BURST"
# (How many the keeper kept depends on the race of the first runs to
# start it: a run that loses it says QUIT itself.)
check "burst: the keeper handed out a session for every other message" \
    wait_line 10 "$RLOG" "keeper: exiting after idle: sessions kept=" \
    "reused=$((N_BURST - C)), refused=0, closed by server=0, " "left=0"
check "burst: no keeper is left" mta_wait 5 no_process
postfix_stop

# ---- 3. Exim's pipe transport ---------------------------------------------

exim_setup
exim_smarthost $EX_SINK

printf 'Subject: keeper under Exim\n\nOne run per message.\n' >"$T/e"
all_fast=yes
for i in $(seq 1 $N); do
	t0=$EPOCHREALTIME
	timeout 60 "$EXIM" -C "$EX_CONF" -odi -oi -f a@sender.test -- \
	    "bob$i@accept.test" <"$T/e" || all_fast="exim for message $i failed"
	t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" \
	    'BEGIN { printf "%.2f", b - a }')
	awk -v t="$t" 'BEGIN { exit !(t < 5) }' ||
	    all_fast="exim -odi took ${t}s for message $i"
done
check "Exim: each exim -odi returned within 5 s" eq "$all_fast" yes
check "Exim: $N deliveries through slimrelay" eq "$(grep -c \
    ' => bob[0-9]* <bob[0-9]*@accept.test> R=slimrelay T=slimrelay ' \
    "$EX_LOG")" $N
check "Exim: $N messages completed" eq "$(grep -c ' Completed' "$EX_LOG")" $N
slow=$(grep ' => bob[0-9]* <bob[0-9]*@accept.test> R=slimrelay ' "$EX_LOG" |
    awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^DT=/) {
	v = substr($i, 4); sub(/s$/, "", v)
	if (v !~ /^[0-9.]+$/ || v + 0 >= 2) print } }')
check "Exim: every delivery took the transport less than 2 s (DT=)" \
    eq "$slow" ""
check "Exim: nothing deferred or failed" \
    sh -c "! grep -qE ' (==|\\*\\*) ' '$EX_LOG'"
check "Exim: the queue is empty" eq "$(exim_run -bpc)" 0
check "Exim: all $N arrive at the sink" eq "$(sink_count $EX_SINK)" $N
check "Exim: runs 2..$N reused the session (conn_use=$N)" \
    has_line "$RLOG" "to=<bob$N@accept.test>, " \
    "relay=127.0.0.1[127.0.0.1]:$EX_SINK, conn_use=$N, " "status=sent"
check "Exim: slimrelay opened one connection" \
    eq "$(new_connections $EX_SINK)" 1
check "Exim: the keeper holds no pipe of Exim's" keeper_fds_clean
# Exim 4.96 runs its pipe transport with SIGHUP, SIGINT, SIGUSR1 and
# SIGTERM ignored (SigIgn 0x4203); the keeper sets every disposition
# itself, and ignores only SIGHUP (and SIGPIPE).
K=$(keeper_pid)
m=$(awk '$1 == "SigIgn:" { print $2 }' "/proc/${K:-x}/status" 2>/dev/null)
check "Exim: the keeper ignores none of SIGINT, SIGUSR1, SIGTERM" \
    eq "$(printf '%x' $(( 0x${m:-ffff} & 0x4202 )))" 0
[ -z "$K" ] || kill -TERM "$K"
check "Exim: on SIGTERM the keeper exits" \
    wait_line 10 "$RLOG" "keeper: exiting on a signal: sessions kept=$N," \
    "reused=$((N - 1)), " "left=1"
check "Exim: ... saying QUIT to the session it held (one session in all)" \
    mta_wait 10 sessions_ended $EX_SINK "2 1 $N"
echo "# Exim: $N messages, smtp-sink -c counted" \
    "sess/quit/mesg = $(sink_sessions $EX_SINK) (one session: wait_port's)"
check "Exim: no keeper is left" mta_wait 5 no_process
finish
