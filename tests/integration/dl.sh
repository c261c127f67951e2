#!/bin/bash
# dl.sh - OpenSSL and ldns are loaded only when a delivery needs them
# (lib/dl.c): a delivery to an address without TLS maps neither, a
# smart host by name maps libldns; a library that is broken or lacks a
# function defers the mail with 4.3.0 and delivers nothing. The loader's
# own trace (LD_DEBUG=libs, glibc) tells what was mapped; broken
# libraries are put first with LD_LIBRARY_PATH.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnslib.sh"
need smtp-sink ldns-testns drill "${CC:-cc}"
P=2680
start_sink $P || exit 1
DNS_BASE_PORT=53700 dns_start "$top_srcdir/tests/data/dns/relay.data" || exit 1
printf 'Subject: dl\n\nbody\n' >"$T/msg"
export RELAY_INPUT="$T/msg"
DNSOPT=(-o "dns_servers=127.0.0.1:$DNS_PORT" -o dns_timeout=2s)

# The soname the programs were built for, from the loader's trace.
LD_DEBUG=libs relay "${DNSOPT[@]}" -n "[smarthost.test]:$P" -f a@example.org -- b@example.com
check "by name: exit 0" eq "$RC" 0
check "by name: libldns mapped" has "$OUT" "libldns.so"
LDNS_SONAME=$(printf '%s\n' "$OUT" | sed -n 's/.*find library=\(libldns\.so[^ ;]*\).*/\1/p' | head -n 1)
check "by name: soname found in the trace" has "$LDNS_SONAME" "libldns.so."
[ -n "$LDNS_SONAME" ] || { finish; exit 1; }

LD_DEBUG=libs relay -q Qaddr -n "[127.0.0.1]:$P" -f a@example.org -- b@example.com
check "address: exit 0" eq "$RC" 0
check "address: no libldns" lacks "$OUT" "libldns"
check "address: no libssl" lacks "$OUT" "libssl"
check "address: no libcrypto" lacks "$OUT" "libcrypto"
check "address: record" log_has "Qaddr: to=<b@example.com>, relay=127.0.0.1[127.0.0.1]:$P, "
check "delivered twice" eq "$(sink_count $P)" 2

# A file that is no library at all, where the loader looks first.
mkdir -p "$T/empty" "$T/stub"
: >"$T/empty/$LDNS_SONAME"
LD_LIBRARY_PATH=$T/empty relay -q Qbad -n "[smarthost.test]:$P" "${DNSOPT[@]}" -f a@example.org -- b@example.com
check "broken libldns: exit 75" eq "$RC" 75
check "broken libldns: status line" starts "$OUT" "4.3.0 cannot load $LDNS_SONAME: "
check "broken libldns: record" log_has "Qbad: to=<b@example.com>, relay=none, "
check "broken libldns: deferred" log_has "status=deferred (cannot load $LDNS_SONAME: "

# A real shared object by that name, without ldns' functions.
printf 'int slimrelay_stub;\n' >"$T/stub/stub.c"
"${CC:-cc}" -shared -fPIC -o "$T/stub/$LDNS_SONAME" "$T/stub/stub.c" || exit 1
LD_LIBRARY_PATH=$T/stub relay -n "[smarthost.test]:$P" "${DNSOPT[@]}" -f a@example.org -- b@example.com
check "stub libldns: exit 75" eq "$RC" 75
check "stub libldns: names the missing function" starts "$OUT" "4.3.0 cannot load $LDNS_SONAME: no symbol ldns_"

# TLS on connect (implicit TLS): libssl is loaded before the first byte.
LD_DEBUG=libs relay -o smarthost_tls_wrappermode=yes -o smarthost_tls_level=encrypt -n "[127.0.0.1]:$P" -f a@example.org -- b@example.com
check "implicit TLS: libssl mapped" has "$OUT" "libssl.so"
SSL_SONAME=$(printf '%s\n' "$OUT" | sed -n 's/.*find library=\(libssl\.so[^ ;]*\).*/\1/p' | head -n 1)
check "implicit TLS: soname found in the trace" has "$SSL_SONAME" "libssl.so."
[ -n "$SSL_SONAME" ] || { finish; exit 1; }
: >"$T/empty/$SSL_SONAME"
LD_LIBRARY_PATH=$T/empty relay -o smarthost_tls_wrappermode=yes -o smarthost_tls_level=encrypt -n "[127.0.0.1]:$P" -f a@example.org -- b@example.com
check "broken libssl: exit 75" eq "$RC" 75
check "broken libssl: status line" starts "$OUT" "4.3.0 cannot load $SSL_SONAME: "

check "nothing else delivered" eq "$(sink_count $P)" 2
finish
