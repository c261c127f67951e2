/*
 * NAME
 *	test_config - unit tests for lib/config.c
 * DESCRIPTION
 *	Defaults, every value type, time units, file syntax (comments,
 *	continuation lines, CRLF), errors with FILE:LINE, -o options and
 *	the dump, including a dump read back.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif

static char tmpdir[] = "/tmp/test_config.XXXXXX";

/* write_file - a file in the test directory with the given text */
static const char *
write_file(const char *name, const char *text, size_t len)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(99);
	}
	fwrite(text, 1, len, fp);
	fclose(fp);
	return path;
}

/* load_text - config_load() over a file holding text */
static int
load_text(struct config *cfg, const char *text, struct relay_result *why)
{
	const char *path = write_file("slimrelay.conf", text, strlen(text));

	return config_load(cfg, path, true, why);
}

/* dump_text - config_dump() into a string (caller frees) */
static char *
dump_text(const struct config *cfg, bool only_set)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		exit(99);
	config_dump(cfg, fp, only_set);
	fclose(fp);
	return buf;
}

/* mask_is_zero - no parameter was set */
static int
mask_is_zero(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < CONFIG_PARAMS_MAX / 64; i++)
		if (cfg->set_mask[i] != 0)
			return 0;
	return 1;
}

/* assert_same_config - cfg dumps as before (every key, every route) */
static void
assert_same_config(const struct config *cfg, const char *before,
    const unsigned long long *set_mask)
{
	char *now = dump_text(cfg, false);

	UNIT_ASSERT_STR_EQ(now, before);
	UNIT_ASSERT_INT_EQ(memcmp(cfg->set_mask, set_mask,
	    sizeof(cfg->set_mask)), 0);
	free(now);
}

/* test_config_defaults - the documented defaults */
static void
test_config_defaults(void)
{
	struct config cfg;
	int s;

	config_defaults(&cfg);
	UNIT_ASSERT_STR_EQ(cfg.smarthost, "");
	UNIT_ASSERT_STR_EQ(cfg.ehlo_name, "");
	UNIT_ASSERT_STR_EQ(cfg.source_address, "");
	UNIT_ASSERT_INT_EQ(cfg.address_preference, CONFIG_ADDR_ANY);
	for (s = 0; s < SMTP_STAGE_COUNT; s++)
		UNIT_ASSERT_INT_EQ(cfg.timeout_ms[s],
		    smtp_stage_default_timeout_ms(s));
	UNIT_ASSERT_INT_EQ(cfg.timeout_ms[SMTP_STAGE_CONNECT], 30000);
	UNIT_ASSERT_INT_EQ(cfg.timeout_ms[SMTP_STAGE_DOT], 600000);
	UNIT_ASSERT_INT_EQ(cfg.timeout_ms[SMTP_STAGE_RSET], 20000);
	UNIT_ASSERT_INT_EQ(cfg.deadline_ms, 900000);
	UNIT_ASSERT_INT_EQ(cfg.pool_size, 0);
	UNIT_ASSERT_INT_EQ(cfg.pool_wait_ms, 60000);
	UNIT_ASSERT_STR_EQ(cfg.state_directory, LOCALSTATEDIR "/lib/slimrelay");
	UNIT_ASSERT_STR_EQ(cfg.dns_servers, "");
	UNIT_ASSERT_INT_EQ(cfg.dns_timeout_ms, 5000);
	UNIT_ASSERT_INT_EQ(cfg.dns_retries, 2);
	UNIT_ASSERT_INT_EQ(cfg.host_lookup_dns, true);
	UNIT_ASSERT_INT_EQ(cfg.host_lookup_native, false);
	UNIT_ASSERT_INT_EQ(cfg.skip_from_line, false);
	UNIT_ASSERT_STR_EQ(cfg.log, "syslog");
	UNIT_ASSERT_STR_EQ(cfg.syslog_name, "slimrelay");
	UNIT_ASSERT_INT_EQ(cfg.syslog_facility, LOG_MAIL);
	UNIT_ASSERT_INT_EQ(mask_is_zero(&cfg), 1);
	/* No route lines, nothing allocated for them. */
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.route == NULL, 1);
	/*
	 * Every run of the transport clears and copies a struct config:
	 * it stays small (the route table lives on the heap).
	 */
	UNIT_ASSERT_INT_EQ(sizeof(struct config) <= 32 * 1024, 1);
	config_fini(&cfg);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 0);
	config_fini(&cfg);
}

/* test_config_parse_time - units, no unit, and what is refused */
static void
test_config_parse_time(void)
{
	static const struct {
		const char *in;
		long	ms;		/* -1: refused */
	} cases[] = {
		{ "0", 0 }, { "10", 10000 }, { "10s", 10000 },
		{ "500ms", 500 }, { "5m", 300000 }, { "1h", 3600000 },
		{ "2d", 172800000 }, { "1w", 604800000 }, { "0ms", 0 },
		{ "007s", 7000 },
		{ "", -1 }, { "s", -1 }, { "-1", -1 }, { "+1", -1 },
		{ "1.5s", -1 }, { "10 s", -1 }, { " 10s", -1 }, { "10s ", -1 },
		{ "10S", -1 }, { "10sec", -1 }, { "10x", -1 }, { "1ms1", -1 },
		{ "99999999999999999999", -1 },
		{ "9223372036854775807ms", 9223372036854775807L },
		{ "9223372036854775808ms", -1 },
		{ "9223372036854775807s", -1 },
		{ "15250284452471w", -1 },
	};
	size_t i;
	long ms;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sizeof(long) < 8 && cases[i].in[0] == '9' &&
		    strlen(cases[i].in) > 15)
			continue;	/* the overflow cases assume LP64 */
		ms = -1;
		if (cases[i].ms < 0) {
			if (config_parse_time_ms(cases[i].in, &ms) != -1)
				unit_fail(__FILE__, __LINE__, "\"%s\": got "
				    "%ld, want refused", cases[i].in, ms);
			else
				CU_PASS(cases[i].in);
		} else {
			UNIT_ASSERT_INT_EQ(config_parse_time_ms(cases[i].in,
			    &ms), 0);
			UNIT_ASSERT_INT_EQ(ms, cases[i].ms);
		}
	}
}

/* test_config_set_types - one good and bad value per type */
static void
test_config_set_types(void)
{
	static const struct {
		const char *key;
		const char *value;
		const char *error;	/* NULL: accepted; else part of text */
	} cases[] = {
		{ "smarthost", "[192.0.2.1]:2525", NULL },
		{ "smarthost", "relay.example.com", NULL },
		{ "smarthost", "", NULL },
		{ "smarthost", "[::1]:25", NULL },
		{ "smarthost", "relay.example:submission", NULL },
		{ "smarthost", "a b", "bad value \"a b\": white space" },
		{ "smarthost", "a,b", "bad value \"a,b\": bad domain name" },
		{ "smarthost", "[192.0.2.1]:99999", "smarthost: bad value" },
		{ "ehlo_name", "mx1.example.com", NULL },
		{ "ehlo_name", "[192.0.2.1]", NULL },
		{ "ehlo_name", "[IPv6:2001:db8::1]", NULL },
		{ "ehlo_name", "bad host", "bad character ' ' in domain" },
		{ "ehlo_name", "b\xc3\xbc.de", "non-ASCII character" },
		{ "ehlo_name", "-x.example", "begins with '-'" },
		{ "source_address", "192.0.2.7", NULL },
		{ "source_address", "2001:db8::7", NULL },
		{ "source_address", "host.example", "not an IPv4 or IPv6" },
		{ "source_address", "[2001:db8::7]", "not an IPv4 or IPv6" },
		{ "address_preference", "ipv6_only", NULL },
		{ "address_preference", "IPv4", "expected one of any, ipv4, "
		    "ipv6, ipv4_only, ipv6_only" },
		{ "connect_timeout", "10s", NULL },
		{ "connect_timeout", "0", "must be between 1ms and 604800s" },
		{ "connect_timeout", "8d", "must be between 1ms and 604800s" },
		{ "connect_timeout", "ten", "expected a time" },
		{ "quit_timeout", "1ms", NULL },
		{ "deadline", "990s", NULL },
		{ "pool_size", "1000", NULL },
		{ "pool_size", "1001", "must be between 0 and 1000" },
		{ "pool_size", "-1", "expected a number between 0 and 1000" },
		{ "pool_size", "", "expected a number" },
		{ "pool_size", "99999999999999999999999", "expected a number" },
		{ "pool_wait", "0", NULL },
		{ "state_directory", "/var/tmp/x y", NULL },
		{ "state_directory", "var/lib", "not an absolute path" },
		{ "state_directory", "", "not an absolute path" },
		{ "state_directory", "/a\tb", "control character" },
		{ "dns_servers", "127.0.0.1", NULL },
		{ "dns_servers", "127.0.0.1:5353, 127.0.0.2:5353", NULL },
		{ "dns_servers", "[::1]:5353 127.0.0.1:5353", NULL },
		{ "dns_servers", "::1, 2001:db8::53", NULL },
		{ "dns_servers", "[::1]", NULL },
		{ "dns_servers", ",, 127.0.0.1 ,", NULL },
		{ "dns_servers", "127.0.0.1:53 127.0.0.2:5353",
		    "same port" },
		{ "dns_servers", "127.0.0.1:0", "bad port" },
		{ "dns_servers", "127.0.0.1:65536", "bad port" },
		{ "dns_servers", "127.0.0.1:", "bad port" },
		{ "dns_servers", "127.0.0.1:x", "bad port" },
		{ "dns_servers", "ns.example.com", "bad server address" },
		{ "dns_servers", "[127.0.0.1]:53", "bad server address" },
		{ "dns_servers", "[::1", "bad server" },
		{ "dns_servers", "[::1]x", "bad server" },
		{ "dns_servers", "[]:53", "bad server address" },
		{ "host_lookup", "native", NULL },
		{ "host_lookup", "dns, native", NULL },
		{ "host_lookup", "dns,native", NULL },
		{ "host_lookup", "", "expected \"dns\", \"native\"" },
		{ "host_lookup", "nis", "expected \"dns\", \"native\"" },
		{ "skip_from_line", "YES", NULL },
		{ "skip_from_line", "maybe", "expected yes or no" },
		{ "log", "stderr", NULL },
		{ "log", "/var/log/slimrelay.log", NULL },
		{ "log", "file.log", "expected syslog, stderr or an absolute" },
		{ "syslog_name", "postfix/slimrelay", NULL },
		{ "syslog_name", "", "expected 1 to 63 letters" },
		{ "syslog_name", "a b", "expected 1 to 63 letters" },
		{ "syslog_facility", "local7", NULL },
		{ "syslog_facility", "kern", "expected one of mail, daemon" },
		{ "smarthost", "a\x01" "b", "control character" },
		{ "no_such_thing", "1", "unknown parameter \"no_such_thing\"" },
	};
	struct relay_result why;
	struct config cfg;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_defaults(&cfg);
		relay_result_init(&why);
		ret = config_set(&cfg, cases[i].key, cases[i].value, &why);
		config_fini(&cfg);
		if (cases[i].error == NULL) {
			if (ret != 0)
				unit_fail(__FILE__, __LINE__, "%s = %s: got "
				    "\"%s\", want accepted", cases[i].key,
				    cases[i].value, why.text);
			else
				CU_PASS(cases[i].key);
			continue;
		}
		if (ret != -1 || strstr(why.text, cases[i].error) == NULL)
			unit_fail(__FILE__, __LINE__, "%s = %s: got %d \"%s\", "
			    "want -1 and \"%s\"", cases[i].key, cases[i].value,
			    ret, why.text, cases[i].error);
		else
			CU_PASS(cases[i].key);
		UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
		UNIT_ASSERT_INT_EQ(why.class, RELAY_TRANSIENT);
		UNIT_ASSERT_INT_EQ(mask_is_zero(&cfg), 1);
	}
}

/* test_config_set_values - accepted values land in the right fields */
static void
test_config_set_values(void)
{
	struct relay_result why;
	struct config cfg;

	config_defaults(&cfg);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "rcpt_timeout", "90s", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.timeout_ms[SMTP_STAGE_RCPT], 90000);
	UNIT_ASSERT_INT_EQ(cfg.timeout_ms[SMTP_STAGE_MAIL], 300000);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "xfer_timeout", "250ms", &why),
	    0);
	UNIT_ASSERT_INT_EQ(cfg.timeout_ms[SMTP_STAGE_XFER], 250);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "address_preference", "ipv6",
	    &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.address_preference, CONFIG_ADDR_IPV6);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "host_lookup", "native, dns",
	    &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.host_lookup_dns, true);
	UNIT_ASSERT_INT_EQ(cfg.host_lookup_native, true);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "host_lookup", "native", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.host_lookup_dns, false);
	UNIT_ASSERT_INT_EQ(cfg.host_lookup_native, true);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "skip_from_line", "on", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.skip_from_line, true);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "skip_from_line", "0", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.skip_from_line, false);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "syslog_facility", "daemon",
	    &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.syslog_facility, LOG_DAEMON);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "pool_size", "4", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.pool_size, 4);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "dns_retries", "0", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.dns_retries, 0);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "dns_timeout", "1500ms", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.dns_timeout_ms, 1500);
	/* Every stage has its parameter. */
	for (int s = 0; s < SMTP_STAGE_COUNT; s++) {
		UNIT_ASSERT_INT_EQ(config_set(&cfg, smtp_stage_config_key(s),
		    "7s", &why), 0);
		UNIT_ASSERT_INT_EQ(cfg.timeout_ms[s], 7000);
	}
	config_fini(&cfg);
}

/* test_config_string_bounds - values at and over the field sizes */
static void
test_config_string_bounds(void)
{
	char v[CONFIG_PATH_MAX + 2];
	struct relay_result why;
	struct config cfg;

	config_defaults(&cfg);
	relay_result_init(&why);
	for (size_t i = 0; i < CONFIG_STR_MAX - 1; i++)
		v[i] = i % 50 == 49 ? '.' : 'h';
	v[CONFIG_STR_MAX - 1] = '\0';
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "ehlo_name", v, &why), 0);
	UNIT_ASSERT_INT_EQ(strlen(cfg.ehlo_name), CONFIG_STR_MAX - 1);
	v[CONFIG_STR_MAX - 1] = 'h';
	v[CONFIG_STR_MAX] = '\0';
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "ehlo_name", v, &why), -1);
	UNIT_ASSERT_INT_EQ(strstr(why.text, "longer than 255 bytes") != NULL,
	    1);
	/* The value shown in the message is cut. */
	UNIT_ASSERT_INT_EQ(strstr(why.text, "hhh...\"") != NULL, 1);
	v[0] = '/';
	memset(v + 1, 'p', CONFIG_PATH_MAX - 2);
	v[CONFIG_PATH_MAX - 1] = '\0';
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "state_directory", v, &why), 0);
	v[CONFIG_PATH_MAX - 1] = 'p';
	v[CONFIG_PATH_MAX] = '\0';
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "state_directory", v, &why), -1);
	UNIT_ASSERT_INT_EQ(strlen(cfg.state_directory), CONFIG_PATH_MAX - 2 +
	    1);
	config_fini(&cfg);
}

/* test_config_file_syntax - comments, blanks, continuation, CRLF */
static void
test_config_file_syntax(void)
{
	static const char text[] =
	    "# slimrelay.conf\n"
	    "\n"
	    "smarthost = [127.0.0.1]:2525\n"
	    "   # an indented comment is a comment\n"
	    "host_lookup =\n"
	    "    dns,\n"
	    "\n"
	    "\tnative\n"
	    "pool_size=3\r\n"
	    "  \t  \n"
	    "log = /tmp/x.log   \n"
	    "pool_size = 5\n"
	    "ehlo_name = relay.example\n"
	    "dns_servers = 127.0.0.1:5353\n"
	    "    127.0.0.2:5353";	/* no newline at the end */
	struct relay_result why;
	struct config cfg;

	config_defaults(&cfg);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(load_text(&cfg, text, &why), 0);
	UNIT_ASSERT_STR_EQ(why.text, "");
	UNIT_ASSERT_STR_EQ(cfg.smarthost, "[127.0.0.1]:2525");
	UNIT_ASSERT_INT_EQ(cfg.host_lookup_dns, true);
	UNIT_ASSERT_INT_EQ(cfg.host_lookup_native, true);
	UNIT_ASSERT_INT_EQ(cfg.pool_size, 5);
	UNIT_ASSERT_STR_EQ(cfg.log, "/tmp/x.log");
	UNIT_ASSERT_STR_EQ(cfg.ehlo_name, "relay.example");
	UNIT_ASSERT_STR_EQ(cfg.dns_servers, "127.0.0.1:5353 127.0.0.2:5353");
	config_fini(&cfg);
}

/* test_config_file_errors - each error names FILE:LINE */
static void
test_config_file_errors(void)
{
	static const struct {
		const char *text;
		const char *error;	/* after "PATH:" */
	} cases[] = {
		{ "smarthost = x\nsmarthots = y\n",
		    "2: unknown parameter \"smarthots\"" },
		{ "\n\n# c\nsmarthost x\n",
		    "4: missing '=' in \"smarthost x\" (expected \"parameter "
		    "= value\")" },
		{ " = 5\n", "1: continuation line without a parameter line "
		    "before it" },
		{ "= 5\n", "1: missing parameter name before '='" },
		{ "pool_size = 5\n  0\n", "1: parameter pool_size: bad value "
		    "\"5 0\": expected a number between 0 and 1000" },
		{ "a=b\n", "1: unknown parameter \"a\"" },
		{ "\n\npool_size = 10000\n", "3: parameter pool_size: bad "
		    "value \"10000\": must be between 0 and 1000" },
		{ "log = syslog\nlog = sys\x01log\n", "2: parameter log: bad "
		    "value \"sys?log\": control character" },
		{ "log = syslog\rx\n", "1: parameter log: bad value "
		    "\"syslog?x\": control character" },
		{ "connect_timeout = 5 minutes\n", "1: parameter "
		    "connect_timeout: bad value \"5 minutes\": expected a "
		    "time like 30s, 500ms, 5m, 1h" },
		{ "route = new.test smtp:\npool_size = 3\nroute = x\n",
		    "3: parameter route: bad value \"x\": route \"x\": "
		    "expected \"DOMAIN smtp:NEXTHOP\"" },
		{ "route =\nroute = new.test smtp:\nbogus = 1\n",
		    "3: unknown parameter \"bogus\"" },
	};
	struct relay_result why;
	struct config cfg;
	char want[600], *before;
	const struct route *routes;
	unsigned long long mask[CONFIG_PARAMS_MAX / 64];
	const char *path;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_defaults(&cfg);
		config_set(&cfg, "smarthost", "keep", &why);
		config_set(&cfg, "route", "keep.test smtp:[k.test]:26", &why);
		before = dump_text(&cfg, false);
		memcpy(mask, cfg.set_mask, sizeof(mask));
		routes = cfg.routes.route;
		relay_result_init(&why);
		path = write_file("bad.conf", cases[i].text,
		    strlen(cases[i].text));
		UNIT_ASSERT_INT_EQ(config_load(&cfg, path, true, &why), -1);
		snprintf(want, sizeof(want), "%s:%s", path, cases[i].error);
		UNIT_ASSERT_STR_EQ(why.text, want);
		UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
		/* A failed load changes nothing, routes included. */
		assert_same_config(&cfg, before, mask);
		UNIT_ASSERT_INT_EQ(cfg.routes.route == routes, 1);
		free(before);
		config_fini(&cfg);
	}
}

/* test_config_long_lines - CONFIG_LINE_MAX for lines and joined lines */
static void
test_config_long_lines(void)
{
	static char text[3 * CONFIG_LINE_MAX];
	struct relay_result why;
	struct config cfg;
	char want[600];
	const char *path;
	size_t n;

	config_defaults(&cfg);
	relay_result_init(&why);
	/* Exactly CONFIG_LINE_MAX bytes: read; the value is then too long. */
	n = (size_t)snprintf(text, sizeof(text), "# x\nsmarthost = ");
	memset(text + n, 'a', CONFIG_LINE_MAX - 12);
	n += CONFIG_LINE_MAX - 12;
	text[n++] = '\n';
	path = write_file("long.conf", text, n);
	UNIT_ASSERT_INT_EQ(config_load(&cfg, path, true, &why), -1);
	UNIT_ASSERT_INT_EQ(strstr(why.text, ":2: parameter smarthost: bad "
	    "value \"aaa") != NULL, 1);
	/* One more byte: the line itself is refused. */
	n = (size_t)snprintf(text, sizeof(text), "# x\nsmarthost = ");
	memset(text + n, 'a', CONFIG_LINE_MAX - 11);
	n += CONFIG_LINE_MAX - 11;
	text[n++] = '\n';
	path = write_file("long.conf", text, n);
	UNIT_ASSERT_INT_EQ(config_load(&cfg, path, true, &why), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than %d bytes", path,
	    CONFIG_LINE_MAX);
	UNIT_ASSERT_STR_EQ(why.text, want);
	/* Continuation lines that join to more than the limit. */
	n = (size_t)snprintf(text, sizeof(text), "dns_servers = x\n");
	memset(text + n, ' ', 1);
	memset(text + n + 1, 'b', CONFIG_LINE_MAX - 100);
	n += CONFIG_LINE_MAX - 99;
	text[n++] = '\n';
	memset(text + n, ' ', 1);
	memset(text + n + 1, 'c', 200);
	n += 201;
	text[n++] = '\n';
	path = write_file("long.conf", text, n);
	UNIT_ASSERT_INT_EQ(config_load(&cfg, path, true, &why), -1);
	snprintf(want, sizeof(want), "%s:1: parameter longer than %d bytes",
	    path, CONFIG_LINE_MAX);
	UNIT_ASSERT_STR_EQ(why.text, want);
	config_fini(&cfg);
}

/* test_config_nul_byte - a NUL in the file is an error, not an end */
static void
test_config_nul_byte(void)
{
	static const char text[] = "pool_size = 1\nlog = /x\0y\n";
	struct relay_result why;
	struct config cfg;
	char want[400];
	const char *path;

	config_defaults(&cfg);
	relay_result_init(&why);
	path = write_file("nul.conf", text, sizeof(text) - 1);
	UNIT_ASSERT_INT_EQ(config_load(&cfg, path, true, &why), -1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	UNIT_ASSERT_STR_EQ(why.text, want);
	config_fini(&cfg);
}

/* test_config_missing_file - optional unless must_exist */
static void
test_config_missing_file(void)
{
	struct relay_result why;
	struct config cfg;
	char path[300], want[400];

	config_defaults(&cfg);
	relay_result_init(&why);
	snprintf(path, sizeof(path), "%s/none.conf", tmpdir);
	UNIT_ASSERT_INT_EQ(config_load(&cfg, path, false, &why), 0);
	UNIT_ASSERT_INT_EQ(mask_is_zero(&cfg), 1);
	UNIT_ASSERT_INT_EQ(config_load(&cfg, path, true, &why), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	UNIT_ASSERT_STR_EQ(why.text, want);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	/* A directory is not a configuration file, even if optional. */
	UNIT_ASSERT_INT_EQ(config_load(&cfg, tmpdir, false, &why), -1);
	snprintf(want, sizeof(want), "%s: is a directory", tmpdir);
	UNIT_ASSERT_STR_EQ(why.text, want);
	/* An empty file is fine. */
	UNIT_ASSERT_INT_EQ(config_load(&cfg, write_file("empty.conf", "", 0),
	    true, &why), 0);
	/* A file we may not read is an error (not as root: skip). */
	if (geteuid() != 0) {
		const char *p = write_file("secret.conf", "pool_size=1\n", 12);

		chmod(p, 0);
		UNIT_ASSERT_INT_EQ(config_load(&cfg, p, false, &why), -1);
		UNIT_ASSERT_INT_EQ(strstr(why.text, "Permission denied") !=
		    NULL, 1);
	}
	config_fini(&cfg);
}

/* test_config_read_stream - config_read() names the stream */
static void
test_config_read_stream(void)
{
	static char text[] = "pool_size = 2\nbogus = 1\n";
	struct relay_result why;
	struct config cfg;
	FILE *fp;

	config_defaults(&cfg);
	relay_result_init(&why);
	fp = fmemopen(text, strlen(text), "r");
	UNIT_ASSERT_INT_EQ(config_read(&cfg, fp, "<stdin>", &why), -1);
	fclose(fp);
	UNIT_ASSERT_STR_EQ(why.text, "<stdin>:2: unknown parameter \"bogus\"");
	UNIT_ASSERT_INT_EQ(cfg.pool_size, 0);
	/* A stream that cannot be read (a directory): an error, no change. */
	if ((fp = fopen("/", "r")) != NULL) {
		UNIT_ASSERT_INT_EQ(config_read(&cfg, fp, "/", &why), -1);
		fclose(fp);
		UNIT_ASSERT_STR_EQ(why.text, "/: read error: Is a directory");
		UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	}
	config_fini(&cfg);
}

/* test_config_set_option - "-o key=value" */
static void
test_config_set_option(void)
{
	struct relay_result why;
	struct config cfg;

	config_defaults(&cfg);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "smarthost=[::1]:25", &why),
	    0);
	UNIT_ASSERT_STR_EQ(cfg.smarthost, "[::1]:25");
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, " pool_size = 7 ", &why),
	    0);
	UNIT_ASSERT_INT_EQ(cfg.pool_size, 7);
	/* Only the first '=' splits. */
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "log=/tmp/a=b", &why), 0);
	UNIT_ASSERT_STR_EQ(cfg.log, "/tmp/a=b");
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "ehlo_name=", &why), 0);
	UNIT_ASSERT_STR_EQ(cfg.ehlo_name, "");
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "pool_size", &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "-o \"pool_size\": missing '=' "
	    "(expected -o parameter=value)");
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "=1", &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "-o \"=1\": missing parameter name "
	    "before '='");
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "pool_size=x", &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "-o: parameter pool_size: bad value "
	    "\"x\": expected a number between 0 and 1000");
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "nope=1", &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "-o: unknown parameter \"nope\"");
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(cfg.pool_size, 7);
	config_fini(&cfg);
}

/* test_config_dump_all - every key, in table order, with defaults */
static void
test_config_dump_all(void)
{
	static const char want[] =
	    "smarthost =\n"
	    "ehlo_name =\n"
	    "source_address =\n"
	    "address_preference = any\n"
	    "connect_timeout = 30s\n"
	    "greeting_timeout = 300s\n"
	    "ehlo_timeout = 300s\n"
	    "helo_timeout = 300s\n"
	    "starttls_timeout = 300s\n"
	    "auth_timeout = 300s\n"
	    "mail_timeout = 300s\n"
	    "rcpt_timeout = 300s\n"
	    "data_timeout = 120s\n"
	    "xfer_timeout = 180s\n"
	    "dot_timeout = 600s\n"
	    "rset_timeout = 20s\n"
	    "quit_timeout = 300s\n"
	    "deadline = 900s\n"
	    "mx_address_limit = 5\n"
	    "mx_session_limit = 2\n"
	    "pool_size = 0\n"
	    "pool_wait = 60s\n"
	    "connection_idle_timeout = 2s\n"
	    "connection_reuse_time_limit = 300s\n"
	    "connection_reuse_count_limit = 0\n"
	    "connection_keeper = yes\n"
	    "keeper_idle = 60s\n"
	    "keeper_max_sessions = 100\n"
	    "lmtp_idle_timeout = 300s\n"
	    "lmtp_max_age = 3600s\n"
	    "state_directory = " LOCALSTATEDIR "/lib/slimrelay\n"
	    "dns_servers =\n"
	    "dns_timeout = 5s\n"
	    "dns_retries = 2\n"
	    "host_lookup = dns\n"
	    "dnssec_trust_resolver = loopback\n"
	    "dnssec_probe = ns:.\n"
	    "tls_level = may\n"
	    "smarthost_tls_level = may\n"
	    "smarthost_tls_wrappermode = no\n"
	    "tls_ca_file =\n"
	    "tls_ca_path = /etc/ssl/certs\n"
	    "tls_fingerprints =\n"
	    "tls_session_cache = yes\n"
	    "auth_secrets_file =\n"
	    "auth_mechanism =\n"
	    "auth_allow_plaintext = no\n"
	    "auth_soft_bounce = yes\n"
	    "maildrop_path = /usr/bin/maildrop\n"
	    "maildrop_args = -f ${sender} -d ${user}\n"
	    "maildrop_timeout = 10s\n"
	    "dovecot_lda_path = /usr/lib/dovecot/dovecot-lda\n"
	    "dovecot_lda_args = -f ${sender} -d ${recipient}\n"
	    "pipe_command =\n"
	    "pipe_timeout = 60s\n"
	    "routing_key_file =\n"
	    "routing_header_max_age = 604800s\n"
	    "milter_socket = unix:" RUNSTATEDIR
	    "/slimrelay-milter/milter.sock\n"
	    "milter_on_error = tempfail\n"
	    "milter_user =\n"
	    "skip_from_line = no\n"
	    "log = syslog\n"
	    "syslog_name = slimrelay\n"
	    "syslog_facility = mail\n";
	struct config cfg;
	char *got;

	config_defaults(&cfg);
	got = dump_text(&cfg, false);
	UNIT_ASSERT_STR_EQ(got, want);
	free(got);
	got = dump_text(&cfg, true);
	UNIT_ASSERT_STR_EQ(got, "");
	free(got);
	config_fini(&cfg);
}

/* test_config_dump_set - only what the file and -o set, in table order */
static void
test_config_dump_set(void)
{
	struct relay_result why;
	struct config cfg, back;
	char *got, *again;
	FILE *fp;

	config_defaults(&cfg);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(load_text(&cfg, "skip_from_line = true\n"
	    "dot_timeout = 1500ms\nhost_lookup = native,dns\n"
	    "pool_size = 0\n", &why), 0);
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "syslog_facility=local3",
	    &why), 0);
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "deadline=2m", &why), 0);
	got = dump_text(&cfg, true);
	UNIT_ASSERT_STR_EQ(got,
	    "dot_timeout = 1500ms\n"
	    "deadline = 120s\n"
	    "pool_size = 0\n"
	    "host_lookup = dns, native\n"
	    "skip_from_line = yes\n"
	    "syslog_facility = local3\n");

	/* What the dump prints reads back to the same configuration. */
	free(got);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "dns_servers", "[::1]:53, ::2",
	    &why), 0);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "log", "/tmp/a b#c", &why), 0);
	got = dump_text(&cfg, false);
	config_defaults(&back);
	fp = fmemopen(got, strlen(got), "r");
	UNIT_ASSERT_INT_EQ(config_read(&back, fp, "dump", &why), 0);
	fclose(fp);
	again = dump_text(&back, false);
	UNIT_ASSERT_STR_EQ(again, got);
	UNIT_ASSERT_STR_EQ(back.log, "/tmp/a b#c");
	UNIT_ASSERT_INT_EQ(back.timeout_ms[SMTP_STAGE_DOT], 1500);
	UNIT_ASSERT_INT_EQ(back.host_lookup_native, true);
	free(again);
	free(got);
	config_fini(&back);
	config_fini(&cfg);
}

/* test_config_later_wins - a key set twice keeps the last value */
static void
test_config_later_wins(void)
{
	struct relay_result why;
	struct config cfg;

	config_defaults(&cfg);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(load_text(&cfg, "pool_size = 1\npool_size = 9\n",
	    &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.pool_size, 9);
	/* -o after the file overrides it. */
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "pool_size=2", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.pool_size, 2);
	config_fini(&cfg);
}

/*
 * test_config_example - slimrelay.conf.example lists every parameter
 * with its default: with every "#key = value" line uncommented it loads
 * and gives the defaults (state_directory depends on the build).
 */
static void
test_config_example(void)
{
	const char *top = getenv("top_srcdir");
	char path[1024], line[CONFIG_LINE_MAX + 2], *got, *want;
	struct relay_result why;
	struct config cfg;
	size_t nkeys = 0, nlines = 0;
	FILE *in, *out;
	char *text = NULL;
	size_t text_len = 0;

	/* make check sets top_srcdir; else find it from this file's path. */
	if (top != NULL)
		snprintf(path, sizeof(path), "%s/slimrelay.conf.example", top);
	else
		snprintf(path, sizeof(path), "%.*s/../../%s",
		    (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__,
		    "slimrelay.conf.example");
	if ((in = fopen(path, "r")) == NULL) {
		unit_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
		return;
	}
	out = open_memstream(&text, &text_len);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' &&
		    strstr(line, " =") != NULL) {
			fputs(line + 1, out);
			nkeys++;
		} else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
	config_defaults(&cfg);
	relay_result_init(&why);
	in = fmemopen(text, text_len, "r");
	UNIT_ASSERT_INT_EQ(config_read(&cfg, in, path, &why), 0);
	UNIT_ASSERT_STR_EQ(why.text, "");
	fclose(in);
	free(text);
	UNIT_ASSERT_STR_EQ(cfg.state_directory, "/var/lib/slimrelay");
	config_set(&cfg, "state_directory", LOCALSTATEDIR "/lib/slimrelay",
	    &why);
	/* Every parameter once, each with its default. */
	got = dump_text(&cfg, true);
	for (size_t i = 0; got[i] != '\0'; i++)
		nlines += got[i] == '\n';
	UNIT_ASSERT_INT_EQ(nkeys, nlines);
	free(got);
	got = dump_text(&cfg, false);
	config_fini(&cfg);
	config_defaults(&cfg);
	want = dump_text(&cfg, false);
	UNIT_ASSERT_STR_EQ(got, want);
	free(got);
	free(want);
	config_fini(&cfg);
}

/* route_lines - "route = rI.test smtp:[hI.test]:(2000+I)" for I < n */
static char *
route_lines(size_t n, const char *tail)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		exit(99);
	for (i = 0; i < n; i++)
		fprintf(fp, "route = r%zu.test smtp:[h%zu.test]:%zu\n", i, i,
		    2000 + i % 60000);
	fputs(tail, fp);
	fclose(fp);
	return buf;
}

/* check_routes - routes[k] is line first + k of route_lines() */
static void
check_routes(const struct config *cfg, size_t first, size_t n)
{
	char want[100];
	size_t k;

	for (k = 0; k < n; k++) {
		snprintf(want, sizeof(want), "r%zu.test smtp:[h%zu.test]:%zu",
		    first + k, first + k, 2000 + (first + k) % 60000);
		if (k >= cfg->routes.count ||
		    strcmp(cfg->routes.route[k].text, want) != 0) {
			unit_fail(__FILE__, __LINE__, "route %zu: got \"%s\", "
			    "want \"%s\"", k, k < cfg->routes.count ?
			    cfg->routes.route[k].text : "(none)", want);
			return;
		}
	}
	CU_PASS("routes in order");
}

/* test_config_many_routes - 200 route lines, in order, dumped back */
static void
test_config_many_routes(void)
{
	static const char head[] = "pool_size = 4\n"
	    "route = r0.test smtp:[h0.test]:2000\n"
	    "route = r1.test smtp:[h1.test]:2001\n";
	static const char tail[] = "route = r199.test smtp:[h199.test]:2199\n"
	    "route = z.test smtp:\n";
	struct relay_result why;
	struct config cfg, back;
	char *text, *dump, *again;
	FILE *fp;

	config_defaults(&cfg);
	relay_result_init(&why);
	text = route_lines(200, "pool_size = 4\n");
	UNIT_ASSERT_INT_EQ(load_text(&cfg, text, &why), 0);
	UNIT_ASSERT_STR_EQ(why.text, "");
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 200);
	check_routes(&cfg, 0, 200);
	UNIT_ASSERT_INT_EQ(route_table_lookup(&cfg.routes,
	    "r150.test")->nh.port, 2150);
	/* -o adds after the file. */
	UNIT_ASSERT_INT_EQ(config_set_option(&cfg, "route=z.test smtp:",
	    &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 201);
	UNIT_ASSERT_STR_EQ(cfg.routes.route[200].text, "z.test smtp:");
	/* The dump lists them all in order and reads back the same. */
	dump = dump_text(&cfg, true);
	UNIT_ASSERT_INT_EQ(strncmp(dump, head, strlen(head)), 0);
	UNIT_ASSERT_INT_EQ(strlen(dump) >= strlen(tail) &&
	    strcmp(dump + strlen(dump) - strlen(tail), tail) == 0, 1);
	config_defaults(&back);
	fp = fmemopen(dump, strlen(dump), "r");
	UNIT_ASSERT_INT_EQ(config_read(&back, fp, "dump", &why), 0);
	fclose(fp);
	again = dump_text(&back, true);
	UNIT_ASSERT_STR_EQ(again, dump);
	check_routes(&back, 0, 200);
	free(again);
	free(dump);
	free(text);
	config_fini(&back);
	config_fini(&cfg);
}

/* test_config_route_limit - more than ROUTE_TABLE_MAX lines is an error */
static void
test_config_route_limit(void)
{
	struct relay_result why;
	struct config cfg;
	char want[600], *text;
	const char *path;

	config_defaults(&cfg);
	relay_result_init(&why);
	text = route_lines(ROUTE_TABLE_MAX, "");
	UNIT_ASSERT_INT_EQ(load_text(&cfg, text, &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, ROUTE_TABLE_MAX);
	free(text);
	config_fini(&cfg);

	config_defaults(&cfg);
	text = route_lines(ROUTE_TABLE_MAX + 1, "");
	path = write_file("slimrelay.conf", text, strlen(text));
	UNIT_ASSERT_INT_EQ(config_load(&cfg, path, true, &why), -1);
	snprintf(want, sizeof(want), "%s:%d: parameter route: bad value "
	    "\"r%d.test smtp:[h%d.test]:%d\": too many route lines (limit %d)",
	    path, ROUTE_TABLE_MAX + 1, ROUTE_TABLE_MAX, ROUTE_TABLE_MAX,
	    2000 + ROUTE_TABLE_MAX, ROUTE_TABLE_MAX);
	UNIT_ASSERT_STR_EQ(why.text, want);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.route == NULL, 1);
	free(text);
	config_fini(&cfg);
}

/* test_config_read_keeps_routes - all or nothing, the routes included */
static void
test_config_read_keeps_routes(void)
{
	static char bad[] = "route = new.test smtp:\nroute =\n"
	    "route = other.test smtp:\nnope = 1\n";
	static char good[] = "route = new.test smtp:\n";
	struct relay_result why;
	struct config cfg;
	char *text, *before;
	const struct route *old;
	FILE *fp;

	config_defaults(&cfg);
	relay_result_init(&why);
	text = route_lines(100, "");
	UNIT_ASSERT_INT_EQ(load_text(&cfg, text, &why), 0);
	free(text);
	before = dump_text(&cfg, false);
	old = cfg.routes.route;

	/* Rules added, all dropped, more added, then an error: no change. */
	fp = fmemopen(bad, strlen(bad), "r");
	UNIT_ASSERT_INT_EQ(config_read(&cfg, fp, "bad", &why), -1);
	fclose(fp);
	UNIT_ASSERT_STR_EQ(why.text, "bad:4: unknown parameter \"nope\"");
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 100);
	UNIT_ASSERT_INT_EQ(cfg.routes.route == old, 1);
	check_routes(&cfg, 0, 100);
	{
		unsigned long long m[CONFIG_PARAMS_MAX / 64];

		memcpy(m, cfg.set_mask, sizeof(m));
		assert_same_config(&cfg, before, m);
	}
	free(before);

	/* Success: the new table replaces the old one (freed: ASan). */
	fp = fmemopen(good, strlen(good), "r");
	UNIT_ASSERT_INT_EQ(config_read(&cfg, fp, "good", &why), 0);
	fclose(fp);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 101);
	check_routes(&cfg, 0, 100);
	UNIT_ASSERT_STR_EQ(cfg.routes.route[100].text, "new.test smtp:");

	/* config_fini() frees and empties; the struct can be used again. */
	config_fini(&cfg);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.route == NULL, 1);
	config_fini(&cfg);
	config_defaults(&cfg);
	UNIT_ASSERT_INT_EQ(config_set(&cfg, "route", "a.test smtp:", &why), 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 1);
	config_fini(&cfg);
}

/* setup - a private directory for the test files */
static int
setup(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

/* cleanup - remove the test files */
static void
cleanup(void)
{
	static const char *const names[] = { "slimrelay.conf", "bad.conf",
	    "long.conf", "nul.conf", "empty.conf", "secret.conf" };
	char path[300];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

static CU_TestInfo tests[] = {
	{ "test_config_defaults", test_config_defaults },
	{ "test_config_parse_time", test_config_parse_time },
	{ "test_config_set_types", test_config_set_types },
	{ "test_config_set_values", test_config_set_values },
	{ "test_config_string_bounds", test_config_string_bounds },
	{ "test_config_file_syntax", test_config_file_syntax },
	{ "test_config_file_errors", test_config_file_errors },
	{ "test_config_long_lines", test_config_long_lines },
	{ "test_config_nul_byte", test_config_nul_byte },
	{ "test_config_missing_file", test_config_missing_file },
	{ "test_config_read_stream", test_config_read_stream },
	{ "test_config_set_option", test_config_set_option },
	{ "test_config_dump_all", test_config_dump_all },
	{ "test_config_dump_set", test_config_dump_set },
	{ "test_config_later_wins", test_config_later_wins },
	{ "test_config_example", test_config_example },
	{ "test_config_many_routes", test_config_many_routes },
	{ "test_config_route_limit", test_config_route_limit },
	{ "test_config_read_keeps_routes", test_config_read_keeps_routes },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	int ret;

	if (setup() < 0)
		return 99;
	ret = unit_run("config", tests);
	cleanup();
	return ret;
}
