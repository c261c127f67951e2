#!/usr/bin/env bash
# bench/tls.sh - per-message cost of STARTTLS: slimrelay against msmtp,
# and slimrelay with TLS session resumption against without.
#
# Usage: bench/tls.sh [-b BUILDDIR] [-n COUNT] [-r ROUNDS] [-p PORT] [-k]
#
#   -b BUILDDIR  the build directory (default: $SLIMRELAY if set, else
#                ../transport/slimrelay from the current directory)
#   -n COUNT     messages per kind of run and round (default 20)
#   -r ROUNDS    rounds; the kinds alternate within each (default 5)
#   -p PORT      the server's port on 127.0.0.1 (default 2760)
#   -k           keep the temporary directory
#
# Needs root (it starts a private Postfix: postfix -c DIR). The server
# is Postfix's smtpd with STARTTLS (a P-256 certificate made here with
# openssl, TLS 1.3, session tickets on) that discards what it accepts.
# Each kind sends COUNT one-message runs of a 1 KiB message in a row,
# each run a new process, as pipe(8) would start them:
#   slimrelay-resume  smarthost_tls_level = encrypt, tls_session_cache = yes
#   slimrelay-full    the same with tls_session_cache = no
#   msmtp             msmtp --tls=on --tls-starttls=on --tls-certcheck=off
# and prints the median milliseconds per message of each kind over the
# rounds, and the ratios msmtp/slimrelay-full (goal: >= 1, slimrelay no
# slower than msmtp with the same full handshake), msmtp/slimrelay-resume
# and slimrelay-full/slimrelay-resume (goal: > 1, resumption visibly
# cheaper). Exits 0 whatever the numbers; 1 when something failed.

set -u
export LC_ALL=C
PATH=$PATH:/usr/sbin:/sbin

COUNT=20
ROUNDS=5
PORT=2760
KEEP=
BUILDDIR=

usage() {
	sed -n '2,20s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
while getopts b:n:r:p:kh opt; do
	case $opt in
	b) BUILDDIR=$OPTARG ;;
	n) COUNT=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	p) PORT=$OPTARG ;;
	k) KEEP=1 ;;
	*) usage ;;
	esac
done
if [ -n "$BUILDDIR" ]; then
	SLIMRELAY=$BUILDDIR/transport/slimrelay
fi
: "${SLIMRELAY:=../transport/slimrelay}"
SLIMRELAY=$(cd "$(dirname "$SLIMRELAY")" && pwd)/$(basename "$SLIMRELAY")
[ -x "$SLIMRELAY" ] || { echo "tls.sh: no program at $SLIMRELAY" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "tls.sh: needs root (private Postfix)" >&2; exit 1; }
for tool in postfix msmtp openssl awk sort; do
	command -v "$tool" >/dev/null 2>&1 ||
	    { echo "tls.sh: $tool is not installed" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/slimrelay-bench-tls.XXXXXX")
chmod 755 "$T"
PF=$T/postfix
stop() {
	local pid
	if [ -f "$PF/spool/pid/master.pid" ]; then
		pid=$(tr -dc 0-9 <"$PF/spool/pid/master.pid")
		postfix -c "$PF/etc" stop >/dev/null 2>&1
		sleep 1
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	fi
	[ -n "$KEEP" ] && echo "kept $T" || rm -rf "$T"
}
trap stop EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/key.pem" -out "$T/cert.pem" -subj "/CN=bench.test" \
    -addext "subjectAltName=IP:127.0.0.1" -days 2 2>/dev/null ||
    { echo "tls.sh: openssl failed" >&2; exit 1; }
chmod 644 "$T"/*.pem
mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
chown postfix "$PF/data"
cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
local_recipient_maps =
relay_domains = bench.test
mynetworks = 127.0.0.0/8
default_transport = discard
relay_transport = discard
smtpd_tls_chain_files = $T/key.pem, $T/cert.pem
smtpd_tls_security_level = may
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
smtputf8_enable = no
biff = no
EOF
cat >"$PF/etc/master.cf" <<EOF
127.0.0.1:$PORT inet n - n - 20 smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
postfix -c "$PF/etc" start >/dev/null 2>&1 ||
    { echo "tls.sh: postfix start failed" >&2; exit 1; }
for i in $(seq 1 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done

awk 'BEGIN { printf "Subject: bench\n\n"; for (i = 0; i < 16; i++)
    printf "%063d\n", i }' >"$T/msg"
mkdir -p "$T/state"
: >"$T/slimrelay.conf"
export HOME=$T

run() {
	case $1 in
	slimrelay-resume|slimrelay-full)
		"$SLIMRELAY" -c "$T/slimrelay.conf" -o log="$T/slimrelay.log" \
		    -o state_directory="$T/state" \
		    -o smarthost_tls_level=encrypt \
		    -o tls_session_cache="$([ "$1" = slimrelay-resume ] &&
		    echo yes || echo no)" -n "[127.0.0.1]:$PORT" \
		    -f a@bench.test -- b@bench.test <"$T/msg" >/dev/null
		;;
	msmtp)
		msmtp --host=127.0.0.1 --port="$PORT" --tls=on \
		    --tls-starttls=on --tls-certcheck=off --auth=off \
		    --from=a@bench.test b@bench.test <"$T/msg"
		;;
	esac
}

# Warm up: caches, the first session ticket.
for k in slimrelay-resume slimrelay-full msmtp; do
	run $k || { echo "tls.sh: $k failed (exit $?)" >&2; exit 1; }
done
for r in $(seq 1 "$ROUNDS"); do
	for k in slimrelay-resume slimrelay-full msmtp; do
		t0=$(date +%s%N)
		for i in $(seq 1 "$COUNT"); do
			run $k || { echo "tls.sh: $k failed" >&2; exit 1; }
		done
		t1=$(date +%s%N)
		echo "$k $(( (t1 - t0) / COUNT / 1000 ))" >>"$T/times"
	done
done
median() {
	awk -v k="$1" '$1 == k { print $2 }' "$T/times" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
RES=$(median slimrelay-resume)
FULL=$(median slimrelay-full)
MSMTP=$(median msmtp)
REUSED=$(grep -c "TLS connection reused" "$T/slimrelay.log")
printf '%-18s %10s\n' kind "ms/message"
for k in slimrelay-resume slimrelay-full msmtp; do
	printf '%-18s %10.2f\n' "$k" "$(median $k | awk '{ print $1 / 1000 }')"
done
echo "sessions resumed by slimrelay: $REUSED"
awk -v r="$RES" -v f="$FULL" -v m="$MSMTP" 'BEGIN {
	printf "msmtp / slimrelay-full:            %.2f (goal >= 1)\n", m / f
	printf "msmtp / slimrelay-resume:          %.2f\n", m / r
	printf "slimrelay-full / slimrelay-resume: %.2f (goal > 1)\n", f / r
}'
exit 0
