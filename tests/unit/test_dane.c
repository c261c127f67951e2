/*
 * test_dane - DANE's decisions (dane.c) and the DNSSEC side of dns.c:
 * the policy table, which records are usable, and TLSA lookups with the
 * AD bit from ldns-testns (tests/data/dns/dane.data), trusted or not.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dane.h"
#include "dns.h"
#include "dns_mx.h"
#include "result.h"
#include "testns.h"
#include "unit.h"

#define SERVER_BASE_PORT	53931	/* test_dns starts at 53631 */

static struct testns server;

/* test_config - defaults aimed at our server */
static void
test_config(struct config *cfg)
{
	config_defaults(cfg);
	snprintf(cfg->dns_servers, sizeof(cfg->dns_servers), "127.0.0.1:%u",
	    server.port);
	cfg->dns_timeout_ms = 2000;
	cfg->dns_retries = 0;
	snprintf(cfg->dnssec_probe, sizeof(cfg->dnssec_probe),
	    "ns:dane.test");
}

/* rr - a record with data of len bytes */
static struct dns_tlsa
rr(unsigned u, unsigned s, unsigned m, size_t len)
{
	struct dns_tlsa t;

	memset(&t, 0, sizeof(t));
	t.usage = (uint8_t)u;
	t.selector = (uint8_t)s;
	t.mtype = (uint8_t)m;
	t.len = (uint16_t)len;
	memset(t.data, 0xab, len);
	return t;
}

/* test_dane_usable - usages 2 and 3, selectors 0 and 1, types 0..2 */
static void
test_dane_usable(void)
{
	static const struct {
		unsigned u, s, m;
		bool	want;
	} cases[] = {
		{ 3, 1, 1, true }, { 2, 1, 1, true }, { 3, 0, 2, true },
		{ 2, 0, 0, true }, { 1, 1, 1, false }, { 0, 0, 1, false },
		{ 4, 1, 1, false }, { 3, 2, 1, false }, { 3, 1, 3, false },
		{ 3, 1, 255, false },
	};
	struct dns_tlsa t;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = rr(cases[i].u, cases[i].s, cases[i].m, 32);
		if (dane_tlsa_usable(&t) != cases[i].want)
			unit_fail(__FILE__, __LINE__, "%u %u %u: got %d, want "
			    "%d", cases[i].u, cases[i].s, cases[i].m,
			    !cases[i].want, cases[i].want);
		else
			CU_PASS("usable");
	}
	t = rr(3, 1, 1, 0);
	UNIT_ASSERT_INT_EQ(dane_tlsa_usable(&t), 0);
}

/* test_dane_decide - the table of dane.c, for dane and dane-only */
static void
test_dane_decide(void)
{
	struct dns_tlsa_set *set = calloc(1, sizeof(*set));
	static const struct {
		enum config_tls_level level;
		bool	mx, host;
		int	tlsa;	/* -1 not looked up, else enum dns_outcome */
		bool	secure;
		int	nusable, nunusable;
		enum dane_action want;
		const char *text;
	} cases[] = {
		{ CONFIG_TLS_DANE, false, true, -1, false, 0, 0, DANE_ACT_MAY,
		    "the MX records of d.test are not DNSSEC-validated" },
		{ CONFIG_TLS_DANE_ONLY, false, true, -1, false, 0, 0,
		    DANE_ACT_DEFER, "DANE required, but the MX records of "
		    "d.test are not DNSSEC-validated" },
		{ CONFIG_TLS_DANE, true, false, -1, false, 0, 0, DANE_ACT_MAY,
		    "the addresses of mx.d.test are not DNSSEC-validated" },
		{ CONFIG_TLS_DANE_ONLY, true, false, -1, false, 0, 0,
		    DANE_ACT_DEFER, "DANE required, but the addresses of "
		    "mx.d.test are not DNSSEC-validated" },
		{ CONFIG_TLS_DANE, true, true, DNS_OUT_TRYAGAIN, false, 0, 0,
		    DANE_ACT_DEFER, "TLSA lookup error for mx.d.test:25" },
		{ CONFIG_TLS_DANE, true, true, DNS_OUT_BADREPLY, false, 0, 0,
		    DANE_ACT_DEFER, "TLSA lookup error for mx.d.test:25" },
		{ CONFIG_TLS_DANE, true, true, DNS_OUT_OK, false, 1, 0,
		    DANE_ACT_MAY, "the TLSA records of mx.d.test:25 are not "
		    "DNSSEC-validated" },
		{ CONFIG_TLS_DANE, true, true, DNS_OUT_NODATA, true, 0, 0,
		    DANE_ACT_MAY, "mx.d.test:25 has no usable TLSA records" },
		{ CONFIG_TLS_DANE, true, true, DNS_OUT_NXDOMAIN, true, 0, 0,
		    DANE_ACT_MAY, "mx.d.test:25 has no usable TLSA records" },
		{ CONFIG_TLS_DANE_ONLY, true, true, DNS_OUT_NODATA, true, 0,
		    0, DANE_ACT_DEFER, "DANE required, but mx.d.test:25 has no "
		    "usable TLSA records" },
		{ CONFIG_TLS_DANE, true, true, DNS_OUT_OK, true, 1, 1,
		    DANE_ACT_VERIFY, "mx.d.test:25: 1 usable TLSA record" },
		{ CONFIG_TLS_DANE_ONLY, true, true, DNS_OUT_OK, true, 2, 0,
		    DANE_ACT_VERIFY, "mx.d.test:25: 2 usable TLSA records" },
		{ CONFIG_TLS_DANE, true, true, DNS_OUT_OK, true, 0, 2,
		    DANE_ACT_ENCRYPT, "mx.d.test:25: no usable TLSA records "
		    "(2 unusable)" },
		{ CONFIG_TLS_DANE_ONLY, true, true, DNS_OUT_OK, true, 0, 2,
		    DANE_ACT_DEFER, "DANE required, but mx.d.test:25 has no "
		    "usable TLSA records" },
	};
	enum dane_action got;
	char text[RELAY_TEXT_MAX];
	size_t i;
	int k;

	if (set == NULL) {
		unit_fail(__FILE__, __LINE__, "out of memory");
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(set, 0, sizeof(*set));
		set->outcome = cases[i].tlsa < 0 ? DNS_OUT_TRYAGAIN :
		    (enum dns_outcome)cases[i].tlsa;
		set->is_secure = cases[i].secure;
		for (k = 0; k < cases[i].nusable; k++)
			set->rr[set->nrr++] = rr(3, 1, 1, 32);
		for (k = 0; k < cases[i].nunusable; k++)
			set->rr[set->nrr++] = rr(1, 1, 1, 32);
		got = dane_decide(cases[i].level, cases[i].mx, cases[i].host,
		    cases[i].tlsa < 0 ? NULL : set, "d.test", "mx.d.test", 25,
		    text, sizeof(text));
		if (got != cases[i].want)
			unit_fail(__FILE__, __LINE__, "case %zu: got %s, want "
			    "%s", i, dane_action_name(got),
			    dane_action_name(cases[i].want));
		else
			CU_PASS("action");
		UNIT_ASSERT_STR_EQ(text, cases[i].text);
	}
	free(set);
}

/* test_dane_format - "3 1 1 abab...", cut after max_hex digits */
static void
test_dane_format(void)
{
	struct dns_tlsa t = rr(3, 1, 1, 4);
	char buf[64];

	UNIT_ASSERT_INT_EQ(dane_tlsa_format(&t, buf, sizeof(buf), 0), 14);
	UNIT_ASSERT_STR_EQ(buf, "3 1 1 abababab");
	dane_tlsa_format(&t, buf, sizeof(buf), 4);
	UNIT_ASSERT_STR_EQ(buf, "3 1 1 abab...");
	/* Too small a buffer: cut, terminated, the length it needs. */
	UNIT_ASSERT_INT_EQ(dane_tlsa_format(&t, buf, 8, 0), 14);
	UNIT_ASSERT_STR_EQ(buf, "3 1 1 a");
}

/* tlsa - one TLSA lookup with a fresh handle; its rc */
static int
tlsa(const struct config *cfg, bool dnssec, const char *host,
    struct dns_tlsa_set *set, struct relay_result *why, bool *secure)
{
	struct dns *d = dns_new(cfg);
	int rc;

	if (d == NULL)
		return -2;
	relay_result_init(why);
	dns_set_dnssec(d, dnssec);
	rc = dns_lookup_tlsa(d, host, 25, set, why);
	*secure = dns_last_secure(d);
	dns_free(d);
	return rc;
}

/* test_dane_lookup_tlsa - records, denials, failures, the AD bit */
static void
test_dane_lookup_tlsa(void)
{
	struct dns_tlsa_set *set = calloc(1, sizeof(*set));
	struct relay_result why;
	struct config cfg;
	bool secure;

	if (set == NULL)
		return;
	test_config(&cfg);
	UNIT_ASSERT_INT_EQ(tlsa(&cfg, true, "mx.dane.test", set, &why,
	    &secure), 0);
	UNIT_ASSERT_INT_EQ(set->outcome, DNS_OUT_OK);
	UNIT_ASSERT_INT_EQ(set->is_secure, 1);
	UNIT_ASSERT_INT_EQ(secure, 1);
	UNIT_ASSERT_INT_EQ(set->nrr, 2);
	UNIT_ASSERT_INT_EQ(set->ttl, 300);
	UNIT_ASSERT_INT_EQ(set->rr[0].usage, 3);
	UNIT_ASSERT_INT_EQ(set->rr[0].len, 32);
	UNIT_ASSERT_INT_EQ(set->rr[0].data[0], 0x01);
	UNIT_ASSERT_INT_EQ(set->rr[1].usage, 1);
	UNIT_ASSERT_INT_EQ(dane_tlsa_count_usable(set), 1);

	/* Without the DO bit, AD is not believed. */
	tlsa(&cfg, false, "mx.dane.test", set, &why, &secure);
	UNIT_ASSERT_INT_EQ(set->nrr, 2);
	UNIT_ASSERT_INT_EQ(set->is_secure, 0);
	/* Nor from a server not in dnssec_trust_resolver. */
	snprintf(cfg.dnssec_trust_resolver, sizeof(cfg.dnssec_trust_resolver),
	    "192.0.2.53");
	tlsa(&cfg, true, "mx.dane.test", set, &why, &secure);
	UNIT_ASSERT_INT_EQ(set->is_secure, 0);
	UNIT_ASSERT_INT_EQ(secure, 0);
	snprintf(cfg.dnssec_trust_resolver, sizeof(cfg.dnssec_trust_resolver),
	    "192.0.2.53, 127.0.0.1");
	tlsa(&cfg, true, "mx.dane.test", set, &why, &secure);
	UNIT_ASSERT_INT_EQ(set->is_secure, 1);
	snprintf(cfg.dnssec_trust_resolver, sizeof(cfg.dnssec_trust_resolver),
	    "loopback");

	/* A CNAME: the chain's TTL, the target's records. */
	UNIT_ASSERT_INT_EQ(tlsa(&cfg, true, "alias.dane.test", set, &why,
	    &secure), 0);
	UNIT_ASSERT_INT_EQ(set->nrr, 1);
	UNIT_ASSERT_INT_EQ(set->rr[0].usage, 2);
	UNIT_ASSERT_INT_EQ(set->ttl, 200);
	UNIT_ASSERT_INT_EQ(set->is_secure, 1);

	/* Secure denials: -1, the outcome, the RFC 2308 TTL. */
	UNIT_ASSERT_INT_EQ(tlsa(&cfg, true, "none.dane.test", set, &why,
	    &secure), -1);
	UNIT_ASSERT_INT_EQ(set->outcome, DNS_OUT_NODATA);
	UNIT_ASSERT_INT_EQ(set->is_secure, 1);
	UNIT_ASSERT_INT_EQ(set->ttl, 120);
	UNIT_ASSERT_INT_EQ(tlsa(&cfg, true, "gone.dane.test", set, &why,
	    &secure), -1);
	UNIT_ASSERT_INT_EQ(set->outcome, DNS_OUT_NXDOMAIN);
	UNIT_ASSERT_INT_EQ(set->is_secure, 1);

	/* Bogus (SERVFAIL): a failure, never secure. */
	UNIT_ASSERT_INT_EQ(tlsa(&cfg, true, "bogus.dane.test", set, &why,
	    &secure), -1);
	UNIT_ASSERT_INT_EQ(set->outcome, DNS_OUT_TRYAGAIN);
	UNIT_ASSERT_INT_EQ(set->is_secure, 0);
	UNIT_ASSERT_STR_EQ(why.status, "4.4.3");
	UNIT_ASSERT_STR_EQ(why.text, "Host or domain name not found. Name "
	    "service error for name=_25._tcp.bogus.dane.test type=TLSA: "
	    "Host not found, try again");

	/* No AD bit: records, not secure. */
	UNIT_ASSERT_INT_EQ(tlsa(&cfg, true, "plain.dane.test", set, &why,
	    &secure), 0);
	UNIT_ASSERT_INT_EQ(set->is_secure, 0);
	UNIT_ASSERT_INT_EQ(secure, 0);
	config_fini(&cfg);
	free(set);
}

/* test_dane_mx_secure - the DNSSEC status of an MX list and its hosts */
static void
test_dane_mx_secure(void)
{
	struct dns_mx_list *list = calloc(1, sizeof(*list));
	struct relay_result why;
	struct config cfg;
	struct dns *d;

	if (list == NULL)
		return;
	test_config(&cfg);
	d = dns_new(&cfg);
	relay_result_init(&why);
	dns_set_dnssec(d, true);
	UNIT_ASSERT_INT_EQ(dns_mx_lookup(d, "secure.dane.test", 25, list,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(list->has_dnssec, 1);
	UNIT_ASSERT_INT_EQ(list->is_secure, 1);
	UNIT_ASSERT_INT_EQ(list->nhost, 1);
	UNIT_ASSERT_INT_EQ(list->host[0].is_secure, 1);
	dns_set_dnssec(d, false);
	UNIT_ASSERT_INT_EQ(dns_mx_lookup(d, "secure.dane.test", 25, list,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(list->has_dnssec, 0);
	UNIT_ASSERT_INT_EQ(list->is_secure, 0);
	UNIT_ASSERT_INT_EQ(list->host[0].is_secure, 0);
	dns_free(d);
	config_fini(&cfg);
	free(list);
}

/* test_dane_host_policy - lookups and decisions together */
static void
test_dane_host_policy(void)
{
	static const struct {
		const char *host;
		enum dane_action want;
		int	rc;
	} cases[] = {
		{ "mx.dane.test", DANE_ACT_VERIFY, 0 },
		{ "pkix.dane.test", DANE_ACT_ENCRYPT, 0 },
		{ "none.dane.test", DANE_ACT_MAY, 0 },
		{ "plain.dane.test", DANE_ACT_MAY, 0 },
		{ "bogus.dane.test", DANE_ACT_DEFER, -1 },
	};
	struct dane_host *dh = calloc(1, sizeof(*dh));
	struct relay_result why;
	struct config cfg;
	struct dns *d;
	size_t i;
	int rc;

	if (dh == NULL)
		return;
	test_config(&cfg);
	d = dns_new(&cfg);
	dns_set_dnssec(d, true);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		relay_result_init(&why);
		rc = dane_host_policy(d, NULL, CONFIG_TLS_DANE, true,
		    "dane.test", cases[i].host, NULL, true, 25, dh, &why);
		UNIT_ASSERT_INT_EQ(rc, cases[i].rc);
		if (dh->action != cases[i].want)
			unit_fail(__FILE__, __LINE__, "%s: got %s, want %s",
			    cases[i].host, dane_action_name(dh->action),
			    dane_action_name(cases[i].want));
		else
			CU_PASS("action");
	}
	UNIT_ASSERT_STR_EQ(why.status, "4.7.5");
	UNIT_ASSERT_STR_EQ(why.text,
	    "TLSA lookup error for bogus.dane.test:25");
	/* Insecure MX: no TLSA query at all. */
	rc = (int)dns_queries(d);
	dane_host_policy(d, NULL, CONFIG_TLS_DANE, false, "dane.test",
	    "mx.dane.test", NULL, true, 25, dh, &why);
	UNIT_ASSERT_INT_EQ(dns_queries(d), rc);
	UNIT_ASSERT_INT_EQ(dh->has_tlsa, 0);
	dns_free(d);
	config_fini(&cfg);
	free(dh);
}

int
main(void)
{
	static CU_TestInfo tests[] = {
		{ "test_dane_usable", test_dane_usable },
		{ "test_dane_decide", test_dane_decide },
		{ "test_dane_format", test_dane_format },
		{ "test_dane_lookup_tlsa", test_dane_lookup_tlsa },
		{ "test_dane_mx_secure", test_dane_mx_secure },
		{ "test_dane_host_policy", test_dane_host_policy },
		CU_TEST_INFO_NULL,
	};

	return testns_run(&server, "test_dane", "dane.data",
	    SERVER_BASE_PORT, "dane", tests);
}
