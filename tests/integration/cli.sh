#!/bin/bash
# cli.sh - the command line and configuration contract: our own set-up
# errors defer (4.3.5, exit 75), name the problem and never bounce;
# bytes from a configuration file reach the status line printable;
# bad addresses are refused and never reach the wire; -t shows the
# effective settings or lists every problem a delivery would meet
# (files, modes, the state directory, local programs, conditional
# rules), one "file:line: what" line each, exit 78; --route names
# conditional rules only the milter applies; -E takes the envelope from
# Exim's environment (SENDER unset: an error); closed standard
# descriptors never let the status line into the log; slimrelay-milter's
# -V, --help and errors.
. "$(dirname "$0")/lib.sh"
need smtp-sink
P=2560
start_sink $P || exit 1
printf 'Subject: cli\n\nbody\n' >"$T/msg"
export RELAY_INPUT="$T/msg"
D="[127.0.0.1]:$P"

# Configuration file errors name file and line, and defer.
printf '# comment\nconnect_timeout = 5s\nno_such_parameter = 1\n' >"$T/bad.conf"
relay -c "$T/bad.conf" -n "$D" -f a@example.org -- b@example.com
check "unknown parameter: exit 75" eq "$RC" 75
check "unknown parameter: file:line" starts "$OUT" "4.3.5 slimrelay configuration error: $T/bad.conf:3: "
printf 'connect_timeout = soon\n' >"$T/bad2.conf"
relay -c "$T/bad2.conf" -n "$D" -f a@example.org -- b@example.com
check "bad time value: exit 75" eq "$RC" 75
check "bad time value: file:line" starts "$OUT" "4.3.5 slimrelay configuration error: $T/bad2.conf:1: "
relay -c "$T/missing.conf" -n "$D" -f a@example.org -- b@example.com
check "missing -c file: exit 75" eq "$RC" 75
check "missing -c file: said" has "$OUT" "$T/missing.conf"
relay -o bogus=1 -n "$D" -f a@example.org -- b@example.com
check "bad -o: exit 75" eq "$RC" 75
check "bad -o: 4.3.5" starts "$OUT" "4.3.5 "
check "config errors sent nothing" eq "$(sink_count $P)" 0

# Bytes from a configuration file reach the status line printable:
# control bytes, DEL and bytes that are not UTF-8 as '?', valid UTF-8
# as it is, and always one line.
raw_free() {
	! printf '%s\n' "$1" | LC_ALL=C grep -P '[^\x20-\x7e]'
}
# clean_line: one line of valid UTF-8 without C0, DEL, C1, the Unicode
# line and paragraph separators or bidirectional controls.
clean_line() {
	[ "$(printf '%s\n' "$1" | wc -l)" = 1 ] &&
	    printf '%s' "$1" | iconv -f UTF-8 -t UTF-8 >/dev/null &&
	    ! printf '%s\n' "$1" | LC_ALL=C grep -P \
	    '[\x00-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]'
}
printf 'smarthost = \x80\xff\x1b[31mred\x7f\n' >"$T/garbage1.conf"
relay -c "$T/garbage1.conf" -n "$D" -f a@example.org -- b@example.com
check "garbage value: exit 75" eq "$RC" 75
check "garbage value: 4.3.5, file:line" starts "$OUT" "4.3.5 slimrelay configuration error: $T/garbage1.conf:1: "
check "garbage value: no raw bytes" raw_free "$OUT"
check "garbage value: shown with ?" has "$OUT" '"???[31mred?"'
printf '\xc3\xa9t\xc3\xa9\x9b\xc2\x85\xe2\x80\xae = 1\n' >"$T/garbage2.conf"
relay -c "$T/garbage2.conf" -n "$D" -f a@example.org -- b@example.com
check "UTF-8 name: exit 75" eq "$RC" 75
check "UTF-8 name: valid UTF-8 kept, the rest ?" has "$OUT" "$(printf '"\xc3\xa9t\xc3\xa9???"')"
check "UTF-8 name: clean line" clean_line "$OUT"
# Pseudo-random bytes, one line, after a parameter name (a value) or a
# letter (a name: never a comment).
for seed in 1 2 3 4 5 6 7 8; do
	prefix=x
	[ $((seed % 2)) = 0 ] && prefix="smarthost = "
	{ printf '%s' "$prefix"
	  LC_ALL=C awk -v seed=$seed 'BEGIN { srand(seed)
	    for (i = 0; i < 400; i++) printf "%c", 1 + int(rand() * 255) }' |
	    tr -d '\n'; } >"$T/garbage.conf"
	relay -c "$T/garbage.conf" -n "$D" -f a@example.org -- b@example.com
	check "binary garbage $seed: exit 75" eq "$RC" 75
	check "binary garbage $seed: 4.3.5" starts "$OUT" "4.3.5 slimrelay configuration error: "
	check "binary garbage $seed: clean line" clean_line "$OUT"
done
check "garbage sent nothing" eq "$(sink_count $P)" 0

# -t prints the effective settings (postconf -n style) and exits 0.
printf 'smarthost = [192.0.2.1]:587\nrcpt_timeout = 1m\n' >"$T/good.conf"
OUT=$("$SLIMRELAY" -c "$T/good.conf" -o pool_size=3 \
    -o state_directory="$STATE" -t 2>&1)
RC=$?
check "-t: exit 0" eq "$RC" 0
check "-t: smarthost" has "$OUT" "smarthost = [192.0.2.1]:587"
check "-t: override" has "$OUT" "pool_size = 3"
OUT=$("$SLIMRELAY" -c "$T/bad.conf" -o state_directory="$STATE" -t 2>&1)
RC=$?
check "-t bad file: exit 78" eq "$RC" 78
check "-t bad file: names the line" eq "$OUT" \
    "$T/bad.conf:3: unknown parameter \"no_such_parameter\""

# -t checks what a delivery needs and goes on to list every problem.
mkdir -p "$T/t"
printf 'secret\n' >"$T/t/secrets"
chmod 644 "$T/t/secrets"
mkdir -m 0777 "$T/t/state"
cat >"$T/t/slimrelay.conf" <<CONF
# line 1
auth_secrets_file = $T/t/secrets
no_such_parameter = 1
log = $T/t/nodir/slimrelay.log
state_directory = $T/t/state
route = cond.test smtp:[127.0.0.1]:$P
    sender=@vip.test
route = pipe.test pipe
rcpt_timeout = soon
CONF
OUT=$("$SLIMRELAY" -c "$T/t/slimrelay.conf" -t 2>&1)
RC=$?
check "-t problems: exit 78" eq "$RC" 78
C=$T/t/slimrelay.conf
check "-t problems: every one, one line each, in order" eq "$OUT" \
"$C:3: unknown parameter \"no_such_parameter\"
$C:9: parameter rcpt_timeout: bad value \"soon\": expected a time like 30s, 500ms, 5m, 1h
$C:2: auth_secrets_file = $T/t/secrets: mode 0644: others have access; want 0600 or 0640
$C:4: log = $T/t/nodir/slimrelay.log: directory $T/t/nodir: does not exist
$C:5: state_directory = $T/t/state: mode 0777: writable by anyone, who could forge MX cache entries and connection slots; want 0700
$C:6: route = cond.test smtp:[127.0.0.1]:$P sender=@vip.test: a conditional rule, which only slimrelay-milter applies, through signed routing headers: routing_key_file is not set, so nothing applies it
$C:8: route = pipe.test pipe: pipe_command is not set"
check "-t problems: nothing on stdout" eq \
    "$("$SLIMRELAY" -c "$T/t/slimrelay.conf" -t 2>/dev/null)" ""
OUT=$("$SLIMRELAY" -c "$T/t/slimrelay.conf" -t -v 2>/dev/null)
RC=$?
check "-t -v problems: exit 78 all the same" eq "$RC" 78
check "-t -v problems: every setting on stdout" has "$OUT" "state_directory = $T/t/state"
# As the transport's user (-u): the state directory must be its own
# (giving it to nobody needs root, as most of these tests do).
if [ "$(id -u)" = 0 ]; then
	chown nobody "$T/t/state" 2>/dev/null
	chmod 700 "$T/t/state"
	chmod 600 "$T/t/secrets"
	OUT=$("$SLIMRELAY" -c "$T/t/slimrelay.conf" -o state_directory="$STATE" \
	    -u nobody -t 2>&1)
	check "-t -u nobody: the state directory is not nobody's" has "$OUT" \
	    "-o: state_directory = $STATE: owned by uid 0, not by nobody (uid "
	check "-t -u nobody: nobody cannot read the secrets" has "$OUT" \
	    "$C:2: auth_secrets_file = $T/t/secrets: nobody cannot read it"
	OUT=$("$SLIMRELAY" -c "$T/t/slimrelay.conf" -u nobody -t 2>&1)
	check "-t -u nobody: its own state directory is right" lacks "$OUT" \
	    "state_directory"
else
	echo "# not root: the -u checks need chown, left out"
fi
OUT=$("$SLIMRELAY" -u no-such-user-here -t 2>&1)
RC=$?
check "-t -u unknown: exit 78" eq "$RC" 78
check "-t -u unknown: said" has "$OUT" "unknown user \"no-such-user-here\""

# --route names the conditional rule that only the milter applies.
OUT=$("$SLIMRELAY" -o state_directory="$STATE" \
    -o "route = cond.test smtp:[127.0.0.1]:$P sender=@vip.test" \
    -o "route = .test smtp:[127.0.0.2]:$P" --route bob@cond.test 2>&1)
RC=$?
check "--route conditional: exit 0" eq "$RC" 0
check "--route conditional: the rule used" has "$OUT" \
    "  route: route rule \".test smtp:[127.0.0.2]:$P\""
check "--route conditional: the milter's rule named" has "$OUT" \
    "  milter rule: \"cond.test smtp:[127.0.0.1]:$P sender=@vip.test\" (conditional: only slimrelay-milter applies it"
OUT=$("$SLIMRELAY" -o state_directory="$STATE" \
    -o "route = cond.test smtp:[127.0.0.1]:$P sender=@vip.test" \
    --route bob@other.test 2>&1)
check "--route: no milter rule for another domain" lacks "$OUT" "milter rule"

# Usage errors defer too.
relay -n "$D" -f a@example.org
check "no recipients: exit 75" eq "$RC" 75
check "no recipients: 4.3.5" starts "$OUT" "4.3.5 "
# No route, no smarthost, no -n: MX lookup of the recipient domain (here
# against a name server that does not answer: try again later).
relay -o dns_servers=127.0.0.1:9 -o dns_timeout=200ms -o dns_retries=0 -f a@example.org -- b@example.com
check "no next hop: MX lookup, exit 75" eq "$RC" 75
check "no next hop: 4.4.3" starts "$OUT" "4.4.3 "
relay -n "[bad host" -f a@example.org -- b@example.com
check "bad nexthop: exit 75" eq "$RC" 75
check "bad nexthop: 4.3.5" starts "$OUT" "4.3.5 "
relay -n "$D" -- b@example.com
check "no sender: exit 75" eq "$RC" 75

# Bad addresses: refused, never on the wire; good ones still go.
relay -q Qbad -n "$D" -f a@example.org -- 'bad address@example.com' good@example.com
check "bad rcpt: exit 69" eq "$RC" 69
check "bad rcpt: 5.1.3" starts "$OUT" "5.1.3 "
check "bad rcpt: good one delivered" eq "$(sink_count $P)" 1
check "bad rcpt: not on the wire" bash -c "! grep -q 'bad address' $T/sink-$P/*"
check "bad rcpt: record" grep -q "Qbad: to=<bad address@example.com>, relay=none, .*dsn=5.1.3, status=bounced" "$LOG"
relay -n "$D" -f a@example.org -- "$(printf 'x@example.com\r\nRCPT TO:<evil@example.com>')"
check "CRLF in rcpt: 5.1.3" starts "$OUT" "5.1.3 "
check "CRLF in rcpt: nothing sent" eq "$(sink_count $P)" 1
relay -n "$D" -f 'bad sender@example.org' -- b@example.com
check "bad sender: 5.1.7" starts "$OUT" "5.1.7 "
check "bad sender: nothing sent" eq "$(sink_count $P)" 1
relay -n "$D" -f a@example.org -- -oQ/tmp@example.com
check "option-like rcpt: refused" starts "$OUT" "5.1.3 "

# Exim: -E takes SENDER (empty: <>) and RECIPIENT from the environment.
SENDER= RECIPIENT=env@example.com relay -E -n "$D"
check "-E: exit 0" eq "$RC" 0
check "-E: null sender" grep -q '^X-Mail-Args: <>' $(ls -t "$T/sink-$P"/* | head -1)
check "-E: recipient from RECIPIENT" grep -q '^X-Rcpt-Args: <env@example.com>' $(ls -t "$T/sink-$P"/* | head -1)
SENDER=s@example.org RECIPIENT=ignored@example.com relay -E -n "$D" -- arg@example.com
check "-E: arguments win" grep -q '^X-Rcpt-Args: <arg@example.com>' $(ls -t "$T/sink-$P"/* | head -1)
check "-E: sender" grep -q '^X-Mail-Args: <s@example.org>' $(ls -t "$T/sink-$P"/* | head -1)
# -E with SENDER unset is a set-up error like a missing -f: only an
# empty SENDER is the null sender.
files=$(sink_files $P | wc -l)
unset SENDER
RECIPIENT=env@example.com relay -E -n "$D"
check "-E without SENDER: exit 75" eq "$RC" 75
check "-E without SENDER: 4.3.5" starts "$OUT" "4.3.5 "
check "-E without SENDER: says so" has "$OUT" "SENDER"
check "-E without SENDER: nothing sent" eq "$(sink_files $P | wc -l)" "$files"

# Standard output closed at the start: the log file must not take its
# descriptor and receive the status line (nor may it become the message
# when standard input is closed too).
FDLOG=$T/fd.log
closed() {
	"$SLIMRELAY" -o log="$FDLOG" -o state_directory="$STATE" "$@"
	RC=$?
	OUT="(standard output closed; log: $(tail -1 "$FDLOG"))"
}
nostatus() {
	! grep -E '^[245][0-9][0-9] |^[245]\.[0-9]{1,3}\.[0-9]{1,3} ' "$FDLOG"
}
before=$(sink_count $P)
closed -q Qfd1 -n "$D" -f a@example.org -- fd@example.com <"$T/msg" >&- 2>&-
check "stdout closed: exit 0" eq "$RC" 0
check "stdout closed: delivered" eq "$(sink_count $P)" $((before + 1))
check "stdout closed: record logged" grep -q "Qfd1: to=<fd@example.com>, .*status=sent" "$FDLOG"
check "stdout closed: no status line in the log" nostatus
closed -q Qfd2 -n "$D" -f a@example.org -- 'bad fd@example.com' <"$T/msg" >&- 2>&-
check "stdout closed, bad rcpt: exit 69" eq "$RC" 69
check "stdout closed, bad rcpt: record logged" grep -q "Qfd2: .*dsn=5.1.3, status=bounced" "$FDLOG"
check "stdout closed, bad rcpt: no status line in the log" nostatus
closed -q Qfd3 -n "$D" -f a@example.org -- fd@example.com <&- >&- 2>&-
check "all closed: an empty message, exit 0" eq "$RC" 0
check "all closed: record logged" grep -q "Qfd3: to=<fd@example.com>, .*status=sent" "$FDLOG"
check "all closed: no status line in the log" nostatus

# smarthost in the configuration overrides ${nexthop}.
printf 'smarthost = %s\n' "$D" >"$T/sh.conf"
before=$(sink_count $P)
relay -c "$T/sh.conf" -n "[127.0.0.1]:2599" -f a@example.org -- b@example.com
check "smarthost wins: exit 0" eq "$RC" 0
check "smarthost wins: delivered" eq "$(sink_count $P)" $((before + 1))

# --version and -h.
check "--version" has "$("$SLIMRELAY" --version)" "slimrelay "
check "-h" has "$("$SLIMRELAY" -h)" "usage: slimrelay"
VERSION=$("$SLIMRELAY" -V)
VERSION=${VERSION#slimrelay }

# Command line errors name the problem (and defer, like any set-up error).
cmdline_error() {
	local want=$1
	shift
	relay "$@"
	eq "$RC" 75 && starts "$OUT" "4.3.5 " &&
	    has "$OUT" "bad command line: $want" &&
	    eq "$(printf '%s\n' "$OUT" | wc -l)" 1
}
before=$(sink_count $P)
check "unknown option named" cmdline_error "unknown option -x" \
    -x -n "$D" -f a@example.org -- b@example.com
check "unknown option in a cluster named" cmdline_error "unknown option -y" \
    -vy -n "$D" -f a@example.org -- b@example.com
check "unknown long option named" cmdline_error "unknown option --bogus" \
    --bogus -n "$D" -f a@example.org -- b@example.com
check "missing argument named" cmdline_error "option -f needs an argument" \
    -n "$D" -f
check "unknown option after a long option named" \
    cmdline_error "unknown option -x" --route -xv a@example.com
check "argument to a long-only flag named" \
    cmdline_error "option --route takes no argument" --route=1 a@example.com
check "argument to a flag named" \
    cmdline_error "option --version takes no argument" --version=2
relay -o connect_timeout=soon -n "$D" -f a@example.org -- b@example.com
check "bad -o value: named" has "$OUT" 'bad value "soon"'
check "command line errors sent nothing" eq "$(sink_count $P)" "$before"

# slimrelay-milter: -V and -h like the transport's; errors named, on
# standard error, exit 64 (EX_USAGE: an administrator runs it).
: "${MILTER:=$top_builddir/milter/slimrelay-milter}"
OUT=$("$MILTER" -V 2>/dev/null)
RC=$?
check "milter -V: exit 0" eq "$RC" 0
check "milter -V: version" eq "$OUT" "slimrelay-milter $VERSION"
OUT=$("$MILTER" --version 2>/dev/null)
check "milter --version" eq "$OUT" "slimrelay-milter $VERSION"
OUT=$("$MILTER" -h 2>/dev/null)
RC=$?
check "milter -h: exit 0" eq "$RC" 0
check "milter -h: usage on stdout" starts "$OUT" "usage: slimrelay-milter"
OUT=$("$MILTER" --help 2>/dev/null)
RC=$?
check "milter --help: exit 0" eq "$RC" 0
check "milter --help: usage on stdout" starts "$OUT" "usage: slimrelay-milter"
milter_error() {
	local want=$1 err
	shift
	OUT=$("$MILTER" "$@" 2>/dev/null)
	err=$("$MILTER" "$@" 2>&1 >/dev/null)
	RC=$?
	eq "$RC" 64 && eq "$OUT" "" &&
	    starts "$err" "slimrelay-milter: bad command line: $want"
}
check "milter: unknown option named" milter_error "unknown option -x" -x
check "milter: unknown long option named" milter_error \
    "unknown option --bogus" --bogus
check "milter: missing argument named" milter_error \
    "option -c needs an argument" -c
check "milter: argument to a flag named" milter_error \
    "option --help takes no argument" --help=me
check "milter: stray argument named" milter_error \
    'unexpected argument "stray"' -t stray

# --lmtp: standard output is the LMTP stream, so a set-up error is a
# 421 greeting (the MTA defers), and standard error goes nowhere.
"$SLIMRELAY" --lmtp -c "$T/nonexistent.conf" >"$T/lmtp.out" 2>"$T/lmtp.err" </dev/null
RC=$?
OUT=$(cat "$T/lmtp.out")
check "--lmtp, bad configuration: exit 75" eq "$RC" 75
check "--lmtp, bad configuration: a 421 greeting" starts "$OUT" "421 4.3.5 slimrelay configuration error: "
check "--lmtp, bad configuration: one line, CRLF" eq \
    "$(wc -l <"$T/lmtp.out") $(tail -c 2 "$T/lmtp.out" | od -An -tx1 | tr -d ' ')" "1 0d0a"
check "--lmtp: nothing on standard error" eq "$(cat "$T/lmtp.err")" ""
OUT=$("$SLIMRELAY" --lmtp -o log=stderr -o state_directory="$STATE" </dev/null 2>&1)
check "--lmtp with log = stderr: refused with a 421" starts "$OUT" "421 4.3.5 slimrelay configuration error: log = stderr cannot be used with --lmtp"
OUT=$(printf 'LHLO x\r\nQUIT\r\n' | "$SLIMRELAY" --lmtp -o log="$LOG" -o state_directory="$STATE" -o ehlo_name=relay.example.org 2>&1)
check "--lmtp: a session on standard input and output" eq "$(printf '%s' "$OUT" | head -n 1)" "$(printf '220 relay.example.org LMTP slimrelay\r')"
check "--lmtp: QUIT answered" has "$OUT" "221 2.0.0"

# A state directory too long for the keeper's socket name (107 bytes).
LONG=$T/$(printf 'x%.0s' $(seq 1 100))
mkdir -m 700 "$LONG"
OUT=$("$SLIMRELAY" -o state_directory="$LONG" -t 2>&1)
RC=$?
check "-t long state directory: exit 78" eq "$RC" 78
check "-t long state directory: the keeper's socket named" has "$OUT" \
    "-o: state_directory = $LONG: too long for the keeper's socket ($LONG/keeper/k1.sock must fit in 107 bytes); shorten it, or set connection_keeper = no"
OUT=$("$SLIMRELAY" -o state_directory="$LONG" -o connection_keeper=no -t 2>&1)
check "-t long state directory, no keeper: fine" eq "$?" 0
OUT=$(printf 'Subject: long\n\nx\n' | "$SLIMRELAY" -o log="$LOG" \
    -o state_directory="$LONG" -n "[127.0.0.1]:$P" -f a@example.org -- \
    b@example.com 2>&1)
check "long state directory: delivered all the same" eq "$OUT" "250 2.0.0 Ok"
check "long state directory: the run says why there is no keeper" grep -q \
    "warning: keeper: the socket's path in $LONG/keeper is too long" "$LOG"

finish
