/*
 * test_route - route lines (Postfix transport(5) syntax), lookups by
 * exact domain, parent domain and "*", and the routing decision order:
 * rule, smarthost, the MTA's next hop, MX of the recipient domain.
 */
#include "autoconfig.h"

#include <stdio.h>
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
		if (!cases[i].has_nexthop)
			continue;
		UNIT_ASSERT_STR_EQ(t.route[0].nh.host, cases[i].host);
		UNIT_ASSERT_INT_EQ(t.route[0].nh.port, cases[i].port);
		UNIT_ASSERT_INT_EQ(t.route[0].nh.want_mx, cases[i].want_mx);
	}
}

static void
test_route_parse_invalid(void)
{
	static const char *const bad[] = {
		"", "example.com", "example.com smtp:[x]:1 extra",
		"exa mple.com", "-bad-.com smtp:", "example.com lmtp:x",
		"example.com mx.example.net", "example.com smtp:[host",
		"example.com smtp:[h]:0", "..example.com smtp:",
		"example.com smtp:[h]:99999",
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
	route_table_init(&t);
	CU_ASSERT_PTR_NULL(route_table_lookup(&t, "example.com"));
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
	CU_ASSERT_EQUAL(route_decide(&t, "[smart.test]", "[nh.test]",
	    "forced.test", &d, &why), 0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_RULE);
	UNIT_ASSERT_STR_EQ(d.nh.host, "pin.test");
	UNIT_ASSERT_INT_EQ(d.nh.port, 2525);
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 0);
	/* "smtp:" without next hop: MX of the recipient domain. */
	CU_ASSERT_EQUAL(route_decide(&t, "[smart.test]", NULL, "own.test", &d,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_RULE);
	UNIT_ASSERT_STR_EQ(d.nh.host, "own.test");
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 1);
	/* smarthost beats ${nexthop}. */
	CU_ASSERT_EQUAL(route_decide(&t, "[smart.test]", "[nh.test]",
	    "other.test", &d, &why), 0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_SMARTHOST);
	UNIT_ASSERT_STR_EQ(d.nh.host, "smart.test");
	/* ${nexthop}: brackets pin the host, no brackets mean MX. */
	CU_ASSERT_EQUAL(route_decide(&t, "", "[nh.test]:26", "other.test", &d,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_NEXTHOP);
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 0);
	UNIT_ASSERT_INT_EQ(d.nh.port, 26);
	CU_ASSERT_EQUAL(route_decide(&t, "", "other.test", "other.test", &d,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 1);
	/* Nothing: MX of the recipient domain, port 25. */
	CU_ASSERT_EQUAL(route_decide(&t, NULL, NULL, "other.test", &d, &why),
	    0);
	UNIT_ASSERT_INT_EQ(d.source, ROUTE_FROM_DOMAIN);
	UNIT_ASSERT_STR_EQ(d.nh.host, "other.test");
	UNIT_ASSERT_INT_EQ(d.nh.port, 25);
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 1);
	/* An address literal goes to that address. */
	CU_ASSERT_EQUAL(route_decide(&t, NULL, NULL, "[192.0.2.7]", &d, &why),
	    0);
	UNIT_ASSERT_STR_EQ(d.nh.host, "192.0.2.7");
	UNIT_ASSERT_INT_EQ(d.nh.want_mx, 0);
	/* A bad ${nexthop} defers. */
	UNIT_ASSERT_INT_EQ(route_decide(&t, NULL, "[broken", "other.test", &d,
	    &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
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
	/* "route =" drops them. */
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "route=", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 0);
}

static CU_TestInfo tests[] = {
	{ "test_route_parse_valid", test_route_parse_valid },
	{ "test_route_parse_invalid", test_route_parse_invalid },
	{ "test_route_lookup_order", test_route_lookup_order },
	{ "test_route_decide_precedence", test_route_decide_precedence },
	{ "test_route_config_lines", test_route_config_lines },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("route", tests);
}
