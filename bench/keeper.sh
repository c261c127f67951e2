#!/usr/bin/env bash
# bench/keeper.sh - pipe mode with the keeper of idle connections against
# without it: one-message runs, one after the other, as pipe(8) starts them.
#
# Usage: bench/keeper.sh [-b BUILDDIR] [-n COUNT] [-s COUNT] [-t COUNT]
#                        [-r ROUNDS] [-p PORT] [-k] [-v] [-h]
#
#   -b BUILDDIR  the build directory (default: $SLIMRELAY if set, else
#                ../transport/slimrelay from the current directory)
#   -n COUNT     runs per side and round, plaintext to smtp-sink
#                (default 200)
#   -s COUNT     runs per side and round, plaintext to a Postfix smtpd
#                (default 200; 0 skips that part)
#   -t COUNT     runs per side and round, STARTTLS + AUTH next hop
#                (default 100; 0 skips that part)
#   -r ROUNDS    rounds; the sides alternate within each (default 5)
#   -p PORT      first of three ports on 127.0.0.1 (default 2830, of the
#                range 2830-2839 kept for it): smtp-sink, the receiving
#                Postfix's STARTTLS + AUTH smtpd, its plaintext smtpd
#   -k           keep the temporary directory (logs, configuration)
#   -v           print every timed batch
#
# Every run is a fork and exec of slimrelay by bench/bench-exec, with a
# 1 KiB message on standard input and its output read to the end, as
# pipe(8) runs a delivery. The two sides differ in one setting:
#   no-keeper  connection_keeper = no: connect, EHLO (STARTTLS, AUTH),
#              the transaction, QUIT, every run
#   keeper     connection_keeper = yes: a run takes an idle session from
#              the keeper (RSET probe) and hands it back after the
#              transaction (a TLS session through its pump)
# each with a state directory of its own (the TLS session cache of the
# no-keeper side, the keeper of the other). Next hops (the parts):
# smtp-sink (plain), and, as root, a private Postfix that discards the
# mail, with two smtpd listeners: one plaintext, relaying for 127.0.0.0/8
# without AUTH (smtpd-plain), one with STARTTLS and SASL AUTH (tls;
# smarthost_tls_level = encrypt, auth_secrets_file). Before every batch
# the sessions of the previous
# one have ended, so every keeper batch starts with no idle session.
# Printed per side: the median messages/s over the rounds (and each
# round's), CPU ms per message of the runs alone (bench-exec's rusage),
# of all the client's processes (the runs, the keeper and the TLS pumps,
# counted in a cgroup when there is one) and of the next hop, and per
# message the connections the next hop saw (smtp-sink -v "connect"
# lines, smtpd "connect from" lines), with TLS also its handshakes and
# AUTH exchanges; then keeper/no-keeper with the goals (plaintext >= 1.3,
# against smtp-sink; STARTTLS + AUTH >= 3; the plaintext smtpd's ratio
# is for information). Exits 0 whatever the numbers; 1 when something
# failed (a run that did not exit 0, a message missing at the next hop,
# a tool missing), 2 on a usage error. See bench/README.md.

COUNT=200
SMTPD_COUNT=200
TLS_COUNT=100
ROUNDS=5
PORT=2830
KEEP=
VERBOSE=
BUILDDIR=
USAGE_LINES=2,22
. "$(dirname "$0")/lib.sh"

while getopts b:n:s:t:r:p:kvh opt; do
	case $opt in
	s) SMTPD_COUNT=$OPTARG ;;
	t) TLS_COUNT=$OPTARG ;;
	*) bench_opt "$opt" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
numbers COUNT SMTPD_COUNT TLS_COUNT ROUNDS PORT
[ "$COUNT" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$PORT" -ge 1 ] &&
    [ "$PORT" -lt 65534 ] || usage
# POSTFIX: the receiving Postfix is needed (for smtpd-plain, tls or both)
POSTFIX=
[ "$SMTPD_COUNT" -eq 0 ] && [ "$TLS_COUNT" -eq 0 ] || POSTFIX=1

find_slimrelay
find_bench_exec
need smtp-sink pgrep awk sort
if [ -n "$POSTFIX" ]; then
	[ "$(id -u)" = 0 ] ||
	    die "the smtpd-plain and STARTTLS + AUTH parts need root (a" \
		"private Postfix); -s 0 -t 0 skips them"
	need postfix postconf
fi
if [ "$TLS_COUNT" -gt 0 ]; then
	need openssl saslpasswd2
	need_sasldb
fi

SINK=$PORT
RXPORT=$((PORT + 1))
RXPLAIN=$((PORT + 2))
ports_free "$SINK" "$RXPORT" "$RXPLAIN"

bench_tmpdir keeper
RX=$T/rx
SIDES="no-keeper keeper"

# our_pids - the processes of this run's slimrelay copy: keepers, TLS
#	pumps, runs (their command lines start with its unique path)
our_pids() {
	pgrep -f -- "^$BIN " 2>/dev/null
}
# stop_keepers - end the keeper of every state directory by the PID in
#	its lock file (when that process is ours), then the pumps left
stop_keepers() {
	local lock pid i
	for lock in "$T"/state/*/keeper/k1.lock; do
		[ -f "$lock" ] || continue
		pid=$(tr -dc 0-9 <"$lock")
		[ -n "$pid" ] || continue
		case $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") in
		"$BIN "*) kill -TERM "$pid" 2>/dev/null ;;
		esac
	done
	for ((i = 0; i < 30; i++)); do
		[ -n "$(our_pids)" ] || return 0
		sleep 0.1
	done
	# Pumps whose keeper could not say QUIT, anything stuck.
	pkill -KILL -f -- "^$BIN " 2>/dev/null
}
# stop_ours - (at exit, lib.sh's cleanup) the keepers and pumps
stop_ours() {
	stop_keepers
}

# CPU time: each side's runs (with the keeper and the pumps they start,
# which stay in their cgroup whatever setsid does) and the next hops run
# in cgroups of their own, whose CPU usage counts exited processes too:
# cgroup v2, or v1's cpuacct; without either, only the runs' own CPU time.
cg_init $SIDES hop

# ---- the program, the message, the configurations -----------------------------

mkdir -p "$T/var" "$T/log"
# A copy of its own, so that this run's keepers and pumps are known by
# their command line (the keeper is the same program, /proc/self/exe).
copy_slimrelay
for side in $SIDES; do
	mkdir -p "$T/state/plain-$side" "$T/state/smtpd-plain-$side" \
	    "$T/state/tls-$side"
done
{
	printf 'Subject: keeper bench\nFrom: a@sender.bench\nTo: bob@rx.bench\n\n'
	for ((i = 0; i < 15; i++)); do
		printf '%063d\n' "$i"
	done
} | head -c 1023 >"$T/msg"
printf '\n' >>"$T/msg"
rx_secrets "$T/var/secrets" "$RXPORT"
cat >"$T/plain.conf" <<EOF
# bench/keeper.sh, plaintext next hop
ehlo_name = client.bench.test
EOF
cat >"$T/smtpd-plain.conf" <<EOF
# bench/keeper.sh, plaintext Postfix smtpd next hop
ehlo_name = client.bench.test
EOF
cat >"$T/tls.conf" <<EOF
# bench/keeper.sh, STARTTLS + AUTH next hop
ehlo_name = client.bench.test
smarthost_tls_level = encrypt
auth_secrets_file = $T/var/secrets
EOF

# ---- the next hops ------------------------------------------------------------

# smtp-sink -v logs "connect (...)" and "disconnect" for every session and
# "." for every message.
start_sink hop "$T/sink.log" 127.0.0.1 "$SINK" -v
wait_for 5 eval '[ "$(grep -c "^smtp-sink: disconnect" "$T/sink.log")" -ge 1 ]' ||
    die "smtp-sink does not log its sessions with -v (see $T/sink.log)"

if [ -n "$POSTFIX" ]; then
	# The receiving Postfix, as bench/lmtp.sh's, mail discarded. The
	# smtpd of the tls part (postfix/smtpd in the log): STARTTLS, AUTH
	# required to relay. The smtpd of the smtpd-plain part
	# (postfix/plain/smtpd): no TLS, no AUTH, relaying for mynetworks.
	# Both look the client's name up (smtpd_peername_lookup = yes, the
	# default), as a real smtpd does: 127.0.0.1 is localhost in
	# /etc/hosts here, so no DNS (see bench/README.md).
	rx_conf "$RX" rx.bench
	: >"$RX/etc/master.cf"
	if [ "$SMTPD_COUNT" -gt 0 ]; then
		cat >>"$RX/etc/master.cf" <<-EOF
		127.0.0.1:$RXPLAIN inet n - n - - smtpd
		  -o syslog_name=postfix/plain
		  -o smtpd_tls_security_level=none
		  -o smtpd_sasl_auth_enable=no
		  -o smtpd_relay_restrictions=permit_mynetworks,reject
		EOF
	fi
	if [ "$TLS_COUNT" -gt 0 ]; then
		rx_tls "$RX"
		cat >>"$RX/etc/master.cf" <<-EOF
		127.0.0.1:$RXPORT inet n - n - - smtpd
		EOF
	fi
	bench_services >>"$RX/etc/master.cf"
	postfix_up "$RX" hop $([ "$SMTPD_COUNT" -eq 0 ] || echo "$RXPLAIN") \
	    $([ "$TLS_COUNT" -eq 0 ] || echo "$RXPORT")
fi

# ---- counting at the next hops ---------------------------------------------------

# sink_count FROM - from line FROM of smtp-sink's log: "SESSIONS CLOSED
#	MESSAGES"
sink_count() {
	tail -n "+$1" "$T/sink.log" | awk '
	/^smtp-sink: connect \(/ { c++ }
	/^smtp-sink: disconnect$/ { d++ }
	/^smtp-sink: \.$/ { m++ }
	END { printf "%d %d %d\n", c, d, m }'
}
# rx_count PART FROM - from line FROM of the receiving Postfix's log, the
#	lines of PART's smtpd (tls: postfix/smtpd, smtpd-plain:
#	postfix/plain/smtpd): "SESSIONS CLOSED MESSAGES HANDSHAKES AUTHS",
#	MESSAGES those accepted (tls: from an authenticated client), AUTHS
#	the AUTH commands of the "disconnect from" lines (auth=N/M: N)
rx_count() {
	local name=smtpd auth=1
	[ "$1" = tls ] || name=plain/smtpd auth=0
	tail -n "+$2" "$RX/maillog" | awk -v name=" postfix/${name}[" \
	    -v auth="$auth" '
	# smtpd - the rest of the line after "postfix/NAME[PID]: " of the
	#	smtpd asked for, or "" when the line is not one of its own
	function smtpd(  i, r) {
		i = index($0, name)
		if (!i)
			return ""
		r = substr($0, i + length(name))
		if (!match(r, /^[0-9]+\]: /))
			return ""
		return substr(r, RLENGTH + 1)
	}
	{ l = smtpd() }
	l == "" { next }
	l ~ /^connect from / { c++ }
	l ~ /^disconnect from / {
		d++
		for (i = 1; i <= NF; i++)
			if ($i ~ /^auth=/) {
				split(substr($i, 6), n, "/")
				a += n[1]
			}
	}
	l ~ /^[0-9A-Za-z]+: client=/ && (!auth || l ~ /, sasl_method=/) { m++ }
	l ~ /TLS connection established from / { t++ }
	END { printf "%d %d %d %d %d\n", c, d, m, t, a }'
}
# hop_log PART - the next hop's log of PART (plain, smtpd-plain or tls)
hop_log() {
	if [ "$1" = plain ]; then echo "$T/sink.log"; else echo "$RX/maillog"; fi
}
# hop_port PART - the port of PART's next hop
hop_port() {
	case $1 in
	plain) echo "$SINK" ;;
	smtpd-plain) echo "$RXPLAIN" ;;
	tls) echo "$RXPORT" ;;
	esac
}
# rx_client PART - the names the smtpd of PART gave its clients in its
#	"connect from NAME[ADDRESS]" lines, with how many times each
rx_client() {
	local name=smtpd
	[ "$1" = tls ] || name=plain/smtpd
	awk -v name=" postfix/${name}[" '
	index($0, name) && match($0, /\]: connect from [^ ]+$/) {
		n[substr($0, RSTART + 16)]++
	}
	END {
		for (k in n) {
			printf "%s%s (%d)", sep, k, n[k]
			sep = ", "
		}
	}' "$RX/maillog"
}
# hop_count PART FROM - "SESSIONS CLOSED MESSAGES HANDSHAKES AUTHS"
hop_count() {
	if [ "$1" = plain ]; then
		echo "$(sink_count "$2") 0 0"
	else
		rx_count "$1" "$2"
	fi
}
# all_closed PART FROM N - the next hop has logged N messages from line
#	FROM on, and the end of every session it saw (the keeper's idle
#	session ends connection_idle_timeout after the last run, when the
#	keeper says QUIT; Postfix's log may lag a little)
all_closed() {
	local c d m
	read -r c d m _ < <(hop_count "$1" "$2")
	[ "$c" = "$d" ] && [ "$m" -ge "$3" ]
}

# ---- one batch ---------------------------------------------------------------------

# batch PART SIDE N - N runs of SIDE to the next hop of PART (plain,
#	smtpd-plain or tls) in one bench-exec, then wait until the next hop
#	has seen every session end; appends to $T/times "PART SIDE N
#	WALL-US RUNS-CPU-US CLIENT-CPU-US HOP-CPU-US SESSIONS HANDSHAKES
#	AUTHS OPENED" (OPENED: the runs that logged no conn_use=, i.e.
#	connected themselves)
batch() {
	local part=$1 side=$2 n=$3 hop_port keeper=no
	local log=$T/log/$1-$2.log hl from rl c0 c1 h0 h1
	local sessions msgs tls auth opened sent
	hop_port=$(hop_port "$part")
	[ "$side" = keeper ] && keeper=yes
	hl=$(hop_log "$part")
	from=$(($(lines "$hl") + 1))
	rl=$(($(lines "$log") + 1))
	c0=$(cpu_us "$side") h0=$(cpu_us hop)
	timed -g "$side" "$part $side" "$n" "$T/msg" "$BIN" -c "$T/$part.conf" \
	    -o "log=$log" -o "state_directory=$T/state/$part-$side" \
	    -o "connection_keeper=$keeper" -n "[127.0.0.1]:$hop_port" \
	    -f a@sender.bench -- bob@rx.bench
	wait_for 30 all_closed "$part" "$from" "$n" ||
	    die "$part $side: sessions to the next hop stay open, or messages" \
		"are missing (see $hl)"
	c1=$(cpu_us "$side") h1=$(cpu_us hop)
	read -r sessions _ msgs tls auth < <(hop_count "$part" "$from")
	[ "$msgs" = "$n" ] ||
	    die "$part $side: the next hop got $msgs of $n messages (see $hl)"
	read -r sent opened < <(tail -n "+$rl" "$log" | awk '
	    index($0, " to=<bob@rx.bench>,") && index($0, "status=sent") {
		s++
		if (!index($0, "conn_use="))
			o++
	    }
	    END { printf "%d %d\n", s, o }')
	[ "$sent" = "$n" ] ||
	    die "$part $side: slimrelay logged $sent of $n as sent (see $log)"
	echo "$part $side $n $US $CPU $((c1 - c0)) $((h1 - h0)) $sessions" \
	    "$tls $auth $opened" >>"$T/times"
	[ -z "$VERBOSE" ] ||
	    awk -v p="$part" -v s="$side" -v n="$n" -v us="$US" \
		-v c="$sessions" -v t="$tls" -v a="$auth" 'BEGIN {
		printf "  %-11s %-9s %4d runs in %8.1f ms: %7.1f msgs/s, %d connections", p, s, n, us / 1000, n * 1e6 / us, c
		if (p == "tls") printf ", %d handshakes, %d AUTH", t, a
		printf "\n" }'
}

# ---- the rounds ---------------------------------------------------------------------

PARTS=plain
[ "$SMTPD_COUNT" -eq 0 ] || PARTS="$PARTS smtpd-plain"
[ "$TLS_COUNT" -eq 0 ] || PARTS="$PARTS tls"
echo "keeper.sh: $("$BIN" --version), $(nproc) CPU(s), 1 KiB messages," \
    "$ROUNDS rounds"
echo "  load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm-up (not counted): page cache, the next hops' first sessions and
# processes, the TLS session caches, each keeper started.
[ -z "$VERBOSE" ] || echo "warm-up (not counted)"
for part in $PARTS; do
	for side in $SIDES; do
		batch "$part" "$side" 5
	done
done
: >"$T/times"
for ((r = 0; r < ROUNDS; r++)); do
	[ -z "$VERBOSE" ] || echo "round $((r + 1))"
	order=$(round_order "$r" $SIDES)
	for part in $PARTS; do
		case $part in
		plain) n=$COUNT ;;
		smtpd-plain) n=$SMTPD_COUNT ;;
		tls) n=$TLS_COUNT ;;
		esac
		for side in $order; do
			batch "$part" "$side" "$n"
		done
	done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
# Every session has ended: what is left of this run's processes must be
# the keepers (they exit after keeper_idle); a pump must have gone with
# its session.
# others - our processes that are not a keeper
others() {
	local pid
	for pid in $(our_pids); do
		case $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") in
		"$BIN --keeper "*) ;;
		*) echo "$pid" ;;
		esac
	done
}
wait_for 3 eval '[ -z "$(others)" ]'
left_keepers=$(($(our_pids | wc -l) - $(others | wc -l)))
left_others=$(others | wc -l)

# ---- results ----------------------------------------------------------------------

# rate PART SIDE - median messages/s over the rounds
rate() {
	awk -v p="$1" -v s="$2" '$1 == p && $2 == s { printf "%.1f\n", $3 * 1e6 / $4 }' \
	    "$T/times" | median %.1f
}
# row PART SIDE - one line: median rate, each round's, CPU ms per message
#	(runs, client with keeper and pumps, next hop), per message the
#	connections, handshakes and AUTHs at the next hop
row() {
	awk -v p="$1" -v s="$2" -v med="$(rate "$1" "$2")" -v cg="${CG_BASE:+1}" '
	$1 == p && $2 == s {
		r = r sprintf(" %.0f", $3 * 1e6 / $4)
		n += $3; run += $5; cl += $6; hop += $7; c += $8; t += $9
		a += $10; o += $11
	}
	END {
		printf "  %-9s %7.1f %-26s %5.2f", s, med, "(" substr(r, 2) ")", run / n / 1000
		if (cg)
			printf " %6.2f %5.2f", cl / n / 1000, hop / n / 1000
		else
			printf "      -     -"
		printf "   %5.3f", c / n
		if (p == "tls")
			printf " %5.3f %5.3f", t / n, a / n
		if (o != c)
			printf "  (slimrelay logged %d connects, the next hop %d)", o, c
		printf "\n"
	}' "$T/times"
}
header() {
	printf '  %-9s %7s %-26s %-18s   %s\n' side msgs/s "" \
	    "CPU ms/message" "per message at the next hop:"
	printf '  %-9s %7s %-26s %-18s   %s\n' "" median "(each round)" \
	    " runs client   hop" "$1"
}
echo
echo "plaintext next hop (smtp-sink), $COUNT runs per side and round"
header "connections"
for side in $SIDES; do
	row plain "$side"
done
if [ "$SMTPD_COUNT" -gt 0 ]; then
	echo
	echo "plaintext next hop (Postfix smtpd), $SMTPD_COUNT runs per side and round"
	header "connections"
	for side in $SIDES; do
		row smtpd-plain "$side"
	done
fi
if [ "$TLS_COUNT" -gt 0 ]; then
	echo
	echo "STARTTLS + AUTH next hop (Postfix smtpd), $TLS_COUNT runs per side and round"
	header "connections, TLS handshakes, AUTH"
	for side in $SIDES; do
		row tls "$side"
	done
fi
echo "  (runs: the slimrelay processes bench-exec started, from their rusage;"
echo "  client: those with the keeper and the TLS pumps they started; hop:"
echo "  smtp-sink or the whole receiving Postfix)"
if [ -n "$POSTFIX" ]; then
	# The name each smtpd gave the client: its lookup of 127.0.0.1
	# (smtpd_peername_lookup), "unknown" when it found none.
	for part in $PARTS; do
		[ "$part" != plain ] || continue
		printf '  %s: smtpd named the client %s\n' "$part" "$(rx_client "$part")"
	done
fi
[ -n "$CG_BASE" ] ||
    echo "  (no client or hop CPU: no cgroup v2 or v1 cpuacct to count them in)"
# The keeper of each side's state directory, as it logged itself (its
# "keeper: started, socket ..., at most N sessions" line; the runs log
# under the same name, and their "keeper: started" only with -v).
for part in $PARTS; do
	printf '  %s: keeper processes started: keeper side %s, no-keeper side %s\n' \
	    "$part" "$(grep -c ': keeper: started, socket .*, at most ' \
	    "$T/log/$part-keeper.log")" \
	    "$(grep -c ': keeper: started' "$T/log/$part-no-keeper.log")"
done
echo "  after the last session ended: $left_keepers keeper process(es) waiting" \
    "for keeper_idle, $left_others other process(es) left (pumps: must be 0)"
echo "  load average at the end: $load_end"
echo
ratio() {
	awk -v a="$(rate "$1" keeper)" -v b="$(rate "$1" no-keeper)" \
	    'BEGIN { printf "%.2f", a / b }'
}
# cpu_ratio PART - CPU per message (client and next hop) of no-keeper over
#	keeper: what the rate ratio tends to when the CPUs are the limit
cpu_ratio() {
	awk -v p="$1" '$1 == p { n[$2] += $3; c[$2] += $6 + $7 }
	    END {
		a = c["no-keeper"] / n["no-keeper"]
		b = c["keeper"] / n["keeper"]
		printf "%.2f", a / b
	    }' "$T/times"
}
# goal NAME PART [TARGET] - one line of the table (without TARGET, for
#	information)
goal() {
	local r c=- t=- v=info
	r=$(ratio "$2")
	[ -z "$CG_BASE" ] || c=$(cpu_ratio "$2")
	[ $# -lt 3 ] || t=">= $3" v=$(verdict "$r >= $3")
	printf '  %-32s %-7s %-9s %-7s %s\n' "$1" "$t" "$r" "$v" "$c"
}
printf '  %-32s %-7s %-9s %-7s %s\n' "keeper / no-keeper" target "msgs/s" \
    result "CPU/message"
goal "plaintext (smtp-sink)" plain 1.3
[ "$SMTPD_COUNT" -eq 0 ] || goal "plaintext (Postfix smtpd)" smtpd-plain
[ "$TLS_COUNT" -eq 0 ] || goal "STARTTLS + AUTH (Postfix smtpd)" tls 3
for part in $PARTS; do
	# The two sides of one round ran one after the other: their ratio
	# is paired, and moves less with the host than either rate.
	awk -v p="$part" '$1 == p {
		i = ++cnt[$2]
		r[$2, i] = $3 * 1e6 / $4
	    }
	    END {
		for (i = 1; i <= cnt["keeper"]; i++)
			printf " %.2f", r["keeper", i] / r["no-keeper", i]
	    }' "$T/times" | {
		read -r -a each
		printf '  %-32s each round: %s, median %s\n' "  $part" \
		    "${each[*]}" "$(printf '%s\n' "${each[@]}" | median %.2f)"
	}
done
echo "  (msgs/s: the ratio of the medians, the goal; CPU/message: no-keeper's"
echo "  CPU per message over keeper's, client and next hop together, what the"
echo "  rate ratio comes to when the CPUs are the limit)"
exit 0
