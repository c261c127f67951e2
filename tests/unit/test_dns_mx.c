/*
 * test_dns_mx - MX lookups against a real name server: ldns-testns(1)
 * serving tests/data/dns/mx.data on a free port of 127.0.0.1 (see
 * testns.h), and loop detection, shuffling and formatting on the lists
 * found.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "dns.h"
#include "dns_mx.h"
#include "result.h"
#include "testns.h"
#include "unit.h"

#define BASE_PORT	53731	/* test_dns: 53631, test_mx_cache: 53831 */

static struct testns server;

/* The outcome of one MX lookup, flattened for assertions. */
struct outcome {
	int	rc;
	struct relay_result why;
	struct dns_mx_list list;
	char	text[4096];	/* dns_mx_format() */
	unsigned queries;
};

/* run - dns_mx_lookup with a fresh handle of cfg */
static void
run(const struct config *cfg, const char *domain, unsigned port,
    struct outcome *o)
{
	struct dns *d;

	memset(o, 0, sizeof(*o));
	relay_result_init(&o->why);
	if ((d = dns_new(cfg)) == NULL) {
		unit_fail(__FILE__, __LINE__, "dns_new failed");
		o->rc = -2;
		return;
	}
	o->rc = dns_mx_lookup(d, domain, port, &o->list, &o->why);
	o->queries = dns_queries(d);
	dns_mx_format(&o->list, o->text, sizeof(o->text));
	dns_free(d);
}

/* lookup - run() with the test server, port 25 */
static void
lookup(const char *domain, struct outcome *o)
{
	struct config cfg;

	testns_config(&server, &cfg);
	run(&cfg, domain, 25, o);
	config_fini(&cfg);
}

/* not_found - Postfix's text of a failed lookup */
static const char *
not_found(const char *name, const char *type, const char *what)
{
	static char buf[RELAY_TEXT_MAX];

	snprintf(buf, sizeof(buf), "Host or domain name not found. Name "
	    "service error for name=%s type=%s: %s", name, type, what);
	return buf;
}

/* hosts - "name/pref name/pref" of a list, for assertions */
static const char *
hosts(const struct dns_mx_list *list)
{
	static char buf[2048];
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < list->nhost && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
		    "%s%s/%u", i > 0 ? " " : "", list->host[i].name,
		    list->host[i].pref);
	return buf;
}

/* addrs - "a b c" of one host of a list */
static const char *
addrs(const struct dns_mx_list *list, size_t h)
{
	static char buf[2048];
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < list->host[h].naddr && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
		    "%s%s", i > 0 ? " " : "",
		    list->addr[list->host[h].first + i].text);
	return buf;
}

/* check_layout - addr[] is in host order and every host has some */
static void
check_layout(const struct dns_mx_list *list)
{
	size_t h, n = 0;

	for (h = 0; h < list->nhost; h++) {
		UNIT_ASSERT_INT_EQ(list->host[h].first, n);
		UNIT_ASSERT_INT_EQ(list->host[h].naddr >= 1, 1);
		n += list->host[h].naddr;
	}
	UNIT_ASSERT_INT_EQ(list->naddr, n);
}

/* test_dns_mx_sorted - preference order, addresses, ports, TTL */
static void
test_dns_mx_sorted(void)
{
	struct config cfg;
	struct outcome o;
	const struct sockaddr_in *sin;
	size_t i;

	lookup("sorted.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.text,
	    "MX 10 mx1.test 192.0.2.1 ttl=300\n"
	    "MX 10 mx1.test 2001:db8::1 ttl=300\n"
	    "MX 20 mx2.test 192.0.2.2 ttl=300\n"
	    "MX 30 mx3.test 192.0.2.3 ttl=300\n");
	UNIT_ASSERT_STR_EQ(o.list.domain, "sorted.test");
	UNIT_ASSERT_INT_EQ(o.list.is_implicit, 0);
	UNIT_ASSERT_INT_EQ(o.list.best_pref, 10);
	UNIT_ASSERT_INT_EQ(o.list.ttl, 300);
	UNIT_ASSERT_INT_EQ(o.list.nhost, 3);
	UNIT_ASSERT_INT_EQ(o.list.naddr, 4);
	/* One MX query, then A and AAAA for each host. */
	UNIT_ASSERT_INT_EQ(o.queries, 7);
	check_layout(&o.list);

	/* Case and a final dot do not matter; the port is set. */
	testns_config(&server, &cfg);
	run(&cfg, "SoRTed.TEST.", 2525, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list.domain, "sorted.test");
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "mx1.test/10 mx2.test/20 "
	    "mx3.test/30");
	for (i = 0; i < o.list.naddr; i++) {
		sin = (const struct sockaddr_in *)&o.list.addr[i].sa;
		UNIT_ASSERT_INT_EQ(ntohs(sin->sin_port), 2525);
	}

	/* address_preference reaches the host lookups. */
	cfg.address_preference = CONFIG_ADDR_IPV6;
	run(&cfg, "sorted.test", 25, &o);
	UNIT_ASSERT_STR_EQ(addrs(&o.list, 0), "2001:db8::1 192.0.2.1");
	cfg.address_preference = CONFIG_ADDR_IPV4_ONLY;
	run(&cfg, "sorted.test", 25, &o);
	UNIT_ASSERT_STR_EQ(addrs(&o.list, 0), "192.0.2.1");
	UNIT_ASSERT_INT_EQ(o.queries, 4);
	config_fini(&cfg);
}

/* test_dns_mx_equal_shuffle - equal preferences in both orders */
static void
test_dns_mx_equal_shuffle(void)
{
	struct dns_mx_list copy;
	struct outcome o;
	uint64_t rng;
	int first_mx1 = 0, first_mx2 = 0, perms[6] = { 0 }, i, p, missing;
	const char *order;
	static const char *orders[6] = {
		"192.0.2.41 192.0.2.42 192.0.2.43",
		"192.0.2.41 192.0.2.43 192.0.2.42",
		"192.0.2.42 192.0.2.41 192.0.2.43",
		"192.0.2.42 192.0.2.43 192.0.2.41",
		"192.0.2.43 192.0.2.41 192.0.2.42",
		"192.0.2.43 192.0.2.42 192.0.2.41",
	};

	lookup("equal.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	/* The lookup itself keeps answer order among equals. */
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "mx1.test/10 mx2.test/10 "
	    "mx3.test/20");

	/* No generator: no change. */
	copy = o.list;
	dns_mx_shuffle(&copy, NULL);
	UNIT_ASSERT_INT_EQ(memcmp(&copy, &o.list, sizeof(copy)), 0);

	for (i = 0; i < 200; i++) {
		copy = o.list;
		rng = (uint64_t)i;
		dns_mx_shuffle(&copy, &rng);
		check_layout(&copy);
		UNIT_ASSERT_INT_EQ(copy.nhost, 3);
		/* The worse preference stays last, addresses with their
		 * host, IPv4 before IPv6 (address_preference any). */
		UNIT_ASSERT_STR_EQ(copy.host[2].name, "mx3.test");
		if (strcmp(copy.host[0].name, "mx1.test") == 0) {
			first_mx1++;
			UNIT_ASSERT_STR_EQ(addrs(&copy, 0),
			    "192.0.2.1 2001:db8::1");
			UNIT_ASSERT_STR_EQ(addrs(&copy, 1), "192.0.2.2");
		} else {
			first_mx2++;
			UNIT_ASSERT_STR_EQ(copy.host[0].name, "mx2.test");
			UNIT_ASSERT_STR_EQ(addrs(&copy, 0), "192.0.2.2");
			UNIT_ASSERT_STR_EQ(addrs(&copy, 1),
			    "192.0.2.1 2001:db8::1");
		}
	}
	/* Both orders, about evenly. */
	if (first_mx1 < 60 || first_mx2 < 60)
		unit_fail(__FILE__, __LINE__, "mx1 first %d times, mx2 %d "
		    "times, of 200", first_mx1, first_mx2);

	/* One host's addresses of one family: every order comes up. */
	lookup("rr.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(addrs(&o.list, 0), orders[0]);
	rng = 42;
	for (i = 0; i < 600; i++) {
		copy = o.list;
		dns_mx_shuffle(&copy, &rng);
		order = addrs(&copy, 0);
		for (p = 0; p < 6; p++)
			if (strcmp(order, orders[p]) == 0)
				perms[p]++;
	}
	for (p = 0, missing = 0; p < 6; p++)
		if (perms[p] < 50)
			missing++;
	UNIT_ASSERT_INT_EQ(missing, 0);
	UNIT_ASSERT_INT_EQ(dns_mx_random_seed() != dns_mx_random_seed(), 1);
}

/* test_dns_mx_implicit - no MX: the domain's own A or AAAA */
static void
test_dns_mx_implicit(void)
{
	struct outcome o;

	lookup("implicit-a.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.text, "MX 0 implicit-a.test 192.0.2.10 ttl=300 "
	    "(implicit MX)\n");
	UNIT_ASSERT_INT_EQ(o.list.is_implicit, 1);
	UNIT_ASSERT_INT_EQ(o.list.best_pref, 0);
	/* The "no MX" answer may be cached for min(SOA TTL, MINIMUM). */
	UNIT_ASSERT_INT_EQ(o.list.ttl, 120);
	UNIT_ASSERT_INT_EQ(o.queries, 3);

	lookup("implicit-aaaa.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.text, "MX 0 implicit-aaaa.test 2001:db8::10 "
	    "ttl=300 (implicit MX)\n");

	lookup("implicit-none.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("implicit-none.test", "A",
	    "Host found but no data record of requested type"));
	UNIT_ASSERT_INT_EQ(o.list.nhost, 0);
	UNIT_ASSERT_INT_EQ(o.list.is_implicit, 0);
	UNIT_ASSERT_INT_EQ(o.list.ttl, 120);
}

/* test_dns_mx_nullmx - RFC 7505: 5.1.10, unless mixed with others */
static void
test_dns_mx_nullmx(void)
{
	struct outcome o;

	lookup("nullmx.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.1.10");
	UNIT_ASSERT_INT_EQ(o.why.class, RELAY_PERMANENT);
	UNIT_ASSERT_STR_EQ(o.why.text, "Domain nullmx.test does not accept "
	    "mail (nullMX)");
	UNIT_ASSERT_INT_EQ(o.list.ttl, 900);
	UNIT_ASSERT_INT_EQ(o.list.nhost, 0);
	UNIT_ASSERT_INT_EQ(o.queries, 1);

	lookup("nullmix.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "mx1.test/10");
	UNIT_ASSERT_INT_EQ(o.list.best_pref, 10);
}

/* test_dns_mx_nxdomain - no such domain: 5.4.4, negative TTL */
static void
test_dns_mx_nxdomain(void)
{
	static const struct {
		const char *domain;
		uint32_t ttl;
	} cases[] = {
		{ "nx.test", 120 },		/* MINIMUM below the TTL */
		{ "nx-soattl.test", 60 },	/* the SOA's TTL below */
		{ "nx-big.test", 86400 },	/* capped by the cache */
		{ "nx-nosoa.test", 0 },		/* RFC 2308: no caching */
	};
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lookup(cases[i].domain, &o);
		UNIT_ASSERT_INT_EQ(o.rc, -1);
		UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
		UNIT_ASSERT_STR_EQ(o.why.text, not_found(cases[i].domain,
		    "MX", "Host not found"));
		UNIT_ASSERT_INT_EQ(o.list.ttl, cases[i].ttl);
		UNIT_ASSERT_INT_EQ(o.queries, 1);
	}
}

/* test_dns_mx_transient - SERVFAIL, REFUSED, no reply: 4.4.3 */
static void
test_dns_mx_transient(void)
{
	struct config cfg;
	struct outcome o;

	lookup("servfail-mx.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_INT_EQ(o.why.class, RELAY_TRANSIENT);
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("servfail-mx.test", "MX",
	    "Host not found, try again"));
	UNIT_ASSERT_INT_EQ(o.list.ttl, 0);

	lookup("refused-mx.test", &o);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("refused-mx.test", "MX",
	    "Host not found, try again"));

	/* Nobody listening on port 9 (discard): no reply in time. */
	testns_config(&server, &cfg);
	snprintf(cfg.dns_servers, sizeof(cfg.dns_servers), "127.0.0.1:9");
	cfg.dns_timeout_ms = 200;
	run(&cfg, "sorted.test", 25, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("sorted.test", "MX",
	    "Host not found, try again"));
	UNIT_ASSERT_INT_EQ(o.list.ttl, 0);

	/* A bad name server setting is a configuration problem. */
	snprintf(cfg.dns_servers, sizeof(cfg.dns_servers), "ns.example");
	run(&cfg, "sorted.test", 25, &o);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	config_fini(&cfg);
}

/* test_dns_mx_host_without_address - skipped; all skipped: bounce,
 * unless a lookup may pass */
static void
test_dns_mx_host_without_address(void)
{
	struct outcome o;

	lookup("skip.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "mx2.test/20");
	UNIT_ASSERT_INT_EQ(o.list.best_pref, 10);
	/* MX 600, mx2's A 300, nohost's negative TTL 200. */
	UNIT_ASSERT_INT_EQ(o.list.ttl, 200);

	lookup("noaddr.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("nohost.test", "A",
	    "Host not found"));
	UNIT_ASSERT_INT_EQ(o.list.nhost, 0);
	UNIT_ASSERT_INT_EQ(o.list.ttl, 200);
	UNIT_ASSERT_INT_EQ(o.queries, 5);

	lookup("noaddr-transient.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("sfhost.test", "A",
	    "Host not found, try again"));
	UNIT_ASSERT_INT_EQ(o.list.ttl, 0);

	/* The best host may come back: such a list is not kept. */
	lookup("skip-transient.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "mx2.test/20");
	UNIT_ASSERT_INT_EQ(o.list.ttl, 0);
}

/* test_dns_mx_cname - CNAME'd MX hosts and domains */
static void
test_dns_mx_cname(void)
{
	struct outcome o;

	lookup("cname-host.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.text, "MX 10 alias-mx.test 192.0.2.20 ttl=100\n");
	UNIT_ASSERT_INT_EQ(o.list.ttl, 100);

	lookup("cname-domain.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list.domain, "cname-domain.test");
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "mx1.test/10 mx2.test/20 "
	    "mx3.test/30");
	/* The CNAME's TTL (50) bounds the MX records'. */
	UNIT_ASSERT_INT_EQ(o.list.ttl, 50);
}

/* test_dns_mx_ttl - the least TTL of everything used */
static void
test_dns_mx_ttl(void)
{
	struct outcome o;

	lookup("ttl.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.text, "MX 10 mx-ttl.test 192.0.2.30 ttl=100\n"
	    "MX 10 mx-ttl.test 2001:db8::30 ttl=200\n");
	UNIT_ASSERT_INT_EQ(o.list.ttl, 100);

	lookup("zero-ttl.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_INT_EQ(o.list.ttl, 0);
}

/* test_dns_mx_limits - DNS_MX_HOSTS_MAX hosts, DNS_ADDRS_MAX addresses */
static void
test_dns_mx_limits(void)
{
	struct outcome o;
	char name[64];
	size_t i;

	lookup("many.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_INT_EQ(o.list.nhost, DNS_MX_HOSTS_MAX);
	for (i = 0; i < o.list.nhost; i++) {
		snprintf(name, sizeof(name), "m%02zu.many.test", i + 1);
		UNIT_ASSERT_STR_EQ(o.list.host[i].name, name);
		UNIT_ASSERT_INT_EQ(o.list.host[i].pref, i + 1);
	}
	/* The 4 least preferred are not even looked up. */
	UNIT_ASSERT_INT_EQ(o.queries, 1 + 2 * DNS_MX_HOSTS_MAX);

	lookup("bigaddr.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "big1.test/10 big2.test/20");
	UNIT_ASSERT_INT_EQ(o.list.host[0].naddr, 20);
	UNIT_ASSERT_INT_EQ(o.list.host[1].naddr, DNS_ADDRS_MAX - 20);
	UNIT_ASSERT_INT_EQ(o.list.naddr, DNS_ADDRS_MAX);
	UNIT_ASSERT_INT_EQ(o.queries, 5);
	check_layout(&o.list);
}

/* test_dns_mx_duplicates - a host or an address listed once */
static void
test_dns_mx_duplicates(void)
{
	struct outcome o;

	lookup("dupmx.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "mx1.test/10 mx2.test/30");
	UNIT_ASSERT_STR_EQ(addrs(&o.list, 0), "192.0.2.1 2001:db8::1");

	lookup("sameaddr.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "mx1.test/10");
	UNIT_ASSERT_INT_EQ(o.list.naddr, 2);
}

/* test_dns_mx_bad_names - bad MX host names and bad domains */
static void
test_dns_mx_bad_names(void)
{
	static const char *domains[] = {
		"", ".", "a..test", "-bad.test", "192.0.2.1", "a b.test",
		"bad!name.test",
	};
	struct config cfg;
	struct outcome o;
	char want[RELAY_TEXT_MAX];
	size_t i;

	lookup("badname.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "mx2.test/20");

	lookup("allbad.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("allbad.test", "MX",
	    "Malformed domain name"));
	UNIT_ASSERT_INT_EQ(o.list.ttl, 600);

	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		lookup(domains[i], &o);
		UNIT_ASSERT_INT_EQ(o.rc, -1);
		UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
		snprintf(want, sizeof(want), "%s", not_found(domains[i], "MX",
		    "Malformed domain name"));
		UNIT_ASSERT_STR_EQ(o.why.text, want);
		UNIT_ASSERT_INT_EQ(o.queries, 0);
		UNIT_ASSERT_INT_EQ(o.list.ttl, 0);
	}

	testns_config(&server, &cfg);
	run(&cfg, "sorted.test", 0, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.3.5");
	run(&cfg, "sorted.test", 65536, &o);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	config_fini(&cfg);
}

/* test_dns_mx_loop - Postfix loop detection, both outcomes */
static void
test_dns_mx_loop(void)
{
	struct relay_result why;
	struct dns_mx_self self;
	struct dns_mx_list copy;
	struct outcome o;

	dns_mx_self_init(&self);
	UNIT_ASSERT_INT_EQ(dns_mx_self_add(&self, "127.0.0.1", &why), 0);

	/* We are MX 20: only MX 10 is left. */
	lookup("loop.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	copy = o.list;
	UNIT_ASSERT_INT_EQ(dns_mx_drop_self(&copy, NULL, &why), 0);
	UNIT_ASSERT_INT_EQ(memcmp(&copy, &o.list, sizeof(copy)), 0);
	UNIT_ASSERT_INT_EQ(dns_mx_drop_self(&copy, &self, &why), 0);
	UNIT_ASSERT_STR_EQ(hosts(&copy), "mx1.test/10");
	check_layout(&copy);

	/* We are the best MX: a loop, bounce. */
	lookup("loopbest.test", &o);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(dns_mx_drop_self(&o.list, &self, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "5.4.6");
	UNIT_ASSERT_STR_EQ(why.text, "mail for loopbest.test loops back to "
	    "myself");
	UNIT_ASSERT_INT_EQ(o.list.nhost, 0);
	UNIT_ASSERT_INT_EQ(o.list.naddr, 0);

	/* Equal to the best counts as the best. */
	lookup("loopequal.test", &o);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(dns_mx_drop_self(&o.list, &self, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "5.4.6");

	/* A better MX exists but has no address: defer. */
	lookup("loopprimary.test", &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(hosts(&o.list), "self.test/20");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(dns_mx_drop_self(&o.list, &self, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.4.4");
	UNIT_ASSERT_INT_EQ(why.class, RELAY_TRANSIENT);
	UNIT_ASSERT_STR_EQ(why.text, "unable to find primary relay for "
	    "loopprimary.test");

	/* Not us: nothing changes. */
	lookup("sorted.test", &o);
	copy = o.list;
	UNIT_ASSERT_INT_EQ(dns_mx_drop_self(&copy, &self, &why), 0);
	UNIT_ASSERT_INT_EQ(memcmp(&copy, &o.list, sizeof(copy)), 0);
	/* ... until 192.0.2.2 is ours too (mx2, MX 20). */
	UNIT_ASSERT_INT_EQ(dns_mx_self_add(&self, "[192.0.2.2]", &why), 0);
	UNIT_ASSERT_INT_EQ(dns_mx_drop_self(&copy, &self, &why), 0);
	UNIT_ASSERT_STR_EQ(hosts(&copy), "mx1.test/10");
	UNIT_ASSERT_INT_EQ(copy.naddr, 2);
}

/* test_dns_mx_self - own addresses: literals, interfaces, mapped */
static void
test_dns_mx_self(void)
{
	static const char *bad[] = { "", "[]", "mx.example", "192.0.2",
	    "[192.0.2.1", "2001:db8::1::2" };
	struct relay_result why;
	struct dns_mx_self self;
	struct dns_addr a;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.sa;
	size_t i;

	dns_mx_self_init(&self);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(dns_mx_self_add(&self, bad[i], &why), -1);
		UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	}
	UNIT_ASSERT_INT_EQ(self.naddr, 0);
	UNIT_ASSERT_INT_EQ(dns_mx_self_add(&self, "2001:DB8::7", &why), 0);
	UNIT_ASSERT_INT_EQ(dns_mx_self_add(&self, "2001:db8::7", &why), 0);
	UNIT_ASSERT_INT_EQ(self.naddr, 1);

	memset(&a, 0, sizeof(a));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::7", &sin6->sin6_addr);
	UNIT_ASSERT_INT_EQ(dns_mx_is_self(&self, &a), 1);
	inet_pton(AF_INET6, "2001:db8::8", &sin6->sin6_addr);
	UNIT_ASSERT_INT_EQ(dns_mx_is_self(&self, &a), 0);

	/* The interfaces: loopback is always there. */
	UNIT_ASSERT_INT_EQ(dns_mx_local_addresses(&self, &why), 0);
	UNIT_ASSERT_INT_EQ(self.naddr >= 2, 1);
	memset(&a, 0, sizeof(a));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	UNIT_ASSERT_INT_EQ(dns_mx_is_self(&self, &a), 1);
	inet_pton(AF_INET, "192.0.2.99", &sin->sin_addr);
	UNIT_ASSERT_INT_EQ(dns_mx_is_self(&self, &a), 0);
	/* An IPv4-mapped IPv6 address is its IPv4 address. */
	memset(&a, 0, sizeof(a));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6->sin6_addr);
	UNIT_ASSERT_INT_EQ(dns_mx_is_self(&self, &a), 1);
	dns_mx_self_init(&self);
	UNIT_ASSERT_INT_EQ(dns_mx_self_add(&self, "::ffff:192.0.2.5", &why),
	    0);
	memset(&a, 0, sizeof(a));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.5", &sin->sin_addr);
	UNIT_ASSERT_INT_EQ(dns_mx_is_self(&self, &a), 1);

	/* Full. */
	dns_mx_self_init(&self);
	for (i = 0; i < DNS_MX_SELF_MAX; i++) {
		char text[32];

		snprintf(text, sizeof(text), "10.0.%zu.%zu", i / 256, i % 256);
		UNIT_ASSERT_INT_EQ(dns_mx_self_add(&self, text, &why), 0);
	}
	UNIT_ASSERT_INT_EQ(dns_mx_self_add(&self, "10.9.9.9", &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
}

/* test_dns_mx_format - text, length, truncation */
static void
test_dns_mx_format(void)
{
	struct outcome o;
	char small[20];
	size_t n;

	lookup("sorted.test", &o);
	n = dns_mx_format(&o.list, NULL, 0);
	UNIT_ASSERT_INT_EQ(n, strlen(o.text));
	memset(small, 'x', sizeof(small));
	UNIT_ASSERT_INT_EQ(dns_mx_format(&o.list, small, sizeof(small)), n);
	UNIT_ASSERT_STR_EQ(small, "MX 10 mx1.test 192.");
	memset(&o.list, 0, sizeof(o.list));
	UNIT_ASSERT_INT_EQ(dns_mx_format(&o.list, small, sizeof(small)), 0);
	UNIT_ASSERT_STR_EQ(small, "");
}

/* test_dns_mx_native - host_lookup = native: no MX query at all */
static void
test_dns_mx_native(void)
{
	struct config cfg;
	struct outcome o;

	testns_config(&server, &cfg);
	cfg.host_lookup_dns = false;
	cfg.host_lookup_native = true;
	cfg.address_preference = CONFIG_ADDR_IPV4_ONLY;
	run(&cfg, "localhost", 25, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.text, "MX 0 localhost 127.0.0.1 ttl=0 "
	    "(implicit MX)\n");
	UNIT_ASSERT_INT_EQ(o.list.ttl, 0);
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	config_fini(&cfg);
}

/* test_dns_mx_records - dns_lookup_mx() and its helpers directly */
static void
test_dns_mx_records(void)
{
	struct relay_result why;
	struct dns_mxrrs *set;
	struct dns_addr addr;
	struct config cfg;
	struct dns *d;
	size_t n;

	testns_config(&server, &cfg);
	d = dns_new(&cfg);
	set = malloc(sizeof(*set));
	UNIT_ASSERT_INT_EQ(dns_last_negative_ttl(d), DNS_TTL_NONE);
	UNIT_ASSERT_INT_EQ(dns_address_preference(d), CONFIG_ADDR_ANY);

	UNIT_ASSERT_INT_EQ(dns_lookup_mx(d, "sorted.test", set, &why), 0);
	UNIT_ASSERT_INT_EQ(set->outcome, DNS_OUT_OK);
	UNIT_ASSERT_INT_EQ(set->nrr, 3);
	UNIT_ASSERT_STR_EQ(set->rr[0].host, "mx3.test");	/* as sent */
	UNIT_ASSERT_INT_EQ(set->rr[0].pref, 30);
	UNIT_ASSERT_INT_EQ(set->ttl, 600);
	UNIT_ASSERT_INT_EQ(dns_last_negative_ttl(d), DNS_TTL_NONE);

	UNIT_ASSERT_INT_EQ(dns_lookup_mx(d, "nullmx.test", set, &why), 0);
	UNIT_ASSERT_STR_EQ(set->rr[0].host, ".");

	UNIT_ASSERT_INT_EQ(dns_lookup_mx(d, "implicit-a.test", set, &why), -1);
	UNIT_ASSERT_INT_EQ(set->outcome, DNS_OUT_NODATA);
	UNIT_ASSERT_STR_EQ(dns_outcome_name(set->outcome), "NODATA");
	UNIT_ASSERT_STR_EQ(why.text, not_found("implicit-a.test", "MX",
	    "Host found but no data record of requested type"));
	UNIT_ASSERT_INT_EQ(set->ttl, 120);
	UNIT_ASSERT_INT_EQ(dns_last_negative_ttl(d), 120);
	UNIT_ASSERT_STR_EQ(dns_last_error(d),
	    "implicit-a.test/MX: no MX record (NODATA)");

	UNIT_ASSERT_INT_EQ(dns_lookup_mx(d, "badname.test", set, &why), 0);
	UNIT_ASSERT_INT_EQ(set->nrr, 1);
	UNIT_ASSERT_INT_EQ(set->nbad, 1);
	UNIT_ASSERT_STR_EQ(dns_last_error(d),
	    "badname.test/MX: malformed host name in MX record");

	UNIT_ASSERT_INT_EQ(dns_lookup_mx(d, "dupmx.test", set, &why), 0);
	UNIT_ASSERT_INT_EQ(set->nrr, 2);
	UNIT_ASSERT_STR_EQ(set->rr[0].host, "mx1.test");
	UNIT_ASSERT_INT_EQ(set->rr[0].pref, 10);

	UNIT_ASSERT_INT_EQ(dns_lookup_mx(d, "servfail-mx.test", set, &why),
	    -1);
	UNIT_ASSERT_INT_EQ(set->outcome, DNS_OUT_TRYAGAIN);
	UNIT_ASSERT_INT_EQ(set->ttl, 0);
	UNIT_ASSERT_INT_EQ(dns_last_negative_ttl(d), DNS_TTL_NONE);

	/* Host lookups report their negative TTL too. */
	UNIT_ASSERT_INT_EQ(dns_lookup_host(d, "nohost.test", 25, &addr, 1,
	    &n, &why), -1);
	UNIT_ASSERT_INT_EQ(dns_last_negative_ttl(d), 200);
	UNIT_ASSERT_INT_EQ(dns_lookup_host(d, "nodata-host.test", 25, &addr,
	    1, &n, &why), -1);
	UNIT_ASSERT_INT_EQ(dns_last_negative_ttl(d), 300);
	UNIT_ASSERT_INT_EQ(dns_lookup_host(d, "mx2.test", 25, &addr, 1, &n,
	    &why), 0);

	UNIT_ASSERT_INT_EQ(dns_lookup_mx(d, NULL, set, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	UNIT_ASSERT_STR_EQ(dns_outcome_name(DNS_OUT_BADNAME), "BADNAME");
	free(set);
	dns_free(d);
	config_fini(&cfg);
}

static CU_TestInfo tests[] = {
	{ "test_dns_mx_sorted", test_dns_mx_sorted },
	{ "test_dns_mx_equal_shuffle", test_dns_mx_equal_shuffle },
	{ "test_dns_mx_implicit", test_dns_mx_implicit },
	{ "test_dns_mx_nullmx", test_dns_mx_nullmx },
	{ "test_dns_mx_nxdomain", test_dns_mx_nxdomain },
	{ "test_dns_mx_transient", test_dns_mx_transient },
	{ "test_dns_mx_host_without_address",
	    test_dns_mx_host_without_address },
	{ "test_dns_mx_cname", test_dns_mx_cname },
	{ "test_dns_mx_ttl", test_dns_mx_ttl },
	{ "test_dns_mx_limits", test_dns_mx_limits },
	{ "test_dns_mx_duplicates", test_dns_mx_duplicates },
	{ "test_dns_mx_bad_names", test_dns_mx_bad_names },
	{ "test_dns_mx_loop", test_dns_mx_loop },
	{ "test_dns_mx_self", test_dns_mx_self },
	{ "test_dns_mx_format", test_dns_mx_format },
	{ "test_dns_mx_native", test_dns_mx_native },
	{ "test_dns_mx_records", test_dns_mx_records },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return testns_run(&server, "test_dns_mx", "mx.data", BASE_PORT,
	    "dns_mx", tests);
}
