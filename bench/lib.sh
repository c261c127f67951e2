# lib.sh - shared pieces of the benchmarks (sourced by bash from
# bench/keeper.sh, bench/lmtp.sh, bench/tls.sh and bench/run.sh).
#
# The script sets USAGE_LINES (the lines of its top comment that -h
# prints, e.g. 2,22) and sources this file; bench_opt sets its variables
# of the shared options (BUILDDIR, COUNT, ROUNDS, PORT, KEEP, VERBOSE),
# bench_tmpdir T and BIN. For its private Postfix instances it sources
# tests/integration/mtalib.sh of the same source tree, found relative to
# this file (as the benchmarks find postfix-example/ and tests/data/),
# and uses only its functions that need nothing of the tests' lib.sh:
# postfix_instance_dirs, postfix_instance_conf, postfix_services,
# postfix_rx_counts and mta_postfix_halt. So a benchmark runs from a
# source tree or an unpacked tarball with a build directory, without the
# environment of make check.
#
# Options and programs
#   bench_opt OPT         in the script's getopts loop, the options all
#                         share: -b BUILDDIR, -n COUNT, -r ROUNDS, -p PORT,
#                         -k (KEEP), -v (VERBOSE), -h (usage 0); any
#                         other: usage
#   usage [STATUS]        lines USAGE_LINES of the script's top comment,
#                         on stderr unless STATUS is 0; exit STATUS (2)
#   numbers NAME...       each variable NAME must hold a decimal number
#                         (else usage); "010" becomes 10, not octal 8
#   die MESSAGE...        "SCRIPT: MESSAGE" on stderr, exit 1
#   need TOOL...          die unless every TOOL is installed
#   need_sasldb           die without Cyrus SASL's sasldb plugin
#   find_slimrelay        set SLIMRELAY (absolute): BUILDDIR/transport/
#                         slimrelay (-b), else $SLIMRELAY, else
#                         ../transport/slimrelay; die if not executable
#   find_bench_exec       set BENCH_EXEC: $BENCH_EXEC, else bench/bench-exec
#                         of the build directory above slimrelay's
# The temporary directory, and stopping what was started
#   bench_tmpdir NAME     set T: ${TMPDIR:-/tmp}/slimrelay-bench-NAME.XXXXXX,
#                         which other users may enter; cleanup at exit
#   copy_slimrelay        copy $SLIMRELAY to BIN ($T/bin/slimrelay), so
#                         that this run's processes are known by its path
#   track PID             stop PID (kill, wait) at exit
#   stop_pid PID          stop it now
#   stop_ours             the script's own processes at exit: nothing,
#                         unless the script defines it after sourcing
#   cleanup               (EXIT trap) stop_ours, halt the Postfix
#                         instances, stop the tracked PIDs, stop_ours
#                         again, remove the cgroups, remove $T (with -k,
#                         KEEP set: print "kept $T")
# Waiting and counting
#   port_busy PORT [ADDR] something listens on ADDR (127.0.0.1):PORT
#   ports_free PORT...    die when one of them is in use
#   wait_for SECONDS COMMAND...  run COMMAND every 0.05 s until it
#                         succeeds, at most SECONDS; its last status
#   nap SECONDS           sleep without a fork
#   now_us                the wall clock in microseconds
#   lines FILE            how many lines FILE has (0 if it does not exist)
#   median [FORMAT]       the median of the numbers on standard input
#   round_order R WORD... the WORDs, reversed when round R is odd
#   verdict CONDITION     PASS if the awk CONDITION holds, else MISS
# CPU time in cgroups (v2, or v1's cpuacct: counting exited processes too)
#   cg_init GROUP...      a cgroup for each GROUP; CG_BASE empty if none
#   enter_cg GROUP        move this (sub)shell into GROUP (if any)
#   cpu_us GROUP          CPU microseconds used in GROUP (0 without)
#   timed [-g GROUP] NAME N FILE COMMAND...  N runs of COMMAND (absolute
#                         path) by bench-exec in GROUP, FILE as input;
#                         set US and CPU (wall clock, CPU microseconds)
# Servers
#   start_sink GROUP LOG ADDR PORT [OPTION...]  smtp-sink on ADDR:PORT
#                         (as nobody when root) in GROUP, output to LOG,
#                         tracked; set SINK_PID; die unless it listens
#   make_cert CN          $T/key.pem and $T/cert.pem: a self-signed P-256
#                         certificate for CN and IP 127.0.0.1
#   bench_services        master.cf lines of Postfix's own services
#                         (mtalib.sh's, with tlsmgr and smtp)
#   postfix_up DIR GROUP PORT...  start the instance in DIR in GROUP,
#                         halted at exit; die unless it listens on every
#                         PORT of 127.0.0.1
#   rx_conf DIR DOMAIN... a receiving Postfix in DIR (rx.bench.test),
#                         its main.cf: mail for DOMAINs relayed for
#                         AUTH clients only, and discarded
#   rx_tls DIR            add STARTTLS (make_cert rx.bench.test) and
#                         SASL AUTH (sasldb: RX_USER with RX_PASS)
#   rx_secrets FILE PORT [OWNER]  slimrelay's auth_secrets_file for the
#                         receiving smtpd on 127.0.0.1:PORT, mode 600

set -u
export LC_ALL=C
PATH=$PATH:/usr/sbin:/sbin

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tests/integration/mtalib.sh
. "$BENCH_TOP/tests/integration/mtalib.sh" || {
	echo "${0##*/}: cannot read $BENCH_TOP/tests/integration/mtalib.sh" >&2
	exit 1
}

# The user the receiving Postfix knows (SASL, sasldb), and the password.
RX_USER=alice@bench.test
RX_PASS='bench pass'

PIDS=""
POSTFIX_DIRS=""
CGROUPS=()
CG_BASE='' CG_FILE=''
T=''
BIN=''

# ---- options and programs -----------------------------------------------

# (the script's getopts string names the ones it takes)
bench_opt() {
	case $1 in
	b) BUILDDIR=$OPTARG ;;
	n) COUNT=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	p) PORT=$OPTARG ;;
	k) KEEP=1 ;;
	v) VERBOSE=1 ;;
	h) usage 0 ;;
	*) usage ;;
	esac
}

usage() {
	if [ "${1:-2}" -eq 0 ]; then
		sed -n "${USAGE_LINES}s/^# \{0,1\}//p" "$0"
	else
		sed -n "${USAGE_LINES}s/^# \{0,1\}//p" "$0" >&2
	fi
	exit "${1:-2}"
}

numbers() {
	local name
	for name in "$@"; do
		case ${!name} in '' | *[!0-9]*) usage ;; esac
		printf -v "$name" %d "$((10#${!name}))"
	done
}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
	done
}

need_sasldb() {
	[ -n "$(ls /usr/lib/*/sasl2/libsasldb.so* \
	    /usr/lib/sasl2/libsasldb.so* 2>/dev/null)" ] ||
	    die "Cyrus SASL sasldb plugin missing (Debian:" \
		"libsasl2-modules-db), or skip the TLS part with -t 0"
}

find_slimrelay() {
	if [ -n "${BUILDDIR:-}" ]; then
		SLIMRELAY=$BUILDDIR/transport/slimrelay
	fi
	: "${SLIMRELAY:=../transport/slimrelay}"
	[ -x "$SLIMRELAY" ] ||
	    die "no program at $SLIMRELAY (use -b BUILDDIR or set SLIMRELAY)"
	SLIMRELAY=$(cd "$(dirname "$SLIMRELAY")" && pwd)/$(basename "$SLIMRELAY")
}

# (bench-exec execs without a PATH search: its programs have absolute paths)
find_bench_exec() {
	: "${BENCH_EXEC:=$(dirname "$(dirname "$SLIMRELAY")")/bench/bench-exec}"
	[ -x "$BENCH_EXEC" ] ||
	    die "no $BENCH_EXEC: build it (make) or set BENCH_EXEC"
}

# ---- the temporary directory, and stopping what was started ---------------

bench_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/slimrelay-bench-$1.XXXXXX") ||
	    die "mktemp failed"
	chmod 755 "$T"
	BIN=$T/bin/slimrelay
	trap cleanup EXIT
	trap 'exit 1' INT TERM
}

copy_slimrelay() {
	mkdir -p "$T/bin"
	cp "$SLIMRELAY" "$BIN" || die "cannot copy $SLIMRELAY"
	chmod 755 "$T/bin" "$BIN"
}

track() {
	PIDS="$PIDS $1"
}

stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

stop_ours() {
	:
}

cleanup() {
	local d p g
	stop_ours
	for d in $POSTFIX_DIRS; do
		mta_postfix_halt "$d"
	done
	for p in $PIDS; do
		stop_pid "$p"
	done
	# An MTA may have started one more of them meanwhile.
	stop_ours
	for g in "${CGROUPS[@]}"; do
		rmdir "$g" 2>/dev/null || { sleep 1; rmdir "$g" 2>/dev/null; }
	done
	if [ -n "${KEEP:-}" ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}

# ---- waiting and counting --------------------------------------------------

port_busy() {
	(exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
}

ports_free() {
	local p
	for p in "$@"; do
		! port_busy "$p" || die "port $p is in use (choose others with -p)"
	done
}

wait_for() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		"${@:2}" && return 0
		nap 0.05
	done
	"${@:2}"
}

# (a read from a pipe that nobody writes)
exec {NAPFD}<> <(:)
nap() {
	read -r -t "$1" -u "$NAPFD" _ || :
}

now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

lines() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# (of an even count the mean of the middle two, printed with FORMAT)
median() {
	sort -n | awk -v f="${1:-}" '{ v[NR] = $1 } END {
		if (NR % 2)
			print v[(NR + 1) / 2]
		else if (f == "")
			print (v[NR / 2] + v[NR / 2 + 1]) / 2
		else
			printf f "\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

round_order() {
	local i
	if (($1 % 2 == 0)); then
		echo "${@:2}"
	else
		for ((i = $#; i > 1; i--)); do
			printf '%s ' "${!i}"
		done
		echo
	fi
}

verdict() {
	if awk "BEGIN { exit !($1) }"; then echo PASS; else echo MISS; fi
}

# ---- CPU time in cgroups ---------------------------------------------------

# (each GROUP is CG_BASE/T's name-GROUP; removed at exit)
cg_init() {
	local g
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		CG_BASE=/sys/fs/cgroup CG_FILE=cpu.stat
	elif [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
		CG_BASE=/sys/fs/cgroup/cpuacct CG_FILE=cpuacct.usage
	fi
	[ -n "$CG_BASE" ] || return 0
	for g in "$@"; do
		if mkdir "$CG_BASE/${T##*/}-$g" 2>/dev/null; then
			CGROUPS+=("$CG_BASE/${T##*/}-$g")
		else
			CG_BASE=
			break
		fi
	done
}

enter_cg() {
	[ -z "$CG_BASE" ] || [ -z "$1" ] ||
	    echo "$BASHPID" >"$CG_BASE/${T##*/}-$1/cgroup.procs"
}

cpu_us() {
	local f=$CG_BASE/${T##*/}-$1/$CG_FILE k v
	if [ -z "$CG_BASE" ]; then
		echo 0
	elif [ "$CG_FILE" = cpu.stat ]; then
		while read -r k v; do
			[ "$k" = usage_usec ] && { echo "$v"; return; }
		done <"$f"
	else
		read -r v <"$f"
		echo $((v / 1000))
	fi
}

# (each run: a fork, FILE as standard input, a pipe as standard output
# and error, an exec, as pipe(8) starts a delivery; $T/last.out gets the
# last run's output; dies, naming NAME, when a run does not exit 0)
timed() {
	local group='' output
	if [ "$1" = -g ]; then
		group=$2
		shift 2
	fi
	US='' CPU=''
	if ! (enter_cg "$group" && exec "$BENCH_EXEC" -n "$2" -i "$3" \
	    -o "$T/last.out" -- "${@:4}") >"$T/timed.out" 2>"$T/timed.err"
	then
		output=$(head -c 300 "$T/last.out" 2>/dev/null)
		die "$1: $(cat "$T/timed.err")${output:+: $output}"
	fi
	read -r US CPU <"$T/timed.out"
	case $US:$CPU in
	:* | *: | *[!0-9:]*)
		die "bench-exec printed no times: $(cat "$T/timed.out")" ;;
	esac
}

# ---- servers -----------------------------------------------------------------

# (256 sessions at most; a subshell that execs, so $! is smtp-sink itself)
start_sink() {
	local group=$1 log=$2 addr=$3 port=$4 user=() i
	shift 4
	[ "$(id -u)" != 0 ] || user=(-u nobody)
	(enter_cg "$group" && exec smtp-sink "$@" "${user[@]}" \
	    "$addr:$port" 256) >"$log" 2>&1 &
	SINK_PID=$!
	track "$SINK_PID"
	for ((i = 0; i < 100; i++)); do
		port_busy "$port" "$addr" && return 0
		kill -0 "$SINK_PID" 2>/dev/null ||
		    die "smtp-sink exited: $(tail -n 3 "$log")"
		nap 0.05
	done
	die "smtp-sink did not start on $addr:$port"
}

make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/key.pem" -out "$T/cert.pem" -subj "/CN=$1" \
	    -addext "subjectAltName=IP:127.0.0.1" -days 2 2>/dev/null ||
	    die "openssl failed"
	chmod 644 "$T"/*.pem
}

bench_services() {
	postfix_services
	cat <<-'EOF'
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	smtp      unix  -       -       n       -       -       smtp
	EOF
}

postfix_up() {
	local dir=$1 group=$2 p
	shift 2
	POSTFIX_DIRS="$POSTFIX_DIRS $dir"
	(enter_cg "$group" && exec postfix -c "$dir/etc" start) \
	    >"$dir/start.out" 2>&1 ||
	    die "postfix -c $dir/etc start: $(cat "$dir/start.out")"
	for p in "$@"; do
		wait_for 10 port_busy "$p" || die "no Postfix smtpd on 127.0.0.1:$p"
	done
}

# (the script adds its smtpd listeners to DIR/etc/master.cf)
rx_conf() {
	local dir=$1
	shift
	postfix_instance_dirs "$dir"
	{
		echo "# receiving Postfix of bench/${0##*/}"
		postfix_instance_conf "$dir" rx.bench.test
		cat <<-EOF
		relay_domains = $*
		default_transport = discard
		relay_transport = discard
		smtpd_relay_restrictions = permit_sasl_authenticated, reject
		EOF
	} >"$dir/etc/main.cf"
}

# (AUTH after STARTTLS only; the smtpd logs its handshakes)
rx_tls() {
	local dir=$1
	make_cert rx.bench.test
	cat >>"$dir/etc/main.cf" <<-EOF
	smtpd_tls_chain_files = $T/key.pem, $T/cert.pem
	smtpd_tls_security_level = may
	smtpd_tls_loglevel = 1
	smtpd_tls_auth_only = yes
	smtpd_sasl_auth_enable = yes
	smtpd_sasl_type = cyrus
	smtpd_sasl_path = smtpd
	cyrus_sasl_config_path = $dir/etc/sasl
	smtpd_sasl_security_options = noanonymous
	EOF
	mkdir -p "$dir/etc/sasl"
	echo "$RX_PASS" | saslpasswd2 -p -f "$dir/etc/sasl/sasldb2" -c \
	    -u "${RX_USER#*@}" "${RX_USER%%@*}" || die "saslpasswd2 failed"
	chown postfix "$dir/etc/sasl/sasldb2"
	chmod 600 "$dir/etc/sasl/sasldb2"
	cat >"$dir/etc/sasl/smtpd.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	mech_list: PLAIN LOGIN
	sasldb_path: $dir/etc/sasl/sasldb2
	EOF
}

rx_secrets() {
	local owner=()
	[ $# -lt 3 ] || owner=(-o "$3")
	install "${owner[@]}" -m 600 /dev/null "$1"
	printf '[127.0.0.1]:%s %s %s\n' "$2" "$RX_USER" "$RX_PASS" >"$1"
}
