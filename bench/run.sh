#!/usr/bin/env bash
# bench/run.sh - measure slimrelay against msmtp on the same smtp-sink,
# and the cost of an MX cache miss against a hit.
#
# Usage: bench/run.sh [-b BUILDDIR] [-B OTHER] [-n COUNT] [-r ROUNDS]
#                     [-m COUNT] [-p PORT] [-k] [-h]
#
#   -b BUILDDIR  the build directory; the programs are BUILDDIR/transport/
#                slimrelay and BUILDDIR/bench/bench-exec (default:
#                $SLIMRELAY if set, else ../transport/slimrelay relative
#                to the current directory, i.e. run it from BUILDDIR/bench
#                or BUILDDIR/tests; BUILDDIR is then the directory above
#                slimrelay's; $BENCH_EXEC, if set, names bench-exec)
#   -B OTHER     another slimrelay program (an absolute path, e.g. the
#                build before a change): test 1 times it too, in the same
#                rounds, and prints this build's time over OTHER's
#   -n COUNT     messages per program in the rate test (default 200)
#   -r ROUNDS    the rate and MX cache tests alternate their two kinds
#                of run in this many rounds (default 10)
#   -m COUNT     deliveries of each kind, miss and hit, in the MX cache
#                test (default 100; 0 skips that test)
#   -p PORT      smtp-sink port on 127.0.0.1 (default: the first free
#                port from 2750 up)
#   -k           keep the temporary directory
#
# Builds nothing. Starts Postfix's smtp-sink on 127.0.0.1 (no dump: it
# throws the mail away), and measures, starting every timed run with
# bench-exec (fork and exec, no shell, as Postfix's pipe(8) does):
#   1. messages/s of COUNT sequential one-message runs of a 1 KiB message,
#      slimrelay against msmtp (the baseline), alternated in rounds so both
#      see the same machine state; goal: slimrelay/msmtp >= 10;
#   2. MB/s (10^6 bytes of message per second) of one 10 MiB message,
#      median of 5 runs; goal >= 200 MB/s;
#   3. peak RSS (/usr/bin/time -f %M) of slimrelay for a 1 KiB and a
#      100 MiB message; goal: 100 MiB within 1.2x of 1 KiB and < 8 MiB;
#   4. MX relaying (root only: the mail exchanger is a second smtp-sink
#      on 127.0.0.11:25, the name server ldns-testns on 127.0.0.1 with
#      tests/data/dns/mxrelay.data): the time of a delivery to
#      bob@mx.test with an empty MX cache (miss) against one with a warm
#      cache (hit), and the DNS queries the hits made; goal: none.
# Also printed, to read the goals by: CPU time per message of both
# programs and of /bin/true started the same way (the floor for any
# program run per message), and the CPU time smtp-sink needed per 10 MiB
# message (its own ceiling). Prints a summary table with PASS/MISS per
# goal (SKIP when test 4 cannot run: not root, no ldns-testns, or
# 127.0.0.11:25 taken). Exits 0 whatever the numbers (a benchmark, not a
# test); 1 when something failed to run (a missing tool, the sink not
# starting, a delivery that did not exit 0), 2 on a usage error. See
# bench/README.md.

COUNT=200
ROUNDS=10
MX_COUNT=100
PORT=
KEEP=
BUILDDIR=
OTHER=
USAGE_LINES=2,24
. "$(dirname "$0")/lib.sh"

while getopts "b:B:n:r:m:p:kh" opt; do
	case $opt in
	B) OTHER=$OPTARG ;;
	m) MX_COUNT=$OPTARG ;;
	*) bench_opt "$opt" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
numbers COUNT ROUNDS MX_COUNT
if [ "$COUNT" -lt 1 ] || [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt "$COUNT" ]
then
	usage
fi

# --- the programs -----------------------------------------------------------
find_slimrelay
# The runs are started by bench-exec, which execs without a PATH search:
# every program it starts has an absolute path.
find_bench_exec
if [ -n "$OTHER" ]; then
	case $OTHER in
	/*) ;;
	*) die "-B $OTHER: give an absolute path (runs are started without a PATH search)" ;;
	esac
	[ -x "$OTHER" ] || die "-B $OTHER: not an executable"
fi
need smtp-sink msmtp /usr/bin/time base64 sort awk
SINK=$(command -v smtp-sink)
MSMTP=$(command -v msmtp)
case $MSMTP in
/*) ;;
*) die "msmtp is found as $MSMTP: put only absolute directories in PATH" ;;
esac

# --- temporary directory and the sink ---------------------------------------
bench_tmpdir run

if [ -z "$PORT" ]; then
	PORT=2750
	while port_busy "$PORT"; do
		PORT=$((PORT + 1))
		[ "$PORT" -lt 2800 ] || die "no free port in 2750-2799"
	done
else
	ports_free "$PORT"
fi

start_sink "" "$T/sink.out" 127.0.0.1 "$PORT"
RATE_SINK_PID=$SINK_PID		# (test 4 starts a sink of its own)

# --- messages ---------------------------------------------------------------
# make_message FILE BYTES - headers plus base64 text lines, exactly BYTES
make_message() {
	local file=$1 bytes=$2
	{
		printf 'From: Bench Sender <a@b>\n'
		printf 'To: Bench Recipient <c@d>\n'
		printf 'Subject: slimrelay benchmark, %s bytes\n' "$bytes"
		printf 'Message-ID: <bench-%s@slimrelay.test>\n' "$bytes"
		printf 'Date: Thu, 01 Jan 2026 00:00:00 +0000\n'
		printf '\n'
		head -c "$bytes" /dev/urandom | base64 -w 76
	} | head -c "$((bytes - 1))" >"$file"
	printf '\n' >>"$file"
}

make_message "$T/1k.eml" 1024
make_message "$T/10m.eml" $((10 * 1024 * 1024))
make_message "$T/100m.eml" $((100 * 1024 * 1024))
: >"$T/slimrelay.conf"
LOG=$T/slimrelay.log
export HOME=$T			# no ~/.msmtprc

# cmd KIND [STATEDIR] - set CMD to the command line of one run of KIND:
# slimrelay, other (-B) or msmtp (one delivery to the sink), true (the floor:
# starting any process at all), mx (one delivery by MX, test 4, with
# its MX cache in STATEDIR/mx)
cmd() {
	case $1 in
	slimrelay | other)
		CMD=("$SLIMRELAY" -c "$T/slimrelay.conf" -o "log=$LOG"
		    -n "[127.0.0.1]:$PORT" -f a@b -- c@d)
		[ "$1" = other ] && CMD[0]=$OTHER ;;
	msmtp)
		CMD=("$MSMTP" --file=/dev/null --host=127.0.0.1 --port="$PORT"
		    --from=a@b --auth=off --tls=off c@d) ;;
	true)
		CMD=(/bin/true) ;;
	mx)
		CMD=("$SLIMRELAY" -c "$T/slimrelay.conf" -o "log=$MX_LOG"
		    -o "dns_servers=127.0.0.1:$DNS_PORT"
		    -o "state_directory=$2" -f a@b -- bob@mx.test) ;;
	*)
		die "cmd: no such kind of run: $1" ;;
	esac
}

# must NAME RC - stop when a delivery failed
must() {
	[ "$2" -eq 0 ] || die "$1 exited $2: $(head -c 300 "$T/last.out")"
}

# batch KIND N FILE - run KIND N times (see cmd; mxhit is an MX delivery
# with the warm cache, mxmiss one with an empty cache, each of its own);
# sets B_US and B_CPU to the microseconds of wall clock and of CPU
batch() {
	local kind=$1 n=$2 file=$3 i
	case $kind in
	mxhit | mxmiss)
		# Each miss has a state directory of its own, so it needs a
		# bench-exec of its own; the hits are started the same way,
		# one bench-exec each, so that the two kinds differ in the
		# cache only. (The shell between runs makes a run about 1 ms
		# slower than back to back on the development VM.) Only the
		# runs themselves are timed.
		B_US=0 B_CPU=0
		for ((i = 0; i < n; i++)); do
			if [ "$kind" = mxmiss ]; then
				MISS_N=$((MISS_N + 1))
				cmd mx "$T/mx-miss/$MISS_N"
			else
				cmd mx "$T/mx-hit"
			fi
			timed "slimrelay (MX)" 1 "$file" "${CMD[@]}"
			B_US=$((B_US + US)) B_CPU=$((B_CPU + CPU))
		done ;;
	*)
		cmd "$kind"
		timed "$kind" "$n" "$file" "${CMD[@]}"
		B_US=$US B_CPU=$CPU ;;
	esac
}

# sink_ticks - CPU time (clock ticks) the sink has used so far, or nothing
sink_ticks() {
	awk '{ print $14 + $15 }' "/proc/$RATE_SINK_PID/stat" 2>/dev/null
}

echo "slimrelay benchmark: $(uname -srm), $(nproc) CPU(s)"
echo "  slimrelay: $SLIMRELAY ($("$SLIMRELAY" --version))"
echo "  baseline:  $MSMTP ($("$MSMTP" --version | head -n 1))"
echo "  sink:      $SINK 127.0.0.1:$PORT (discards mail)"
echo

# --- 1. messages per second -------------------------------------------------
# Warm up both (page cache, the sink's first connection).
for _ in 1 2 3 4 5; do
	batch slimrelay 1 "$T/1k.eml"
	batch msmtp 1 "$T/1k.eml"
	[ -z "$OTHER" ] || batch other 1 "$T/1k.eml"
done
per_round=$((COUNT / ROUNDS))
extra=$((COUNT - per_round * ROUNDS))
us_s=0 us_m=0 us_o=0 cpu_s=0 cpu_m=0 cpu_o=0
# add PROG N - one batch of PROG, added to its totals
add() {
	batch "$1" "$2" "$T/1k.eml"
	case $1 in
	slimrelay) us_s=$((us_s + B_US)) cpu_s=$((cpu_s + B_CPU)) ;;
	other) us_o=$((us_o + B_US)) cpu_o=$((cpu_o + B_CPU)) ;;
	*) us_m=$((us_m + B_US)) cpu_m=$((cpu_m + B_CPU)) ;;
	esac
}
for ((r = 0; r < ROUNDS; r++)); do
	n=$per_round
	[ "$r" -lt "$extra" ] && n=$((n + 1))
	# Change the order every round, so that no program always follows
	# the same one (after msmtp's long runs the caches are colder).
	if [ -z "$OTHER" ]; then
		order=(slimrelay msmtp)
		((r % 2 == 0)) || order=(msmtp slimrelay)
	else
		case $((r % 6)) in
		0) order=(slimrelay other msmtp) ;;
		1) order=(other msmtp slimrelay) ;;
		2) order=(msmtp slimrelay other) ;;
		3) order=(slimrelay msmtp other) ;;
		4) order=(msmtp other slimrelay) ;;
		5) order=(other slimrelay msmtp) ;;
		esac
	fi
	for prog in "${order[@]}"; do
		add "$prog" "$n"
	done
done
batch true "$COUNT" "$T/1k.eml"
floor_wall=$(awk -v n="$COUNT" -v us="$B_US" 'BEGIN { printf "%.2f", us / n / 1000 }')
floor_cpu=$(awk -v n="$COUNT" -v us="$B_CPU" 'BEGIN { printf "%.2f", us / n / 1000 }')
rate_s=$(awk -v n="$COUNT" -v us="$us_s" 'BEGIN { printf "%.1f", n / (us / 1e6) }')
rate_m=$(awk -v n="$COUNT" -v us="$us_m" 'BEGIN { printf "%.1f", n / (us / 1e6) }')
ratio=$(awk -v a="$rate_s" -v b="$rate_m" 'BEGIN { printf "%.1f", a / b }')
lat_s=$(awk -v n="$COUNT" -v us="$us_s" 'BEGIN { printf "%.2f", us / n / 1000 }')
lat_m=$(awk -v n="$COUNT" -v us="$us_m" 'BEGIN { printf "%.2f", us / n / 1000 }')
ms_cpu_s=$(awk -v n="$COUNT" -v us="$cpu_s" 'BEGIN { printf "%.2f", us / n / 1000 }')
ms_cpu_m=$(awk -v n="$COUNT" -v us="$cpu_m" 'BEGIN { printf "%.2f", us / n / 1000 }')
echo "1. $COUNT sequential runs, 1 KiB message, $ROUNDS alternating rounds"
printf '   slimrelay %10s msgs/s  (%s ms wall, %s ms CPU per message)\n' \
    "$rate_s" "$lat_s" "$ms_cpu_s"
printf '   msmtp     %10s msgs/s  (%s ms wall, %s ms CPU per message)\n' \
    "$rate_m" "$lat_m" "$ms_cpu_m"
printf '   ratio     %10sx\n' "$ratio"
if [ -n "$OTHER" ]; then
	printf '   other     %10s msgs/s  (%s ms wall, %s ms CPU per message: %s)\n' \
	    "$(awk -v n="$COUNT" -v us="$us_o" 'BEGIN { printf "%.1f", n / (us / 1e6) }')" \
	    "$(awk -v n="$COUNT" -v us="$us_o" 'BEGIN { printf "%.2f", us / n / 1000 }')" \
	    "$(awk -v n="$COUNT" -v us="$cpu_o" 'BEGIN { printf "%.2f", us / n / 1000 }')" \
	    "$OTHER"
	printf '   this/other: %.3f wall, %.3f CPU (under 1: this build is faster)\n' \
	    "$(awk -v a="$us_s" -v b="$us_o" 'BEGIN { print a / b }')" \
	    "$(awk -v a="$cpu_s" -v b="$cpu_o" 'BEGIN { print a / b }')"
fi
printf '   (floor: /bin/true takes %s ms wall, %s ms CPU per run here)\n' \
    "$floor_wall" "$floor_cpu"
echo

# --- 2. throughput of one 10 MiB message ------------------------------------
size10=$(stat -c %s "$T/10m.eml")
batch slimrelay 1 "$T/10m.eml"	# warm the page cache
: >"$T/mbps"
: >"$T/cpu"
sink_ticks0=$(sink_ticks)
for _ in 1 2 3 4 5; do
	batch slimrelay 1 "$T/10m.eml"
	awk -v b="$size10" -v us="$B_US" 'BEGIN { printf "%.1f\n", b / us }' \
	    >>"$T/mbps"
	echo "$B_CPU" >>"$T/cpu"
done
sink_ticks1=$(sink_ticks)
mbps=$(median <"$T/mbps")
cpu10=$(median <"$T/cpu")
cpu_mbps=$(awk -v b="$size10" -v us="$cpu10" 'BEGIN { printf "%.0f", b / us }')
echo "2. one 10 MiB message ($size10 bytes), 5 runs"
echo "   MB/s (10^6 bytes/s): $(sort -n "$T/mbps" | tr '\n' ' ')"
echo "   median: $mbps MB/s wall clock"
printf '   slimrelay CPU time: %s ms (median), i.e. %s MB per CPU second\n' \
    "$(awk -v us="$cpu10" 'BEGIN { printf "%.1f", us / 1000 }')" "$cpu_mbps"
if [ -n "$sink_ticks0" ] && [ -n "$sink_ticks1" ]; then
	awk -v t="$((sink_ticks1 - sink_ticks0))" -v hz="$(getconf CLK_TCK)" \
	    -v b="$size10" 'BEGIN {
		ms = t * 1000 / hz / 5
		printf "   smtp-sink CPU time: %.0f ms per message", ms
		if (ms > 0)
			printf ", so it cannot take more than ~%.0f MB/s", b / ms / 1000
		printf "\n" }'
fi
echo

# --- 3. peak RSS ------------------------------------------------------------
# rss FILE - peak RSS in KiB of one slimrelay run on FILE
rss() {
	cmd slimrelay
	/usr/bin/time -f %M -o "$T/rss" "${CMD[@]}" <"$1" \
	    >"$T/last.out" 2>&1 || must slimrelay $?
	tail -n 1 "$T/rss"
}
rss_1k=$(rss "$T/1k.eml") || exit 1
rss_100m=$(rss "$T/100m.eml") || exit 1
rss_ratio=$(awk -v a="$rss_100m" -v b="$rss_1k" 'BEGIN { printf "%.2f", a / b }')
echo "3. peak RSS of slimrelay"
echo "   1 KiB message:   $rss_1k KiB"
echo "   100 MiB message: $rss_100m KiB"
echo "   ratio:           ${rss_ratio}x"
echo

# --- 4. MX cache: a delivery with a cache miss against one with a hit -------
# In mxrelay.data, mx.test has two MX hosts: mx1.hosts.test (preference
# 10, 127.0.0.11) and mx2.hosts.test (20, 127.0.0.12). Every delivery
# here must go to mx1, where this script's own sink listens.
MX_DATA=$BENCH_TOP/tests/data/dns/mxrelay.data
MX_ADDR=127.0.0.11
MX_LOG=$T/mx.log

# mx_skip_reason - why test 4 cannot run here; nothing when it can
mx_skip_reason() {
	if [ "$MX_COUNT" -eq 0 ]; then
		echo "-m 0"
	elif [ "$(id -u)" -ne 0 ]; then
		echo "needs root: the mail exchanger listens on $MX_ADDR:25"
	elif ! command -v ldns-testns >/dev/null 2>&1 ||
	    ! command -v drill >/dev/null 2>&1; then
		echo "ldns-testns and drill are not installed (Debian: ldnsutils)"
	elif [ ! -r "$MX_DATA" ]; then
		echo "cannot read $MX_DATA"
	elif port_busy 25 "$MX_ADDR"; then
		echo "$MX_ADDR:25 is in use; is tests/integration/mx.sh running?"
	fi
}

# dns_start - ldns-testns with mxrelay.data on the first free port from
# 53900 up (it exits at once when the port is taken); sets DNS_PORT
dns_start() {
	local port i
	for ((port = 53900; port < 53950; port++)); do
		ldns-testns -v -p "$port" "$MX_DATA" >"$T/dns.log" 2>&1 &
		DNS_PID=$!
		for ((i = 0; i < 100; i++)); do
			kill -0 "$DNS_PID" 2>/dev/null || break
			if grep -q "^Listening on port $port\$" "$T/dns.log" &&
			    drill -p "$port" probe.test @127.0.0.1 A 2>/dev/null |
			    grep -q 'rcode: NOERROR'; then
				DNS_PORT=$port
				track "$DNS_PID"
				return 0
			fi
			sleep 0.05
		done
		stop_pid "$DNS_PID"
	done
	return 1
}

# dns_count - how many queries the name server has logged so far
dns_count() {
	grep -c '^query [0-9]*:' "$T/dns.log"
}

# The runs are batch mxhit (a warm cache, filled before the test) and
# batch mxmiss (an empty cache each time: run number MISS_N gets a state
# directory of its own, made before the test, so that no rm runs between
# deliveries).

mx_skip=$(mx_skip_reason)
if [ -z "$mx_skip" ]; then
	start_sink "" "$T/mxsink.out" "$MX_ADDR" 25
	dns_start || die "ldns-testns did not start (see $T/dns.log)"

	dirs=()
	for ((i = 1; i <= MX_COUNT; i++)); do
		dirs+=("$T/mx-miss/$i/mx")
	done
	# Only the mx directories need mode 0700 (slimrelay ignores a cache
	# directory that others may write); their parents may have any mode.
	# shellcheck disable=SC2174
	mkdir -p -m 700 "${dirs[@]}" "$T/mx-hit/mx" "$T"/mx-warm/{1,2,3}/mx ||
	    die "cannot make the MX cache directories"
	# Warm up (misses), then fill the cache of the hit runs.
	for i in 1 2 3; do
		cmd mx "$T/mx-warm/$i"
		timed "slimrelay (MX)" 1 "$T/1k.eml" "${CMD[@]}"
	done
	batch mxhit 1 "$T/1k.eml"
	[ -s "$T/mx-hit/mx/mx.test" ] ||
	    die "no MX cache file after a delivery: $T/mx-hit/mx/mx.test"

	mx_rounds=$ROUNDS
	[ "$mx_rounds" -le "$MX_COUNT" ] || mx_rounds=$MX_COUNT
	per_round=$((MX_COUNT / mx_rounds))
	extra=$((MX_COUNT - per_round * mx_rounds))
	MISS_N=0
	us_miss=0 us_hit=0 cpu_miss=0 cpu_hit=0 q_miss=0 q_hit=0
	# mx_add KIND N - one batch of N runs of KIND, added to its totals
	mx_add() {
		local q0 q1
		q0=$(dns_count)
		batch "$1" "$2" "$T/1k.eml"
		q1=$(dns_count)
		if [ "$1" = mxmiss ]; then
			us_miss=$((us_miss + B_US)) cpu_miss=$((cpu_miss + B_CPU))
			q_miss=$((q_miss + q1 - q0))
		else
			us_hit=$((us_hit + B_US)) cpu_hit=$((cpu_hit + B_CPU))
			q_hit=$((q_hit + q1 - q0))
		fi
	}
	for ((r = 0; r < mx_rounds; r++)); do
		n=$per_round
		[ "$r" -lt "$extra" ] && n=$((n + 1))
		if ((r % 2 == 0)); then
			mx_add mxmiss "$n"
			mx_add mxhit "$n"
		else
			mx_add mxhit "$n"
			mx_add mxmiss "$n"
		fi
	done
	# Every delivery went to our sink, the best MX, and nowhere else.
	runs=$((2 * MX_COUNT + 4))
	to_mx1=$(grep -c 'to=<bob@mx.test>, relay=mx1\.hosts\.test\[127\.0\.0\.11\]:25, .*status=sent' "$MX_LOG")
	[ "$to_mx1" -eq "$runs" ] ||
	    die "$to_mx1 of $runs MX deliveries went to mx1.hosts.test[$MX_ADDR]:25 (see $MX_LOG)"

	per_msg() {	# per_msg MICROSECONDS - milliseconds per delivery
		awk -v n="$MX_COUNT" -v us="$1" 'BEGIN { printf "%.2f", us / n / 1000 }'
	}
	lat_miss=$(per_msg "$us_miss") lat_hit=$(per_msg "$us_hit")
	ms_cpu_miss=$(per_msg "$cpu_miss") ms_cpu_hit=$(per_msg "$cpu_hit")
	mx_ratio=$(awk -v a="$us_miss" -v b="$us_hit" 'BEGIN { printf "%.2f", a / b }')
	mx_diff=$(awk -v a="$us_miss" -v b="$us_hit" -v n="$MX_COUNT" \
	    'BEGIN { printf "%+.2f", (a - b) / n / 1000 }')
	q_per_miss=$(awk -v q="$q_miss" -v n="$MX_COUNT" 'BEGIN { printf "%.1f", q / n }')
	echo "4. MX relaying to bob@mx.test: $MX_COUNT deliveries with a cache miss," \
	    "$MX_COUNT with a hit, $mx_rounds alternating rounds"
	printf '   miss %10s ms wall, %s ms CPU per message, %s DNS queries each\n' \
	    "$lat_miss" "$ms_cpu_miss" "$q_per_miss"
	printf '   hit  %10s ms wall, %s ms CPU per message, %s DNS queries in all\n' \
	    "$lat_hit" "$ms_cpu_hit" "$q_hit"
	printf '   a miss takes %sx the time of a hit (%s ms)\n' "$mx_ratio" "$mx_diff"
	[ "$q_miss" -gt 0 ] ||
	    echo "   (the misses made no DNS query: the test measured nothing)"
else
	echo "4. MX relaying: skipped ($mx_skip)"
fi
echo

# --- summary ----------------------------------------------------------------
echo "summary"
printf '  %-34s %-16s %-14s %s\n' goal target measured result
printf '  %-34s %-16s %-14s %s\n' "1 KiB msgs/s, slimrelay/msmtp" ">= 10x" \
    "${ratio}x" "$(verdict "$ratio >= 10")"
printf '  %-34s %-16s %-14s %s\n' "10 MiB message throughput" ">= 200 MB/s" \
    "$mbps MB/s" "$(verdict "$mbps >= 200")"
printf '  %-34s %-16s %-14s %s\n' "RSS 100 MiB / RSS 1 KiB" "<= 1.2x" \
    "${rss_ratio}x" "$(verdict "$rss_ratio <= 1.2")"
printf '  %-34s %-16s %-14s %s\n' "RSS with a 100 MiB message" "< 8192 KiB" \
    "$rss_100m KiB" "$(verdict "$rss_100m < 8192")"
if [ -z "$mx_skip" ]; then
	printf '  %-34s %-16s %-14s %s\n' "DNS queries of MX cache hits" "0" \
	    "$q_hit" "$(verdict "$q_hit == 0 && $q_miss > 0")"
else
	printf '  %-34s %-16s %-14s %s\n' "DNS queries of MX cache hits" "0" \
	    "-" SKIP
fi
exit 0
