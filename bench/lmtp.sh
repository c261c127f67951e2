#!/usr/bin/env bash
# bench/lmtp.sh - draining a queue through Postfix: its own smtp client,
# slimrelay behind pipe(8), and slimrelay in LMTP mode behind lmtp(8).
#
# Usage: bench/lmtp.sh [-b BUILDDIR] [-n COUNT] [-t COUNT] [-r ROUNDS]
#                      [-u USER] [-p PORT] [-k] [-v] [-h]
#
#   -b BUILDDIR  the build directory (default: $SLIMRELAY if set, else
#                ../transport/slimrelay from the current directory)
#   -n COUNT     messages per kind and round, plaintext next hop
#                (default 1000)
#   -t COUNT     messages per kind and round, STARTTLS + AUTH next hop
#                (default 300; 0 skips that part)
#   -r ROUNDS    rounds; the kinds alternate within each (default 3)
#   -u USER      the user pipe(8) and spawn(8) run slimrelay as
#                (default slimrelay; it must exist)
#   -p PORT      first of three ports on 127.0.0.1 (default 2790): the
#                front Postfix's smtpd, smtp-sink, the receiving smtpd
#   -k           keep the temporary directory (logs, configuration)
#   -v           print every timed drain
#
# Needs root (private Postfix instances: postfix -c DIR). A front
# Postfix gets COUNT messages of 1 KiB (smtp-source) into its hold
# queue, then releases them (postsuper -H ALL, postqueue -f), and the
# time until its queue is empty is measured, for each kind:
#   postfix   Postfix's smtp(8) to smtp-sink
#   pipe      slimrelay behind pipe(8) (postfix-example/master.cf and
#             main.cf), one process per message
#   lmtp      slimrelay --lmtp behind lmtp(8) and spawn(8)
#             (postfix-example/master-lmtp.cf and main-lmtp.cf)
# and then pipe and lmtp again with a next hop that is a Postfix smtpd
# with STARTTLS and SASL AUTH (smarthost_tls_level = encrypt and
# auth_secrets_file; that Postfix discards the mail). An LMTP drain
# starts cold: the previous one's slimrelay processes have ended. For
# each kind it prints the median messages/s over the rounds, the CPU
# time per message of the front Postfix (slimrelay included) and of the
# next hop (when cgroups allow), and the connections to the next hop
# per message, with TLS also the handshakes and AUTH exchanges that the
# receiving smtpd logged; then the ratios lmtp/postfix (goal >= 1),
# lmtp/pipe (goal >= 3) and, with TLS, lmtp/pipe (goal >= 3). Exits 0
# whatever the numbers; 1 when something failed (a delivery not made,
# a tool missing), 2 on a usage error. See bench/README.md.

COUNT=1000
TLS_COUNT=300
ROUNDS=3
RUN_USER=slimrelay
PORT=2790
KEEP=
VERBOSE=
BUILDDIR=
USAGE_LINES=2,21
. "$(dirname "$0")/lib.sh"
shopt -s nullglob

while getopts b:n:t:r:u:p:kvh opt; do
	case $opt in
	t) TLS_COUNT=$OPTARG ;;
	u) RUN_USER=$OPTARG ;;
	*) bench_opt "$opt" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
numbers COUNT TLS_COUNT ROUNDS PORT
[ "$COUNT" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$PORT" -lt 65534 ] || usage

find_slimrelay
EXAMPLES=$BENCH_TOP/postfix-example
[ -r "$EXAMPLES/master-lmtp.cf" ] || die "cannot read $EXAMPLES/master-lmtp.cf"
[ "$(id -u)" = 0 ] || die "needs root (private Postfix instances)"
need postfix postconf postsuper postqueue smtp-source smtp-sink runuser \
    openssl saslpasswd2 pgrep awk sort
id "$RUN_USER" >/dev/null 2>&1 ||
    die "no user $RUN_USER: create it (useradd -r -U -M -d /nonexistent" \
	"-s /usr/sbin/nologin $RUN_USER) or name another with -u"
[ "$RUN_USER" != root ] && [ "$RUN_USER" != postfix ] ||
    die "-u: pipe(8) and spawn(8) refuse root and mail_owner"
[ "$TLS_COUNT" -eq 0 ] || need_sasldb

FRONT=$PORT
SINK=$((PORT + 1))
RXPORT=$((PORT + 2))
ports_free "$FRONT" "$SINK" "$RXPORT"

bench_tmpdir lmtp
PF=$T/front
RX=$T/rx
# stop_ours - (at exit, lib.sh's cleanup) slimrelay processes of this run
#	that outlived their Postfix
stop_ours() {
	pkill -TERM -f -- "^$BIN " 2>/dev/null
}

# CPU time: each of front (the front Postfix and every slimrelay it
# starts), sink and rx (the receiving Postfix) runs in a cgroup of its
# own, whose CPU usage counts exited processes too: cgroup v2, or v1's
# cpuacct; without either, no CPU figures.
cg_init front sink rx

# ---- the programs and slimrelay.conf ----------------------------------------

mkdir -p "$T/var"
CONF=$T/bin/slimrelay.conf
RLOG=$T/var/slimrelay.log
copy_slimrelay
chown "$RUN_USER:" "$T/var"
chmod 700 "$T/var"
rx_secrets "$T/var/secrets" "$RXPORT" "$RUN_USER"
cat >"$CONF" <<EOF
# slimrelay.conf of bench/lmtp.sh
log = $RLOG
state_directory = $T/var
# Pipe mode as issue 13 measured it, one connection per message (the
# keeper has its own benchmark, bench/keeper.sh).
connection_keeper = no
ehlo_name = client.bench.test
route = .plain.bench smtp:[127.0.0.1]:$SINK
route = .tls.bench smtp:[127.0.0.1]:$RXPORT tls=encrypt
auth_secrets_file = $T/var/secrets
EOF
chmod 644 "$CONF"
runuser -u "$RUN_USER" -- test -x "$BIN" ||
    die "user $RUN_USER cannot run $BIN: set TMPDIR to a directory others can enter"

# ---- Postfix instances ----------------------------------------------------------

# subst FILE - a postfix-example file with the placeholders replaced
subst() {
	sed -e "s|@SLIMRELAY@|$BIN|g" -e "s|@CONF@|$CONF|g" \
	    -e "s|user=slimrelay|user=$RUN_USER|g" "$1"
}

# The front Postfix: what it receives waits in the hold queue.
postfix_instance_dirs "$PF"
{
	echo "# front Postfix of bench/lmtp.sh"
	postfix_instance_conf "$PF" front.bench.test
	cat <<-EOF
	relay_domains = a.plain.bench b.plain.bench c.plain.bench
	    b.tls.bench c.tls.bench
	smtpd_recipient_restrictions = check_client_access static:HOLD,
	    permit_mynetworks, reject
	transport_maps = texthash:$PF/etc/transport

	# ---- postfix-example/main.cf ----
	EOF
	# Without their default_transport and relay_transport (both set
	# them; transport_maps choose the kind here).
	subst "$EXAMPLES/main.cf" | sed '/^default_transport = /d; /^relay_transport = /d'
	echo "# ---- postfix-example/main-lmtp.cf ----"
	subst "$EXAMPLES/main-lmtp.cf" | sed '/^default_transport = /d; /^relay_transport = /d'
} >"$PF/etc/main.cf"
{
	echo "127.0.0.1:$FRONT inet n - n - - smtpd"
	bench_services
	echo "# ---- postfix-example/master.cf ----"
	subst "$EXAMPLES/master.cf"
	echo "# ---- postfix-example/master-lmtp.cf ----"
	subst "$EXAMPLES/master-lmtp.cf"
} >"$PF/etc/master.cf"
cat >"$PF/etc/transport" <<EOF
a.plain.bench	smtp:[127.0.0.1]:$SINK
b.plain.bench	slimrelay:[127.0.0.1]:$SINK
c.plain.bench	slimlmtp:unix:private/slimrelay-lmtp
b.tls.bench	slimrelay:[127.0.0.1]:$RXPORT
c.tls.bench	slimlmtp:unix:private/slimrelay-lmtp
EOF

start_sink sink "$T/sink.out" 127.0.0.1 "$SINK"

if [ "$TLS_COUNT" -gt 0 ]; then
	# The receiving Postfix: STARTTLS, AUTH required to relay, mail
	# discarded.
	rx_conf "$RX" b.tls.bench c.tls.bench
	rx_tls "$RX"
	{
		echo "127.0.0.1:$RXPORT inet n - n - - smtpd"
		bench_services
	} >"$RX/etc/master.cf"
	postfix_up "$RX" rx "$RXPORT"
fi
postfix_up "$PF" front "$FRONT"

# ---- one drain ----------------------------------------------------------------

# queue_files QUEUE... - how many messages the front Postfix has there
#	(deferred is hashed into subdirectories, hash_queue_names)
queue_files() {
	local d f=()
	for d in "$@"; do
		case $d in
		deferred) f+=("$PF/spool/$d"/*/*) ;;
		*) f+=("$PF/spool/$d"/*) ;;
		esac
	done
	echo "${#f[@]}"
}
# no_slimrelay - true when no slimrelay process of this run is left
#	(LMTP mode's end when Postfix's connection cache closes their
#	connection, lmtp_connection_cache_time_limit after their last use)
no_slimrelay() {
	! pgrep -f -- "^$BIN " >/dev/null
}
# lmtp_cpu_us - CPU microseconds used so far by the slimrelay processes
#	of this run that are alive (LMTP mode's outlive the drain), from
#	/proc/PID/sched; "-" when the kernel does not show that file
lmtp_cpu_us() {
	local pids
	[ -r /proc/self/sched ] || { echo -; return; }
	pids=$(pgrep -f -- "^$BIN --lmtp" | sed 's|.*|/proc/&/sched|')
	[ -n "$pids" ] || { echo 0; return; }
	# shellcheck disable=SC2086
	awk -F: '$1 ~ /^se\.sum_exec_runtime / { ms += $2 }
	    END { printf "%d\n", ms * 1000 }' $pids 2>/dev/null
}
# rx_closed - true when every session the receiving smtpd logged has ended
rx_closed() {
	[ "$TLS_COUNT" -eq 0 ] ||
	    [ "$(grep -c ': connect from ' "$RX/maillog")" = \
	    "$(grep -c ': disconnect from ' "$RX/maillog")" ]
}
# front_count FROM DOMAIN [AGENT] - delivery records to DOMAIN from line
#	FROM of the front Postfix's log: "SENT OPENED OTHER", OPENED the sent
#	ones without conn_use= (AGENT: only those of smtp or lmtp), OTHER
#	those not sent
front_count() {
	tail -n "+$1" "$PF/maillog" | awk -v dom="@$2>," -v agent="${3:-}" '
	index($0, " to=<") && index($0, dom) {
		if (agent != "" && !index($0, "/" agent "["))
			next
		if (index($0, "status=sent")) {
			s++
			if (!index($0, "conn_use="))
				o++
		} else
			x++
	}
	END { printf "%d %d %d\n", s, o, x }'
}
# rlog_opened FROM DOMAIN - slimrelay's records of sent mail to DOMAIN
#	from line FROM of its log that opened their connection
rlog_opened() {
	tail -n "+$1" "$RLOG" 2>/dev/null | awk -v dom="@$2>," '
	index($0, " to=<") && index($0, dom) && index($0, "status=sent") &&
	    !index($0, "conn_use=") { o++ }
	END { print o + 0 }'
}
# rx_count FROM - from line FROM of the receiving smtpd's log:
#	"CONNECTIONS HANDSHAKES AUTHS MAILS QUITS" (mtalib.sh's
#	postfix_rx_counts: AUTH exchanges from the auth= of the "disconnect
#	from" lines)
rx_count() {
	postfix_rx_counts <(tail -n "+$1" "$RX/maillog")
}

declare -A DOM=([postfix]=a.plain.bench [pipe]=b.plain.bench
    [lmtp]=c.plain.bench [pipe-tls]=b.tls.bench [lmtp-tls]=c.tls.bench)
# drain KIND N - queue N messages for KIND, release them and time the
#	drain; appends to $T/times "KIND N MICROSECONDS CPU-FRONT CPU-HOP
#	CONNECTIONS LMTP-CONNECTIONS HANDSHAKES AUTHS CPU-SLIMRELAY" (CPU in
#	microseconds, HOP the sink or the receiving Postfix; handshakes and
#	AUTHs only with TLS; CPU-SLIMRELAY that of LMTP mode's processes)
drain() {
	local kind=$1 n=$2 dom=${DOM[$1]} hop=sink i t0 t1 f0 h0 f1 h1 \
	    fl rl xl sent other conns lmtp_conns=0 tls=0 auth=0 \
	    srcpu=-
	case $kind in *-tls) hop=rx ;; esac
	[ "$(queue_files hold active incoming deferred)" = 0 ] ||
	    die "the front queue is not empty before a drain"
	smtp-source -d -m "$n" -l 1024 -S "bench $kind" -f a@sender.bench \
	    -t "bob@$dom" "127.0.0.1:$FRONT" >"$T/source.out" 2>&1 ||
	    die "smtp-source: $(tail -n 3 "$T/source.out")"
	wait_for 30 eval '[ "$(queue_files hold)" -ge "$n" ]'
	[ "$(queue_files hold)" = "$n" ] ||
	    die "$(queue_files hold) messages on hold, not $n"
	wait_for 60 no_slimrelay ||
	    die "slimrelay processes did not end within 60 s"
	wait_for 30 rx_closed || die "sessions to the receiving smtpd stay open"
	fl=$(($(lines "$PF/maillog") + 1))
	rl=$(($(lines "$RLOG") + 1))
	xl=$(($(lines "$RX/maillog") + 1))
	postsuper -c "$PF/etc" -H ALL 2>/dev/null
	f0=$(cpu_us front) h0=$(cpu_us $hop)
	t0=$(now_us)
	postqueue -c "$PF/etc" -f
	while [ "$(queue_files active incoming deferred hold)" != 0 ]; do
		nap 0.01
	done
	t1=$(now_us)
	f1=$(cpu_us front) h1=$(cpu_us $hop)
	case $kind in lmtp*) srcpu=$(lmtp_cpu_us) ;; esac
	# The log may lag the queue by a moment.
	wait_for 10 eval '[ "$(front_count "$fl" "$dom" | cut -d" " -f1)" -ge "$n" ]'
	read -r sent _ other < <(front_count "$fl" "$dom")
	[ "$sent" = "$n" ] && [ "$other" = 0 ] ||
	    die "$kind: $sent of $n messages logged as sent, $other not" \
		"(see $PF/maillog; -k keeps it)"
	case $kind in
	postfix) read -r _ conns _ < <(front_count "$fl" "$dom" smtp) ;;
	*) conns=$(rlog_opened "$rl" "$dom") ;;
	esac
	case $kind in
	lmtp*) read -r _ lmtp_conns _ < <(front_count "$fl" "$dom" lmtp) ;;
	esac
	if [ "$hop" = rx ]; then
		# AUTH is logged when a session ends: pipe mode's at once,
		# LMTP mode's after connection_idle_timeout.
		wait_for 30 rx_closed ||
		    die "sessions to the receiving smtpd stay open"
		read -r conns tls auth _ < <(rx_count "$xl")
	fi
	echo "$kind $n $((t1 - t0)) $((f1 - f0)) $((h1 - h0)) $conns" \
	    "$lmtp_conns $tls $auth $srcpu" >>"$T/times"
	[ -z "$VERBOSE" ] ||
	    awk -v k="$kind" -v n="$n" -v us="$((t1 - t0))" -v c="$conns" \
		-v l="$lmtp_conns" -v t="$tls" -v a="$auth" 'BEGIN {
		printf "  %-9s %4d messages in %7.1f ms: %7.1f msgs/s, %d connections", k, n, us / 1000, n * 1e6 / us, c
		if (k ~ /^lmtp/) printf ", %d LMTP connections", l
		if (k ~ /-tls$/) printf ", %d handshakes, %d AUTH", t, a
		printf "\n" }'
}

# ---- the rounds ----------------------------------------------------------------

PLAIN_KINDS="postfix pipe lmtp"
TLS_KINDS="pipe-tls lmtp-tls"
[ "$TLS_COUNT" -gt 0 ] || TLS_KINDS=
# A warm-up drain of every kind starts Postfix's daemons and fills
# slimrelay's TLS session cache; it is not counted.
echo "lmtp.sh: Postfix $(postconf -d -h mail_version), 1 KiB messages," \
    "$ROUNDS rounds"
[ -z "$VERBOSE" ] || echo "warm-up (not counted)"
for k in $PLAIN_KINDS $TLS_KINDS; do
	drain "$k" 10
done
: >"$T/times"
for ((r = 0; r < ROUNDS; r++)); do
	[ -z "$VERBOSE" ] || echo "round $((r + 1))"
	for k in $(round_order "$r" $PLAIN_KINDS); do
		drain "$k" "$COUNT"
	done
	for k in $(round_order "$r" $TLS_KINDS); do
		drain "$k" "$TLS_COUNT"
	done
done

# ---- results ----------------------------------------------------------------

# rate KIND - median messages/s over the rounds
rate() {
	awk -v k="$1" '$1 == k { printf "%.1f\n", $2 * 1e6 / $3 }' "$T/times" |
	    median %.1f
}
# row KIND - one line of the table: median rate, every round's rate,
#	CPU ms per message (front, slimrelay's share in LMTP mode, next
#	hop) and connections per message, over all rounds
row() {
	awk -v k="$1" -v med="$(rate "$1")" -v cpu="${CG_BASE:+1}" '
	$1 == k {
		r = r sprintf(" %.0f", $2 * 1e6 / $3)
		n += $2; f += $4; h += $5; c += $6; l += $7; t += $8; a += $9
		if ($10 == "-") nosr = 1; else sr += $10
	}
	END {
		out = cpu ? sprintf("%5.2f", f / n / 1000) : "    -"
		if (k ~ /^lmtp/ && !nosr)
			out = out sprintf(" %5.2f", sr / n / 1000)
		else
			out = out "     -"
		out = out (cpu ? sprintf(" %5.2f", h / n / 1000) : "     -")
		printf "  %-9s %7.1f %-16s %s   %5.3f", k, med, "(" substr(r, 2) ")", out, c / n
		if (k ~ /^lmtp/)
			printf " %5.3f", l / n
		else
			printf "     -"
		if (k ~ /-tls$/)
			printf " %5.3f %5.3f", t / n, a / n
		printf "\n"
	}' "$T/times"
}
header() {
	printf '  %-9s %7s %-16s %-17s   %s\n' kind msgs/s "" \
	    "CPU ms/message" "per message: connections$1"
	printf '  %-9s %7s %-16s %-17s   %s\n' "" median "(each round)" \
	    "front (slim)   hop" "  hop  LMTP$2"
}
echo
echo "plaintext next hop (smtp-sink), $COUNT messages per kind and round"
header "" ""
for k in $PLAIN_KINDS; do
	row "$k"
done
if [ -n "$TLS_KINDS" ]; then
	echo
	echo "STARTTLS + AUTH next hop (Postfix smtpd), $TLS_COUNT messages per kind and round"
	header ", TLS handshakes, AUTH" "   TLS  AUTH"
	for k in $TLS_KINDS; do
		row "$k"
	done
fi
echo "  (front: the front Postfix with every slimrelay it ran; slim: LMTP mode's"
echo "  slimrelay processes alone; hop: smtp-sink or the receiving Postfix)"
[ -n "$CG_BASE" ] || echo "  (no CPU figures: no cgroup v2 or v1 cpuacct to count them in)"
echo
ratio() {
	awk -v a="$(rate "$1")" -v b="$(rate "$2")" 'BEGIN { printf "%.2f", a / b }'
}
printf '  %-22s %-8s %-8s %s\n' ratio target measured result
r=$(ratio lmtp postfix)
printf '  %-22s %-8s %-8s %s\n' "lmtp / postfix" ">= 1" "$r" "$(verdict "$r >= 1")"
r=$(ratio lmtp pipe)
printf '  %-22s %-8s %-8s %s\n' "lmtp / pipe" ">= 3" "$r" "$(verdict "$r >= 3")"
if [ -n "$TLS_KINDS" ]; then
	r=$(ratio lmtp-tls pipe-tls)
	printf '  %-22s %-8s %-8s %s\n' "lmtp-tls / pipe-tls" ">= 3" "$r" \
	    "$(verdict "$r >= 3")"
fi
exit 0
