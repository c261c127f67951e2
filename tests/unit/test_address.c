/*
 * NAME
 *	test_address - unit tests for lib/address.c
 * DESCRIPTION
 *	Table-driven: valid addresses with the fields they must give,
 *	invalid ones with the reason the error text must contain, then
 *	the status codes, the sanitised display and length limits.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "address.h"
#include "unit.h"

struct good {
	const char *in;
	const char *addr;
	const char *domain;
	size_t	local_len;
	bool	is_utf8;
};

static const struct good goods[] = {
	{ "bob@example.com", "bob@example.com", "example.com", 3, false },
	{ "<bob@example.com>", "bob@example.com", "example.com", 3, false },
	{ "Bob.Smith@Example.COM", "Bob.Smith@Example.COM", "example.com", 9,
	    false },
	{ "a+tag@sub.example.org", "a+tag@sub.example.org",
	    "sub.example.org", 5, false },
	{ "!#$%&'*+/=?^_`{|}~-x@example.com",
	    "!#$%&'*+/=?^_`{|}~-x@example.com", "example.com", 20, false },
	{ "\"john smith\"@example.com", "\"john smith\"@example.com",
	    "example.com", 12, false },
	{ "\"a@b\"@example.com", "\"a@b\"@example.com", "example.com", 5,
	    false },
	{ "\"a\\\"b\"@example.com", "\"a\\\"b\"@example.com", "example.com",
	    6, false },
	{ "\"a\\\\b\"@example.com", "\"a\\\\b\"@example.com", "example.com",
	    6, false },
	{ "\".dots..\"@example.com", "\".dots..\"@example.com",
	    "example.com", 9, false },
	{ "user@[192.0.2.1]", "user@[192.0.2.1]", "[192.0.2.1]", 4, false },
	{ "user@[IPv6:2001:DB8::1]", "user@[IPv6:2001:DB8::1]",
	    "[ipv6:2001:db8::1]", 4, false },
	{ "user@[ipv6:::ffff:192.0.2.1]", "user@[ipv6:::ffff:192.0.2.1]",
	    "[ipv6:::ffff:192.0.2.1]", 4, false },
	{ "user@localhost", "user@localhost", "localhost", 4, false },
	{ "user@my_host.example", "user@my_host.example", "my_host.example",
	    4, false },
	{ "user@x-y.example", "user@x-y.example", "x-y.example", 4, false },
	{ "user@123.example", "user@123.example", "123.example", 4, false },
	{ "postmaster", "postmaster", "", 10, false },
	{ "<PostMaster>", "PostMaster", "", 10, false },
	{ "j\xc3\xb6rg@example.com", "j\xc3\xb6rg@example.com",
	    "example.com", 5, true },
	{ "user@b\xc3\xbc" "cher.example", "user@b\xc3\xbc" "cher.example",
	    "b\xc3\xbc" "cher.example", 4, true },
	{ "user@B\xc3\x9c" "CHER.Example", "user@B\xc3\x9c" "CHER.Example",
	    "b\xc3\x9c" "cher.example", 4, true },
	{ "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac"
	    "\xe5\x8f\xb8", "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad"
	    "\x90.\xe5\x85\xac\xe5\x8f\xb8", "\xe4\xbe\x8b\xe5\xad\x90.\xe5"
	    "\x85\xac\xe5\x8f\xb8", 6, true },
	{ "\"\xf0\x9f\x98\x80\"@example.com",
	    "\"\xf0\x9f\x98\x80\"@example.com", "example.com", 6, true },
	{ "a@b", "a@b", "b", 1, false },
};

struct bad {
	const char *in;
	const char *reason;	/* must appear in the error text */
};

static const struct bad bads[] = {
	{ "john smith@example.com", "unquoted space in local part" },
	{ "bob@example.com\r", "carriage return in address" },
	{ "bob@example.com\nRCPT TO:<x@y>", "line feed in address" },
	{ "bob\t@example.com", "control character in address" },
	{ "bob\x7f@example.com", "control character in address" },
	{ "bob\x01@example.com", "control character in address" },
	{ "<bob@example.com", "unbalanced angle brackets" },
	{ "bob@example.com>", "unbalanced angle brackets" },
	{ "<", "unbalanced angle brackets" },
	{ ">", "unbalanced angle brackets" },
	{ "<<bob@example.com>>", "bad character '<'" },
	{ "-oQ/tmp@example.com", "address begins with '-'" },
	{ "<-f@example.com>", "address begins with '-'" },
	{ "@example.com", "empty local part" },
	{ "@a,@b:user@example.com", "source routes are not supported" },
	{ "<@a:user@example.com>", "source routes are not supported" },
	{ "bob", "missing domain" },
	{ "postmasterx", "missing domain" },
	{ "\"postmaster\"", "missing domain" },
	{ "bob@", "empty domain" },
	{ ".bob@example.com", "local part begins with a dot" },
	{ "bob.@example.com", "local part ends with a dot" },
	{ "bo..b@example.com", "two dots in a row in local part" },
	{ "a@b@example.com", "bad character '@' in local part" },
	{ "bob(comment)@example.com", "bad character '(' in local part" },
	{ "a\"b@example.com", "bad character '\"' in local part" },
	{ "a,b@example.com", "bad character ',' in local part" },
	{ "\"\"@example.com", "empty local part" },
	{ "\"unterminated@example.com", "unterminated quoted local part" },
	{ "\"a\"b@example.com", "text after the quoted local part" },
	{ "\"a\\", "bad backslash escape" },
	{ "\"a\xc3\"@example.com", "invalid UTF-8 in local part" },
	{ "j\xc3(rg@example.com", "invalid UTF-8 in local part" },
	{ "x\xc0\xafy@example.com", "invalid UTF-8 in local part" },
	{ "x\xed\xa0\x80y@example.com", "invalid UTF-8 in local part" },
	{ "x\xf4\x90\x80\x80@example.com", "invalid UTF-8 in local part" },
	{ "x\xe0\x80\xafy@example.com", "invalid UTF-8 in local part" },
	{ "x\xff@example.com", "invalid UTF-8 in local part" },
	{ "bob@exa\xe4mple.com", "invalid UTF-8 in domain" },
	{ "bob@example..com", "empty label in domain" },
	{ "bob@.example.com", "empty label in domain" },
	{ "bob@example.com.", "empty label in domain" },
	{ "bob@-example.com", "domain label begins with '-'" },
	{ "bob@example-.com", "domain label ends with '-'" },
	{ "bob@exa mple.com", "bad character ' ' in domain" },
	{ "bob@exa!mple.com", "bad character '!' in domain" },
	{ "bob@[192.0.2.1", "bad address literal in domain" },
	{ "bob@[192.0.2]", "bad IPv4 address literal" },
	{ "bob@[192.0.2.256]", "bad IPv4 address literal" },
	{ "bob@[IPv6:2001:db8::g]", "bad IPv6 address literal" },
	{ "bob@[2001:db8::1]", "bad IPv4 address literal" },
	{ "bob@[IPv6:fe80::1%eth0]", "bad IPv6 address literal" },
	{ "bob@[tag:stuff]", "bad IPv4 address literal" },
	{ "bob@[]", "bad address literal" },
	{ "bob@[IPv6:1:2:3:4:5:6:7:8:9:a:b:c:d:e:f:0:1:2:3:4:5]",
	    "bad IPv6 address literal" },
	{ "bob@[IPv6:1:2:3:4:5:6:7:8:9:a:b:c:d:e:f:0:1:2:3:4:5:6:7:8]",
	    "bad address literal in domain" },
	{ "", "empty address" },
	{ "<>", "empty address" },
};

/* test_address_valid - every good address parses to the right fields */
static void
test_address_valid(void)
{
	struct relay_result why;
	struct address a;
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, g->in, &why), 0);
		if (why.text[0] != '\0')
			fprintf(stderr, "input %s: %s\n", g->in, why.text);
		UNIT_ASSERT_STR_EQ(a.addr, g->addr);
		UNIT_ASSERT_STR_EQ(a.domain, g->domain);
		UNIT_ASSERT_INT_EQ(a.local_len, g->local_len);
		UNIT_ASSERT_INT_EQ(a.is_utf8, g->is_utf8);
		UNIT_ASSERT_INT_EQ(a.is_null, false);
		/* A valid recipient is a valid sender too. */
		UNIT_ASSERT_INT_EQ(address_parse_sender(&a, g->in, &why), 0);
		UNIT_ASSERT_STR_EQ(a.addr, g->addr);
	}
}

/* test_address_invalid - every bad address fails with its reason */
static void
test_address_invalid(void)
{
	struct relay_result why;
	struct address a;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, b->in, &why), -1);
		UNIT_ASSERT_STR_EQ(why.status, "5.1.3");
		UNIT_ASSERT_INT_EQ(why.class, RELAY_PERMANENT);
		if (strstr(why.text, b->reason) == NULL)
			unit_fail(__FILE__, __LINE__, "input #%zu: got \"%s\", "
			    "want a text with \"%s\"", i, why.text, b->reason);
		if (strncmp(why.text, "bad address syntax: <", 21) != 0)
			unit_fail(__FILE__, __LINE__, "input #%zu: got \"%s\", "
			    "want \"bad address syntax: <...\"", i, why.text);
	}
}

/* test_address_null_sender - "" and "<>" are the null sender */
static void
test_address_null_sender(void)
{
	struct relay_result why;
	struct address a;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(address_parse_sender(&a, "", &why), 0);
	UNIT_ASSERT_INT_EQ(a.is_null, true);
	UNIT_ASSERT_STR_EQ(a.addr, "");
	UNIT_ASSERT_STR_EQ(a.domain, "");
	UNIT_ASSERT_INT_EQ(a.local_len, 0);
	UNIT_ASSERT_INT_EQ(address_parse_sender(&a, "<>", &why), 0);
	UNIT_ASSERT_INT_EQ(a.is_null, true);
	UNIT_ASSERT_STR_EQ(a.addr, "");
	/* Not null: a real sender clears a previous is_null. */
	UNIT_ASSERT_INT_EQ(address_parse_sender(&a, "a@b.c", &why), 0);
	UNIT_ASSERT_INT_EQ(a.is_null, false);
}

/* test_address_sender_status - a bad sender is 5.1.7, a recipient 5.1.3 */
static void
test_address_sender_status(void)
{
	struct relay_result why;
	struct address a;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(address_parse_sender(&a, "a b@c.d", &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "5.1.7");
	UNIT_ASSERT_STR_EQ(why.text,
	    "bad address syntax: <a b@c.d>: unquoted space in local part");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, "<a b@c.d>", &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "5.1.3");
	UNIT_ASSERT_STR_EQ(why.text,
	    "bad address syntax: <a b@c.d>: unquoted space in local part");
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, "<>", &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "5.1.3");
	UNIT_ASSERT_STR_EQ(why.text, "bad address syntax: <>: empty address");
}

/* test_address_lengths - 64 / 255 / 254 byte limits, at and over */
static void
test_address_lengths(void)
{
	struct relay_result why;
	struct address a;
	char buf[600], label[64];
	size_t i;

	relay_result_init(&why);
	/* Local part of 64 is fine, 65 is not. */
	memset(buf, 'l', 64);
	strcpy(buf + 64, "@example.com");
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, buf, &why), 0);
	UNIT_ASSERT_INT_EQ(a.local_len, 64);
	memset(buf, 'l', 65);
	strcpy(buf + 65, "@example.com");
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, buf, &why), -1);
	UNIT_ASSERT_STR_EQ(strstr(why.text, "local part longer than 64"),
	    "local part longer than 64 bytes");
	/* A quoted local part counts its quotes. */
	buf[0] = '"';
	memset(buf + 1, 'q', 63);
	strcpy(buf + 64, "\"@example.com");
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, buf, &why), -1);

	/* A label of 63 is fine, 64 is not. */
	memset(label, 'd', 63);
	label[63] = '\0';
	snprintf(buf, sizeof(buf), "u@%s.example", label);
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, buf, &why), 0);
	snprintf(buf, sizeof(buf), "u@%sd.example", label);
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, buf, &why), -1);
	UNIT_ASSERT_INT_EQ(strstr(why.text, "label longer than 63") != NULL,
	    1);

	/* Whole address: 254 is fine (u@ + 252), 255 is not. */
	strcpy(buf, "u@");
	for (i = 2; i < 254; i++)
		buf[i] = (i % 50 == 0) ? '.' : 'x';
	buf[254] = '\0';
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, buf, &why), 0);
	UNIT_ASSERT_INT_EQ(strlen(a.addr), 254);
	UNIT_ASSERT_INT_EQ(strlen(a.domain), 252);
	buf[254] = 'x';
	buf[255] = '\0';
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, buf, &why), -1);
	UNIT_ASSERT_INT_EQ(strstr(why.text, "address longer than 254") !=
	    NULL, 1);
	/* With brackets the limit is on the inside. */
	buf[0] = '<';
	buf[1] = 'u';
	buf[2] = '@';
	for (i = 3; i < 255; i++)
		buf[i] = (i % 50 == 0) ? '.' : 'x';
	buf[255] = '>';
	buf[256] = '\0';
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, buf, &why), 0);
	UNIT_ASSERT_INT_EQ(strlen(a.addr), 254);
}

/* test_address_domain_max - address_check_domain's 255 byte limit */
static void
test_address_domain_max(void)
{
	char d[300], reason[128];
	bool utf8 = true;
	size_t i;

	for (i = 0; i < 255; i++)
		d[i] = (i % 60 == 59) ? '.' : 'a';
	d[255] = '\0';
	UNIT_ASSERT_INT_EQ(address_check_domain(d, 255, false, &utf8, reason,
	    sizeof(reason)), 0);
	UNIT_ASSERT_INT_EQ(utf8, false);
	d[255] = 'a';
	d[256] = '\0';
	UNIT_ASSERT_INT_EQ(address_check_domain(d, 256, false, &utf8, reason,
	    sizeof(reason)), -1);
	UNIT_ASSERT_STR_EQ(reason, "domain longer than 255 bytes");
	/* UTF-8 only when allowed. */
	UNIT_ASSERT_INT_EQ(address_check_domain("b\xc3\xbc.de", 6, false,
	    NULL, reason, sizeof(reason)), -1);
	UNIT_ASSERT_STR_EQ(reason, "non-ASCII character in domain");
	UNIT_ASSERT_INT_EQ(address_check_domain("b\xc3\xbc.de", 6, true,
	    &utf8, reason, sizeof(reason)), 0);
	UNIT_ASSERT_INT_EQ(utf8, true);
	/* Only len bytes are looked at. */
	UNIT_ASSERT_INT_EQ(address_check_domain("example.com junk", 11, false,
	    NULL, reason, sizeof(reason)), 0);
	UNIT_ASSERT_INT_EQ(address_check_domain("[10.0.0.1]", 10, false,
	    &utf8, reason, sizeof(reason)), 0);
	UNIT_ASSERT_INT_EQ(utf8, false);
}

/* test_address_sanitised_display - control bytes shown as '?', cut */
static void
test_address_sanitised_display(void)
{
	struct relay_result why;
	struct address a;
	char buf[400];

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, "a\r\nb@c", &why), -1);
	UNIT_ASSERT_STR_EQ(why.text,
	    "bad address syntax: <a??b@c>: carriage return in address");
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, "x\xff y@c", &why), -1);
	UNIT_ASSERT_STR_EQ(why.text,
	    "bad address syntax: <x? y@c>: invalid UTF-8 in local part");
	/* Valid UTF-8 is shown as is. */
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, "j\xc3\xb6 rg@c", &why),
	    -1);
	UNIT_ASSERT_STR_EQ(why.text, "bad address syntax: <j\xc3\xb6 rg@c>: "
	    "unquoted space in local part");
	/* Long input is cut at 100 bytes with "...". */
	memset(buf, 'z', 300);
	buf[300] = '\0';
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, buf, &why), -1);
	UNIT_ASSERT_INT_EQ(strlen(why.text), strlen("bad address syntax: <")
	    + 100 + 3 + strlen(">: address longer than 254 bytes"));
	UNIT_ASSERT_INT_EQ(strstr(why.text, "zzz...>: address longer") !=
	    NULL, 1);
}

/* test_address_fields_reset - a failed parse leaves no stale fields */
static void
test_address_fields_reset(void)
{
	struct relay_result why;
	struct address a;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, "b\xc3\xbc@x.y", &why), 0);
	UNIT_ASSERT_INT_EQ(a.is_utf8, true);
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, "b@x.y", &why), 0);
	UNIT_ASSERT_INT_EQ(a.is_utf8, false);
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, "b x@x.y", &why), -1);
	UNIT_ASSERT_STR_EQ(a.addr, "");
	UNIT_ASSERT_STR_EQ(a.domain, "");
}

/* test_address_envelope_size - -s: a whole number, else unknown (-1) */
static void
test_address_envelope_size(void)
{
	static const struct {
		const char *size;
		long long want;
	} cases[] = {
		{ "1234", 1234 }, { "0", 0 }, { "", -1 }, { "12x", -1 },
		{ "-5", -1 }, { "99999999999999999999", -1 }, { NULL, -1 },
	};
	char *rcpt[] = { "r@example.test" };
	struct relay_result res[1], setup;
	struct address a[1];
	struct envelope_args ea;
	struct envelope env;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&ea, 0, sizeof(ea));
		ea.sender = "s@example.org";
		ea.size = cases[i].size;
		ea.rcpt = rcpt;
		ea.nrcpt = 1;
		memset(&env, 0, sizeof(env));
		env.rcpt = a;
		env.nrcpt = address_envelope_count(&ea);
		UNIT_ASSERT_INT_EQ(env.nrcpt, 1);
		relay_result_init(&res[0]);
		relay_result_init(&setup);
		UNIT_ASSERT_INT_EQ(address_envelope_build(&env, res, &ea,
		    &setup), 0);
		UNIT_ASSERT_INT_EQ(env.size, cases[i].want);
	}
}

/* test_address_envelope_exim - -E: $SENDER and $RECIPIENT */
static void
test_address_envelope_exim(void)
{
	struct relay_result res[1], setup;
	struct address a[1];
	struct envelope_args ea;
	struct envelope env;

	memset(&ea, 0, sizeof(ea));
	ea.from_env = true;
	ea.env_sender = "s@example.org";
	ea.env_recipient = "bad rcpt@example.test";
	UNIT_ASSERT_INT_EQ(address_envelope_count(&ea), 1);
	memset(&env, 0, sizeof(env));
	env.rcpt = a;
	env.nrcpt = 1;
	relay_result_init(&res[0]);
	relay_result_init(&setup);
	UNIT_ASSERT_INT_EQ(address_envelope_build(&env, res, &ea, &setup), 0);
	UNIT_ASSERT_STR_EQ(env.sender.addr, "s@example.org");
	UNIT_ASSERT_STR_EQ(res[0].status, "5.1.3");
	UNIT_ASSERT_STR_EQ(env.rcpt[0].addr, "bad rcpt@example.test");
	/* -E with SENDER unset: a set-up error, not the null sender. */
	ea.env_sender = NULL;
	relay_result_init(&setup);
	UNIT_ASSERT_INT_EQ(address_envelope_build(&env, res, &ea, &setup),
	    -1);
	UNIT_ASSERT_STR_EQ(setup.status, "4.3.5");
	ea.env_sender = "";
	UNIT_ASSERT_INT_EQ(address_envelope_build(&env, res, &ea, &setup), 0);
	UNIT_ASSERT_INT_EQ(env.sender.is_null, true);
	ea.from_env = false;
	UNIT_ASSERT_INT_EQ(address_envelope_count(&ea), 0);
	UNIT_ASSERT_INT_EQ(address_envelope_build(&env, res, &ea, &setup),
	    -1);
	UNIT_ASSERT_STR_EQ(setup.status, "4.3.5");
}

static const struct xtext_case {
	const char *text;
	bool	utf8;		/* allow_utf8 */
	bool	valid;
	const char *decoded;	/* NULL: not checked */
} xtext_cases[] = {
	{ "", false, true, "" },
	{ "abc", false, true, "abc" },
	{ "a+2Bb", false, true, "a+b" },
	{ "a+3Db", false, true, "a=b" },
	{ "+20", false, true, " " },
	{ "+2b", false, true, "+" },		/* lower case: tolerated */
	{ "!~#", false, true, "!~#" },
	{ "a+", false, false, NULL },
	{ "a+2", false, false, NULL },
	{ "a+G0", false, false, NULL },
	{ "a=b", false, false, NULL },
	{ "a b", false, false, NULL },
	{ "a\tb", false, false, NULL },
	{ "a\x7f", false, false, NULL },
	{ "caf\xc3\xa9", false, false, NULL },
	{ "caf\xc3\xa9", true, true, "caf\xc3\xa9" },
	{ "caf\xc3", true, false, NULL },	/* cut UTF-8 */
	{ "\xc0\xaf", true, false, NULL },	/* overlong */
};

/* test_address_xtext - RFC 3461 xtext check and decode */
static void
test_address_xtext(void)
{
	char out[64];
	size_t i;
	int n;

	for (i = 0; i < sizeof(xtext_cases) / sizeof(xtext_cases[0]); i++) {
		const struct xtext_case *c = &xtext_cases[i];

		if (address_xtext_valid(c->text, strlen(c->text), c->utf8) !=
		    c->valid)
			unit_fail(__FILE__, __LINE__, "\"%s\": got %s, want "
			    "%s", c->text, c->valid ? "invalid" : "valid",
			    c->valid ? "valid" : "invalid");
		else
			CU_PASS(c->text);
		if (c->decoded == NULL)
			continue;
		n = address_xtext_decode(c->text, strlen(c->text), out,
		    sizeof(out));
		UNIT_ASSERT_INT_EQ(n, strlen(c->decoded));
		UNIT_ASSERT_STR_EQ(out, c->decoded);
	}
	/* Too small an output buffer. */
	UNIT_ASSERT_INT_EQ(address_xtext_decode("abcd", 4, out, 4), -1);
	UNIT_ASSERT_INT_EQ(address_xtext_decode("abc", 3, out, 4), 3);
}

static const struct notify_case {
	const char *value;
	unsigned want;		/* 0: refused */
} notify_cases[] = {
	{ "NEVER", ADDRESS_NOTIFY_NEVER },
	{ "never", ADDRESS_NOTIFY_NEVER },
	{ "SUCCESS", ADDRESS_NOTIFY_SUCCESS },
	{ "SUCCESS,FAILURE,DELAY", ADDRESS_NOTIFY_SUCCESS |
	    ADDRESS_NOTIFY_FAILURE | ADDRESS_NOTIFY_DELAY },
	{ "delay,Failure", ADDRESS_NOTIFY_FAILURE | ADDRESS_NOTIFY_DELAY },
	{ "", 0 },
	{ "NEVER,SUCCESS", 0 },
	{ "SUCCESS,SUCCESS", 0 },
	{ "SUCCESS,", 0 },
	{ ",SUCCESS", 0 },
	{ "ALWAYS", 0 },
	{ "SUCCESS FAILURE", 0 },
};

/* test_address_notify - NOTIFY= keywords */
static void
test_address_notify(void)
{
	struct relay_result why;
	struct address a;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(notify_cases) / sizeof(notify_cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		relay_result_init(&why);
		rc = address_parse_notify(&a, notify_cases[i].value, &why);
		UNIT_ASSERT_INT_EQ(rc, notify_cases[i].want ? 0 : -1);
		UNIT_ASSERT_INT_EQ(a.notify, notify_cases[i].want);
		if (rc < 0) {
			UNIT_ASSERT_STR_EQ(why.status, "5.5.4");
			CU_ASSERT(strncmp(why.text, "bad NOTIFY parameter: ",
			    22) == 0);
		}
	}
}

/* test_address_orcpt - ORCPT=addr-type;xtext, kept as given */
static void
test_address_orcpt(void)
{
	static const struct {
		const char *value;
		bool	ok;
	} cases[] = {
		{ "rfc822;bob@example.com", true },
		{ "RFC822;bob+2Bx@example.com", true },
		{ "utf-8;b\xc3\xb6" "b@example.com", true },
		{ "rfc822;b\xc3\xb6" "b@example.com", false },
		{ "rfc822;", false },
		{ ";bob@example.com", false },
		{ "bob@example.com", false },
		{ "rfc 822;bob@example.com", false },
		{ "rfc822;bob=x@example.com", false },
		{ "rfc822;bob+4@example.com", false },
	};
	struct relay_result why;
	struct address a;
	char longv[ADDRESS_ORCPT_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(address_parse_orcpt(&a, cases[i].value,
		    &why), cases[i].ok ? 0 : -1);
		UNIT_ASSERT_STR_EQ(a.orcpt, cases[i].ok ? cases[i].value : "");
		if (!cases[i].ok)
			UNIT_ASSERT_STR_EQ(why.status, "5.5.4");
	}
	memcpy(longv, "rfc822;", 7);
	memset(longv + 7, 'a', sizeof(longv) - 8);
	longv[sizeof(longv) - 1] = '\0';
	memset(&a, 0, sizeof(a));
	UNIT_ASSERT_INT_EQ(address_parse_orcpt(&a, longv, &why), -1);
	longv[sizeof(longv) - 2] = '\0';	/* exactly the maximum */
	UNIT_ASSERT_INT_EQ(address_parse_orcpt(&a, longv, &why), 0);
	UNIT_ASSERT_INT_EQ(strlen(a.orcpt), ADDRESS_ORCPT_MAX);
}

/* test_address_envid - ENVID=xtext, 1 to 100 bytes */
static void
test_address_envid(void)
{
	struct relay_result why;
	struct envelope env;
	char v[ENVELOPE_ENVID_MAX + 2];

	memset(&env, 0, sizeof(env));
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(address_parse_envid(&env, "QQ314159+2B1", &why), 0);
	UNIT_ASSERT_STR_EQ(env.envid, "QQ314159+2B1");
	UNIT_ASSERT_INT_EQ(address_parse_envid(&env, "a=b", &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "5.5.4");
	UNIT_ASSERT_STR_EQ(why.text, "bad ENVID parameter: bad xtext");
	UNIT_ASSERT_STR_EQ(env.envid, "QQ314159+2B1");
	UNIT_ASSERT_INT_EQ(address_parse_envid(&env, "", &why), -1);
	UNIT_ASSERT_INT_EQ(address_parse_envid(&env, "\xc3\xa9", &why), -1);
	memset(v, 'x', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	UNIT_ASSERT_INT_EQ(address_parse_envid(&env, v, &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "bad ENVID parameter: too long");
	v[sizeof(v) - 2] = '\0';
	UNIT_ASSERT_INT_EQ(address_parse_envid(&env, v, &why), 0);
}

/* test_address_dsn_empty_in_pipe_mode - the parsers leave DSN empty */
static void
test_address_dsn_empty_in_pipe_mode(void)
{
	struct relay_result why;
	struct address a;

	memset(&a, 0xff, sizeof(a));
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(address_parse_rcpt(&a, "<bob@example.com>", &why),
	    0);
	UNIT_ASSERT_INT_EQ(a.notify, 0);
	UNIT_ASSERT_STR_EQ(a.orcpt, "");
}

static CU_TestInfo tests[] = {
	{ "test_address_valid", test_address_valid },
	{ "test_address_invalid", test_address_invalid },
	{ "test_address_null_sender", test_address_null_sender },
	{ "test_address_sender_status", test_address_sender_status },
	{ "test_address_lengths", test_address_lengths },
	{ "test_address_domain_max", test_address_domain_max },
	{ "test_address_sanitised_display", test_address_sanitised_display },
	{ "test_address_fields_reset", test_address_fields_reset },
	{ "test_address_envelope_size", test_address_envelope_size },
	{ "test_address_envelope_exim", test_address_envelope_exim },
	{ "test_address_xtext", test_address_xtext },
	{ "test_address_notify", test_address_notify },
	{ "test_address_orcpt", test_address_orcpt },
	{ "test_address_envid", test_address_envid },
	{ "test_address_dsn_empty_in_pipe_mode",
	    test_address_dsn_empty_in_pipe_mode },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("address", tests);
}
