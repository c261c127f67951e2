#!/bin/bash
# pool.sh - pool_size holds across processes: with pool_size = 1, two
# slimrelay runs started together talk to the next hop one after the
# other, and a run that cannot get a slot within pool_wait defers with
# 4.4.5 (exit 75). Without a limit the same two runs overlap, which
# shows that the test can tell the difference.
. "$(dirname "$0")/lib.sh"
need smtp-sink flock
P=2570
DELAY=2		# smtp-sink waits this long before answering DATA
start_sink $P -w $DELAY || exit 1
printf 'Subject: pool\n\nbody\n' >"$T/msg"

# now_ms - milliseconds since the epoch
now_ms() { date +%s%3N; }

# start_run NAME ARGS... - one slimrelay in the background; its exit
# status goes to $T/NAME.rc, its output to $T/NAME.out and the time it
# ended to $T/NAME.end
start_run() {
	local name=$1
	shift
	(
		"$SLIMRELAY" -o log="$LOG" -o state_directory="$STATE" \
		    -q "Q$name" -n "[127.0.0.1]:$P" "$@" \
		    -f a@example.org -- "$name@example.com" \
		    <"$T/msg" >"$T/$name.out" 2>&1
		echo $? >"$T/$name.rc"
		now_ms >"$T/$name.end"
	) &
	RUNS="$RUNS $!"
}

# wait_runs - wait for the runs started since the last wait_runs
wait_runs() {
	local p
	for p in $RUNS; do
		wait "$p"
	done
	RUNS=""
}

# sink_messages - messages the sink has received so far (dump files)
sink_messages() { sink_count $P; }

# within LOW HIGH VALUE - LOW <= VALUE <= HIGH
within() {
	[ "$3" -ge "$1" ] && [ "$3" -le "$2" ] ||
	    { echo "#   $3 is not within $1..$2"; return 1; }
}

# 1. pool_size = 1, pool_wait = 10s: one after the other, both delivered.
RUNS=""
t0=$(now_ms)
start_run one -o pool_size=1 -o pool_wait=10s
start_run two -o pool_size=1 -o pool_wait=10s
wait_runs
check "serial: first exit 0" eq "$(cat "$T/one.rc")" 0
check "serial: second exit 0" eq "$(cat "$T/two.rc")" 0
check "serial: both delivered" eq "$(sink_messages)" 2
e1=$(cat "$T/one.end")
e2=$(cat "$T/two.end")
first=$((e1 < e2 ? e1 : e2))
last=$((e1 < e2 ? e2 : e1))
# The second could only connect once the first had finished: its DATA
# wait started after the first's ended.
check "serial: first done after one DATA delay" within 1800 3900 $((first - t0))
check "serial: second done one DATA delay later" within 1800 3900 $((last - first))
check "serial: slot files in the state directory" \
    test -f "$STATE/pool/%5B127.0.0.1%5D%3A$P.0"
check "serial: one slot only" test ! -e "$STATE/pool/%5B127.0.0.1%5D%3A$P.1"

# 2. No limit (pool_size = 0): the same two runs overlap.
t0=$(now_ms)
start_run three -o pool_size=0
start_run four -o pool_size=0
wait_runs
check "unlimited: both exit 0" eq "$(cat "$T/three.rc") $(cat "$T/four.rc")" "0 0"
e3=$(cat "$T/three.end")
e4=$(cat "$T/four.end")
check "unlimited: finished together" within 0 1200 $((e3 > e4 ? e3 - e4 : e4 - e3))
check "unlimited: four deliveries in all" eq "$(sink_messages)" 4

# 3. pool_wait = 500ms: the run that finds the slot taken defers.
t0=$(now_ms)
start_run five -o pool_size=1 -o pool_wait=10s
# Let five take the slot: it holds it while the sink delays DATA.
for i in $(seq 1 100); do
	[ -n "$(ls "$STATE/pool" 2>/dev/null)" ] && \
	    ! flock -n "$STATE/pool/%5B127.0.0.1%5D%3A$P.0" true 2>/dev/null &&
	    break
	sleep 0.02
done
start_run six -o pool_size=1 -o pool_wait=500ms
wait_runs
check "busy: holder exit 0" eq "$(cat "$T/five.rc")" 0
check "busy: waiter exit 75" eq "$(cat "$T/six.rc")" 75
check "busy: waiter says 4.4.5" eq "$(cat "$T/six.out")" \
    "4.4.5 all 1 connection slots to [127.0.0.1]:$P are busy"
check "busy: waiter gave up after about pool_wait" \
    within 400 1900 $(($(cat "$T/six.end") - t0))
check "busy: only the holder delivered" eq "$(sink_messages)" 5
check "busy: waiter logged as deferred" \
    grep -q "Qsix: to=<six@example.com>, .*dsn=4.4.5, status=deferred (all 1 connection slots" "$LOG"

finish
