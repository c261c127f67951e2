/*
 * test_log - delivery records in Postfix's field order and spelling,
 * delay formatting, one printable line per event in a log file, debug
 * lines only when verbose, and a clear error for a bad destination.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

static char tmpdir[] = "/tmp/test_log.XXXXXX";

/*
 * test_log_delay_format - Postfix's format_tv() with two significant
 * digits and at most two decimals, rounded, zeros dropped
 */
static void
test_log_delay_format(void)
{
	static const struct {
		double	s;
		const char *want;
	} cases[] = {
		{ 0, "0" }, { -1, "0" }, { 0.004, "0" }, { 0.0051, "0.01" },
		{ 0.05, "0.05" }, { 0.1, "0.1" }, { 0.123, "0.12" },
		{ 0.994, "0.99" }, { 0.996, "1" }, { 1, "1" },
		{ 1.04, "1" }, { 1.05, "1.1" }, { 1.234, "1.2" },
		{ 1.5, "1.5" }, { 9.94, "9.9" }, { 9.96, "10" },
		{ 12.34, "12" }, { 12.96, "13" }, { 99.4, "99" },
		{ 99.6, "100" }, { 150.2, "150" }, { 4361.5, "4362" },
		{ 1e13, "1000000000000" },
	};
	struct relay_result r;
	char buf[1024], want[64];
	const char *p;
	size_t i;

	relay_result_init(&r);
	relay_result_set(&r, "2.0.0", "250 ok");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		log_format_delivery(buf, sizeof(buf), "Q", "bob@example.com",
		    &r, 1, cases[i].s, NULL);
		snprintf(want, sizeof(want), "delay=%s,", cases[i].want);
		p = strstr(buf, "delay=");
		UNIT_ASSERT_STR_EQ(p != NULL ? strtok((char *)p, " ") : "",
		    want);
	}
}

/* read_file - the whole (small) file into buf */
static const char *
read_file(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp != NULL) {
		n = fread(buf, 1, len - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

static void
test_log_delivery_record_fields(void)
{
	static const struct {
		const char *status, *relay, *text, *queue_id;
		int	conn_use;
		double	delay, before, wait, conn, xfer;
		const char *want;
	} cases[] = {
		{ "2.0.0", "mx.example.com[192.0.2.1]:25",
		    "250 2.0.0 Ok: queued as X", "3F1A2B", 1, 1.23, 0.002, 0,
		    0.31, 0.9,
		    "3F1A2B: to=<bob@example.com>, "
		    "relay=mx.example.com[192.0.2.1]:25, delay=1.2, "
		    "delays=0/0/0.31/0.9, dsn=2.0.0, status=sent "
		    "(250 2.0.0 Ok: queued as X)" },
		{ "4.4.1", "none", "connect to h[192.0.2.1]:25: "
		    "Connection refused", NULL, 0, 0.001, 0, 0, 0.0004, 0,
		    "NOQUEUE: to=<bob@example.com>, relay=none, delay=0, "
		    "delays=0/0/0/0, dsn=4.4.1, status=deferred (connect to "
		    "h[192.0.2.1]:25: Connection refused)" },
		{ "5.1.1", "h[192.0.2.1]:25", "host h[192.0.2.1] said: 550 "
		    "5.1.1 unknown (in reply to RCPT TO command)", "Q", 3,
		    163.4, 0.05, 12.34, 1.5, 150.2,
		    "Q: to=<bob@example.com>, relay=h[192.0.2.1]:25, "
		    "conn_use=3, delay=163, delays=0.05/12/1.5/150, "
		    "dsn=5.1.1, status=bounced (host h[192.0.2.1] said: 550 "
		    "5.1.1 unknown (in reply to RCPT TO command))" },
	};
	struct relay_result r;
	struct log_delays d;
	char buf[2048];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		relay_result_init(&r);
		relay_result_set(&r, cases[i].status, "%s", cases[i].text);
		relay_result_set_relay(&r, cases[i].relay);
		d.before_s = cases[i].before;
		d.wait_s = cases[i].wait;
		d.conn_s = cases[i].conn;
		d.xfer_s = cases[i].xfer;
		log_format_delivery(buf, sizeof(buf), cases[i].queue_id,
		    "bob@example.com", &r, cases[i].conn_use, cases[i].delay,
		    &d);
		UNIT_ASSERT_STR_EQ(buf, cases[i].want);
	}
	/* Refused before any delivery: the whole delay is Postfix's a. */
	relay_result_init(&r);
	relay_result_set(&r, "5.1.3", "bad address syntax");
	relay_result_set_relay(&r, "none");
	log_format_delivery(buf, sizeof(buf), "Q", "x", &r, 0, 0.42, NULL);
	UNIT_ASSERT_STR_EQ(buf, "Q: to=<x>, relay=none, delay=0.42, "
	    "delays=0.42/0/0/0, dsn=5.1.3, status=bounced (bad address "
	    "syntax)");
}

/* test_log_host - the first label of the host name, as Postfix logs it */
static void
test_log_host(void)
{
	static const struct {
		const char *name, *want;
	} cases[] = {
		{ "mail.example.com", " mail slimrelay[" },
		{ "relay", " relay slimrelay[" },
		{ "", " relay slimrelay[" },		/* kept */
		{ "[192.0.2.1]", " relay slimrelay[" },	/* kept */
		{ NULL, " relay slimrelay[" },
	};
	char path[256], buf[4096];
	size_t i;

	snprintf(path, sizeof(path), "%s/host.log", tmpdir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(log_open(path, "slimrelay", LOG_MAIL,
		    false, NULL), 0);
		if (i >= 2)
			log_set_host("relay.example.net");
		log_set_host(cases[i].name);
		log_info("line %zu", i);
		log_close();
		read_file(path, buf, sizeof(buf));
		unlink(path);
		if (strstr(buf, cases[i].want) == NULL)
			unit_fail(__FILE__, __LINE__, "got \"%s\", want \"%s\"",
			    buf, cases[i].want);
	}
}

static void
test_log_file_lines(void)
{
	char path[256], buf[4096];
	const char *got;

	snprintf(path, sizeof(path), "%s/file.log", tmpdir);
	CU_ASSERT_EQUAL_FATAL(log_open(path, "slimrelay", LOG_MAIL, false,
	    NULL), 0);
	log_info("first %s", "line\r\nwith CRLF");
	log_debug("hidden when not verbose");
	log_warn("second");
	log_close();
	got = read_file(path, buf, sizeof(buf));
	/* "Nov 24 23:59:01 host slimrelay[pid]: first line  with CRLF" */
	CU_ASSERT_PTR_NOT_NULL(strstr(got, " slimrelay["));
	/* The local time stamp: "Mmm dd hh:mm:ss ", the day zero-padded
	 * as Postfix's maillog_file writes it. */
	UNIT_ASSERT_INT_EQ(strlen(got) > 16 && got[3] == ' ' &&
	    got[4] >= '0' && got[4] <= '3' &&
	    got[5] >= '0' && got[5] <= '9' && got[6] == ' ' &&
	    got[9] == ':' && got[12] == ':' && got[15] == ' ', 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "]: first line  with CRLF\n"));
	CU_ASSERT_PTR_NULL(strstr(got, "hidden"));
	/* Postfix's severity label. */
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "]: warning: second\n"));
	UNIT_ASSERT_INT_EQ(strchr(got, '\n') != NULL &&
	    strchr(strchr(got, '\n') + 1, '\n') != NULL &&
	    strchr(strchr(strchr(got, '\n') + 1, '\n') + 1, '\n') == NULL, 1);
	unlink(path);
}

/* test_log_line_printable - control bytes and bad UTF-8 never raw */
static void
test_log_line_printable(void)
{
	char path[256], buf[4096];
	const char *got;

	snprintf(path, sizeof(path), "%s/printable.log", tmpdir);
	CU_ASSERT_EQUAL_FATAL(log_open(path, "slimrelay", LOG_MAIL, false,
	    NULL), 0);
	log_info("peer said %s", "\x01\x1b[2J\x80\xff j\xc3\xb6rg "
	    "\xc2\x9b\xe2\x80\xae\tend\r\n");
	log_close();
	got = strstr(read_file(path, buf, sizeof(buf)), "]: ");
	UNIT_ASSERT_STR_EQ(got, "]: peer said ??[2J?? j\xc3\xb6rg ?? end  \n");
	unlink(path);
}

static void
test_log_verbose_debug(void)
{
	char path[256], buf[4096];

	snprintf(path, sizeof(path), "%s/verbose.log", tmpdir);
	CU_ASSERT_EQUAL_FATAL(log_open(path, "slimrelay", LOG_MAIL, true,
	    NULL), 0);
	CU_ASSERT(log_verbose());
	log_debug("smtp_client: > %s", "EHLO client.test");
	log_close();
	CU_ASSERT_PTR_NOT_NULL(strstr(read_file(path, buf, sizeof(buf)),
	    "]: smtp_client: > EHLO client.test\n"));
	unlink(path);
}

static void
test_log_bad_destination(void)
{
	struct relay_result why;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(log_open("relative/path", "x", LOG_MAIL, false,
	    &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(log_open("/nonexistent-dir/x.log", "x", LOG_MAIL,
	    false, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.text, "/nonexistent-dir/x.log"));
}

static void
test_log_long_line_is_cut(void)
{
	char path[256], buf[8192], big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/long.log", tmpdir);
	CU_ASSERT_EQUAL_FATAL(log_open(path, "slimrelay", LOG_MAIL, false,
	    NULL), 0);
	log_info("%s", big);
	log_close();
	read_file(path, buf, sizeof(buf));
	CU_ASSERT(strlen(buf) < 2048 + 320);
	CU_ASSERT(buf[strlen(buf) - 1] == '\n');
	unlink(path);
}

static CU_TestInfo tests[] = {
	{ "test_log_delivery_record_fields", test_log_delivery_record_fields },
	{ "test_log_delay_format", test_log_delay_format },
	{ "test_log_file_lines", test_log_file_lines },
	{ "test_log_line_printable", test_log_line_printable },
	{ "test_log_host", test_log_host },
	{ "test_log_verbose_debug", test_log_verbose_debug },
	{ "test_log_bad_destination", test_log_bad_destination },
	{ "test_log_long_line_is_cut", test_log_long_line_is_cut },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	int ret;

	if (mkdtemp(tmpdir) == NULL)
		return 99;
	ret = unit_run("log", tests);
	rmdir(tmpdir);
	return ret;
}
