#!/bin/bash
# keeper.sh - the keeper of idle sessions (lib/keeper*.c) in pipe mode,
# with smtp-sink and a scripted peer as next hops on 127.0.0.1:
#  1. ten sequential runs to one smart host use one connection; with
#     connection_keeper = no, ten;
#  2. SIGKILL of the keeper between deliveries: the next run delivers
#     and starts a new keeper;
#  3. SIGKILL of the keeper while a run is in a transaction on a session
#     it took from it: the message is delivered as without a keeper;
#  4. a stale socket file (bound, nobody listening): direct delivery,
#     then a new keeper replaces the socket;
#  5. twenty runs started at once: all delivered, exactly one keeper;
#  6. things at the keeper's socket that are no keeper (a stopped
#     keeper, silence, another protocol version, garbage, a session
#     that is /dev/null): direct delivery, at most the keeper's time
#     limit (1 s) lost per call;
#  7. ulimit -n 20 for the runs and the keeper they start;
#  8. SIGKILL of the client at each SMTP stage, on a new session and on
#     one taken from the keeper: not reported delivered, the dot only
#     when the kill came after it, the connection closed at once, and
#     nothing holding the run's standard output;
#  9. the keeper exits after keeper_idle, removing its socket; it is
#     detached (own session, /dev/null for stdio, no stray descriptors)
#     and stops on SIGTERM even when the run had it ignored (Exim);
# 10. a server that ends a session the keeper holds: the keeper drops
#     it, the next run connects anew;
# 11. pool_size = 1: a run waiting for the slot takes the session (and
#     the slot with it) that another run hands to the keeper.
# At the end every keeper left stops on SIGTERM.
# Connections are counted by the sink itself: smtp-sink -v logs one
# "connect (...)" line per TCP connection it accepts (case 1 checks the
# count against runs without the keeper, where it must equal the runs).
# Every keeper of the test is stopped at its end, by its process id
# (lib.sh's cleanup).
. "$(dirname "$0")/lib.sh"
need smtp-sink flock
PEER=$top_builddir/tests/integration/smtp-peer
KPEER=$top_builddir/tests/integration/keeper-peer
[ -x "$PEER" ] && [ -x "$KPEER" ] || skip "the test peers were not built"

P1=2800		# 1: with the keeper
P1N=2801	# 1: without
P2=2802		# 2 and 4
P3=2803		# 3 and 11: DATA answered after 1 s
P5=2804		# 5
P6=2805		# 6
P8=2806		# 8: the scripted peer, one stage after the other; 10
P8R=2807	# 8: a session taken from the keeper
P7=2808		# 7
P9=2809		# 9

BASE=(-o log="$LOG" -o ehlo_name=client.example.org
    -o connection_idle_timeout=30s -o keeper_idle=20s)

# keepers_of GREP-ARGS - the process ids of keepers with an argument
# that grep -z ARGS matches ("--keepe[r]": not grep's own argument)
keepers_of() {
	grep -lszx -e '--keepe[r]' /proc/[0-9]*/cmdline |
	    xargs -r grep -lsz "$@" | cut -d/ -f3
}

# keepers STATE - the keepers of the state directory STATE
keepers() { keepers_of -xF -e "state_directory=$1"; }

# now_ms - milliseconds since the epoch
now_ms() { date +%s%3N; }

# krun STATE PORT QID ARGS... - one pipe-mode run of a message with the
# Subject QID to [127.0.0.1]:PORT; sets RC, OUT and MS (its duration)
krun() {
	local st=$1 port=$2 q=$3 t0
	shift 3
	printf 'Subject: %s\n\nbody of %s\n' "$q" "$q" >"$T/msg-$q"
	t0=$(now_ms)
	# Into a file: a keeper that kept the run's stdout must not hang us.
	"$SLIMRELAY" "${BASE[@]}" -o state_directory="$st" "$@" \
	    -q "$q" -n "[127.0.0.1]:$port" -f a@example.org -- b@example.com \
	    <"$T/msg-$q" >"$T/out-$q" 2>&1
	RC=$?
	MS=$(($(now_ms) - t0))
	OUT=$(cat "$T/out-$q")
}

# connects PORT - TCP connections the sink on PORT has accepted, but the
# one of wait_port (start_sink) that saw it listen
connects() {
	echo $(($(grep -ao 'smtp-sink: connect (' "$T/sink-$1.out" | wc -l) - 1))
}

# sink_counter PORT NAME - smtp-sink -c's last "NAME=" counter
sink_counter() {
	tr '\r' '\n' <"$T/sink-$1.out" | grep -ao "$2=[0-9]*" | tail -n 1 |
	    cut -d= -f2
}

# delivered PORT QID - the message QID reached the sink on PORT, intact
delivered() {
	local f
	f=$(grep -l "^Subject: $2\$" $(sink_files "$1") 2>/dev/null | head -n 1)
	[ -n "$f" ] || { echo "#   no message $2 at the sink on $1"; return 1; }
	[ "$(sink_body "$f")" = "$(cat "$T/msg-$2")" ] ||
	    { echo "#   message $2 differs at the sink"; return 1; }
}

# lock_pid STATE - the process id in the keeper's lock file
lock_pid() { cat "$1/keeper/k1.lock" 2>/dev/null | tr -d '\n'; }

# is_keeper PID STATE - PID is alive and a keeper of STATE
is_keeper() {
	[ -n "$1" ] && keepers "$2" | grep -qx -- "$1" ||
	    { echo "#   '$1' is no live keeper of $2"; return 1; }
}

# gone_within MS PID - PID is gone (or a zombie) within MS milliseconds
gone_within() {
	local i
	for ((i = 0; i < $1 / 50; i++)); do
		[ -e "/proc/$2" ] && ! grep -q '^State:.*Z' "/proc/$2/status" \
		    2>/dev/null || return 0
		sleep 0.05
	done
	echo "#   process $2 is still there after $1 ms"
	return 1
}

# file_within MS FILE - FILE exists within MS milliseconds
file_within() {
	local i
	for ((i = 0; i < $1 / 20; i++)); do
		[ -e "$2" ] && return 0
		sleep 0.02
	done
	echo "#   no $2 after $1 ms"
	return 1
}

# in_log FILE TEXT - FILE has TEXT
in_log() { grep -qF -- "$2" "$1" || { echo "#   $1 lacks '$2'"; return 1; }; }

# log_within MS FILE TEXT - TEXT is in FILE within MS milliseconds
log_within() {
	local i
	for ((i = 0; i < $1 / 20; i++)); do
		grep -qF -- "$3" "$2" 2>/dev/null && return 0
		sleep 0.02
	done
	echo "#   no '$3' in $2 after $1 ms"
	return 1
}

# spawn NAME INPUT CMD... - CMD in the background, reading INPUT, its
# standard output and error into a FIFO whose reader copies them to
# $T/NAME.out and creates $T/NAME.eof at end of file; sets CPID
spawn() {
	local name=$1 input=$2
	shift 2
	mkfifo "$T/$name.fifo"
	{ cat <"$T/$name.fifo" >"$T/$name.out"; : >"$T/$name.eof"; } &
	"$@" <"$input" >"$T/$name.fifo" 2>&1 &
	CPID=$!
}

# reused QID PORT N - QID's delivery record, its session on its Nth use
reused() {
	echo "$1: to=<b@example.com>, relay=127.0.0.1[127.0.0.1]:$2, conn_use=$3,"
}

# kstats HOW KEPT REUSED REFUSED CLOSED EXPIRED LEFT - a keeper's last line
kstats() {
	echo "keeper: exiting $1: sessions kept=$2, reused=$3, refused=$4, $(
	    )closed by server=$5, expired=$6, left=$7"
}

# delays_add_up QID - the parts of QID's delays= (before, slot wait,
# connection, transfer) add up to its delay=, give or take rounding
delays_add_up() {
	grep -F "$1: to=" "$LOG" |
	    sed 's/.* delay=\([0-9.]*\), delays=\([0-9.\/]*\),.*/\1 \2/' |
	    awk '{ n = split($2, p, "/"); for (i = 1; i <= n; i++) s += p[i] }
	    END { if (NR != 1 || s > $1 + 0.3) {
	        print "#   delay=" $1 ", delays=" $2; exit 1 } }'
}

# below MAX VALUE - VALUE < MAX
below() { [ "$2" -lt "$1" ] || { echo "#   $2 is not below $1"; return 1; }; }

# ---- 1. ten runs, one connection --------------------------------------------

start_sink $P1 -v -c || exit 1
start_sink $P1N -v -c || exit 1
S1=$T/s1
mkdir "$S1"
rcs=""
for i in 01 02 03 04 05 06 07 08 09 10; do
	krun "$S1" $P1 K1-$i
	rcs="$rcs $RC"
done
check "1: ten runs exit 0" eq "$rcs" " 0 0 0 0 0 0 0 0 0 0"
check "1: ten messages at the sink" eq "$(sink_count $P1)" 10
check "1: one TCP connection for ten runs" eq "$(connects $P1)" 1
check "1: the last run used the session for the tenth time" \
    log_has "$(reused K1-10 $P1 10)"
ok=0
for i in 01 02 03 04 05 06 07 08 09 10; do
	delivered $P1 K1-$i && ok=$((ok + 1))
done
check "1: every message intact at the sink" eq "$ok" 10
check "1: a keeper runs, its pid in k1.lock" is_keeper "$(lock_pid "$S1")" "$S1"
check "1: its socket is in a 0700 directory" \
    eq "$(stat -c '%a %F' "$S1/keeper") $(stat -c %F "$S1/keeper/k1.sock")" \
    "700 directory socket"

S1N=$T/s1n
mkdir "$S1N"
rcs=""
for i in 01 02 03 04 05 06 07 08 09 10; do
	krun "$S1N" $P1N K1N-$i -o connection_keeper=no
	rcs="$rcs $RC"
done
check "1 no keeper: ten runs exit 0" eq "$rcs" " 0 0 0 0 0 0 0 0 0 0"
check "1 no keeper: ten messages at the sink" eq "$(sink_count $P1N)" 10
check "1 no keeper: ten TCP connections" eq "$(connects $P1N)" 10
check "1 no keeper: each said QUIT" eq "$(sink_counter $P1N quit)" 10
check "1 no keeper: no keeper, no socket" \
    eq "$(keepers "$S1N")$(ls -A "$S1N")" ""

# ---- 2. SIGKILL of the keeper between deliveries ----------------------------

start_sink $P2 -v -c || exit 1
S2=$T/s2
mkdir "$S2"
krun "$S2" $P2 K2-a
k2=$(lock_pid "$S2")
check "2: first run exit 0, a keeper started" is_keeper "$k2" "$S2"
kill -KILL "$k2"
check "2: the keeper is gone" gone_within 2000 "$k2"
check "2: its socket file stays behind" test -S "$S2/keeper/k1.sock"
krun "$S2" $P2 K2-b
check "2: the next run exits 0" eq "$RC" 0
check "2: and is delivered" delivered $P2 K2-b
check "2: at once (${MS} ms)" below 1000 "$MS"
k2b=$(lock_pid "$S2")
check "2: a new keeper, a new pid in k1.lock ($k2 -> $k2b)" \
    eval '[ "$k2b" != "$k2" ] && is_keeper "$k2b" "$S2"'
krun "$S2" $P2 K2-c
check "2: the new keeper serves: the next run reuses the session" \
    log_has "$(reused K2-c $P2 2)"
check "2: two connections for three runs" eq "$(connects $P2)" 2

# ---- 3. SIGKILL of the keeper during a transaction --------------------------

start_sink $P3 -v -c -w 1 || exit 1
S3=$T/s3
mkdir "$S3"
krun "$S3" $P3 K3-a
k3=$(lock_pid "$S3")
check "3: first run exit 0, a keeper started" is_keeper "$k3" "$S3"
printf 'Subject: K3-b\n\nbody of K3-b\n' >"$T/msg-K3-b"
spawn k3b "$T/msg-K3-b" "$SLIMRELAY" "${BASE[@]}" -o log="$T/k3b.log" -v \
    -o state_directory="$S3" -q K3-b -n "[127.0.0.1]:$P3" \
    -f a@example.org -- b@example.com
# The sink answers DATA after a second: the keeper dies meanwhile.
check "3: the second run took the session and is in DATA" \
    log_within 3000 "$T/k3b.log" "smtp_client: > DATA"
kill -KILL "$k3"
wait "$CPID" 2>/dev/null
RC=$?
check "3: the keeper died in the transaction" gone_within 1000 "$k3"
check "3: the run exits 0" eq "$RC" 0
check "3: it says delivered" starts "$(cat "$T/k3b.out")" "250 "
check "3: it used the keeper's session" in_log "$T/k3b.log" \
    "$(reused K3-b $P3 2)"
check "3: the message is intact at the sink" delivered $P3 K3-b
check "3: one connection for both" eq "$(connects $P3)" 1
k3b=$(lock_pid "$S3")
check "3: a new keeper took the session afterwards" \
    eval '[ "$k3b" != "$k3" ] && is_keeper "$k3b" "$S3"'

# ---- 4. a stale socket file -------------------------------------------------

S4=$T/s4
mkdir -p "$S4/keeper"
chmod 700 "$S4/keeper"
"$KPEER" "$S4/keeper/k1.sock" stale
ino=$(stat -c %i "$S4/keeper/k1.sock")
check "4: a stale socket (nobody listens)" test -S "$S4/keeper/k1.sock"
krun "$S4" $P2 K4-a
check "4: the run exits 0" eq "$RC" 0
check "4: delivered" delivered $P2 K4-a
check "4: at once (${MS} ms)" below 1000 "$MS"
k4=$(lock_pid "$S4")
check "4: a keeper started" is_keeper "$k4" "$S4"
check "4: it replaced the socket file" eval \
    '[ -S "$S4/keeper/k1.sock" ] &&
    [ "$(stat -c %i "$S4/keeper/k1.sock")" != "$ino" ]'
krun "$S4" $P2 K4-b
check "4: the next run reuses the session" \
    log_has "$(reused K4-b $P2 2)"

# ---- 5. twenty runs at once -------------------------------------------------

start_sink $P5 -v -c || exit 1
S5=$T/s5
mkdir "$S5"
pids=()
for i in $(seq -w 1 20); do
	(krun "$S5" $P5 K5-$i; echo "$RC" >"$T/k5-$i.rc") &
	pids+=($!)
done
wait "${pids[@]}"
check "5: twenty runs exit 0" \
    eq "$(cat "$T"/k5-*.rc | sort | uniq -c | tr -s ' ')" " 20 0"
check "5: twenty messages at the sink" eq "$(sink_count $P5)" 20
k5=$(keepers "$S5")
check "5: exactly one keeper" eq "$(echo "$k5" | grep -c .)" 1
check "5: it is the one in k1.lock" eq "$(lock_pid "$S5")" "$k5"

# ---- 6. no keeper at the keeper's socket ------------------------------------

start_sink $P6 -v -c || exit 1
S6=$T/s6
mkdir -p "$S6/keeper"
chmod 700 "$S6/keeper"
n6=0
# fake MODE MAX-MS WHAT - a run with keeper-peer MODE at the socket
fake() {
	local mode=$1 max=$2 what=$3 asked=${4:-1 GET 1 PUT } pid
	mkfifo "$T/k6-$mode.ready"
	"$KPEER" "$S6/keeper/k1.sock" "$mode" "$T/k6-$mode.req" \
	    >"$T/k6-$mode.ready" &
	pid=$!
	read -r _ <"$T/k6-$mode.ready"
	krun "$S6" $P6 K6-$mode -v
	kill "$pid"
	wait "$pid" 2>/dev/null
	n6=$((n6 + 1))
	check "6 $what: exit 0" eq "$RC" 0
	check "6 $what: delivered" delivered $P6 K6-$mode
	check "6 $what: within $max ms (${MS})" below "$max" "$MS"
	check "6 $what: it was asked" eq \
	    "$(sort -u "$T/k6-$mode.req" 2>/dev/null | tr '\n' ' ')" "$asked"
}
# A keeper that never answers is asked once: the run's GET times out
# (1 s), and the session is not handed to it afterwards.
fake silent 1900 "a keeper that never answers" "1 GET "
check "6 silent: the run said why" \
    log_has "warning: keeper: no answer within 1000ms: not used"
fake version 800 "a keeper of protocol version 2"
check "6 version 2: the run took it for no keeper" \
    log_has "warning: keeper: unexpected answer to GET: not used"
fake garbage 800 "garbage at the socket"
fake badfd 800 "a keeper that hands out /dev/null"
check "6 /dev/null: three GETs, none used" \
    eq "$(grep -c GET "$T/k6-badfd.req")" 3
check "6 /dev/null: the RSET probe failed" log_has \
    "session_cache: 127.0.0.1[127.0.0.1]:$P6: not reused: "
check "6: no run started a keeper over a listening socket" \
    eq "$(keepers "$S6")" ""
# A real keeper, stopped: the socket queues, nobody answers.
rm -f "$S6/keeper/k1.sock"
krun "$S6" $P6 K6-start
k6=$(lock_pid "$S6")
check "6 stopped keeper: one started" is_keeper "$k6" "$S6"
kill -STOP "$k6"
krun "$S6" $P6 K6-stopped
check "6 stopped keeper: exit 0" eq "$RC" 0
check "6 stopped keeper: delivered" delivered $P6 K6-stopped
check "6 stopped keeper: within 1900 ms (${MS})" below 1900 "$MS"
check "6 stopped keeper: a new connection" eq "$(connects $P6)" $((n6 + 2))
kill -CONT "$k6"

# ---- 7. ulimit -n 20 --------------------------------------------------------

start_sink $P7 -v -c || exit 1
S7=$T/s7
mkdir "$S7"
rcs=""
for i in 1 2 3; do
	rcs="$rcs $(ulimit -n 20; krun "$S7" $P7 K7-$i; echo "$RC")"
done
check "7: three runs with ulimit -n 20 exit 0" eq "$rcs" " 0 0 0"
check "7: three messages at the sink" eq "$(sink_count $P7)" 3
k7=$(lock_pid "$S7")
check "7: a keeper started" is_keeper "$k7" "$S7"
check "7: with the runs' limit" \
    eq "$(awk '/Max open files/ { print $4 }' "/proc/$k7/limits")" 20

# ---- 8. SIGKILL of the client at each stage ---------------------------------

S8=$T/s8
mkdir "$S8"
head -c $((20 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 76 >"$T/body"
{ printf 'Subject: big\n\n'; cat "$T/body"; } >"$T/msg.big"
printf 'Subject: small\n\nbody\n' >"$T/msg.small"
G="S:220 peer.test ESMTP|"
EB="S:250 peer.test|"		# no PIPELINING: one command at a time
OK="S:250 Ok|"

# killed STAGE MARKER INPUT DOT STEP... - the peer (STEPs) holds the
# client at STAGE; once the client's log has MARKER it gets SIGKILL
killed() {
	local stage=$1 marker=$2 input=$3 dot=$4 name ppid
	shift 4
	name=k8-${stage// /-}
	mkfifo "$T/$name.ready"
	"$PEER" 127.0.0.1 $P8 "$T/$name.peer" "$@" >"$T/$name.ready" &
	ppid=$!
	track $ppid
	read -r _ <"$T/$name.ready"
	spawn "$name" "$input" "$SLIMRELAY" "${BASE[@]}" -v \
	    -o log="$T/$name.log" -o state_directory="$S8" \
	    -q "K8" -n "[127.0.0.1]:$P8" -f a@example.org -- b@example.com
	check "8 $stage: the client got there" \
	    log_within 5000 "$T/$name.log" "$marker"
	kill -KILL "$CPID"
	wait "$CPID" 2>/dev/null
	check "8 $stage: killed (137)" eq "$?" 137
	check "8 $stage: its stdout reaches end of file at once" \
	    file_within 1000 "$T/$name.eof"
	check "8 $stage: no status line" eq "$(cat "$T/$name.out")" ""
	check "8 $stage: not logged as sent" \
	    eval "! grep -q 'status=sent' '$T/$name.log'"
	check "8 $stage: the connection closed with the client" \
	    gone_within 2500 "$ppid"
	wait "$ppid"
	check "8 $stage: the peer saw the end of file, dot: $dot" \
	    has "$(tail -n 1 "$T/$name.peer")" "dot: $dot, eof: yes"
}
killed greeting "CLOSED -> GREETING" "$T/msg.small" no L
killed EHLO "> EHLO" "$T/msg.small" no "$G" L L
killed MAIL "> MAIL FROM" "$T/msg.small" no "$G" L "$EB" L L
killed RCPT "> RCPT TO" "$T/msg.small" no "$G" L "$EB" L "$OK" L L
killed DATA "> DATA" "$T/msg.small" no "$G" L "$EB" L "$OK" L "$OK" L L
killed "mid-content" "DATA -> XFER" "$T/msg.big" no \
    "$G" L "$EB" L "$OK" L "$OK" L "S:354 go|" B:100000 W:1000 D
killed "after the dot" "XFER -> DOT" "$T/msg.small" yes \
    "$G" L "$EB" L "$OK" L "$OK" L "S:354 go|" D L
check "8: no keeper was started by killed runs" eq "$(keepers "$S8")" ""

# A session from the keeper, its run killed in the middle of the content.
mkfifo "$T/k8r.ready"
"$PEER" 127.0.0.1 $P8R "$T/k8r.peer" \
    "$G" L "$EB" L "$OK" L "$OK" L "S:354 go|" D "S:250 2.0.0 Ok: queued|" N \
    L "$OK" L "$OK" L "$OK" L "S:354 go|" B:100000 W:1000 D \
    >"$T/k8r.ready" &
ppid=$!
track $ppid
read -r _ <"$T/k8r.ready"
spawn k8r-a "$T/msg.small" "$SLIMRELAY" "${BASE[@]}" -v \
    -o log="$T/k8r-a.log" -o state_directory="$S8" \
    -q K8A -n "[127.0.0.1]:$P8R" -f a@example.org -- b@example.com
wait "$CPID" 2>/dev/null
check "8 reused: the first run exits 0" eq "$?" 0
check "8 reused: and its stdout reaches end of file at once, keeper or not" \
    file_within 1000 "$T/k8r-a.eof"
k8=$(lock_pid "$S8")
check "8 reused: a keeper holds the session" is_keeper "$k8" "$S8"
spawn k8r-b "$T/msg.big" "$SLIMRELAY" "${BASE[@]}" -v \
    -o log="$T/k8r-b.log" -o state_directory="$S8" \
    -q K8B -n "[127.0.0.1]:$P8R" -f a@example.org -- b@example.com
check "8 reused: the second run took it from the keeper" \
    log_within 3000 "$T/k8r-b.log" "reusing a session from the keeper (use 2)"
check "8 reused: and is in the content" \
    log_within 3000 "$T/k8r-b.log" "DATA -> XFER"
kill -KILL "$CPID"
wait "$CPID" 2>/dev/null
check "8 reused: killed (137)" eq "$?" 137
check "8 reused: its stdout reaches end of file at once" \
    file_within 1000 "$T/k8r-b.eof"
check "8 reused: no status line" eq "$(cat "$T/k8r-b.out")" ""
check "8 reused: the connection closed with the client" \
    gone_within 2500 "$ppid"
wait "$ppid"
check "8 reused: the first message got its dot" \
    grep -q "^# transaction: .* dot: yes" "$T/k8r.peer"
check "8 reused: the second did not, and the peer saw end of file" \
    has "$(tail -n 1 "$T/k8r.peer")" "dot: no, eof: yes"

# ---- 9. the keeper detached, and gone after keeper_idle ---------------------

start_sink $P9 -v -c || exit 1
S9=$T/s9
mkdir "$S9"
krun "$S9" $P9 K9 -o keeper_idle=2s -o connection_idle_timeout=1s
check "9: exit 0" eq "$RC" 0
k9=$(lock_pid "$S9")
check "9: a keeper started" is_keeper "$k9" "$S9"
check "9: stdin, stdout, stderr are /dev/null" eq \
    "$(cd "/proc/$k9/fd" && readlink 0 1 2 | tr '\n' ' ')" \
    "/dev/null /dev/null /dev/null "
check "9: 3 is the lock, 4 a socket" eq \
    "$(readlink "/proc/$k9/fd/3") $(readlink "/proc/$k9/fd/4" | cut -d: -f1)" \
    "$S9/keeper/k1.lock socket"
# other_fds PID - PID's descriptors above 4 but the log: "socket" for a
# socket, else the file's name, counted
other_fds() {
	local f l
	for f in /proc/$1/fd/*; do
		[ "${f##*/}" -gt 4 ] || continue
		l=$(readlink "$f") || continue
		case $l in
		"$LOG") ;;
		socket:*) echo socket ;;
		*) echo "$l" ;;
		esac
	done | sort | uniq -c | tr -s ' '
}
# The request's connection may still be open right after the run: wait
# for the keeper to settle, then it holds the session and nothing else.
for i in $(seq 1 50); do
	[ "$(other_fds "$k9")" = " 1 socket" ] && break
	sleep 0.02
done
check "9: no other descriptor than the log and the session it holds" \
    eq "$(other_fds "$k9")" " 1 socket"
check "9: in a session of its own" eval \
    '[ "$(ps -o sid= -p "$k9")" != "$(ps -o sid= -p $$)" ]'
check "9: its own process group" eval \
    '[ "$(ps -o pgid= -p "$k9")" != "$(ps -o pgid= -p $$)" ]'
check "9: gone after keeper_idle" gone_within 6000 "$k9"
check "9: its socket removed" eval '! [ -e "$S9/keeper/k1.sock" ]'
check "9: it said QUIT to the session at its TTL" \
    log_has "[$k9]: $(kstats "after idle" 1 0 0 0 1 0)"
check "9: the sink got that QUIT" eq "$(sink_counter $P9 quit)" 1

# Exim hands SIGTERM and SIGINT over ignored: the keeper sets its own.
S9B=$T/s9b
mkdir "$S9B"
(trap '' TERM INT; krun "$S9B" $P9 K9B; echo "$RC" >"$T/k9b.rc")
k9b=$(lock_pid "$S9B")
check "9 SIGTERM ignored by the run: exit 0, a keeper started" \
    eval '[ "$(cat "$T/k9b.rc")" = 0 ] && is_keeper "$k9b" "$S9B"'
check "9 SIGTERM ignored by the run: not by the keeper" \
    eval 'kill -TERM "$k9b" && gone_within 2000 "$k9b" &&
    log_has "[$k9b]: keeper: exiting on a signal"'

# ---- 10. the server closes a session the keeper holds -----------------------

# smtp-sink -t 1 ends a session that is quiet for a second.
start_sink $P8 -v -c -t 1 || exit 1
S10=$T/s10
mkdir "$S10"
krun "$S10" $P8 K10-a
k10=$(lock_pid "$S10")
check "10: first run exit 0, a keeper holds the session" is_keeper "$k10" "$S10"
# (Its first session was wait_port's.)
for i in $(seq 1 150); do
	[ "$(sink_counter $P8 sess)" = 2 ] && break
	sleep 0.02
done
check "10: the sink ended the idle session" eq "$(sink_counter $P8 sess)" 2
sleep 0.2
krun "$S10" $P8 K10-b
check "10: the next run exits 0" eq "$RC" 0
check "10: delivered" delivered $P8 K10-b
check "10: on a new connection" eq "$(connects $P8)" 2
kill -TERM "$k10"
check "10: the keeper had closed it" eval 'gone_within 2000 "$k10" &&
    log_has "[$k10]: $(kstats "on a signal" 2 0 0 1 0 1)"'

# ---- 11. pool_size = 1: the slot travels with the session -------------------

# The sink on P3 answers DATA after a second: the second run waits for
# the slot, and takes the session that the first hands to the keeper.
S11=$T/s11
mkdir "$S11"
SLOT="$S11/pool/%5B127.0.0.1%5D%3A$P3.0"
before=$(connects $P3)
POOL=(-o pool_size=1 -o pool_wait=10s)
(krun "$S11" $P3 K11-a "${POOL[@]}"; echo "$RC" >"$T/k11-a.rc") &
a=$!
for i in $(seq 1 100); do
	[ -e "$SLOT" ] && ! flock -n "$SLOT" true 2>/dev/null && break
	sleep 0.02
done
(krun "$S11" $P3 K11-b "${POOL[@]}"; echo "$RC" >"$T/k11-b.rc") &
b=$!
wait "$a" "$b"
check "11: both runs exit 0" \
    eq "$(cat "$T/k11-a.rc") $(cat "$T/k11-b.rc")" "0 0"
check "11: both delivered" eval 'delivered $P3 K11-a && delivered $P3 K11-b'
check "11: one connection for both" eq "$(($(connects $P3) - before))" 1
check "11: the waiting run took the session from the keeper" \
    log_has "$(reused K11-b $P3 2)"
check "11: its delays= add up to its delay=" delays_add_up K11-b
k11=$(lock_pid "$S11")
check "11: the keeper holds the slot with the session" \
    eval '! flock -n "$SLOT" true'
kill -TERM "$k11"
check "11: its end frees the slot" \
    eval 'gone_within 2000 "$k11" && flock -n "$SLOT" true'

# ---- the end: every keeper stops on SIGTERM ---------------------------------

for k in $(keepers_of -F -e "$T/"); do
	kill -TERM "$k"
	check "end: keeper $k stops on SIGTERM" gone_within 2000 "$k"
	check "end: and says so" grep -q \
	    "\[$k\]: keeper: exiting on a signal" "$T"/*.log
done
check "end: no keeper left" eq "$(keepers_of -F -e "$T/")" ""

finish
