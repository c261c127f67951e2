# dnslib.sh - a canned name server for the integration tests (sourced,
# bash, after lib.sh).
#
#   dns_start DATAFILE    start ldns-testns(1) with DATAFILE on a free UDP
#                         and TCP port of 127.0.0.1 (it binds 0.0.0.0);
#                         sets DNS_PORT and DNS_PID and returns once the
#                         server answers, non-zero if it never does
#   dns_stop              stop it (by PID) and wait for it
#   dns_servers_option    "-o dns_servers=127.0.0.1:$DNS_PORT", for relay
#   dns_queries NAME TYPE how many NAME/TYPE queries the server received
#                         (start it with DNS_TESTNS_ARGS=-v: it then logs
#                         every query to $DNS_LOG)
#
# The data file must answer "probe.test. IN A" (tests/data/dns/hosts.data
# does): that is how dns_start knows the server is up. Call "need
# ldns-testns drill" first. Ports are tried from DNS_BASE_PORT (default
# 53531) upwards, so that tests running at the same time do not collide:
# ldns-testns exits at once when its port is taken. The server is tracked
# with lib.sh's track, so it is stopped at exit even without dns_stop.

DNS_PORT=
DNS_PID=

# dns_answers PORT - does the server on PORT answer the probe?
dns_answers() {
	drill -p "$1" probe.test @127.0.0.1 A 2>/dev/null |
	    grep -q 'rcode: NOERROR'
}

dns_start() {
	local datafile=$1 port=${DNS_BASE_PORT:-53531} tries i log
	if [ ! -r "$datafile" ]; then
		echo "# dns_start: cannot read $datafile"
		return 1
	fi
	for tries in $(seq 1 20); do
		log="${T:-/tmp}/ldns-testns.$port.log"
		# shellcheck disable=SC2086
		ldns-testns ${DNS_TESTNS_ARGS:-} -p "$port" "$datafile" \
		    >"$log" 2>&1 &
		DNS_PID=$!
		for i in $(seq 1 100); do
			if ! kill -0 "$DNS_PID" 2>/dev/null; then
				break	# it exited: the port is taken
			fi
			# It says so once it has bound its ports; until then
			# another server on the port could answer the probe.
			if grep -q "^Listening on port $port\$" "$log" &&
			    dns_answers "$port"; then
				DNS_PORT=$port
				DNS_LOG=$log
				if declare -F track >/dev/null; then
					track "$DNS_PID"
				fi
				return 0
			fi
			sleep 0.05
		done
		kill "$DNS_PID" 2>/dev/null
		wait "$DNS_PID" 2>/dev/null
		DNS_PID=
		port=$((port + 1))
	done
	echo "# dns_start: ldns-testns did not come up" \
	    "(see ${T:-/tmp}/ldns-testns.*.log)"
	return 1
}

dns_stop() {
	if [ -n "$DNS_PID" ]; then
		kill "$DNS_PID" 2>/dev/null
		wait "$DNS_PID" 2>/dev/null
	fi
	DNS_PID=
	DNS_PORT=
}

dns_servers_option() {
	echo "-o dns_servers=127.0.0.1:$DNS_PORT"
}

dns_queries() {
	grep -c "^query [0-9]*: id [0-9]*: [A-Z]* [0-9]* bytes: $1\.[[:space:]]*IN[[:space:]]*$2\$" "$DNS_LOG"
}
