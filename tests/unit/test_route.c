/*
 * test_route - route lines (Postfix transport(5) syntax), lookups by
 * exact domain, parent domain and "*", and the routing decision order:
 * rule, smarthost, the MTA's next hop, MX of the recipient domain. The
 * table on the heap: growth past any small size, the ROUTE_TABLE_MAX
 * bound, deep copies, prepending, and a failed add that changes nothing.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "route.h"
#include "unit.h"

static void
test_route_parse_valid(void)
{
	static const struct {
		const char *spec, *text, *host;
		unsigned port;
		int	has_nexthop, want_mx;
	} cases[] = {
		{ "example.com smtp:[mx.example.net]:2525",
		    "example.com smtp:[mx.example.net]:2525", "mx.example.net",
		    2525, 1, 0 },
		{ "Example.COM [192.0.2.1]", "example.com smtp:[192.0.2.1]:25",
		    "192.0.2.1", 25, 1, 0 },
		{ ".example.org\tsmtp:relay.example.net",
		    ".example.org smtp:relay.example.net:25",
		    "relay.example.net", 25, 1, 1 },
		{ "* smtp:", "* smtp:", "", 0, 0, 0 },
		{ "example.net smtp", "example.net smtp:", "", 0, 0, 0 },
		{ "v6.test smtp:[ipv6:2001:db8::1]:26",
		    "v6.test smtp:[ipv6:2001:db8::1]:26", "2001:db8::1", 26,
		    1, 0 },
		{ "tls.test smtp:[h.test]:465 TLS=verify wrappermode=yes",
		    "tls.test smtp:[h.test]:465 tls=verify wrappermode=yes",
		    "h.test", 465, 1, 0 },
		{ "local.test maildrop", "local.test maildrop", "", 0, 0, 0 },
		{ ".lda.test Dovecot", ".lda.test dovecot", "", 0, 0, 0 },
		{ "p.test pipe", "p.test pipe", "", 0, 0, 0 },
		/* LMTP: a host without MX (port 24), or a unix socket. */
		{ "store.test lmtp:[127.0.0.1]", "store.test lmtp:[127.0.0.1]:24",
		    "127.0.0.1", 24, 1, 0 },
		{ "store.test LMTP:inet:mail.test:2003 tls=encrypt",
		    "store.test lmtp:[mail.test]:2003 tls=encrypt", "mail.test",
		    2003, 1, 0 },
		{ "store.test lmtp:store.test", "store.test lmtp:[store.test]:24",
		    "store.test", 24, 1, 0 },
		{ "box.test lmtp:unix:/run/dovecot/lmtp",
		    "box.test lmtp:unix:/run/dovecot/lmtp", "/run/dovecot/lmtp",
		    0, 1, 0 },
	};
	struct route_table t;
	struct relay_result why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		route_table_init(&t);
		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(route_table_add(&t, cases[i].spec, &why),
		    0);
		UNIT_ASSERT_STR_EQ(t.route[0].text, cases[i].text);
		UNIT_ASSERT_INT_EQ(t.route[0].has_nexthop,
		    cases[i].has_nexthop);
		if (cases[i].has_nexthop) {
			UNIT_ASSERT_STR_EQ(t.route[0].nh.host, cases[i].host);
			UNIT_ASSERT_INT_EQ(t.route[0].nh.port, cases[i].port);
			UNIT_ASSERT_INT_EQ(t.route[0].nh.want_mx,
			    cases[i].want_mx);
		}
		route_table_free(&t);
	}
}

static void
test_route_parse_invalid(void)
{
	static const char *const bad[] = {
		"", "example.com", "example.com smtp:[x]:1 extra",
		"exa mple.com", "-bad-.com smtp:", "example.com lmtp:",
		"example.com lmtp:unix:relative", "example.com lmtp:unix:",
		"example.com lmtp:unix:/x tls=may",
		"example.com lmtp:[h]:24 wrappermode=yes",
		"example.com lmtp:[h]:24 client=10.0.0.0/8", "example.com lmtpx:",
		"example.com mx.example.net", "example.com smtp:[host",
		"example.com smtp:[h]:0", "..example.com smtp:",
		"example.com smtp:[h]:99999", "example.com maildrop tls=may",
		"example.com smtp: tls=bogus", "example.com smtp: wrappermode=1",
	};
	struct route_table t;
	struct relay_result why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		route_table_init(&t);
		relay_result_init(&why);
		if (route_table_add(&t, bad[i], &why) != -1)
			unit_fail(__FILE__, __LINE__, "accepted \"%s\"",
			    bad[i]);
		UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
		UNIT_ASSERT_INT_EQ(t.count, 0);
		/* A refused line is parsed aside: nothing allocated. */
		UNIT_ASSERT_INT_EQ(t.route == NULL, 1);
		route_table_free(&t);
	}
}

static void
test_route_lookup_order(void)
{
	static const struct {
		const char *domain, *want;
	} cases[] = {
		{ "example.com", "example.com smtp:[exact.test]:25" },
		{ "EXAMPLE.com", "example.com smtp:[exact.test]:25" },
		{ "a.example.com", ".example.com smtp:[sub.test]:25" },
		{ "b.a.example.com", ".a.example.com smtp:[deeper.test]:25" },
		{ "c.b.example.com", ".example.com smtp:[sub.test]:25" },
		{ "example.org", "* smtp:[default.test]:25" },
		{ "xexample.com", "* smtp:[default.test]:25" },
	};
	struct route_table t;
	const struct route *r;
	size_t i;

	route_table_init(&t);
	CU_ASSERT_EQUAL(route_table_add(&t, "* [default.test]", NULL), 0);
	CU_ASSERT_EQUAL(route_table_add(&t, ".example.com [sub.test]", NULL),
	    0);
	CU_ASSERT_EQUAL(route_table_add(&t, "example.com [exact.test]", NULL),
	    0);
	CU_ASSERT_EQUAL(route_table_add(&t, ".a.example.com [deeper.test]",
	    NULL), 0);
	CU_ASSERT_EQUAL(route_table_add(&t, "example.com [second.test]",
	    NULL), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = route_table_lookup(&t, cases[i].domain);
		UNIT_ASSERT_STR_EQ(r ? r->text : NULL, cases[i].want);
	}
	route_table_free(&t);
	CU_ASSERT_PTR_NULL(route_table_lookup(&t, "example.com"));
}

/* test_route_pattern_matches - which domains a rule's DOMAIN covers */
static void
test_route_pattern_matches(void)
{
	static const struct {
		const char *rule, *domain;
		bool	want;
	} cases[] = {
		{ "example.com [h] sender=<>", "example.com", true },
		{ "example.com [h] sender=<>", "EXAMPLE.COM", true },
		{ "example.com [h] sender=<>", "a.example.com", false },
		{ ".example.com [h] sasl=*", "a.example.com", true },
		{ ".example.com [h] sasl=*", "b.a.example.com", true },
		{ ".example.com [h] sasl=*", "example.com", false },
		{ ".example.com [h] sasl=*", "xexample.com", false },
		{ "* [h] client=192.0.2.0/24", "anything.test", true },
		{ "example.com [h]", "", false },
	};
	struct route_table t;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		route_table_init(&t);
		CU_ASSERT_EQUAL_FATAL(route_table_add(&t, cases[i].rule, NULL),
		    0);
		UNIT_ASSERT_INT_EQ(route_pattern_matches(&t.route[0],
		    cases[i].domain), cases[i].want);
		route_table_free(&t);
	}
}

static void
test_route_decide_precedence(void)
{
	struct route_table t;
	struct route_decision d;
	struct relay_result why;

	route_table_init(&t);
	CU_ASSERT_EQUAL(route_table_add(&t, "forced.test smtp:[pin.test]:2525",
	    NULL), 0);
	CU_ASSERT_EQUAL(route_table_add(&t, "own.test smtp:", NULL), 0);
	relay_result_init(&why);

	/* A rule beats smarthost and ${nexthop}. */
	CU_ASSERT_EQUAL(route_decide(NULL, &t, "[smart.test]", "[nh.test]",
	    "forced.test", &d, &why), 0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_RULE);
	UNIT_ASSERT_STR_EQ(d.nh.host, "pin.test");
	UNIT_ASSERT_INT_EQ(d.nh.port, 2525);
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 0);
	/* "smtp:" without next hop: MX of the recipient domain. */
	CU_ASSERT_EQUAL(route_decide(NULL, &t, "[smart.test]", NULL, "own.test", &d,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_RULE);
	UNIT_ASSERT_STR_EQ(d.nh.host, "own.test");
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 1);
	/* smarthost beats ${nexthop}. */
	CU_ASSERT_EQUAL(route_decide(NULL, &t, "[smart.test]", "[nh.test]",
	    "other.test", &d, &why), 0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_SMARTHOST);
	UNIT_ASSERT_STR_EQ(d.nh.host, "smart.test");
	/* ${nexthop}: brackets pin the host, no brackets mean MX. */
	CU_ASSERT_EQUAL(route_decide(NULL, &t, "", "[nh.test]:26", "other.test", &d,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_NEXTHOP);
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 0);
	UNIT_ASSERT_INT_EQ(d.nh.port, 26);
	CU_ASSERT_EQUAL(route_decide(NULL, &t, "", "other.test", "other.test", &d,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 1);
	/* Nothing: MX of the recipient domain, port 25. */
	CU_ASSERT_EQUAL(route_decide(NULL, &t, NULL, NULL, "other.test", &d, &why),
	    0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_DOMAIN);
	UNIT_ASSERT_STR_EQ(d.nh.host, "other.test");
	UNIT_ASSERT_INT_EQ(d.nh.port, 25);
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 1);
	/* An address literal goes to that address. */
	CU_ASSERT_EQUAL(route_decide(NULL, &t, NULL, NULL, "[192.0.2.7]", &d, &why),
	    0);
	UNIT_ASSERT_STR_EQ(d.nh.host, "192.0.2.7");
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 0);
	/* A local transport: final delivery, no next hop, one group. */
	CU_ASSERT_EQUAL(route_table_add(&t, "here.test maildrop", NULL), 0);
	CU_ASSERT_EQUAL(route_decide(NULL, &t, "[smart.test]", NULL, "here.test", &d,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(d.transport, ROUTE_MAILDROP);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_RULE);
	/* A bad ${nexthop} defers. */
	UNIT_ASSERT_INT_EQ(route_decide(NULL, &t, NULL, "[broken", "other.test", &d,
	    &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	route_table_free(&t);
}

static void
test_route_config_lines(void)
{
	struct config cfg;
	struct relay_result why;
	char buf[4096];
	FILE *fp;

	memset(buf, 0, sizeof(buf));
	config_defaults(&cfg);
	relay_result_init(&why);
	static const char good[] = "route = a.test smtp:[h1.test]:2525\n"
	    "route = .b.test smtp:\n";
	static const char bad[] = "\nroute = bad\n";

	fp = fmemopen((void *)good, strlen(good), "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	UNIT_ASSERT_INT_EQ(config_read(&cfg, fp, "t.conf", &why), 0);
	fclose(fp);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 2);
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "route=c.test [h3.test]",
	    &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 3);
	fp = fmemopen(buf, sizeof(buf), "w");
	config_dump(&cfg, fp, true);
	fclose(fp);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "route = a.test smtp:[h1.test]:2525\n"
	    "route = .b.test smtp:\nroute = c.test smtp:[h3.test]:25\n"));
	/* Errors name the line and leave the configuration alone. */
	fp = fmemopen((void *)bad, strlen(bad), "r");
	UNIT_ASSERT_INT_EQ(config_read(&cfg, fp, "t.conf", &why), -1);
	fclose(fp);
	CU_ASSERT_PTR_NOT_NULL(strstr(why.text, "t.conf:2: "));
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 3);
	UNIT_ASSERT_STR_EQ(cfg.routes.route[2].text,
	    "c.test smtp:[h3.test]:25");
	/* "route =" drops them. */
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "route=", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.route == NULL, 1);
	config_fini(&cfg);
}

static void
test_route_conditions_parse(void)
{
	static const struct {
		const char *spec, *text;
	} good[] = {
		{ "a.test [h.test]:25 client=192.0.2.0/24",
		    "a.test smtp:[h.test]:25 client=192.0.2.0/24" },
		{ "a.test [h.test] CLIENT=2001:DB8::/32 sasl=Alice "
		    "sender=@Corp.Example tls=verify",
		    "a.test smtp:[h.test]:25 tls=verify client=2001:db8::/32 "
		    "sasl=Alice sender=@corp.example" },
		{ "a.test smtp:relay.test client=192.0.2.1 sender=<>",
		    "a.test smtp:relay.test:25 client=192.0.2.1/32 sender=<>" },
		{ "a.test [h.test] sasl=* sender=Bob@X.test",
		    "a.test smtp:[h.test]:25 sasl=* sender=bob@x.test" },
	};
	static const char *const bad[] = {
		"a.test [h.test] client=192.0.2.1/24",	/* host bits */
		"a.test [h.test] client=192.0.2.0/33",
		"a.test [h.test] client=192.0.2.0/",
		"a.test [h.test] client=192.0.2.0/-1",
		"a.test [h.test] client=host.example",
		"a.test [h.test] client=",
		"a.test [h.test] client=10.0.0.0/8 client=10.0.0.0/8",
		"a.test [h.test] sasl=a sasl=b",
		"a.test [h.test] sender=nobody",
		"a.test [h.test] sender=a@",
		"a.test [h.test] sender=<a@b>",
		"a.test smtp: client=10.0.0.0/8",	/* no next hop */
		"a.test maildrop sasl=alice",
	};
	struct route_table t;
	struct relay_result why;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		route_table_init(&t);
		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(route_table_add(&t, good[i].spec, &why), 0);
		UNIT_ASSERT_STR_EQ(t.route[0].text, good[i].text);
		UNIT_ASSERT_INT_EQ(t.route[0].has_conditions, 1);
		route_table_free(&t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		route_table_init(&t);
		relay_result_init(&why);
		if (route_table_add(&t, bad[i], &why) != -1)
			unit_fail(__FILE__, __LINE__, "\"%s\" accepted",
			    bad[i]);
		UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
		route_table_free(&t);
	}
}

/* session - a route_session with a client address (or NULL) */
static struct route_session *
session(struct sockaddr_storage *ss, const char *ip, const char *sasl,
    const char *sender)
{
	static struct route_session s;

	memset(ss, 0, sizeof(*ss));
	s.client = NULL;
	if (ip != NULL && inet_pton(AF_INET, ip,
	    &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		s.client = (struct sockaddr *)ss;
	} else if (ip != NULL && inet_pton(AF_INET6, ip,
	    &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		s.client = (struct sockaddr *)ss;
	}
	s.sasl_login = sasl;
	s.sender = sender;
	return &s;
}

static void
test_route_conditions_match(void)
{
	static const char *const lines[] = {
		"net.test [n1.test] client=192.0.2.0/25",
		"net.test [n2.test] client=2001:db8::/32",
		"net.test [n3.test]",
		"auth.test [a1.test] sasl=alice",
		"auth.test [a2.test] sasl=*",
		"snd.test [s1.test] sender=@corp.example",
		"snd.test [s2.test] sender=<>",
		"snd.test [s3.test] sender=Boss@Example.org",
		"all.test [x1.test] client=10.1.0.0/16 sasl=bob sender=@b.test",
		".sub.test [p1.test] client=10.0.0.0/8",
	};
	static const struct {
		const char *domain, *ip, *sasl, *sender, *want;
	} cases[] = {
		{ "net.test", "192.0.2.127", NULL, "", "n1.test" },
		{ "net.test", "192.0.2.128", NULL, "", "n3.test" },
		{ "net.test", "::ffff:192.0.2.1", NULL, "", "n1.test" },
		{ "net.test", "2001:db8:1::9", NULL, "", "n2.test" },
		{ "net.test", "2001:db9::1", NULL, "", "n3.test" },
		{ "net.test", NULL, NULL, "", "n3.test" },
		{ "auth.test", NULL, "alice", "", "a1.test" },
		{ "auth.test", NULL, "Alice", "", "a2.test" },
		{ "auth.test", NULL, "", "", NULL },
		{ "auth.test", NULL, NULL, "", NULL },
		{ "snd.test", NULL, NULL, "u@CORP.example", "s1.test" },
		{ "snd.test", NULL, NULL, "u@x.corp.example", NULL },
		{ "snd.test", NULL, NULL, "", "s2.test" },
		{ "snd.test", NULL, NULL, "boss@example.ORG", "s3.test" },
		{ "all.test", "10.1.2.3", "bob", "x@b.test", "x1.test" },
		{ "all.test", "10.2.2.3", "bob", "x@b.test", NULL },
		{ "all.test", "10.1.2.3", "bo", "x@b.test", NULL },
		{ "all.test", "10.1.2.3", "bob", "x@c.test", NULL },
		{ "a.sub.test", "10.9.9.9", NULL, "", "p1.test" },
		{ "a.sub.test", "11.9.9.9", NULL, "", NULL },
	};
	struct route_table t;
	struct relay_result why;
	struct sockaddr_storage ss;
	const struct route *r;
	size_t i;

	route_table_init(&t);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		UNIT_ASSERT_INT_EQ(route_table_add(&t, lines[i], &why), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = route_table_match(&t, cases[i].domain, session(&ss,
		    cases[i].ip, cases[i].sasl, cases[i].sender));
		UNIT_ASSERT_STR_EQ(r != NULL ? r->nh.host : NULL,
		    cases[i].want);
	}
	/* The transport's lookup never uses a conditional rule. */
	r = route_table_lookup(&t, "net.test");
	UNIT_ASSERT_STR_EQ(r != NULL ? r->nh.host : NULL, "n3.test");
	UNIT_ASSERT_INT_EQ(route_table_lookup(&t, "auth.test") == NULL, 1);
	UNIT_ASSERT_INT_EQ(route_table_lookup(&t, "a.sub.test") == NULL, 1);
	route_table_free(&t);
}

/* fill - rules "dI.test smtp:[hI.test]:(1000+I)" for I in [from, to) */
static void
fill(struct route_table *t, size_t from, size_t to)
{
	struct relay_result why;
	char spec[100];
	size_t i;

	for (i = from; i < to; i++) {
		snprintf(spec, sizeof(spec), "d%zu.test smtp:[h%zu.test]:%zu",
		    i, i, 1000 + i % 60000);
		relay_result_init(&why);
		if (route_table_add(t, spec, &why) != 0) {
			unit_fail(__FILE__, __LINE__, "\"%s\": got \"%s\", "
			    "want accepted", spec, why.text);
			return;
		}
	}
}

/* check_rules - route[at + k] is rule first + k, for k < n */
static void
check_rules(const struct route_table *t, size_t at, size_t first, size_t n)
{
	char want[100];
	size_t k;

	for (k = 0; k < n; k++) {
		snprintf(want, sizeof(want), "d%zu.test smtp:[h%zu.test]:%zu",
		    first + k, first + k, 1000 + (first + k) % 60000);
		if (at + k >= t->count ||
		    strcmp(t->route[at + k].text, want) != 0) {
			unit_fail(__FILE__, __LINE__, "route[%zu]: got \"%s\", "
			    "want \"%s\"", at + k, at + k < t->count ?
			    t->route[at + k].text : "(none)", want);
			return;
		}
	}
	CU_PASS("rules in order");
}

/* test_route_table_grow - far past the old 64, in order, all found */
static void
test_route_table_grow(void)
{
	struct route_table t;
	const struct route *r;
	char domain[32];
	size_t i;

	route_table_init(&t);
	UNIT_ASSERT_INT_EQ(t.route == NULL, 1);
	UNIT_ASSERT_INT_EQ(t.cap, 0);
	fill(&t, 0, 200);
	UNIT_ASSERT_INT_EQ(t.count, 200);
	UNIT_ASSERT_INT_EQ(t.cap >= t.count, 1);
	check_rules(&t, 0, 0, 200);
	for (i = 0; i < 200; i += 37) {
		snprintf(domain, sizeof(domain), "D%zu.TEST", i);
		r = route_table_lookup(&t, domain);
		UNIT_ASSERT_INT_EQ(r == &t.route[i], 1);
		UNIT_ASSERT_INT_EQ(r != NULL ? r->nh.port : 0, 1000 + i);
	}
	/* Freed, the table is empty and ready for use again. */
	route_table_free(&t);
	UNIT_ASSERT_INT_EQ(t.count, 0);
	UNIT_ASSERT_INT_EQ(t.cap, 0);
	UNIT_ASSERT_INT_EQ(t.route == NULL, 1);
	route_table_free(&t);
	fill(&t, 7, 8);
	check_rules(&t, 0, 7, 1);
	route_table_free(&t);
}

/* test_route_table_limit - ROUTE_TABLE_MAX rules, not one more */
static void
test_route_table_limit(void)
{
	struct route_table t;
	struct relay_result why;
	struct route extra;
	char want[100];

	route_table_init(&t);
	fill(&t, 0, ROUTE_TABLE_MAX);
	UNIT_ASSERT_INT_EQ(t.count, ROUTE_TABLE_MAX);
	UNIT_ASSERT_INT_EQ(t.cap, ROUTE_TABLE_MAX);
	snprintf(want, sizeof(want), "too many route lines (limit %d)",
	    ROUTE_TABLE_MAX);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_table_add(&t, "over.test smtp:", &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, want);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(t.count, ROUTE_TABLE_MAX);
	/* A routing header's rule cannot go past the bound either. */
	extra = t.route[0];
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(route_table_prepend(&t, &extra, &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, want);
	UNIT_ASSERT_INT_EQ(t.count, ROUTE_TABLE_MAX);
	check_rules(&t, 0, 0, 3);
	check_rules(&t, ROUTE_TABLE_MAX - 1, ROUTE_TABLE_MAX - 1, 1);
	route_table_free(&t);
}

/* test_route_table_copy - a deep copy: the two change apart */
static void
test_route_table_copy(void)
{
	struct route_table a, b;
	struct relay_result why;

	route_table_init(&a);
	route_table_init(&b);
	relay_result_init(&why);
	/* An empty table copies without allocating. */
	UNIT_ASSERT_INT_EQ(route_table_copy(&b, &a, &why), 0);
	UNIT_ASSERT_INT_EQ(b.count, 0);
	UNIT_ASSERT_INT_EQ(b.route == NULL, 1);
	fill(&a, 0, 70);
	UNIT_ASSERT_INT_EQ(route_table_copy(&b, &a, &why), 0);
	UNIT_ASSERT_INT_EQ(b.count, 70);
	UNIT_ASSERT_INT_EQ(b.route != a.route, 1);
	check_rules(&b, 0, 0, 70);
	/* Change, grow and prepend into the copy: the original stays. */
	snprintf(b.route[0].text, sizeof(b.route[0].text), "changed");
	b.route[1].nh.port = 1;
	fill(&b, 70, 90);
	UNIT_ASSERT_INT_EQ(route_table_prepend(&b, &b.route[5], &why), 0);
	UNIT_ASSERT_INT_EQ(a.count, 70);
	check_rules(&a, 0, 0, 70);
	UNIT_ASSERT_INT_EQ(a.route[1].nh.port, 1001);
	UNIT_ASSERT_INT_EQ(b.count, 91);
	check_rules(&b, 0, 5, 1);
	UNIT_ASSERT_STR_EQ(b.route[1].text, "changed");
	check_rules(&b, 71, 70, 20);
	/* Freeing one leaves the other whole. */
	route_table_free(&a);
	check_rules(&b, 3, 2, 68);
	route_table_free(&b);
}

/* test_route_table_prepend - into empty, full-capacity, grown tables */
static void
test_route_table_prepend(void)
{
	struct route_table t, src;
	struct relay_result why;
	size_t cap;

	route_table_init(&src);
	fill(&src, 500, 502);
	relay_result_init(&why);

	/* Empty: the first allocation. */
	route_table_init(&t);
	UNIT_ASSERT_INT_EQ(route_table_prepend(&t, &src.route[0], &why), 0);
	UNIT_ASSERT_INT_EQ(t.count, 1);
	check_rules(&t, 0, 500, 1);

	/* Exactly full: the array must grow, the rest moves down whole. */
	fill(&t, 0, t.cap - 1);
	UNIT_ASSERT_INT_EQ(t.count, t.cap);
	cap = t.cap;
	UNIT_ASSERT_INT_EQ(route_table_prepend(&t, &src.route[1], &why), 0);
	UNIT_ASSERT_INT_EQ(t.count, cap + 1);
	UNIT_ASSERT_INT_EQ(t.cap > cap, 1);
	check_rules(&t, 0, 501, 1);
	check_rules(&t, 1, 500, 1);
	check_rules(&t, 2, 0, cap - 1);

	/* Full again, prepending its own last rule (r inside the array). */
	fill(&t, 1000, 1000 + t.cap - t.count);
	UNIT_ASSERT_INT_EQ(t.count, t.cap);
	cap = t.count;
	UNIT_ASSERT_INT_EQ(route_table_prepend(&t, &t.route[t.count - 1],
	    &why), 0);
	UNIT_ASSERT_INT_EQ(t.count, cap + 1);
	UNIT_ASSERT_STR_EQ(t.route[0].text, t.route[t.count - 1].text);
	check_rules(&t, 1, 501, 1);
	/* The prepended rule wins the lookup for its domain. */
	UNIT_ASSERT_INT_EQ(route_table_lookup(&t, t.route[0].pattern) ==
	    &t.route[0], 1);
	route_table_free(&t);
	route_table_free(&src);
}

static CU_TestInfo tests[] = {
	{ "test_route_parse_valid", test_route_parse_valid },
	{ "test_route_parse_invalid", test_route_parse_invalid },
	{ "test_route_lookup_order", test_route_lookup_order },
	{ "test_route_pattern_matches", test_route_pattern_matches },
	{ "test_route_decide_precedence", test_route_decide_precedence },
	{ "test_route_config_lines", test_route_config_lines },
	{ "test_route_conditions_parse", test_route_conditions_parse },
	{ "test_route_conditions_match", test_route_conditions_match },
	{ "test_route_table_grow", test_route_table_grow },
	{ "test_route_table_limit", test_route_table_limit },
	{ "test_route_table_copy", test_route_table_copy },
	{ "test_route_table_prepend", test_route_table_prepend },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("route", tests);
}
