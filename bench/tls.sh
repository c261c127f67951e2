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

COUNT=20
ROUNDS=5
PORT=2760
KEEP=
BUILDDIR=
USAGE_LINES=2,20
. "$(dirname "$0")/lib.sh"

while getopts b:n:r:p:kh opt; do
	bench_opt "$opt"
done
find_slimrelay
[ "$(id -u)" = 0 ] || die "needs root (private Postfix)"
need postfix msmtp openssl awk sort

bench_tmpdir tls
PF=$T/postfix

make_cert bench.test
postfix_instance_dirs "$PF"
{
	postfix_instance_conf "$PF" bench.test
	cat <<-EOF
	relay_domains = bench.test
	default_transport = discard
	relay_transport = discard
	smtpd_tls_chain_files = $T/key.pem, $T/cert.pem
	smtpd_tls_security_level = may
	EOF
} >"$PF/etc/main.cf"
{
	echo "127.0.0.1:$PORT inet n - n - 20 smtpd"
	bench_services
} >"$PF/etc/master.cf"
postfix_up "$PF" "" "$PORT"

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
		    -o connection_keeper=no \
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
	run $k || die "$k failed (exit $?)"
done
for r in $(seq 1 "$ROUNDS"); do
	for k in slimrelay-resume slimrelay-full msmtp; do
		t0=$(date +%s%N)
		for i in $(seq 1 "$COUNT"); do
			run $k || die "$k failed"
		done
		t1=$(date +%s%N)
		echo "$k $(( (t1 - t0) / COUNT / 1000 ))" >>"$T/times"
	done
done
# us KIND - the median microseconds per message of KIND over the rounds
us() {
	awk -v k="$1" '$1 == k { print $2 }' "$T/times" | median
}
RES=$(us slimrelay-resume)
FULL=$(us slimrelay-full)
MSMTP=$(us msmtp)
REUSED=$(grep -c "TLS connection reused" "$T/slimrelay.log")
printf '%-18s %10s\n' kind "ms/message"
for k in slimrelay-resume slimrelay-full msmtp; do
	printf '%-18s %10.2f\n' "$k" "$(us $k | awk '{ print $1 / 1000 }')"
done
echo "sessions resumed by slimrelay: $REUSED"
awk -v r="$RES" -v f="$FULL" -v m="$MSMTP" 'BEGIN {
	printf "msmtp / slimrelay-full:            %.2f (goal >= 1)\n", m / f
	printf "msmtp / slimrelay-resume:          %.2f\n", m / r
	printf "slimrelay-full / slimrelay-resume: %.2f (goal > 1)\n", f / r
}'
exit 0
