#!/usr/bin/env bash
# bench/run.sh - measure slimrelay against msmtp on the same smtp-sink.
#
# Usage: bench/run.sh [-b BUILDDIR] [-n COUNT] [-r ROUNDS] [-p PORT] [-k] [-h]
#
#   -b BUILDDIR  the build directory; the program is BUILDDIR/transport/
#                slimrelay (default: $SLIMRELAY if set, else
#                ../transport/slimrelay relative to the current directory,
#                i.e. run it from BUILDDIR/bench or BUILDDIR/tests)
#   -n COUNT     messages per program in the rate test (default 200)
#   -r ROUNDS    the rate test alternates the two programs in this many
#                rounds of COUNT/ROUNDS messages each (default 10)
#   -p PORT      smtp-sink port on 127.0.0.1 (default: the first free
#                port from 2750 up)
#   -k           keep the temporary directory
#
# Builds nothing. Starts Postfix's smtp-sink on 127.0.0.1 (no dump: it
# throws the mail away), and measures:
#   1. messages/s of COUNT sequential one-message runs of a 1 KiB message,
#      slimrelay against msmtp (the baseline), alternated in rounds so both
#      see the same machine state; goal: slimrelay/msmtp >= 10;
#   2. MB/s (10^6 bytes of message per second) of one 10 MiB message,
#      median of 5 runs; goal >= 200 MB/s;
#   3. peak RSS (/usr/bin/time -f %M) of slimrelay for a 1 KiB and a
#      100 MiB message; goal: 100 MiB within 1.2x of 1 KiB and < 8 MiB.
# Also printed, to read the goals by: CPU time per message of both
# programs and of /bin/true started the same way (the floor for any
# program run per message), and the CPU time smtp-sink needed per 10 MiB
# message (its own ceiling). Prints a summary table with PASS/MISS per
# goal. Exits 0 whatever the
# numbers (a benchmark, not a test); 1 when something failed to run (a
# missing tool, the sink not starting, a delivery that did not exit 0),
# 2 on a usage error. See bench/README.md.

set -u
export LC_ALL=C

COUNT=200
ROUNDS=10
PORT=
KEEP=
BUILDDIR=

# usage [STATUS] - the comment above, on stderr unless STATUS is 0
usage() {
	if [ "${1:-2}" -eq 0 ]; then
		sed -n '2,15s/^# \{0,1\}//p' "$0"
	else
		sed -n '2,15s/^# \{0,1\}//p' "$0" >&2
	fi
	exit "${1:-2}"
}

while getopts "b:n:r:p:kh" opt; do
	case $opt in
	b) BUILDDIR=$OPTARG ;;
	n) COUNT=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	p) PORT=$OPTARG ;;
	k) KEEP=1 ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
case $COUNT$ROUNDS in
'' | *[!0-9]*) usage ;;
esac
COUNT=$((10#$COUNT)) ROUNDS=$((10#$ROUNDS))	# "010" is not octal
if [ "$COUNT" -lt 1 ] || [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt "$COUNT" ]
then
	usage
fi

die() {
	echo "bench: $*" >&2
	exit 1
}

# --- the programs -----------------------------------------------------------
if [ -n "$BUILDDIR" ]; then
	SLIMRELAY=$BUILDDIR/transport/slimrelay
elif [ -z "${SLIMRELAY:-}" ]; then
	SLIMRELAY=../transport/slimrelay
fi
[ -x "$SLIMRELAY" ] || die "no slimrelay program at $SLIMRELAY (use -b BUILDDIR or set SLIMRELAY)"
SLIMRELAY=$(cd "$(dirname "$SLIMRELAY")" && pwd)/$(basename "$SLIMRELAY")
for tool in smtp-sink msmtp /usr/bin/time base64 sort awk; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
SINK=$(command -v smtp-sink)
MSMTP=$(command -v msmtp)

# --- temporary directory and the sink ---------------------------------------
T=$(mktemp -d "${TMPDIR:-/tmp}/slimrelay-bench.XXXXXX") || die "mktemp failed"
SINK_PID=

cleanup() {
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
	fi
	if [ -n "$KEEP" ]; then
		echo "bench: kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# port_busy PORT - whether something listens on 127.0.0.1:PORT
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

if [ -z "$PORT" ]; then
	PORT=2750
	while port_busy "$PORT"; do
		PORT=$((PORT + 1))
		[ "$PORT" -lt 2800 ] || die "no free port in 2750-2799"
	done
elif port_busy "$PORT"; then
	die "port $PORT is in use"
fi

SINK_USER=()
[ "$(id -u)" -eq 0 ] && SINK_USER=(-u nobody)
"$SINK" "${SINK_USER[@]}" 127.0.0.1:"$PORT" 256 >"$T/sink.out" 2>&1 &
SINK_PID=$!
for _ in $(seq 1 100); do
	port_busy "$PORT" && break
	kill -0 "$SINK_PID" 2>/dev/null || die "smtp-sink exited: $(cat "$T/sink.out")"
	sleep 0.05
done
port_busy "$PORT" || die "smtp-sink did not start on 127.0.0.1:$PORT"

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

# One delivery each; stdout (the status line) goes to $T/last.out.
run_slimrelay() {
	"$SLIMRELAY" -c "$T/slimrelay.conf" -o log="$LOG" \
	    -n "[127.0.0.1]:$PORT" -f a@b -- c@d <"$1" >"$T/last.out" 2>&1
}
run_msmtp() {
	"$MSMTP" --file=/dev/null --host=127.0.0.1 --port="$PORT" \
	    --from=a@b --auth=off --tls=off c@d <"$1" >"$T/last.out" 2>&1
}

# The floor: starting any process at all, the way the runs above start.
run_true() {
	/bin/true <"$1" >"$T/last.out" 2>&1
}

# must NAME RC - stop when a delivery failed
must() {
	[ "$2" -eq 0 ] || die "$1 exited $2: $(head -c 300 "$T/last.out")"
}

# times_cpu_us - user+sys CPU microseconds of the children, from the
# output of the times builtin in $T/times
times_cpu_us() {
	awk 'NR == 2 {
		t = 0
		for (i = 1; i <= 2; i++) {
			split($i, p, "m"); sub("s", "", p[2])
			t += p[1] * 60 + p[2]
		}
		printf "%d\n", t * 1e6 }' "$T/times"
}

# batch PROG N FILE - run PROG N times (call it in a subshell: $(batch));
# prints the elapsed wall-clock microseconds and the CPU microseconds the
# runs used
batch() {
	local prog=$1 n=$2 file=$3 i t0 t1 rc
	# No $() until times has run: a subshell would count as a child.
	t0=${EPOCHREALTIME/./}
	for ((i = 0; i < n; i++)); do
		"run_$prog" "$file"
		rc=$?
		[ "$rc" -eq 0 ] || { must "$prog" "$rc"; }
	done
	t1=${EPOCHREALTIME/./}
	times >"$T/times"
	echo "$((t1 - t0)) $(times_cpu_us)"
}

# sink_ticks - CPU time (clock ticks) the sink has used so far, or nothing
sink_ticks() {
	awk '{ print $14 + $15 }' "/proc/$SINK_PID/stat" 2>/dev/null
}

# median - the median of numbers on stdin
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "slimrelay benchmark: $(uname -srm), $(nproc) CPU(s)"
echo "  slimrelay: $SLIMRELAY ($("$SLIMRELAY" --version))"
echo "  baseline:  $MSMTP ($("$MSMTP" --version | head -n 1))"
echo "  sink:      $SINK 127.0.0.1:$PORT (discards mail)"
echo

# --- 1. messages per second -------------------------------------------------
# Warm up both (page cache, the sink's first connection).
for _ in 1 2 3 4 5; do
	run_slimrelay "$T/1k.eml" || must slimrelay $?
	run_msmtp "$T/1k.eml" || must msmtp $?
done
per_round=$((COUNT / ROUNDS))
extra=$((COUNT - per_round * ROUNDS))
us_s=0 us_m=0 cpu_s=0 cpu_m=0
# add PROG N - one batch of PROG, added to its totals
add() {
	local out
	out=$(batch "$1" "$2" "$T/1k.eml") || exit 1
	set -- "$1" $out
	if [ "$1" = slimrelay ]; then
		us_s=$((us_s + $2)) cpu_s=$((cpu_s + $3))
	else
		us_m=$((us_m + $2)) cpu_m=$((cpu_m + $3))
	fi
}
for ((r = 0; r < ROUNDS; r++)); do
	n=$per_round
	[ "$r" -lt "$extra" ] && n=$((n + 1))
	# Alternate which program goes first, so neither always follows
	# the other.
	if ((r % 2 == 0)); then
		add slimrelay "$n"
		add msmtp "$n"
	else
		add msmtp "$n"
		add slimrelay "$n"
	fi
done
out=$(batch true "$COUNT" "$T/1k.eml") || exit 1
set -- $out
floor_wall=$(awk -v n="$COUNT" -v us="$1" 'BEGIN { printf "%.2f", us / n / 1000 }')
floor_cpu=$(awk -v n="$COUNT" -v us="$2" 'BEGIN { printf "%.2f", us / n / 1000 }')
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
printf '   (floor: /bin/true takes %s ms wall, %s ms CPU per run here)\n' \
    "$floor_wall" "$floor_cpu"
echo

# --- 2. throughput of one 10 MiB message ------------------------------------
size10=$(stat -c %s "$T/10m.eml")
run_slimrelay "$T/10m.eml" || must slimrelay $?	# warm the page cache
: >"$T/mbps"
: >"$T/cpu"
sink_ticks0=$(sink_ticks)
for _ in 1 2 3 4 5; do
	out=$(batch slimrelay 1 "$T/10m.eml") || exit 1
	set -- $out
	awk -v b="$size10" -v us="$1" 'BEGIN { printf "%.1f\n", b / us }' \
	    >>"$T/mbps"
	echo "$2" >>"$T/cpu"
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
	/usr/bin/time -f %M -o "$T/rss" "$SLIMRELAY" -c "$T/slimrelay.conf" \
	    -o log="$LOG" -n "[127.0.0.1]:$PORT" -f a@b -- c@d <"$1" \
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

# --- summary ----------------------------------------------------------------
verdict() {
	if awk "BEGIN { exit !($1) }"; then echo PASS; else echo MISS; fi
}
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
exit 0
