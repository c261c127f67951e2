# NAME
#	mtalib.sh - private Postfix and Exim instances for the integration
#	tests (sourced by bash after lib.sh)
#
# SYNOPSIS
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/mtalib.sh"
#	mta_init NAME			root check, trap, $T usable by others
#	mta_users			the unprivileged "slimrelay" user
#	mta_transport			install $SLIMRELAY, write slimrelay.conf
#	mta_sink PORT [SMTP-SINK-OPTION]...	start_sink on a free port
#	mta_message FILE MESSAGE-ID TO	a test message with awkward lines
#	mta_sink_file PORT STRING	the dump of that sink holding STRING
#	mta_drop_trace FILE		a message without the MTA's Received:
#	mta_unfold FILE			a message with headers unfolded
#	has_line FILE STRING...		(for check) a line with every STRING
#	wait_line SECONDS FILE STRING...	(for check) the same, polling
#	fatal WHY			a precondition failed: stop the test
#
#	postfix_setup SMTPD_PORT	config from postfix-example/
#	postfix_route DOMAIN PORT	transport_maps entry, before start
#	postfix_start / postfix_stop
#	postfix_send FROM TO[,TO] FILE	swaks into the private smtpd; sets QID
#	postfix_queue			postqueue -p
#	postfix_in_queue QUEUEID QUEUE	(for check) waits in QUEUE
#	postfix_flush QUEUEID
#
#	mta_tls_certs DIR		a test CA and rx.tls.test's certificate
#	postfix_rx_tls DIR PORT SINK CERTS PASS	a receiving Postfix with
#					STARTTLS + AUTH, relaying to SINK
#	postfix_rx_counts LOG		connections, TLS handshakes, AUTH,
#					MAIL and QUIT its smtpd logged
#	mta_smarthost_tls PORT CERTS USER PASS	slimrelay.conf relays to it
#					as postfix-example/slimrelay-smarthost.conf
#
#	exim_find			$EXIM from exim-unpack.sh, or skip
#	exim_setup [-lmtp]		config from exim-example/ (with -lmtp:
#					router-lmtp.conf, transport-lmtp.conf)
#	exim_smarthost PORT		where slimrelay relays Exim's mail
#	exim_send FROM TO[,TO] FILE	exim -odi; sets MID
#	exim_run ARG...			exim -C the private config
#	exim_in_queue MID		(for check) the message waits
#	exim_not_in_queue MID		(for check) it has left
#
# DESCRIPTION
#	The tests run the real host MTAs around the real transport: a
#	private Postfix (postfix -c DIR, own queue, maillog_file instead
#	of syslog) and a private Exim unpacked from Debian's
#	exim4-daemon-light package (exim -C FILE, own spool and logs),
#	both configured from the files users copy, postfix-example/ and
#	exim-example/, with @SLIMRELAY@ and @CONF@ replaced by the paths
#	of this run. Next hops are Postfix's smtp-sink on 127.0.0.1;
#	nothing leaves the loopback interface.
#
#	Everything lives in lib.sh's $T, which the unprivileged users
#	(postfix, slimrelay, nobody) must be able to enter; the transport
#	binary is copied there, because the build tree may sit below a
#	directory that only root can enter. The EXIT trap stops Postfix
#	(postfix stop, then SIGKILL to its master by PID if it lingers),
#	prints the MTA and transport logs when the test failed, and then
#	runs lib.sh's cleanup, which stops the sinks and removes $T.
#
#	Needs root, as Postfix and Exim do; the tests create the system
#	users they need (slimrelay, and Debian-exim for Exim) when they
#	are missing.
#
#	The benchmarks source this file too (bench/lib.sh), without
#	lib.sh, for postfix_instance_dirs, postfix_instance_conf,
#	postfix_services, postfix_rx_counts and mta_postfix_halt (with
#	mta_wait and mta_gone): those must keep needing nothing of lib.sh
#	and nothing that make check sets.
#
# ENVIRONMENT
#	SLIMRELAY	the transport (make check sets it)
#	EXIM_ROOT	where exim-unpack.sh unpacked Exim
#			(default /opt/slimrelay-test/exim)
#	SLIMRELAY_NO_SKIP	a missing tool fails instead of skipping
#	KEEP_TEST_DIR	keep $T (lib.sh)

PATH=$PATH:/usr/sbin:/sbin
export PATH

MTA_POSTFIX_DIRS=""

# mta_init - check that the test can run, install the EXIT trap
mta_init()
{
	MTA_NAME=$1
	[ "$(id -u)" = 0 ] || skip "$MTA_NAME.sh must run as root"
	need runuser useradd ss awk cmp
	[ -x "$SLIMRELAY" ] || skip "no transport at $SLIMRELAY"
	trap 'mta_cleanup' EXIT
	id postfix >/dev/null 2>&1 || skip "no postfix user (smtp-sink)"
	runuser -u postfix -- test -x "$T" ||
	    fatal "user postfix cannot enter $T: set TMPDIR to a directory" \
		"that other users can enter"
}

# mta_cleanup - stop the MTAs, show the logs after a failure, then
#	lib.sh's cleanup
mta_cleanup()
{
	local status=$? d
	trap - EXIT
	if [ "$status" != 0 ] && [ "$status" != 77 ]; then
		mta_diag
	fi
	for d in $MTA_POSTFIX_DIRS; do
		mta_postfix_halt "$d"
	done
	cleanup
	exit "$status"
}

# mta_diag - print the logs that explain a failure
mta_diag()
{
	local f
	for f in "$T"/postfix/maillog "$T"/rx/maillog "$T"/exim/log/mainlog \
	    "$T"/exim/log/paniclog "$T"/var/slimrelay.log "$T"/swaks.out; do
		[ -s "$f" ] || continue
		echo "# ----- $f (last 40 lines)"
		tail -n 40 "$f" | sed 's/^/# /'
	done
}

# fatal - report a failed precondition and end the test
fatal()
{
	FAILED=$((FAILED + 1))
	echo "not ok - $*"
	finish
	exit 1
}

# has_line - true if one line of FILE contains every STRING (plain
#	substrings, no patterns); says what is missing otherwise
has_line()
{
	local file=$1
	shift
	if mta_has_line "$file" "$@"; then
		return 0
	fi
	echo "#   no line of $file contains all of:"
	printf '#     "%s"\n' "$@"
	return 1
}

# mta_has_line - has_line without the complaint
mta_has_line()
{
	local file=$1
	shift
	[ -f "$file" ] || return 1
	MTA_PATS=$(printf '%s\n' "$@") awk '
	BEGIN { n = split(ENVIRON["MTA_PATS"], p, "\n") }
	{
		for (i = 1; i <= n; i++)
			if (index($0, p[i]) == 0)
				next
		found = 1
		exit
	}
	END { exit !found }' "$file"
}

# wait_line - has_line, polling every 0.1 s for up to SECONDS
wait_line()
{
	local tries=$(($1 * 10))
	shift
	# After one wait has timed out, the test is failing: keep the
	# later waits short so that it ends soon.
	[ -z "${MTA_WAITED_OUT:-}" ] || [ "$tries" -le 20 ] || tries=20
	while [ "$tries" -gt 0 ] && ! mta_has_line "$@"; do
		sleep 0.1
		tries=$((tries - 1))
	done
	has_line "$@" && return 0
	MTA_WAITED_OUT=1
	return 1
}

# mta_wait - run COMMAND every 0.1 s until it succeeds or SECONDS pass
mta_wait()
{
	local tries=$(($1 * 10))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	"$@"
}

# mta_listening - true if something listens on 127.0.0.1:PORT
mta_listening()
{
	ss -Hltn "sport = :$1" 2>/dev/null | grep -qF "127.0.0.1:$1"
}

# mta_users - make sure the unprivileged transport user exists
mta_users()
{
	mta_user slimrelay "slimrelay transport (tests)"
}

# mta_user - create system user NAME (with its own group) if missing;
#	two tests may race here, so a failed useradd is checked again
mta_user()
{
	id "$1" >/dev/null 2>&1 && return 0
	useradd -r -U -M -d /nonexistent -s /usr/sbin/nologin -c "$2" "$1" \
	    >/dev/null 2>&1
	id "$1" >/dev/null 2>&1 || fatal "cannot create user $1"
}

# mta_transport - copy the transport where the slimrelay user can run
#	it, give that user a state directory and log file, and write
#	slimrelay.conf; sets MTA_BIN, MTA_CONF and RLOG (the log)
mta_transport()
{
	mkdir -p "$T/bin" "$T/var"
	MTA_BIN=$T/bin/slimrelay
	MTA_CONF=$T/bin/slimrelay.conf
	RLOG=$T/var/slimrelay.log
	cp "$SLIMRELAY" "$MTA_BIN" || fatal "cannot copy $SLIMRELAY"
	chmod 755 "$T/bin" "$MTA_BIN"
	# State and log belong to the transport's user, as in production.
	chown slimrelay:slimrelay "$T/var"
	chmod 700 "$T/var"
	cat >"$MTA_CONF" <<-CONF
	# slimrelay.conf written by tests/integration/mtalib.sh
	log = $RLOG
	state_directory = $T/var
	CONF
	chmod 644 "$MTA_CONF"
	runuser -u slimrelay -- test -x "$MTA_BIN" ||
	    fatal "user slimrelay cannot execute $MTA_BIN"
}

# mta_subst - copy FILE to stdout with @SLIMRELAY@ and @CONF@ replaced
mta_subst()
{
	sed -e "s|@SLIMRELAY@|$MTA_BIN|g" -e "s|@CONF@|$MTA_CONF|g" "$1"
}

# mta_sink - start_sink on PORT, which must be free (lib.sh's check
#	only waits for a listener, any listener)
mta_sink()
{
	! mta_listening "$1" || fatal "port $1 is already in use"
	start_sink "$@" || fatal "smtp-sink did not start on port $1"
}

# mta_sink_file - print the name of the first dump of the sink on PORT
#	with a line containing STRING; false if there is none
mta_sink_file()
{
	local d
	for d in $(sink_files "$1"); do
		if mta_has_line "$d" "$2"; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# mta_drop_trace - print a message without its first header, which must
#	be the Received: header the MTA added; fail if it is not there
mta_drop_trace()
{
	awk '
	NR == 1 && !/^Received: / { exit 1 }
	NR == 1 { skip = 1; next }
	skip && /^[ \t]/ { next }
	{ skip = 0; print }' "$1"
}

# mta_same_message - true if the sink dump DUMP holds MESSAGE byte for
#	byte, after the trace header that the MTA prepended
mta_same_message()
{
	local got=$T/got.${1##*/}
	sink_body "$1" >"$got.msg"
	if ! mta_drop_trace "$got.msg" >"$got.body"; then
		echo "#   $1 does not start with the MTA's Received: header"
		return 1
	fi
	cmp "$2" "$got.body" 2>&1 | sed 's/^/#   /'
	cmp -s "$2" "$got.body"
}

# mta_unfold - print a message with folded header lines joined
mta_unfold()
{
	awk '
	/^[ \t]/ && NR > 1 { sub(/^[ \t]+/, " "); line = line $0; next }
	{ if (NR > 1) print line; line = $0 }
	END { print line }' "$1"
}

# mta_message - write a test message that stresses transparency:
#	leading dots, a lone dot, "From " lines, 8-bit text, tabs,
#	trailing blanks, a 998-octet line and ~100 KB of body
mta_message()
{
	{
		printf 'Date: Tue, 24 Nov 2026 12:00:00 +0000\n'
		printf 'From: Alice <a@sender.test>\n'
		printf 'To: %s\n' "$3"
		printf 'Subject: slimrelay %s test\n' "$MTA_NAME"
		printf 'Message-ID: <%s>\n' "$2"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n'
		printf '\n'
		printf '.\n..\n.leading dot\n...three\n'
		printf 'From the start of a line\n>From quoted\n'
		printf 'caf\303\251 na\303\257ve \342\202\254 \344\270\255\346\226\207\n'
		printf '\ttab first\tand inside\n'
		printf 'trailing blanks   \n'
		printf '\n\n'
		awk 'BEGIN {
			s = ""
			for (i = 0; i < 998; i++)
				s = s sprintf("%c", 33 + i % 94)
			print s
			for (i = 1; i <= 2000; i++)
				printf("%05d the quick brown fox jumps over the lazy dog .\n", i)
		}'
		printf '.\n'
		printf 'last line\n'
	} >"$1"
}

# --- Postfix ---------------------------------------------------------------

# postfix_setup - write a private Postfix instance under $T/postfix: the
#	test's own settings (paths, loopback smtpd on SMTPD_PORT, log
#	file), then postfix-example/main.cf and master.cf as users copy them
# postfix_services - the master.cf lines of Postfix's own services, no
# chroot, for a private instance
postfix_services()
{
	cat <<-'CONF'
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		flush     unix  n       -       n       1000?   0       flush
		proxymap  unix  -       -       n       -       -       proxymap
		showq     unix  n       -       n       -       -       showq
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
	CONF
}

# postfix_instance_dirs DIR - the directories of a private instance
postfix_instance_dirs()
{
	mkdir -p "$1/etc" "$1/spool" "$1/data"
	chown postfix "$1/data"
}

# postfix_instance_conf DIR HOSTNAME - the main.cf lines every private
#	instance shares: its own queue, loopback only, no local delivery,
#	its log in DIR/maillog
postfix_instance_conf()
{
	cat <<-CONF
	compatibility_level = 3.6
	queue_directory = $1/spool
	data_directory = $1/data
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = $2
	inet_interfaces = loopback-only
	inet_protocols = ipv4
	mydestination =
	local_recipient_maps =
	alias_maps =
	alias_database =
	mynetworks = 127.0.0.0/8
	maillog_file = $1/maillog
	maillog_file_prefixes = $1
	smtputf8_enable = no
	biff = no
	CONF
}

# postfix_instance_start DIR - start the instance in DIR; its errors
#	and a fatal failure when it does not start
postfix_instance_start()
{
	MTA_POSTFIX_DIRS="$MTA_POSTFIX_DIRS $1"
	if ! postfix -c "$1/etc" start >"$1/start.out" 2>&1; then
		sed 's/^/# /' "$1/start.out"
		# Before its log daemon runs, Postfix reports errors on
		# stderr only when that is a terminal.
		script -qc "postfix -c '$1/etc' check" /dev/null |
		    sed 's/^/# /'
		fatal "postfix start ($1)"
	fi
}

postfix_setup()
{
	PF_DIR=$T/postfix
	PF_PORT=$1
	PF_LOG=$PF_DIR/maillog
	postfix_instance_dirs "$PF_DIR"
	: >"$PF_DIR/etc/transport"
	{
		echo "# Private test instance (tests/integration/mtalib.sh)."
		postfix_instance_conf "$PF_DIR" postfix.slimrelay.test
		cat <<-CONF
		mydomain = slimrelay.test
		myorigin = \$myhostname
		relay_domains = accept.test reject.test closed.test sender.test
		smtpd_relay_restrictions = permit_mynetworks, reject
		# postfix.sh case 4 uses this smtpd as slimrelay's next hop.
		smtpd_recipient_restrictions =
		    check_recipient_access inline:{refuse.test=REJECT}
		message_size_limit = 1000000
		transport_maps = texthash:$PF_DIR/etc/transport
		# Sanitizer settings reach the transport (master(8) imports,
		# pipe(8) exports only the variables listed).
		import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
		    ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
		export_environment = TZ MAIL_CONFIG LANG
		    ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

		# ---- postfix-example/main.cf ----
		CONF
		mta_subst "$top_srcdir/postfix-example/main.cf"
	} >"$PF_DIR/etc/main.cf"
	{
		cat <<-CONF
		# Private test instance (tests/integration/mtalib.sh): no chroot.
		127.0.0.1:$PF_PORT inet n - n - - smtpd
		CONF
		postfix_services
		cat <<-CONF

		# ---- postfix-example/master.cf ----
		CONF
		mta_subst "$top_srcdir/postfix-example/master.cf"
	} >"$PF_DIR/etc/master.cf"
}

# postfix_route - send mail for DOMAIN through slimrelay to 127.0.0.1:PORT
postfix_route()
{
	printf '%s\tslimrelay:[127.0.0.1]:%s\n' "$1" "$2" \
	    >>"$PF_DIR/etc/transport"
}

# postfix_start - check the configuration and start the instance
postfix_start()
{
	postfix_instance_start "$PF_DIR"
	mta_wait 30 mta_listening "$PF_PORT" ||
	    fatal "Postfix smtpd listens on 127.0.0.1:$PF_PORT"
	echo "# private Postfix $(postconf -c "$PF_DIR/etc" -h mail_version)" \
	    "started in $PF_DIR"
}

# postfix_stop - stop the instance
postfix_stop()
{
	mta_postfix_halt "$PF_DIR"
}

# mta_postfix_halt - stop the Postfix of DIR; kill its master if it lingers
mta_postfix_halt()
{
	local pidf=$1/spool/pid/master.pid pid
	[ -f "$pidf" ] || return 0
	pid=$(tr -dc '0-9' <"$pidf")
	postfix -c "$1/etc" stop >/dev/null 2>&1
	if [ -n "$pid" ] && ! mta_wait 10 mta_gone "$pid"; then
		kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$pidf"
}

# mta_gone - true if process PID no longer exists
mta_gone()
{
	! kill -0 "$1" 2>/dev/null
}

# postfix_send - submit FILE from FROM to TO (comma-separated) with swaks
#	over SMTP; sets QID to the queue id smtpd announced
postfix_send()
{
	# swaks ends the data with CRLF "." CRLF itself: hand it the
	# message without its last newline, or it adds an empty line.
	head -c -1 "$3" >"$T/swaks.data"
	swaks --server 127.0.0.1 --port "$PF_PORT" --helo client.test \
	    --from "$1" --to "$2" --data "@$T/swaks.data" \
	    --suppress-data >"$T/swaks.out" 2>&1 ||
	    fatal "swaks submits to Postfix"
	QID=$(sed -n 's/^<-  250 .* queued as \([0-9A-Za-z]*\).*$/\1/p' \
	    "$T/swaks.out")
	[ -n "$QID" ] || fatal "Postfix gave a queue id for the message"
}

# postfix_queue - print the queue as postqueue -p shows it
postfix_queue()
{
	postqueue -c "$PF_DIR/etc" -p
}

# postfix_in_queue - true if QUEUEID waits in the queue named QUEUE
postfix_in_queue()
{
	postqueue -c "$PF_DIR/etc" -j | grep -F "\"queue_id\": \"$1\"" |
	    grep -qF "\"queue_name\": \"$2\""
}

# postfix_flush - schedule QUEUEID for immediate delivery
postfix_flush()
{
	postqueue -c "$PF_DIR/etc" -i "$1" || fatal "postqueue -i $1"
}

# --- A smart host with STARTTLS and AUTH -----------------------------------

# mta_tls_certs DIR - a test CA (DIR/ca.crt, DIR/ca.key) and, signed by it,
#	a P-256 key and certificate for rx.tls.test and 127.0.0.1
#	(DIR/rx.key, DIR/rx.crt), readable by the users of the test
mta_tls_certs()
{
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/ca.key" -out "$1/ca.crt" -subj "/CN=slimrelay test ca" \
	    -days 30 2>/dev/null || fatal "openssl makes a CA"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/rx.key" -out "$1/rx.csr" -subj "/CN=rx.tls.test" \
	    -addext "subjectAltName=DNS:rx.tls.test,IP:127.0.0.1" \
	    2>/dev/null &&
	openssl x509 -req -in "$1/rx.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" \
	    -CAcreateserial -days 30 -copy_extensions copy -out "$1/rx.crt" \
	    2>/dev/null || fatal "openssl makes the smart host's certificate"
	chmod 755 "$1"
	chmod 644 "$1"/*
}

# postfix_rx_tls DIR PORT SINK CERTS PASS - write and start a receiving
#	Postfix ("rx.tls.test") in DIR: smtpd on 127.0.0.1:PORT offers
#	STARTTLS with CERTS/rx.key and rx.crt (mta_tls_certs), AUTH (Cyrus
#	SASL, sasldb: alice@tls.test with password PASS) after TLS only,
#	relays for authenticated clients only, mail for tls.test, to the
#	smtp-sink on 127.0.0.1:SINK; logs with smtpd_tls_loglevel = 1 in
#	DIR/maillog
postfix_rx_tls()
{
	local rx=$1 port=$2 sink=$3 certs=$4 pass=$5

	# Debian's Postfix reads $config_directory/sasl/smtpd.conf,
	# upstream's cyrus_sasl_config_path: both are $rx/etc/sasl.
	postfix_instance_dirs "$rx"
	mkdir -p "$rx/etc/sasl" "$rx/sasl"
	echo "$pass" | saslpasswd2 -p -f "$rx/sasl/sasldb2" -c -u tls.test \
	    alice || fatal "saslpasswd2"
	chown postfix "$rx/sasl/sasldb2"
	chmod 600 "$rx/sasl/sasldb2"
	cat >"$rx/etc/sasl/smtpd.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	mech_list: PLAIN LOGIN
	sasldb_path: $rx/sasl/sasldb2
	EOF
	{
		echo "# Receiving Postfix (tests/integration/mtalib.sh," \
		    "postfix_rx_tls)"
		postfix_instance_conf "$rx" rx.tls.test
		cat <<-EOF
		relay_domains = tls.test
		relayhost = [127.0.0.1]:$sink
		smtp_tls_security_level = none
		smtpd_relay_restrictions = permit_sasl_authenticated, reject
		smtpd_tls_chain_files = $certs/rx.key, $certs/rx.crt
		smtpd_tls_security_level = may
		smtpd_tls_received_header = yes
		smtpd_tls_loglevel = 1
		smtpd_sasl_type = cyrus
		smtpd_sasl_path = smtpd
		cyrus_sasl_config_path = $rx/etc/sasl
		smtpd_sasl_security_options = noanonymous
		smtpd_sasl_auth_enable = yes
		smtpd_tls_auth_only = yes
		import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
		EOF
	} >"$rx/etc/main.cf"
	{
		echo "127.0.0.1:$port inet n - n - - smtpd"
		postfix_services
		cat <<-EOF
		tlsmgr    unix  -       -       n       1000?   1       tlsmgr
		smtp      unix  -       -       n       -       -       smtp
		relay     unix  -       -       n       -       -       smtp
		EOF
	} >"$rx/etc/master.cf"
	postfix_instance_start "$rx"
	mta_wait 30 mta_listening "$port" ||
	    fatal "the receiving smtpd listens on 127.0.0.1:$port"
}

# mta_smarthost_tls PORT CERTS USER PASS - append
#	postfix-example/slimrelay-smarthost.conf to slimrelay.conf: relay
#	to [127.0.0.1]:PORT, TLS verified with CERTS/ca.crt, AUTH as USER
#	with PASS from a secrets file of the slimrelay user ($SR_SECRETS)
mta_smarthost_tls()
{
	SR_SECRETS=$T/var/secrets
	printf '[127.0.0.1]:%s %s %s\n' "$1" "$3" "$4" >"$T/secrets.tmp"
	install -o slimrelay -g slimrelay -m 600 "$T/secrets.tmp" \
	    "$SR_SECRETS" || fatal "install the secrets file"
	rm -f "$T/secrets.tmp"
	sed -e "s|@SMARTHOST@|[127.0.0.1]:$1|" \
	    -e "s|@SECRETS@|$SR_SECRETS|" -e "s|@CAFILE@|$2/ca.crt|" \
	    "$top_srcdir/postfix-example/slimrelay-smarthost.conf" \
	    >>"$MTA_CONF"
}

# postfix_rx_counts LOG - what the smtpd processes of LOG (a maillog)
#	logged, as "CONNECTIONS TLS AUTH MAIL QUIT": "connect from" lines,
#	"TLS connection established from" lines (handshakes, full or
#	resumed), and the sums of auth=, mail= and quit= of the
#	"disconnect from" lines (AUTH exchanges, MAIL FROM, QUIT; a
#	session still open is not counted there yet)
postfix_rx_counts()
{
	awk '
	/ postfix\/smtpd\[[0-9]+\]: connect from / { c++ }
	/ postfix\/smtpd\[[0-9]+\]: .*TLS connection established from / { t++ }
	/ postfix\/smtpd\[[0-9]+\]: disconnect from / {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			split(kv[2], n, "/")
			if (kv[1] == "auth")
				a += n[1]
			else if (kv[1] == "mail")
				m += n[1]
			else if (kv[1] == "quit")
				q += n[1]
		}
	}
	END { printf "%d %d %d %d %d\n", c, t, a, m, q }' "$1"
}

# --- Exim ------------------------------------------------------------------

# exim_find - set EXIM to the binary exim-unpack.sh unpacked and make
#	sure it can run (shared libraries, the Debian-exim user it was
#	built for), or skip
exim_find()
{
	local missing
	EXIM_ROOT=${EXIM_ROOT:-/opt/slimrelay-test/exim}
	EXIM=$EXIM_ROOT/usr/sbin/exim4
	[ -x "$EXIM" ] || skip "no Exim in $EXIM_ROOT" \
	    "(run tests/integration/exim-unpack.sh)"
	missing=$(ldd "$EXIM" 2>/dev/null | awk '/not found/ { printf " %s", $1 }')
	[ -z "$missing" ] || skip "Exim's libraries are missing:$missing" \
	    "(see exim-example/README)"
	mta_user Debian-exim "Exim (slimrelay tests)"
}

# exim_setup - write a private Exim configuration under $T/exim: the
#	test's main settings and local delivery of bounces into an mbox,
#	then exim-example/ as users copy it
exim_setup()
{
	local v=${1:-}
	EX_DIR=$T/exim
	EX_CONF=$EX_DIR/exim.conf
	EX_LOG=$EX_DIR/log/mainlog
	EX_MBOX=$T/var/mbox
	mkdir -p "$EX_DIR/spool" "$EX_DIR/log"
	{
		cat <<-CONF
		# Private test instance (tests/integration/mtalib.sh).
		# exim_path: Exim re-executes itself. exim_user = root: run
		# as root throughout, or every re-exec would drop privilege
		# for -C and the deliveries would freeze.
		exim_path = $EXIM
		exim_user = root
		exim_group = root
		spool_directory = $EX_DIR/spool
		log_file_path = $EX_DIR/log/%slog
		pid_file_path = $EX_DIR/exim.pid
		primary_hostname = exim.slimrelay.test
		qualify_domain = sender.test
		domainlist local_domains = sender.test
		keep_environment =
		log_selector = +received_recipients +delivery_size +deliver_time

		begin routers

		local_mbox:
		  driver = accept
		  domains = +local_domains
		  transport = local_mbox

		# ---- exim-example/router$v.conf ----
		CONF
		mta_subst "$top_srcdir/exim-example/router$v.conf"
		cat <<-CONF

		begin transports

		local_mbox:
		  driver = appendfile
		  file = $EX_MBOX
		  user = slimrelay

		# ---- exim-example/transport$v.conf ----
		CONF
		mta_subst "$top_srcdir/exim-example/transport$v.conf"
		cat <<-CONF

		begin retry

		# ---- exim-example/retry.conf ----
		CONF
		mta_subst "$top_srcdir/exim-example/retry.conf"
	} >"$EX_CONF"
	if ! exim_run -bV >"$EX_DIR/version" 2>&1; then
		sed 's/^/# /' "$EX_DIR/version"
		fatal "exim -bV accepts the configuration"
	fi
	echo "# private $(sed -n '1s/ #.*//p' "$EX_DIR/version")" \
	    "configured in $EX_DIR"
}

# exim_run - run the private Exim with ARGS
exim_run()
{
	"$EXIM" -C "$EX_CONF" "$@"
}

# exim_smarthost - relay the following deliveries to 127.0.0.1:PORT
#	(the smarthost setting of slimrelay.conf; exim -odi delivers
#	before it returns, so each case sees its own setting)
exim_smarthost()
{
	sed -i -e '/^smarthost = /d' "$MTA_CONF"
	echo "smarthost = [127.0.0.1]:$1" >>"$MTA_CONF"
}

# exim_send - submit FILE from FROM ("" = null sender) to TO and deliver
#	it at once (-odi); sets MID to the message id from the log
exim_send()
{
	local lines=0
	[ ! -f "$EX_LOG" ] || lines=$(wc -l <"$EX_LOG")
	exim_run -odi -oi -f "${1:-<>}" -- "$2" <"$3" ||
	    fatal "exim accepts the message for $2"
	MID=$(tail -n "+$((lines + 1))" "$EX_LOG" | awk -v to="${2%%,*}" '
	{
		for (i = 1; i < NF; i++)
			if ($(i + 1) == "<=" && index($0, " for " to)) {
				print $i
				exit
			}
	}')
	[ -n "$MID" ] || fatal "Exim logged the arrival of the message for $2"
}

# exim_in_queue - true if message MID waits in the queue
exim_in_queue()
{
	exim_run -bp | grep -qF " $1 "
}

# exim_not_in_queue - true if message MID has left the queue
exim_not_in_queue()
{
	! exim_in_queue "$1"
}

# --- Local delivery (maildrop) ---------------------------------------------
#
#	mta_local_transport		the slimrelay-local service's config:
#					sets LOCAL_CONF and LLOG (its log)
#	mta_suid_maildrop		a setuid-root copy of maildrop, as an
#					admin makes with dpkg-statoverride;
#					sets MTA_MAILDROP
#	mta_maildir_user NAME		a user with a home in $T, a Maildir
#	mta_mailfilter NAME FILTER	install tests/data/maildrop/FILTER.mailfilter
#					and a mailfilter filing into it
#	mta_maildir_new NAME		the files in NAME's Maildir/new
#	mta_local_users			remove the users mta_maildir_user made
#	postfix_local_service		append postfix-example/master-local.cf
#					and main-local.cf (before start)
#	postfix_route_local DOMAIN	transport_maps: DOMAIN to slimrelay-local
#	postfix_lmtp_service		append postfix-example/master-lmtp.cf
#					and main-lmtp.cf (before start)
#	postfix_route_lmtp DOMAIN	transport_maps: DOMAIN to slimlmtp

MTA_MAILDIR_USERS=""

# mta_local_transport - slimrelay.conf for final delivery, from
#	postfix-example/slimrelay-local.conf plus the test's paths; the log
#	and state directory belong to "mail", the service's user
mta_local_transport()
{
	mkdir -p "$T/bin" "$T/varlocal"
	LOCAL_CONF=$T/bin/slimrelay-local.conf
	LLOG=$T/varlocal/slimrelay.log
	chown mail:mail "$T/varlocal"
	chmod 700 "$T/varlocal"
	{
		cat "$top_srcdir/postfix-example/slimrelay-local.conf"
		cat <<-CONF
		# ---- tests/integration/mtalib.sh ----
		log = $LLOG
		state_directory = $T/varlocal
		maildrop_path = ${MTA_MAILDROP:-/usr/bin/maildrop}
		CONF
	} >"$LOCAL_CONF"
	chmod 644 "$LOCAL_CONF"
}

# mta_suid_maildrop - copy maildrop into $T/bin, setuid root, group mail
mta_suid_maildrop()
{
	MTA_MAILDROP=$T/bin/maildrop
	mkdir -p "$T/bin"
	cp "$(command -v maildrop)" "$MTA_MAILDROP" ||
	    fatal "cannot copy maildrop"
	chown root:mail "$MTA_MAILDROP"
	chmod 6755 "$MTA_MAILDROP"
}

# mta_maildir_user NAME - a user whose mail maildrop files in ~/Maildir
mta_maildir_user()
{
	local home=$T/home/$1
	mkdir -p "$T/home"
	chmod 755 "$T/home"
	if id "$1" >/dev/null 2>&1; then
		pkill -KILL -u "$1" 2>/dev/null
		userdel "$1" >/dev/null 2>&1
	fi
	useradd -M -d "$home" -s /bin/sh -c "slimrelay test" "$1" ||
	    fatal "cannot create user $1"
	MTA_MAILDIR_USERS="$MTA_MAILDIR_USERS $1"
	mkdir -p "$home"
	chown "$1:" "$home"
	runuser -u "$1" -- maildirmake "$home/Maildir" ||
	    fatal "maildirmake for $1"
	mta_mailfilter "$1" deliver
}

# mta_mailfilter NAME FILTER - NAME's ~/.mailfilter becomes
#	tests/data/maildrop/FILTER.mailfilter
mta_mailfilter()
{
	local f=$T/home/$1/.mailfilter
	cp "$top_srcdir/tests/data/maildrop/$2.mailfilter" "$f"
	chown "$1:" "$f"
	chmod 600 "$f"
}

# mta_maildir_new NAME - the messages in NAME's Maildir/new, one a line
mta_maildir_new()
{
	find "$T/home/$1/Maildir/new" -type f 2>/dev/null | sort
}

# mta_local_users - remove the users made by mta_maildir_user
mta_local_users()
{
	local u
	for u in $MTA_MAILDIR_USERS; do
		pkill -KILL -u "$u" 2>/dev/null
		userdel "$u" >/dev/null 2>&1
	done
	MTA_MAILDIR_USERS=""
}

# postfix_local_service - add the slimrelay-local service and its
#	main.cf lines to the private instance, placeholders replaced
postfix_local_service()
{
	{
		echo "# ---- postfix-example/master-local.cf ----"
		sed -e "s|@SLIMRELAY@|$MTA_BIN|g" \
		    -e "s|@LOCAL_CONF@|$LOCAL_CONF|g" \
		    "$top_srcdir/postfix-example/master-local.cf"
	} >>"$PF_DIR/etc/master.cf"
	{
		echo "# ---- postfix-example/main-local.cf ----"
		cat "$top_srcdir/postfix-example/main-local.cf"
	} >>"$PF_DIR/etc/main.cf"
}

# postfix_route_local DOMAIN - deliver DOMAIN through slimrelay-local
postfix_route_local()
{
	printf '%s\tslimrelay-local:\n' "$1" >>"$PF_DIR/etc/transport"
	postconf -c "$PF_DIR/etc" -e \
	    "relay_domains = $(postconf -c "$PF_DIR/etc" -h relay_domains) $1"
}

# postfix_lmtp_service - add LMTP mode's spawn and lmtp services and
#	their main.cf lines to the private instance, placeholders replaced
postfix_lmtp_service()
{
	{
		echo "# ---- postfix-example/master-lmtp.cf ----"
		mta_subst "$top_srcdir/postfix-example/master-lmtp.cf"
	} >>"$PF_DIR/etc/master.cf"
	{
		echo "# ---- postfix-example/main-lmtp.cf ----"
		cat "$top_srcdir/postfix-example/main-lmtp.cf"
	} >>"$PF_DIR/etc/main.cf"
}

# postfix_route_lmtp DOMAIN - deliver DOMAIN through slimlmtp
postfix_route_lmtp()
{
	printf '%s\tslimlmtp:unix:private/slimrelay-lmtp\n' "$1" \
	    >>"$PF_DIR/etc/transport"
}
