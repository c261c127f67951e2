/*
 * fuzz_route_header - libFuzzer entry point for route_header_verify()
 * and the header name matchers.
 *
 * Any input must verify or fail cleanly with a known status. A header
 * that verifies must sign again, from its parsed fields, to a value
 * that verifies to the same fields; parsing must agree with verifying
 * on syntax. Any violation aborts, which the fuzzer reports.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route_header.h"

#define FUZZ_KEY	"fuzz-key-0123456789abcdef"
#define FUZZ_NOW	1764000000
#define MAX_AGE_MS	(3650L * 86400000)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* LLVMFuzzerTestOneInput - verify, re-sign, verify again */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct route_header_message msg = { "<fuzz@example.org>",
	    "4FUZZ" };
	struct route_header_key k;
	struct route_header h, h2;
	struct relay_result why;
	unsigned char mac[ROUTE_HEADER_MAC_LEN];
	char text[ROUTE_HEADER_VALUE_MAX + 64];
	char again[ROUTE_HEADER_VALUE_MAX + 1];
	enum route_header_status st, pst;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';

	(void)route_header_name_is(text);
	if (route_header_line_match(text, size) > size)
		abort();

	memset(&k, 0, sizeof(k));
	k.len = strlen(FUZZ_KEY);
	memcpy(k.data, FUZZ_KEY, k.len);
	st = route_header_verify(&h, text, &k, &msg, FUZZ_NOW, MAX_AGE_MS);
	pst = route_header_parse(&h2, mac, text);
	if (strcmp(route_header_status_name(st), "unknown") == 0)
		abort();
	/* Syntax errors are the same whether or not we verify. */
	if (pst != ROUTE_HEADER_VALID && st != pst)
		abort();
	if (st != ROUTE_HEADER_VALID)
		goto out;
	relay_result_init(&why);
	if (route_header_sign(&h, &k, again, sizeof(again), &why) != 0)
		abort();
	if (route_header_verify(&h2, again, &k, &msg, FUZZ_NOW,
	    MAX_AGE_MS) != ROUTE_HEADER_VALID ||
	    strcmp(h.domain, h2.domain) != 0 ||
	    strcmp(h.nh.host, h2.nh.host) != 0 || h.nh.port != h2.nh.port ||
	    h.time != h2.time || h.tls_level != h2.tls_level ||
	    h.tls_wrappermode != h2.tls_wrappermode ||
	    strcmp(h.binding_hash, h2.binding_hash) != 0)
		abort();
out:
	route_header_key_wipe(&k);
	return 0;
}
