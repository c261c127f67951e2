/*
 * NAME
 *	fuzz_dns_reply - libFuzzer target for the DNS reply reader,
 *	dns_reply() in lib/dns.c
 * DESCRIPTION
 *	Input: one byte that chooses the query (bits 0-1: A, AAAA, MX, MX;
 *	bit 2: the name "example.test" or "mx.example.test"), then a reply
 *	in wire format. ldns_wire2pkt() parses the reply, as the resolver
 *	does, and dns_reply() reads it against a query with ID 0x1234 for
 *	that name and type: the same code every lookup runs (check_reply,
 *	the CNAME chain, negative TTLs, addresses, MX records and their
 *	host names). Invariants, any violation abort()s:
 *	- a reply whose ID or QR bit does not match, or that is truncated,
 *	  is never OK or NXDOMAIN;
 *	- OK for A/AAAA: 1 to DNS_ADDRS_MAX distinct addresses of the
 *	  family asked, each one's 4 or 16 bytes present in the reply,
 *	  with the port, text and a TTL below 2^31; nothing otherwise;
 *	- OK for MX: 1 to DNS_MXRR_MAX records with distinct host names
 *	  that are "." or valid lower-case host names (nexthop.c), no
 *	  record's TTL above 2^31 - 1 nor below the set's TTL; BADNAME
 *	  only with nbad > 0; no records for any other outcome;
 *	- the negative TTL is DNS_TTL_NONE or below 2^31, and none is
 *	  noted for OK; the error text is one printable line.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "config.h"
#include "dl_ldns.h"
#include "dns.h"
#include "nexthop.h"

#define QUERY_ID	0x1234
#define TTL_MAX		0x7fffffffU

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_dns_reply: %s\n", what);
		abort();
	}
}

/* check_addrs - an OK address answer */
static void
check_addrs(const struct dns_addr_list *l, int af, const uint8_t *wire,
    size_t size)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const void *raw;
	size_t i, j, rlen = af == AF_INET6 ? 16 : 4;

	check(l->n >= 1 && l->n <= DNS_ADDRS_MAX, "OK without addresses");
	for (i = 0; i < l->n; i++) {
		check(l->a[i].sa.ss_family == af, "address of another family");
		check(l->a[i].ttl <= TTL_MAX, "address TTL over 2^31 - 1");
		check(l->a[i].text[0] != '\0' &&
		    memchr(l->a[i].text, '\0', sizeof(l->a[i].text)) != NULL,
		    "address without text");
		if (af == AF_INET) {
			sin = (const struct sockaddr_in *)&l->a[i].sa;
			check(ntohs(sin->sin_port) == 25, "port not set");
			raw = &sin->sin_addr;
		} else {
			sin6 = (const struct sockaddr_in6 *)&l->a[i].sa;
			check(ntohs(sin6->sin6_port) == 25, "port not set");
			raw = &sin6->sin6_addr;
		}
		check(memmem(wire, size, raw, rlen) != NULL,
		    "an address that is not in the reply");
		for (j = 0; j < i; j++)
			check(strcmp(l->a[i].text, l->a[j].text) != 0,
			    "the same address twice");
	}
}

/* check_mx - an MX answer */
static void
check_mx(const struct dns_mxrrs *set, enum dns_outcome out)
{
	const char *h;
	size_t i, j;

	if (out != DNS_OUT_OK) {
		check(set->nrr == 0 || out == DNS_OUT_BADNAME,
		    "records with a failure");
		check(out != DNS_OUT_BADNAME || set->nbad > 0,
		    "BADNAME without a bad record");
		return;
	}
	check(set->nrr >= 1 && set->nrr <= DNS_MXRR_MAX, "OK without records");
	check(set->ttl <= TTL_MAX, "MX TTL over 2^31 - 1");
	for (i = 0; i < set->nrr; i++) {
		h = set->rr[i].host;
		check(memchr(h, '\0', sizeof(set->rr[i].host)) != NULL,
		    "host not terminated");
		check(strcmp(h, ".") == 0 || nexthop_valid_hostname(h),
		    "an invalid host name kept");
		for (; *h != '\0'; h++)
			check(*h < 'A' || *h > 'Z', "host not lower case");
		check(set->rr[i].pref <= 65535, "preference over 65535");
		check(set->rr[i].ttl <= TTL_MAX && set->rr[i].ttl >= set->ttl,
		    "record TTL outside the set's");
		for (j = 0; j < i; j++)
			check(strcmp(set->rr[i].host, set->rr[j].host) != 0,
			    "the same host twice");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A,
	    LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_MX, LDNS_RR_TYPE_MX };
	static struct dns_addr_list list;
	static struct dns_mxrrs set;
	struct relay_result why;
	struct config cfg;
	struct dns *d;
	ldns_pkt *q = NULL, *ans = NULL;
	ldns_rdf *qname;
	ldns_rr_type type;
	enum dns_outcome out;
	const char *name, *p;
	uint32_t neg;
	static bool loaded;

	if (size < 1)
		return 0;
	if (!loaded) {
		relay_result_init(&why);
		if (dl_load(DL_LDNS, &why) != 0) {
			fprintf(stderr, "fuzz_dns_reply: %s\n", why.text);
			abort();
		}
		loaded = true;
	}
	type = types[data[0] & 3];
	name = (data[0] & 4) ? "mx.example.test" : "example.test";
	if (ldns_wire2pkt(&ans, data + 1, size - 1) != LDNS_STATUS_OK)
		return 0;
	config_defaults(&cfg);
	if ((d = dns_new(&cfg)) == NULL ||
	    (qname = ldns_dname_new_frm_str(name)) == NULL ||
	    (q = ldns_pkt_query_new(qname, type, LDNS_RR_CLASS_IN,
	    LDNS_RD)) == NULL)
		abort();
	ldns_pkt_set_id(q, QUERY_ID);
	list.n = 0;
	set.nrr = set.nbad = 0;
	set.ttl = 0;

	out = dns_reply(d, name, q, ans, 25, &list, &set);
	check(out <= DNS_OUT_BADNAME, "unknown outcome");
	if (ldns_pkt_id(ans) != QUERY_ID || !ldns_pkt_qr(ans) ||
	    ldns_pkt_tc(ans))
		check(out != DNS_OUT_OK && out != DNS_OUT_NXDOMAIN,
		    "a reply to another query, or truncated, taken");
	if (type == LDNS_RR_TYPE_MX) {
		check(list.n == 0, "addresses from an MX query");
		check_mx(&set, out);
	} else {
		check(set.nrr == 0, "MX records from an address query");
		if (out == DNS_OUT_OK)
			check_addrs(&list, type == LDNS_RR_TYPE_A ? AF_INET :
			    AF_INET6, data + 1, size - 1);
		else
			check(list.n == 0, "addresses with a failure");
	}
	neg = dns_last_negative_ttl(d);
	check(neg == DNS_TTL_NONE || neg <= TTL_MAX, "negative TTL too big");
	check(out != DNS_OUT_OK || neg == DNS_TTL_NONE,
	    "a negative TTL noted for a positive answer");
	for (p = dns_last_error(d); *p != '\0'; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f,
		    "control character in the error text");
	check(out == DNS_OUT_OK || dns_last_error(d)[0] != '\0',
	    "a failure without an error text");
	ldns_pkt_free(q);
	ldns_pkt_free(ans);
	dns_free(d);
	config_fini(&cfg);
	return 0;
}
