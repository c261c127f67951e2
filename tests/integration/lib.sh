# lib.sh - shared helpers for the integration tests (sourced, bash).
#
# Every test starts real servers on loopback (127.0.0.0/8), records
# their PIDs, and stops them by PID when it exits, however it exits.
#
#   need TOOL...          skip (exit 77) when a tool is missing; with
#                         SLIMRELAY_NO_SKIP=1 (CI) a skip is a failure
#   T                     a private temporary directory, removed at exit
#   start_sink PORT ARGS  smtp-sink on 127.0.0.1:PORT, one dump file per
#                         message in $T/sink-PORT/; extra ARGS go to it
#   start_sink_at ADDR PORT ARGS   the same on another loopback address
#   sink_count PORT       how many messages' content reached the sink
#   sink_body FILE        a dump file's message, as the sink received it
#   sink_files PORT       the dump files of the sink on PORT
#   track PID             stop PID (and its group) at exit
#   wait_port PORT [ADDR] wait until something listens there
#   relay ARGS...         run $SLIMRELAY with the test's log file and state
#                         directory; sets RC and OUT (its stdout+stderr)
#   check NAME COND...    one assertion: "ok NAME" or "not ok NAME" + why
#   finish                print the closing line and exit with the result

set -u

# Ports on 127.0.0.1, one range per test so that make -j runs them side
# by side: smtp_sink 2501-2503, smtp_faults 2511-2549, cli 2560, pool
# 2570, dns_host 2590, postfix 2610-2613, exim 2621-2623, postfix_local
# 2650-2651, milter 2660-2661, milter_route 2670-2672, dl 2680,
# pflogsumm 2690-2693, ehlo_name 2695, tests/package/debian.sh 2696,
# desync 2701-2720, dane 2729 and 2741-2743 (its smtpd listeners use 2725
# on 127.0.0.21-28), lmtp_nexthop 2730-2731, postfix_lmtp 2760-2764,
# exim_lmtp 2771-2773, postfix_lmtp_tls 2780-2782, tls 2630-2639,
# keeper 2800-2809, keeper_mta 2810-2813, keeper_tls 2820-2821
# (2810-2829 are set aside for these two); mx.sh and the Postfix MX case
# use port 25 on 127.0.0.11-127.0.0.81.
# bench/run.sh takes the first free port from 2750, bench/tls.sh 2760,
# bench/lmtp.sh 2790-2792, bench/keeper.sh 2830-2832 (2830-2839 are kept
# for it).

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SLIMRELAY:=$top_builddir/transport/slimrelay}"

PASSED=0
FAILED=0
PIDS=""

T=$(mktemp -d "${TMPDIR:-/tmp}/slimrelay-test.XXXXXX")
chmod 755 "$T"
LOG="$T/slimrelay.log"
STATE="$T/state"
mkdir -p "$STATE"

# stop_keepers: SIGTERM to the keepers (slimrelay(8), CONNECTION REUSE)
# that this test's runs started: processes whose command line says
# --keeper and names a path under $T (the state directory, or the
# configuration file of an MTA test's runs). Called again after the
# servers stop, since an MTA may start one more run meanwhile.
stop_keepers() {
	local f p
	for f in $(grep -lsF -- "$T/" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		tr '\0' '\n' 2>/dev/null <"$f" | grep -qx -- '--keeper' &&
		    kill "$p" 2>/dev/null
	done
}

cleanup() {
	local p
	stop_keepers
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	stop_keepers
	if [ "${KEEP_TEST_DIR:-}" = "" ]; then
		rm -rf "$T"
	else
		echo "# kept $T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

skip() {
	if [ -n "${SLIMRELAY_NO_SKIP:-}" ]; then
		echo "not ok - would skip, but SLIMRELAY_NO_SKIP is set: $*"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
	done
}

track() {
	PIDS="$PIDS $1"
}

wait_port() {
	local port=$1 addr=${2:-127.0.0.1} i
	for i in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "# nothing listens on $addr:$port"
	return 1
}

start_sink() {
	local port=$1
	shift
	start_sink_at 127.0.0.1 "$port" "$@"
}

# start_sink_at ADDR PORT ARGS: like start_sink, on ADDR; its key for
# sink_count and sink_files is ADDR_PORT ("127.0.0.11_25"), or PORT
# alone for 127.0.0.1.
start_sink_at() {
	local addr=$1 port=$2 key
	shift 2
	key=$port
	[ "$addr" = 127.0.0.1 ] || key=${addr}_$port
	local dir="$T/sink-$key"
	mkdir -p "$dir"
	chmod 777 "$dir"
	smtp-sink -u nobody -d "$dir/%M." "$@" "$addr:$port" 64 \
	    >"$T/sink-$key.out" 2>&1 &
	track $!
	wait_port "$port" "$addr"
}

sink_files() {
	find "$T/sink-$1" -type f 2>/dev/null | sort
}

# Messages whose content reached the sink (smtp-sink opens a dump file
# at MAIL FROM, so a transaction that failed early leaves a file
# without content).
sink_count() {
	local n=0 f
	for f in $(sink_files "$1"); do
		if awk 'state == 0 && /^Received: / { state = 1; next }
		    state == 1 && /^\t/ { next }
		    state == 1 { found = 1; exit }
		    END { exit !found }' "$f"; then
			n=$((n + 1))
		fi
	done
	echo $n
}

# The sink writes its own headers, a three-line Received: header, the
# message, and one empty line.
sink_body() {
	awk 'state == 2 { print; next }
	     state == 0 && /^Received: / { state = 1; next }
	     state == 1 && /^\t/ { next }
	     state == 1 { state = 2; print }' "$1" | sed '$d'
}

relay() {
	OUT=$("$SLIMRELAY" -o log="$LOG" -o state_directory="$STATE" "$@" \
	    2>&1 <"${RELAY_INPUT:-/dev/null}")
	RC=$?
}

check() {
	local name=$1
	shift
	if "$@"; then
		PASSED=$((PASSED + 1))
		echo "ok - $name"
	else
		FAILED=$((FAILED + 1))
		echo "not ok - $name"
		echo "#   command: $*"
		echo "#   last exit status: ${RC:-}"
		echo "#   last output: ${OUT:-}"
	fi
}

# Assertion helpers for check.
eq() { [ "$1" = "$2" ] || { echo "#   got '$1', want '$2'"; return 1; }; }
has() { case "$1" in *"$2"*) return 0 ;; esac; echo "#   '$1' lacks '$2'"; return 1; }
lacks() { case "$1" in *"$2"*) echo "#   output has '$2'"; return 1 ;; esac; return 0; }
starts() { case "$1" in "$2"*) return 0 ;; esac; echo "#   '$1' does not start with '$2'"; return 1; }
log_has() { grep -qF -- "$1" "$LOG" || { echo "#   log lacks '$1'"; tail -3 "$LOG" 2>/dev/null | sed 's/^/#   /'; return 1; }; }

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
