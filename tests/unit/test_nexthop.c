/*
 * test_nexthop - Postfix next-hop syntax: parse, validate, format.
 */
#include "autoconfig.h"

#include <string.h>

#include "nexthop.h"
#include "result.h"
#include "unit.h"

static const struct good_case {
	const char *spec;
	unsigned default_port;
	const char *host;
	unsigned port;
	bool	want_mx;
	bool	is_address;
	const char *formatted;
} good_cases[] = {
	{ "example.com", 25, "example.com", 25, true, false,
	    "example.com:25" },
	{ "example.com:2525", 25, "example.com", 2525, true, false,
	    "example.com:2525" },
	{ "Example.COM.", 25, "Example.COM.", 25, true, false,
	    "Example.COM.:25" },
	{ "[mail.example.com]", 25, "mail.example.com", 25, false, false,
	    "[mail.example.com]:25" },
	{ "[mail.example.com]:587", 25, "mail.example.com", 587, false,
	    false, "[mail.example.com]:587" },
	{ "[mail.example.com]:submission", 25, "mail.example.com", 587,
	    false, false, "[mail.example.com]:587" },
	{ "[mail.example.com]:smtps", 25, "mail.example.com", 465, false,
	    false, "[mail.example.com]:465" },
	{ "mx.example.com:smtp", 2525, "mx.example.com", 25, true, false,
	    "mx.example.com:25" },
	{ "[mail.example.com]:LMTP", 25, "mail.example.com", 24, false,
	    false, "[mail.example.com]:24" },
	{ "[192.0.2.1]", 25, "192.0.2.1", 25, false, true,
	    "[192.0.2.1]:25" },
	{ "[192.0.2.1]:26", 25, "192.0.2.1", 26, false, true,
	    "[192.0.2.1]:26" },
	{ "192.0.2.1", 25, "192.0.2.1", 25, false, true, "[192.0.2.1]:25" },
	{ "192.0.2.1:65535", 25, "192.0.2.1", 65535, false, true,
	    "[192.0.2.1]:65535" },
	{ "[ipv6:2001:db8::1]:25", 587, "2001:db8::1", 25, false, true,
	    "[ipv6:2001:db8::1]:25" },
	{ "[IPv6:2001:DB8:0:0::0001]", 25, "2001:db8::1", 25, false, true,
	    "[ipv6:2001:db8::1]:25" },
	{ "[2001:db8::1]", 25, "2001:db8::1", 25, false, true,
	    "[ipv6:2001:db8::1]:25" },
	{ "[::1]:1", 25, "::1", 1, false, true, "[ipv6:::1]:1" },
	{ "[ipv6:::ffff:192.0.2.1]", 25, "::ffff:192.0.2.1", 25, false,
	    true, "[ipv6:::ffff:192.0.2.1]:25" },
	{ "_dmarc.example.com", 25, "_dmarc.example.com", 25, true, false,
	    "_dmarc.example.com:25" },
	{ "localhost", 25, "localhost", 25, true, false, "localhost:25" },
	{ "a-b.c-d.e", 25, "a-b.c-d.e", 25, true, false, "a-b.c-d.e:25" },
	{ "1.2.3.example", 25, "1.2.3.example", 25, true, false,
	    "1.2.3.example:25" },
	{ "0example.com", 25, "0example.com", 25, true, false,
	    "0example.com:25" },
};

static const struct bad_case {
	const char *spec;
	const char *reason;
} bad_cases[] = {
	{ "", "empty destination" },
	{ "[]", "empty host name in \"[]\"" },
	{ "[]:25", "empty host name in \"[]\"" },
	{ ":25", "empty host name" },
	{ "[mail.example.com", "missing \"]\"" },
	{ "[mail.example.com]x", "unexpected text after \"]\"" },
	{ "[mail.example.com]]", "unexpected text after \"]\"" },
	{ "[mail.example.com]:", "empty port after \":\"" },
	{ "example.com:", "empty port after \":\"" },
	{ "example.com:0", "port out of range 1..65535" },
	{ "example.com:65536", "port out of range 1..65535" },
	{ "example.com:000025000", "port out of range 1..65535" },
	{ "example.com:-1", "unknown service name" },
	{ "example.com:+25", "bad port or service name" },
	{ "example.com:no_such", "bad port or service name" },
	{ "example.com:nosuchservicexyz", "unknown service name" },
	{ "2001:db8::1", "an IPv6 address must be written as [ipv6:address]" },
	{ "[ipv6:192.0.2.1]", "bad IPv6 address" },
	{ "[ipv6:2001:db8::g]", "bad IPv6 address" },
	{ "[2001:db8:::1]", "bad IPv6 address" },
	{ "exa mple.com", "white space or control character" },
	{ "example.com\r\n", "white space or control character" },
	{ "-example.com", "bad domain name syntax" },
	{ "example-.com", "bad domain name syntax" },
	{ "example..com", "bad domain name syntax" },
	{ ".example.com", "bad domain name syntax" },
	{ "example.com..", "bad domain name syntax" },
	{ ".", "bad domain name syntax" },
	{ "exam/ple.com", "bad domain name syntax" },
	{ "ex@mple.com", "bad domain name syntax" },
	{ "example.123", "bad domain name syntax" },
	{ "192.0.2.256", "bad domain name syntax" },
	{ "[192.0.2]", "bad host name syntax" },
	{ "[mail..example.com]", "bad host name syntax" },
	{ "[mail.example.com]:99999", "port out of range 1..65535" },
	{ "ex\xc3\xa4mple.com", "bad domain name syntax" },
};

/* test_nexthop_good - every accepted form, its fields and its format */
static void
test_nexthop_good(void)
{
	struct relay_result why;
	struct nexthop nh, again;
	char buf[NEXTHOP_FORMAT_MAX];
	size_t i;

	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		const struct good_case *c = &good_cases[i];

		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, c->spec,
		    c->default_port, &why), 0);
		UNIT_ASSERT_STR_EQ(nh.host, c->host);
		UNIT_ASSERT_INT_EQ(nh.port, c->port);
		UNIT_ASSERT_INT_EQ(nh.want_mx, c->want_mx);
		UNIT_ASSERT_INT_EQ(nh.is_address, c->is_address);
		nexthop_format(&nh, buf, sizeof(buf));
		UNIT_ASSERT_STR_EQ(buf, c->formatted);
		/* The formatted text parses back to the same thing. */
		UNIT_ASSERT_INT_EQ(nexthop_parse(&again, buf, 1, &why), 0);
		UNIT_ASSERT_STR_EQ(again.host, nh.host);
		UNIT_ASSERT_INT_EQ(again.port, nh.port);
		UNIT_ASSERT_INT_EQ(again.want_mx, nh.want_mx);
		UNIT_ASSERT_INT_EQ(again.is_address, nh.is_address);
	}
}

/* test_nexthop_bad - every rejected form gives 4.3.5 and the reason */
static void
test_nexthop_bad(void)
{
	struct relay_result why;
	struct nexthop nh;
	char want[RELAY_TEXT_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		relay_result_init(&why);
		memset(&nh, 'x', sizeof(nh));
		UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, c->spec, 25, &why), -1);
		UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
		UNIT_ASSERT_INT_EQ(why.class, RELAY_TRANSIENT);
		snprintf(want, sizeof(want),
		    "bad next-hop destination \"%s\": %s", c->spec,
		    c->reason);
		/* relay_result_set() turns control characters into spaces. */
		for (char *p = want; *p != '\0'; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		UNIT_ASSERT_STR_EQ(why.text, want);
		UNIT_ASSERT_STR_EQ(nh.host, "");
		UNIT_ASSERT_INT_EQ(nh.port, 0);
	}
}

/* test_nexthop_null_and_default_port - NULL spec, bad default port */
static void
test_nexthop_null_and_default_port(void)
{
	struct relay_result why;
	struct nexthop nh;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, NULL, 25, &why), -1);
	UNIT_ASSERT_STR_EQ(why.text,
	    "bad next-hop destination \"\": empty destination");
	UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, "example.com", 0, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, "example.com", 65536, &why),
	    -1);
	UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, "example.com:26", 0, &why),
	    -1);
}

/* test_nexthop_lengths - 253 characters is the longest name */
static void
test_nexthop_lengths(void)
{
	struct relay_result why;
	struct nexthop nh;
	char name[400], spec[420];
	size_t i;

	/* 63-character labels are fine, 64 are not. */
	memset(name, 'a', 63);
	strcpy(name + 63, ".example");
	UNIT_ASSERT_INT_EQ(nexthop_valid_hostname(name), true);
	memset(name, 'a', 64);
	strcpy(name + 64, ".example");
	UNIT_ASSERT_INT_EQ(nexthop_valid_hostname(name), false);

	/* 4 * 63 + 3 dots = 255 is too long; trim to exactly 253. */
	for (i = 0; i < 4; i++) {
		memset(name + i * 64, 'b', 63);
		name[i * 64 + 63] = '.';
	}
	name[255] = '\0';
	name[254] = '\0';	/* 254 characters: one too many */
	UNIT_ASSERT_INT_EQ(strlen(name), 254);
	UNIT_ASSERT_INT_EQ(nexthop_valid_hostname(name), false);
	name[253] = '\0';
	UNIT_ASSERT_INT_EQ(strlen(name), 253);
	UNIT_ASSERT_INT_EQ(nexthop_valid_hostname(name), true);
	snprintf(spec, sizeof(spec), "[%s.]:25", name);
	UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, spec, 25, &why), 0);
	UNIT_ASSERT_INT_EQ(strlen(nh.host), 254);

	/* A very long destination is cut in the message, and says so. */
	memset(spec, 'c', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, spec, 25, &why), -1);
	UNIT_ASSERT_INT_EQ(strstr(why.text, "...\": domain name too long") !=
	    NULL, 1);
	spec[0] = '[';
	spec[300] = ']';
	spec[301] = '\0';
	UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, spec, 25, &why), -1);
	UNIT_ASSERT_INT_EQ(strstr(why.text, "host name too long") != NULL,
	    1);
}

/* test_nexthop_valid_hostname - the name rules on their own */
static void
test_nexthop_valid_hostname(void)
{
	static const struct {
		const char *name;
		bool	valid;
	} cases[] = {
		{ "a", true }, { "a.", true }, { "A.B.C", true },
		{ "x_y.example", true }, { "1a.2b", true },
		{ "123", false }, { "a.123", false }, { "a.123.", false },
		{ "", false }, { ".", false }, { "..", false },
		{ "a..b", false }, { "-a", false }, { "a-", false },
		{ "a.-b", false }, { "a-.b", false }, { "a b", false },
		{ "a\tb", false }, { "a%b", false }, { "a:b", false },
		{ "[a]", false },
	};
	size_t i;

	UNIT_ASSERT_INT_EQ(nexthop_valid_hostname(NULL), false);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (nexthop_valid_hostname(cases[i].name) != cases[i].valid)
			unit_fail(__FILE__, __LINE__, "\"%s\": got %d, want %d",
			    cases[i].name, !cases[i].valid, cases[i].valid);
		else
			CU_PASS(cases[i].name);
	}
}

/* test_nexthop_format_truncates - a short buffer stays terminated */
static void
test_nexthop_format_truncates(void)
{
	struct relay_result why;
	struct nexthop nh;
	char buf[8];

	UNIT_ASSERT_INT_EQ(nexthop_parse(&nh, "[mail.example.com]:25", 25,
	    &why), 0);
	memset(buf, 'z', sizeof(buf));
	nexthop_format(&nh, buf, sizeof(buf));
	UNIT_ASSERT_STR_EQ(buf, "[mail.e");
	nexthop_format(&nh, buf, 0);
	UNIT_ASSERT_STR_EQ(buf, "[mail.e");
}

static CU_TestInfo tests[] = {
	{ "test_nexthop_good", test_nexthop_good },
	{ "test_nexthop_bad", test_nexthop_bad },
	{ "test_nexthop_null_and_default_port",
	    test_nexthop_null_and_default_port },
	{ "test_nexthop_lengths", test_nexthop_lengths },
	{ "test_nexthop_valid_hostname", test_nexthop_valid_hostname },
	{ "test_nexthop_format_truncates", test_nexthop_format_truncates },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("nexthop", tests);
}
