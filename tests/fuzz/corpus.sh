#!/bin/sh
# corpus.sh - run each built fuzz target over its seed corpus.
#
# make check sets top_srcdir and top_builddir. Each program
# $top_builddir/tests/fuzz/fuzz_run_<x> runs over
# $top_srcdir/tests/fuzz/corpus/<x>/; a program that was not built is
# skipped (a failure when SLIMRELAY_NO_SKIP=1), a program without its
# corpus fails, and the script fails when no target ran at all.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
ran=0
failed=0

for t in smtp_reply address config msg_stream nexthop mx_cache route_header \
    logtime lmtp_server tlsa smtp_session ehlo dns_reply header_filter \
    exim_env auth tls_cache route_key local_status macro milter_header \
    keeper_proto session_props; do
	prog=$top_builddir/tests/fuzz/fuzz_run_$t
	dir=$top_srcdir/tests/fuzz/corpus/$t
	if [ ! -x "$prog" ]; then
		if [ "${SLIMRELAY_NO_SKIP:-0}" = 1 ]; then
			echo "FAIL: $t: $prog was not built"
			failed=1
		else
			echo "SKIP: $t: $prog was not built"
		fi
		continue
	fi
	if [ ! -d "$dir" ]; then
		echo "FAIL: $t: no seed corpus $dir"
		failed=1
		continue
	fi
	if "$prog" "$dir"; then
		echo "PASS: $t"
		ran=$((ran + 1))
	else
		echo "FAIL: $t: $prog $dir exited with status $?"
		failed=1
	fi
done

if [ "$ran" -eq 0 ]; then
	echo "FAIL: no fuzz target ran"
	exit 1
fi
exit $failed
