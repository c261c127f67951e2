#!/bin/bash
# smtp_sink.sh - deliveries to Postfix's smtp-sink arrive byte for byte:
# LF and CRLF input, dot-stuffing, no final newline, 8-bit data, the
# null sender, several recipients, SIZE=, a From_ line, 100 MiB.
. "$(dirname "$0")/lib.sh"
need smtp-sink md5sum
P=2501
start_sink $P || exit 1

# deliver NAME [slimrelay args]: relay $T/in.NAME into the sink.
n=0
deliver() {
	local name=$1
	shift
	RELAY_INPUT="$T/in.$name" relay -q Q$name -n "[127.0.0.1]:$P" "$@"
	n=$((n + 1))
	LAST=$name
}
# the sink's dump of the last message: the one with its Subject (the
# newest file by mtime is not safe: two dumps can share a time stamp)
last_dump() {
	local subj
	subj=$(grep -m 1 '^Subject: ' "$T/in.$LAST" | tr -d '\r')
	grep -l -x -F -- "$subj" "$T/sink-$P"/* | head -n 1
}

# 1. A plain message: exit 0, the reply on stdout, one record logged.
printf 'Subject: plain\n\nHello.\n' >"$T/in.plain"
deliver plain -f alice@example.org -- bob@example.com
check "plain: exit 0" eq "$RC" 0
check "plain: stdout is the sink's reply" starts "$OUT" "250 2.0.0 Ok"
check "plain: sink got one message" eq "$(sink_count $P)" "$n"
check "plain: body byte for byte" eq "$(sink_body "$(last_dump)")" "$(cat "$T/in.plain")"
check "plain: envelope sender" grep -q '^X-Mail-Args: <alice@example.org>' "$(last_dump)"
check "plain: envelope recipient" grep -q '^X-Rcpt-Args: <bob@example.com>' "$(last_dump)"
check "plain: delivery record" log_has "Qplain: to=<bob@example.com>, relay=127.0.0.1[127.0.0.1]:$P, "
check "plain: record status" grep -q "Qplain: to=<bob@example.com>, .*dsn=2.0.0, status=sent (250 2.0.0 Ok" "$LOG"

# 2. Dot-stuffing: lines that are or start with dots survive.
printf 'Subject: dots\n\n.\n..\n.leading dot\n...\nend\n' >"$T/in.dots"
deliver dots -f a@example.org -- b@example.com
check "dots: exit 0" eq "$RC" 0
check "dots: body byte for byte" eq "$(sink_body "$(last_dump)")" "$(cat "$T/in.dots")"

# 3. No final newline: the message ends where the input ends.
printf 'Subject: nonl\n\nno newline at the end' >"$T/in.nonl"
deliver nonl -f a@example.org -- b@example.com
check "no final newline: exit 0" eq "$RC" 0
check "no final newline: body" eq "$(sink_body "$(last_dump)")" "$(printf 'Subject: nonl\n\nno newline at the end')"

# 4. CRLF input is not doubled.
printf 'Subject: crlf\r\n\r\nline one\r\n.dot\r\nline three\r\n' >"$T/in.crlf"
deliver crlf -f a@example.org -- b@example.com
check "crlf: exit 0" eq "$RC" 0
check "crlf: body" eq "$(sink_body "$(last_dump)")" "$(printf 'Subject: crlf\n\nline one\n.dot\nline three\n')"

# 5. 8-bit data is sent unchanged, declared BODY=8BITMIME.
printf 'Subject: 8bit\nContent-Type: text/plain; charset=utf-8\n\nGr\303\274\303\237e, \342\202\254 \377\n' >"$T/in.8bit"
deliver 8bit -f a@example.org -- b@example.com
check "8bit: exit 0" eq "$RC" 0
check "8bit: body byte for byte" cmp -s <(sink_body "$(last_dump)") "$T/in.8bit"
check "8bit: BODY=8BITMIME" grep -q '^X-Mail-Args: .*BODY=8BITMIME' "$(last_dump)"

# 6. A 7-bit message is not declared 8-bit (smtp-sink offers no SIZE:
# SIZE= is covered by the unit tests and the Postfix test).
printf 'Subject: size\n\nfour\n' >"$T/in.size"
deliver size -f a@example.org -- b@example.com
check "7-bit: exit 0" eq "$RC" 0
check "7-bit: MAIL FROM without parameters" grep -q '^X-Mail-Args: <a@example.org>$' "$(last_dump)"

# 7. The null sender (Postfix null_sender=, Exim's empty SENDER).
printf 'Subject: bounce\n\nA bounce.\n' >"$T/in.null"
deliver null -f '' -- b@example.com
check "null sender: exit 0" eq "$RC" 0
check "null sender: MAIL FROM:<>" grep -q '^X-Mail-Args: <>' "$(last_dump)"

# 8. Several recipients in one transaction, each logged.
printf 'Subject: many\n\nx\n' >"$T/in.many"
deliver many -f a@example.org -- r1@example.com r2@example.net r3@example.com
check "many: exit 0" eq "$RC" 0
check "many: three RCPT TO" eq "$(grep -c '^X-Rcpt-Args:' "$(last_dump)")" 3
check "many: record r2" log_has "Qmany: to=<r2@example.net>"
check "many: record r3" log_has "Qmany: to=<r3@example.com>"

# 9. A leading From_ line (Exim's default message_prefix) is dropped with -F.
printf 'From a@example.org Mon Nov 23 10:00:00 2026\nSubject: from\n\nFrom here on.\n' >"$T/in.fromline"
deliver fromline -F -f a@example.org -- b@example.com
check "From_ line: exit 0" eq "$RC" 0
check "From_ line: dropped, inner From kept" eq "$(sink_body "$(last_dump)")" "$(printf 'Subject: from\n\nFrom here on.\n')"

# 10. 100 MiB: streamed, delivered whole.
big="$T/in.big"
{
	printf 'Subject: big\n\n'
	yes '.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz' |
	    head -c $((100 * 1024 * 1024))
	echo
} >"$big"
RELAY_INPUT="$big" relay -q Qbig -n "[127.0.0.1]:$P" -f a@example.org -- b@example.com
n=$((n + 1))
LAST=big
check "100 MiB: exit 0" eq "$RC" 0
check "100 MiB: same bytes" eq "$(sink_body "$(last_dump)" | md5sum)" "$(md5sum <"$big")"
rm -f "$big" "$(last_dump)"

# 11. ehlo_name and source_address are used.
printf 'Subject: ehlo\n\nx\n' >"$T/in.ehlo"
deliver ehlo -o ehlo_name=relay.example.net -o source_address=127.0.0.7 -f a@example.org -- b@example.com
check "ehlo_name: exit 0" eq "$RC" 0
check "ehlo_name: EHLO relay.example.net" grep -q '^X-Helo-Args: relay.example.net$' "$(last_dump)"
check "source_address: from 127.0.0.7" grep -q '^X-Client-Addr: 127.0.0.7$' "$(last_dump)"

# 12. IPv6 loopback, when the kernel has it.
if [ -f /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
	mkdir -p "$T/sink6" && chmod 777 "$T/sink6"
	smtp-sink -u nobody -d "$T/sink6/%M." "[::1]:2503" 16 >/dev/null 2>&1 &
	track $!
	sleep 0.3
	printf 'Subject: v6\n\nx\n' >"$T/in.v6"
	RELAY_INPUT="$T/in.v6" relay -q Qv6 -n "[ipv6:::1]:2503" -f a@example.org -- b@example.com
	check "IPv6: exit 0" eq "$RC" 0
	check "IPv6: record" log_has "Qv6: to=<b@example.com>, relay=::1[::1]:2503, "
	check "IPv6: sink got it" eq "$(ls "$T/sink6" | wc -l)" 1
else
	echo "# no IPv6 loopback here: IPv6 case not run"
fi

finish
