#!/bin/bash
# cli.sh - the command line and configuration contract: our own set-up
# errors defer (4.3.5, exit 75) and never bounce; bad addresses are
# refused and never reach the wire; -t shows the effective settings or
# lists every problem a delivery would meet (files, modes, the state
# directory, local programs, conditional rules), one "file:line: what"
# line each, exit 78; --route names conditional rules only the milter
# applies; -E takes the envelope from Exim's environment.
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

# smarthost in the configuration overrides ${nexthop}.
printf 'smarthost = %s\n' "$D" >"$T/sh.conf"
before=$(sink_count $P)
relay -c "$T/sh.conf" -n "[127.0.0.1]:2599" -f a@example.org -- b@example.com
check "smarthost wins: exit 0" eq "$RC" 0
check "smarthost wins: delivered" eq "$(sink_count $P)" $((before + 1))

# --version and -h.
check "--version" has "$("$SLIMRELAY" --version)" "slimrelay "
check "-h" has "$("$SLIMRELAY" -h)" "usage: slimrelay"

finish
