/*
 * test_dns - host lookups against a real name server: ldns-testns(1)
 * serving tests/data/dns/hosts.data on a free port of 127.0.0.1.
 *
 * main() starts the server before the suite and stops it after. When
 * ldns-testns is not installed the test is skipped (exit 77), or fails
 * when SLIMRELAY_NO_SKIP is set, as in CI.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "deadline.h"
#include "dns.h"
#include "result.h"
#include "testns.h"
#include "unit.h"

#define SERVER_BASE_PORT	53631	/* dnslib.sh starts at 53531 */

static struct testns server;	/* ldns-testns with hosts.data */

/* The outcome of one lookup, flattened for assertions. */
struct outcome {
	int	rc;
	struct relay_result why;
	size_t	count;
	struct dns_addr addrs[DNS_ADDRS_MAX];
	char	list[1024];	/* "192.0.2.1/300 2001:db8::1/60" */
	unsigned queries;
	char	error[DNS_ERROR_MAX];
	long	elapsed_ms;
};

/* test_config - defaults aimed at our server, one quick try */
static void
test_config(struct config *cfg, enum config_addr_pref pref)
{
	config_defaults(cfg);
	snprintf(cfg->dns_servers, sizeof(cfg->dns_servers), "127.0.0.1:%u",
	    server.port);
	cfg->dns_timeout_ms = 2000;
	cfg->dns_retries = 0;
	cfg->host_lookup_dns = true;
	cfg->host_lookup_native = false;
	cfg->address_preference = pref;
}

/* run - one lookup with a fresh handle */
static void
run(const struct config *cfg, const char *name, unsigned port, size_t max,
    struct outcome *o)
{
	struct dns *d;
	size_t i, used = 0;
	long start;

	memset(o, 0, sizeof(*o));
	relay_result_init(&o->why);
	if ((d = dns_new(cfg)) == NULL) {
		unit_fail(__FILE__, __LINE__, "dns_new failed");
		o->rc = -2;
		return;
	}
	start = deadline_now_ms();
	o->rc = dns_lookup_host(d, name, port, o->addrs, max, &o->count,
	    &o->why);
	o->elapsed_ms = deadline_now_ms() - start;
	o->queries = dns_queries(d);
	snprintf(o->error, sizeof(o->error), "%s", dns_last_error(d));
	for (i = 0; i < o->count && used < sizeof(o->list); i++)
		used += (size_t)snprintf(o->list + used, sizeof(o->list) - used,
		    "%s%s/%u", i > 0 ? " " : "", o->addrs[i].text,
		    (unsigned)o->addrs[i].ttl);
	dns_free(d);
}

/* lookup - run() with test_config(pref), port 25 */
static void
lookup(const char *name, enum config_addr_pref pref, struct outcome *o)
{
	struct config cfg;

	test_config(&cfg, pref);
	run(&cfg, name, 25, DNS_ADDRS_MAX, o);
	config_fini(&cfg);
}

/* not_found - the text of a failed lookup */
static const char *
not_found(const char *name, const char *type, const char *what)
{
	static char buf[RELAY_TEXT_MAX];

	snprintf(buf, sizeof(buf), "Host or domain name not found. Name "
	    "service error for name=%s type=%s: %s", name, type, what);
	return buf;
}

/* test_dns_literals - addresses need no query and no resolver */
static void
test_dns_literals(void)
{
	struct config cfg;
	struct outcome o;
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	/* A server list that cannot work proves no resolver is built. */
	test_config(&cfg, CONFIG_ADDR_ANY);
	snprintf(cfg.dns_servers, sizeof(cfg.dns_servers), "not-an-address");
	run(&cfg, "192.0.2.1", 2525, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list, "192.0.2.1/0");
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	sin = (const struct sockaddr_in *)&o.addrs[0].sa;
	UNIT_ASSERT_INT_EQ(sin->sin_family, AF_INET);
	UNIT_ASSERT_INT_EQ(ntohs(sin->sin_port), 2525);
	UNIT_ASSERT_INT_EQ(o.addrs[0].salen, sizeof(struct sockaddr_in));

	run(&cfg, "2001:DB8:0::1", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list, "2001:db8::1/0");
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	sin6 = (const struct sockaddr_in6 *)&o.addrs[0].sa;
	UNIT_ASSERT_INT_EQ(sin6->sin6_family, AF_INET6);
	UNIT_ASSERT_INT_EQ(ntohs(sin6->sin6_port), 25);
	UNIT_ASSERT_INT_EQ(o.addrs[0].salen, sizeof(struct sockaddr_in6));

	/* A literal of a family address_preference excludes. */
	cfg.address_preference = CONFIG_ADDR_IPV4_ONLY;
	run(&cfg, "2001:db8::1", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.3.5");
	UNIT_ASSERT_STR_EQ(o.why.text, "address 2001:db8::1 is IPv6, but "
	    "address_preference excludes it");
	cfg.address_preference = CONFIG_ADDR_IPV6_ONLY;
	run(&cfg, "192.0.2.1", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.3.5");

	/* Only now, with a name, does the bad setting matter. */
	cfg.address_preference = CONFIG_ADDR_ANY;
	run(&cfg, "both.test", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.3.5");
	UNIT_ASSERT_STR_EQ(o.why.text, "bad dns_servers setting "
	    "\"not-an-address\": name servers must be IP addresses");
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	config_fini(&cfg);
}

/* test_dns_families - A only, AAAA only, both, in preference order */
static void
test_dns_families(void)
{
	static const struct {
		const char *name;
		enum config_addr_pref pref;
		const char *list;
		unsigned queries;
	} cases[] = {
		{ "a-only.test", CONFIG_ADDR_ANY,
		    "192.0.2.1/300 192.0.2.2/600", 2 },
		{ "aaaa-only.test", CONFIG_ADDR_ANY, "2001:db8::1/120", 2 },
		{ "both.test", CONFIG_ADDR_ANY,
		    "192.0.2.10/300 2001:db8::10/300 2001:db8::11/300", 2 },
		{ "both.test", CONFIG_ADDR_IPV4,
		    "192.0.2.10/300 2001:db8::10/300 2001:db8::11/300", 2 },
		{ "both.test", CONFIG_ADDR_IPV6,
		    "2001:db8::10/300 2001:db8::11/300 192.0.2.10/300", 2 },
		{ "both.test", CONFIG_ADDR_IPV4_ONLY, "192.0.2.10/300", 1 },
		{ "both.test", CONFIG_ADDR_IPV6_ONLY,
		    "2001:db8::10/300 2001:db8::11/300", 1 },
		{ "a-only.test", CONFIG_ADDR_IPV6, "192.0.2.1/300 "
		    "192.0.2.2/600", 2 },
		/* Names are not case-sensitive; a final dot is allowed. */
		{ "BoTh.TEST.", CONFIG_ADDR_IPV4_ONLY, "192.0.2.10/300", 1 },
	};
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lookup(cases[i].name, cases[i].pref, &o);
		UNIT_ASSERT_INT_EQ(o.rc, 0);
		UNIT_ASSERT_STR_EQ(o.list, cases[i].list);
		UNIT_ASSERT_INT_EQ(o.queries, cases[i].queries);
	}
}

/* test_dns_sockaddrs - ports and families in the results; max */
static void
test_dns_sockaddrs(void)
{
	struct config cfg;
	struct outcome o;
	size_t i;

	test_config(&cfg, CONFIG_ADDR_ANY);
	run(&cfg, "both.test", 587, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.count, 3);
	for (i = 0; i < o.count; i++) {
		const struct sockaddr *sa =
		    (const struct sockaddr *)&o.addrs[i].sa;
		char text[64];

		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *sin =
			    (const struct sockaddr_in *)sa;

			UNIT_ASSERT_INT_EQ(ntohs(sin->sin_port), 587);
			UNIT_ASSERT_INT_EQ(o.addrs[i].salen, sizeof(*sin));
			inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
		} else {
			const struct sockaddr_in6 *sin6 =
			    (const struct sockaddr_in6 *)sa;

			UNIT_ASSERT_INT_EQ(sa->sa_family, AF_INET6);
			UNIT_ASSERT_INT_EQ(ntohs(sin6->sin6_port), 587);
			UNIT_ASSERT_INT_EQ(o.addrs[i].salen, sizeof(*sin6));
			inet_ntop(AF_INET6, &sin6->sin6_addr, text,
			    sizeof(text));
		}
		UNIT_ASSERT_STR_EQ(text, o.addrs[i].text);
	}

	/* max cuts the list, keeping the preferred ones. */
	run(&cfg, "both.test", 25, 2, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list, "192.0.2.10/300 2001:db8::10/300");

	/* Bad arguments. */
	run(&cfg, "both.test", 0, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.3.5");
	run(&cfg, "both.test", 65536, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.3.5");
	run(&cfg, "both.test", 25, 0, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.3.0");
	UNIT_ASSERT_INT_EQ(o.queries, 0);
	config_fini(&cfg);
}

/* test_dns_cname_chain - follow CNAMEs; the TTL is the chain's least */
static void
test_dns_cname_chain(void)
{
	struct outcome o;

	lookup("alias.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	/* A: 300, 100, 3600 -> 100; AAAA (chain listed last): 50. */
	UNIT_ASSERT_STR_EQ(o.list, "192.0.2.20/100 2001:db8::20/50");

	/* Exactly DNS_CNAME_MAX hops are followed... */
	lookup("h1.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list, "192.0.2.90/300");

	/* ... one more is a broken answer: defer. */
	lookup("h0.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("h0.test", "A",
	    "Malformed or unexpected name server reply"));
	lookup("loop.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_INT_EQ(strstr(o.error, "CNAME chain longer than 8") !=
	    NULL, 1);

	/* A chain to a name without addresses: no data. */
	lookup("cname-nodata.test", CONFIG_ADDR_IPV6_ONLY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("cname-nodata.test", "AAAA",
	    "Host found but no data record of requested type"));
}

/* test_dns_not_found - NXDOMAIN and NODATA bounce (5.4.4) */
static void
test_dns_not_found(void)
{
	struct outcome o;

	lookup("nxdomain.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_INT_EQ(o.count, 0);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
	UNIT_ASSERT_INT_EQ(o.why.class, RELAY_PERMANENT);
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("nxdomain.test", "A",
	    "Host not found"));
	UNIT_ASSERT_INT_EQ(o.queries, 2);

	lookup("nxdomain.test", CONFIG_ADDR_IPV6, &o);
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("nxdomain.test", "AAAA",
	    "Host not found"));

	lookup("nodata.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("nodata.test", "A",
	    "Host found but no data record of requested type"));
	UNIT_ASSERT_INT_EQ(o.queries, 2);

	/* Records of other owners or classes do not count. */
	lookup("owner.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("owner.test", "A",
	    "Host found but no data record of requested type"));
}

/* test_dns_server_trouble - SERVFAIL, REFUSED, odd rcodes: defer */
static void
test_dns_server_trouble(void)
{
	static const struct {
		const char *name;
		const char *what;
		const char *error;
	} cases[] = {
		{ "servfail.test", "Host not found, try again",
		    "servfail.test/AAAA: SERVFAIL from 127.0.0.1:" },
		{ "refused.test", "Host not found, try again",
		    "refused.test/AAAA: REFUSED by 127.0.0.1:" },
		{ "formerr.test", "Malformed or unexpected name server reply",
		    "formerr.test/AAAA: FORMERR from 127.0.0.1:" },
		{ "not-listed.test", "Host not found, try again",
		    "not-listed.test/AAAA: REFUSED by 127.0.0.1:" },
	};
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lookup(cases[i].name, CONFIG_ADDR_ANY, &o);
		UNIT_ASSERT_INT_EQ(o.rc, -1);
		UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
		UNIT_ASSERT_INT_EQ(o.why.class, RELAY_TRANSIENT);
		UNIT_ASSERT_STR_EQ(o.why.text, not_found(cases[i].name, "A",
		    cases[i].what));
		if (strncmp(o.error, cases[i].error, strlen(cases[i].error)))
			unit_fail(__FILE__, __LINE__, "error \"%s\", want "
			    "\"%s...\"", o.error, cases[i].error);
		UNIT_ASSERT_INT_EQ(o.queries, 2);
	}
}

/* test_dns_one_family_fails - what one family finds is enough; a
 * transient failure of one outweighs "no data" of the other */
static void
test_dns_one_family_fails(void)
{
	struct outcome o;

	lookup("half.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list, "192.0.2.30/300");
	UNIT_ASSERT_INT_EQ(strncmp(o.error, "half.test/AAAA: SERVFAIL", 24),
	    0);

	lookup("halfnx.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("halfnx.test", "A",
	    "Host not found, try again"));
	/* The same with AAAA asked first: the type is still A's. */
	lookup("halfnx.test", CONFIG_ADDR_IPV6, &o);
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("halfnx.test", "A",
	    "Host not found, try again"));
}

/* test_dns_untrusted_replies - junk from the server never gets in */
static void
test_dns_untrusted_replies(void)
{
	static const struct {
		const char *name;
		const char *error;
	} bad[] = {
		{ "wrongid.test", "does not match the query" },
		{ "x.qmismatch.test", "is for another question" },
		{ "garbage.test", "malformed reply" },
		{ "badrdata.test", "malformed reply" },
		{ "halfbad.test", "malformed A record" },
	};
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lookup(bad[i].name, CONFIG_ADDR_IPV4_ONLY, &o);
		UNIT_ASSERT_INT_EQ(o.rc, -1);
		UNIT_ASSERT_INT_EQ(o.count, 0);
		UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
		UNIT_ASSERT_STR_EQ(o.why.text, not_found(bad[i].name, "A",
		    "Malformed or unexpected name server reply"));
		if (strstr(o.error, bad[i].error) == NULL)
			unit_fail(__FILE__, __LINE__, "%s: error \"%s\" lacks "
			    "\"%s\"", bad[i].name, o.error, bad[i].error);
		else
			CU_PASS(bad[i].name);
	}

	/* Duplicates are listed once, with the smaller TTL. */
	lookup("dup.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list, "192.0.2.50/200 192.0.2.51/300");

	/* RFC 2181: a TTL with the top bit set means zero. */
	lookup("bigttl.test", CONFIG_ADDR_ANY, &o);
	UNIT_ASSERT_STR_EQ(o.list, "192.0.2.91/0");

	/* Truncated over UDP: asked again over TCP, one question. */
	lookup("tc.test", CONFIG_ADDR_IPV4_ONLY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list, "192.0.2.40/300");
	UNIT_ASSERT_INT_EQ(o.queries, 1);
}

/* test_dns_bad_names - malformed names bounce without a query */
static void
test_dns_bad_names(void)
{
	static const char *names[] = {
		"-bad.test", "bad-.test", "a..test", ".test", "",
		"exa mple.test", "a/b.test", "ex\xc3\xa4mple.test", "a.123", "a\nb",
	};
	char longname[300];
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		lookup(names[i], CONFIG_ADDR_ANY, &o);
		UNIT_ASSERT_INT_EQ(o.rc, -1);
		UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
		UNIT_ASSERT_INT_EQ(strstr(o.why.text, "type=A: Malformed "
		    "domain name") != NULL, 1);
		UNIT_ASSERT_INT_EQ(o.queries, 0);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (i = 63; i < sizeof(longname) - 1; i += 64)
		longname[i] = '.';
	lookup(longname, CONFIG_ADDR_IPV6_ONLY, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "5.4.4");
	UNIT_ASSERT_INT_EQ(strstr(o.why.text, "type=AAAA: Malformed domain "
	    "name") != NULL, 1);
	UNIT_ASSERT_INT_EQ(o.queries, 0);
}

/* silent_socket - a UDP socket on 127.0.0.1 that never answers */
static int
silent_socket(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* datagrams - how many queries reached the silent socket */
static int
datagrams(int fd)
{
	char buf[512];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

/* test_dns_timeout - no reply: 4.4.3 within the time limit */
static void
test_dns_timeout(void)
{
	struct config cfg;
	struct outcome o;
	unsigned port;
	int fd;

	if ((fd = silent_socket(&port)) < 0) {
		unit_fail(__FILE__, __LINE__, "silent socket: %s",
		    strerror(errno));
		return;
	}
	test_config(&cfg, CONFIG_ADDR_ANY);
	snprintf(cfg.dns_servers, sizeof(cfg.dns_servers), "127.0.0.1:%u",
	    port);
	cfg.dns_timeout_ms = 300;
	run(&cfg, "both.test", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("both.test", "A",
	    "Host not found, try again"));
	/* One try; the silent server is not asked again for AAAA. */
	if (o.elapsed_ms < 280 || o.elapsed_ms > 1500)
		unit_fail(__FILE__, __LINE__, "took %ld ms, want ~300",
		    o.elapsed_ms);
	UNIT_ASSERT_INT_EQ(o.queries, 1);
	UNIT_ASSERT_INT_EQ(datagrams(fd), 1);
	UNIT_ASSERT_INT_EQ(strstr(o.error, "no reply from 127.0.0.1:") !=
	    NULL, 1);

	/* dns_retries = 1: two tries of 300 ms. */
	cfg.dns_retries = 1;
	run(&cfg, "both.test", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	if (o.elapsed_ms < 580 || o.elapsed_ms > 2000)
		unit_fail(__FILE__, __LINE__, "took %ld ms, want ~600",
		    o.elapsed_ms);
	UNIT_ASSERT_INT_EQ(datagrams(fd), 2);

	/* A silent first server, a working second one on the same port:
	 * the answer comes from the second after one time-out, and the
	 * second family goes straight to it. */
	cfg.dns_retries = 0;
	snprintf(cfg.dns_servers, sizeof(cfg.dns_servers),
	    "[::1]:%u, 127.0.0.1:%u", server.port, server.port);
	run(&cfg, "both.test", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list,
	    "192.0.2.10/300 2001:db8::10/300 2001:db8::11/300");
	if (o.elapsed_ms > 1500)
		unit_fail(__FILE__, __LINE__, "took %ld ms, want <= ~300",
		    o.elapsed_ms);
	close(fd);
	config_fini(&cfg);
}

/* test_dns_servers_setting - dns_servers syntax, checked lazily */
static void
test_dns_servers_setting(void)
{
	static const struct {
		const char *servers;
		const char *reason;
	} bad[] = {
		{ "127.0.0.1:53, 127.0.0.2:54",
		    "all name servers must use the same port" },
		{ "ns.example", "name servers must be IP addresses" },
		{ "127.0.0.1:0", "bad port" },
		{ "127.0.0.1:65536", "bad port" },
		{ "127.0.0.1:x", "bad port" },
		{ "[::1]x", "bad port" },
		{ "[::1", "missing \"]\"" },
		{ ",, ,", "no name server" },
		{ "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 "
		    "1.1.1.8 1.1.1.9", "too many name servers" },
	};
	struct config cfg;
	struct outcome o;
	char want[RELAY_TEXT_MAX];
	size_t i;

	test_config(&cfg, CONFIG_ADDR_ANY);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cfg.dns_servers, sizeof(cfg.dns_servers), "%s",
		    bad[i].servers);
		run(&cfg, "both.test", 25, DNS_ADDRS_MAX, &o);
		UNIT_ASSERT_INT_EQ(o.rc, -1);
		UNIT_ASSERT_STR_EQ(o.why.status, "4.3.5");
		snprintf(want, sizeof(want), "bad dns_servers setting \"%s\": "
		    "%s", bad[i].servers, bad[i].reason);
		UNIT_ASSERT_STR_EQ(o.why.text, want);
		UNIT_ASSERT_INT_EQ(o.queries, 0);
	}

	/* Good forms: several servers, IPv6 in brackets and bare. */
	snprintf(cfg.dns_servers, sizeof(cfg.dns_servers),
	    " 127.0.0.1:%u,127.0.0.2:%u\t[::1]:%u ", server.port, server.port,
	    server.port);
	run(&cfg, "a-only.test", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.list, "192.0.2.1/300 192.0.2.2/600");
	config_fini(&cfg);
}

/* test_dns_resolv_conf - the servers of a resolv.conf file */
static void
test_dns_resolv_conf(void)
{
	struct relay_result why;
	struct config cfg;
	struct dns_addr addrs[4];
	struct dns *d;
	char path[256];
	size_t count;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/test_dns.resolv.%ld",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp",
	    (long)getpid());
	test_config(&cfg, CONFIG_ADDR_ANY);
	cfg.dns_servers[0] = '\0';
	cfg.dns_timeout_ms = 200;

	/* A file ldns cannot read: a configuration problem. */
	fp = fopen(path, "w");
	fputs("nameserver not-an-address\n", fp);
	fclose(fp);
	d = dns_new(&cfg);
	UNIT_ASSERT_INT_EQ(dns_set_resolv_conf(d, path), 0);
	UNIT_ASSERT_INT_EQ(dns_lookup_host(d, "both.test", 25, addrs, 4,
	    &count, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(strncmp(why.text, "cannot use name servers of ",
	    27), 0);
	UNIT_ASSERT_INT_EQ(dns_queries(d), 0);
	dns_free(d);
	unlink(path);

	/* No file at all: the local server (resolv.conf(5)), whatever
	 * it says; what matters is that a query was sent. */
	d = dns_new(&cfg);
	UNIT_ASSERT_INT_EQ(dns_set_resolv_conf(d, path), 0);
	relay_result_init(&why);
	dns_lookup_host(d, "nxdomain.test", 25, addrs, 4, &count, &why);
	UNIT_ASSERT_INT_EQ(strcmp(why.status, "4.3.5") != 0, 1);
	UNIT_ASSERT_INT_EQ(dns_queries(d) >= 1, 1);
	dns_free(d);

	/* Too long a path is refused. */
	d = dns_new(&cfg);
	{
		char longpath[2048];

		memset(longpath, 'p', sizeof(longpath) - 1);
		longpath[sizeof(longpath) - 1] = '\0';
		UNIT_ASSERT_INT_EQ(dns_set_resolv_conf(d, longpath), -1);
	}
	dns_free(d);
	dns_free(NULL);
	config_fini(&cfg);
}

/* test_dns_native - getaddrinfo, alone and after "not found" */
static void
test_dns_native(void)
{
	struct config cfg;
	struct outcome o;

	/* Native only: /etc/hosts knows localhost; no DNS query. */
	test_config(&cfg, CONFIG_ADDR_IPV4_ONLY);
	cfg.host_lookup_dns = false;
	cfg.host_lookup_native = true;
	run(&cfg, "localhost", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.addrs[0].text, "127.0.0.1");
	UNIT_ASSERT_INT_EQ(o.addrs[0].ttl, 0);
	UNIT_ASSERT_INT_EQ(o.queries, 0);

	/* DNS first: it says NXDOMAIN, so getaddrinfo is asked. */
	cfg.host_lookup_dns = true;
	run(&cfg, "localhost", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, 0);
	UNIT_ASSERT_STR_EQ(o.addrs[0].text, "127.0.0.1");
	UNIT_ASSERT_INT_EQ(o.queries, 1);

	/* DNS trouble is not "not found": no native fallback. */
	run(&cfg, "servfail.test", 25, DNS_ADDRS_MAX, &o);
	UNIT_ASSERT_INT_EQ(o.rc, -1);
	UNIT_ASSERT_STR_EQ(o.why.status, "4.4.3");
	UNIT_ASSERT_STR_EQ(o.why.text, not_found("servfail.test", "A",
	    "Host not found, try again"));
	config_fini(&cfg);
}

/* test_dns_handle_reuse - one handle, many lookups, counted */
static void
test_dns_handle_reuse(void)
{
	struct relay_result why;
	struct config cfg;
	struct dns_addr addrs[DNS_ADDRS_MAX];
	struct dns *d;
	size_t count;

	test_config(&cfg, CONFIG_ADDR_ANY);
	d = dns_new(&cfg);
	UNIT_ASSERT_INT_EQ(dns_queries(d), 0);
	UNIT_ASSERT_STR_EQ(dns_last_error(d), "");
	UNIT_ASSERT_INT_EQ(dns_lookup_host(d, "servfail.test", 25, addrs,
	    DNS_ADDRS_MAX, &count, &why), -1);
	UNIT_ASSERT_INT_EQ(dns_lookup_host(d, "a-only.test", 25, addrs,
	    DNS_ADDRS_MAX, &count, &why), 0);
	UNIT_ASSERT_INT_EQ(count, 2);
	/* The error belongs to the last lookup: AAAA had no data. */
	UNIT_ASSERT_STR_EQ(dns_last_error(d),
	    "a-only.test/AAAA: no AAAA record (NODATA)");
	UNIT_ASSERT_INT_EQ(dns_lookup_host(d, "192.0.2.7", 25, addrs,
	    DNS_ADDRS_MAX, &count, &why), 0);
	UNIT_ASSERT_STR_EQ(dns_last_error(d), "");
	UNIT_ASSERT_INT_EQ(dns_queries(d), 4);
	dns_free(d);
	config_fini(&cfg);
}

/* test_dns_addr_text - numeric text and port, as getnameinfo gives */
static void
test_dns_addr_text(void)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char text[64], want[64];
	unsigned port = 0;
	int err;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(2525);
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	UNIT_ASSERT_INT_EQ(dns_addr_text((struct sockaddr *)&sin, sizeof(sin),
	    text, sizeof(text), &port), 0);
	UNIT_ASSERT_STR_EQ(text, "192.0.2.7");
	UNIT_ASSERT_INT_EQ(port, 2525);
	UNIT_ASSERT_INT_EQ(dns_addr_text((struct sockaddr *)&sin, sizeof(sin),
	    text, sizeof(text), NULL), 0);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(25);
	inet_pton(AF_INET6, "2001:db8:0:0:0:0:0:1", &sin6.sin6_addr);
	UNIT_ASSERT_INT_EQ(dns_addr_text((struct sockaddr *)&sin6,
	    sizeof(sin6), text, sizeof(text), &port), 0);
	UNIT_ASSERT_STR_EQ(text, "2001:db8::1");
	UNIT_ASSERT_INT_EQ(port, 25);
	/* A scope: the same text as getnameinfo itself. */
	inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr);
	sin6.sin6_scope_id = 1;
	UNIT_ASSERT_INT_EQ(getnameinfo((struct sockaddr *)&sin6, sizeof(sin6),
	    want, sizeof(want), NULL, 0, NI_NUMERICHOST), 0);
	UNIT_ASSERT_INT_EQ(dns_addr_text((struct sockaddr *)&sin6,
	    sizeof(sin6), text, sizeof(text), &port), 0);
	UNIT_ASSERT_STR_EQ(text, want);
	UNIT_ASSERT_INT_EQ(strchr(text, '%') != NULL, 1);
	/* Too small a buffer, an unknown family: getnameinfo's errors. */
	sin6.sin6_scope_id = 0;
	err = dns_addr_text((struct sockaddr *)&sin6, sizeof(sin6), text, 4,
	    &port);
	UNIT_ASSERT_INT_EQ(err != 0, 1);
	sin.sin_family = AF_UNSPEC;
	err = dns_addr_text((struct sockaddr *)&sin, sizeof(sin), text,
	    sizeof(text), &port);
	UNIT_ASSERT_INT_EQ(err == EAI_FAMILY, 1);
}

static CU_TestInfo tests[] = {
	{ "test_dns_literals", test_dns_literals },
	{ "test_dns_families", test_dns_families },
	{ "test_dns_sockaddrs", test_dns_sockaddrs },
	{ "test_dns_cname_chain", test_dns_cname_chain },
	{ "test_dns_not_found", test_dns_not_found },
	{ "test_dns_server_trouble", test_dns_server_trouble },
	{ "test_dns_one_family_fails", test_dns_one_family_fails },
	{ "test_dns_untrusted_replies", test_dns_untrusted_replies },
	{ "test_dns_bad_names", test_dns_bad_names },
	{ "test_dns_timeout", test_dns_timeout },
	{ "test_dns_servers_setting", test_dns_servers_setting },
	{ "test_dns_resolv_conf", test_dns_resolv_conf },
	{ "test_dns_native", test_dns_native },
	{ "test_dns_handle_reuse", test_dns_handle_reuse },
	{ "test_dns_addr_text", test_dns_addr_text },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return testns_run(&server, "test_dns", "hosts.data",
	    SERVER_BASE_PORT, "dns", tests);
}
