/*
 * NAME
 *	test_smtp_reply - unit tests for lib/smtp_reply.c
 * DESCRIPTION
 *	Tables of reply lines (separated by '\n' here) with the code,
 *	sanitised status, joined text and kept line texts they must give,
 *	and the lines that must be refused.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "smtp_reply.h"
#include "unit.h"

/* feed - add the '\n'-separated lines of input; the last add's result */
static enum smtp_reply_add
feed(struct smtp_reply *r, const char *input)
{
	enum smtp_reply_add rc = SMTP_REPLY_BAD;
	const char *p = input, *nl;
	size_t len;

	smtp_reply_init(r);
	for (;;) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		rc = smtp_reply_add_line(r, p, len);
		if (rc != SMTP_REPLY_MORE || nl == NULL)
			return rc;
		p = nl + 1;
	}
}

static const struct reply_case {
	const char *input;
	int	code;
	const char *status;
	bool	has_status;
	const char *text;
	size_t	nlines;
} good_cases[] = {
	{ "250 ok", 250, "2.0.0", false, "250 ok", 1 },
	{ "550 5.1.1 <bob@example.com> unknown", 550, "5.1.1", true,
	    "550 5.1.1 <bob@example.com> unknown", 1 },
	{ "550-5.1.1 first\n550 5.1.1 second", 550, "5.1.1", true,
	    "550 5.1.1 first second", 2 },
	{ "550-5.1.1 first\n550-5.1.1\n550 5.1.1 third", 550, "5.1.1", true,
	    "550 5.1.1 first third", 3 },
	/* A different code on a continuation line is text. */
	{ "550-5.1.1 a\n550 5.7.1 b", 550, "5.1.1", true,
	    "550 5.1.1 a 5.7.1 b", 2 },
	/* No code on the first line: later codes are text. */
	{ "250-hello\n250 2.0.0 ok", 250, "2.0.0", false,
	    "250 hello 2.0.0 ok", 2 },
	{ "250-mx.example.com\n250-PIPELINING\n250 SIZE 1000", 250, "2.0.0",
	    false, "250 mx.example.com PIPELINING SIZE 1000", 3 },
	{ "250", 250, "2.0.0", false, "250", 1 },
	{ "250-\n250 ok", 250, "2.0.0", false, "250 ok", 2 },
	{ "250 ", 250, "2.0.0", false, "250", 1 },
	/* Class of the enhanced code differs from the reply: sanitised. */
	{ "550 4.1.1 odd", 550, "5.0.0", true, "550 4.1.1 odd", 1 },
	{ "250 5.0.0 odd", 250, "2.0.0", true, "250 5.0.0 odd", 1 },
	{ "421 4.7.0 try later", 421, "4.7.0", true, "421 4.7.0 try later",
	    1 },
	{ "354 End data with <CR><LF>.<CR><LF>", 354, "3.0.0", false,
	    "354 End data with <CR><LF>.<CR><LF>", 1 },
	/* Out of protocol reply codes: protocol error. */
	{ "199 hello", 199, "4.5.0", false, "199 hello", 1 },
	{ "650 6.0.0 x", 650, "4.5.0", true, "650 6.0.0 x", 1 },
	{ "999 9.9.9", 999, "4.5.0", true, "999 9.9.9", 1 },
	/* Enhanced code forms (RFC 3463: 1-3 digits per part). */
	{ "250 2.1.5", 250, "2.1.5", true, "250 2.1.5", 1 },
	{ "250 2.1.5ok", 250, "2.0.0", false, "250 2.1.5ok", 1 },
	{ "250 2.1234.5 x", 250, "2.0.0", false, "250 2.1234.5 x", 1 },
	{ "250 2.1.1234 x", 250, "2.0.0", false, "250 2.1.1234 x", 1 },
	{ "250 2.123.123 x", 250, "2.123.123", true, "250 2.123.123 x", 1 },
	{ "550 5..1 x", 550, "5.0.0", false, "550 5..1 x", 1 },
	{ "550 5.1. x", 550, "5.0.0", false, "550 5.1. x", 1 },
	{ "550  5.1.1 two spaces", 550, "5.0.0", false,
	    "550  5.1.1 two spaces", 1 },
	/* Control characters become spaces. */
	{ "550 bad\tchar\x01x\x7fy", 550, "5.0.0", false,
	    "550 bad char x y", 1 },
	{ "250 caf\xc3\xa9", 250, "2.0.0", false, "250 caf\xc3\xa9", 1 },
};

/* test_smtp_reply_good - valid replies: code, status, text */
static void
test_smtp_reply_good(void)
{
	const struct reply_case *c;
	struct smtp_reply r;
	size_t i;

	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		c = &good_cases[i];
		UNIT_ASSERT_INT_EQ(feed(&r, c->input), SMTP_REPLY_DONE);
		UNIT_ASSERT_INT_EQ(r.code, c->code);
		UNIT_ASSERT_STR_EQ(r.status, c->status);
		UNIT_ASSERT_INT_EQ(r.has_status, c->has_status);
		UNIT_ASSERT_STR_EQ(r.text, c->text);
		UNIT_ASSERT_INT_EQ(r.nlines, c->nlines);
		UNIT_ASSERT_INT_EQ(r.is_complete, true);
	}
}

static const struct bad_case {
	const char *input;
	size_t	nlines;		/* lines taken before the bad one */
} bad_cases[] = {
	{ "", 0 },
	{ "25", 0 },
	{ "25 ok", 0 },
	{ "2500 ok", 0 },
	{ "250ok", 0 },
	{ "abc ok", 0 },
	{ "2x0 ok", 0 },
	{ "050 ok", 0 },
	{ " 250 ok", 0 },
	{ "250\tok", 0 },
	{ "250-ok\n251 ok", 1 },
	{ "250-ok\n550 ok", 1 },
	{ "250-ok\nPIPELINING", 1 },
	{ "250-ok\n", 1 },
};

/* test_smtp_reply_bad - malformed lines are refused */
static void
test_smtp_reply_bad(void)
{
	struct smtp_reply r;
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		UNIT_ASSERT_INT_EQ(feed(&r, bad_cases[i].input),
		    SMTP_REPLY_BAD);
		UNIT_ASSERT_INT_EQ(r.nlines, bad_cases[i].nlines);
		UNIT_ASSERT_INT_EQ(r.code, 0);
		UNIT_ASSERT_INT_EQ(r.is_complete, false);
	}
}

/* test_smtp_reply_more - an unfinished reply says MORE, code stays 0 */
static void
test_smtp_reply_more(void)
{
	struct smtp_reply r;

	smtp_reply_init(&r);
	UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, "250-a", 5),
	    SMTP_REPLY_MORE);
	UNIT_ASSERT_INT_EQ(r.code, 0);
	UNIT_ASSERT_INT_EQ(r.is_complete, false);
	UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, "250 b", 5),
	    SMTP_REPLY_DONE);
	UNIT_ASSERT_INT_EQ(r.code, 250);
	/* A complete reply takes no more lines. */
	UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, "250 c", 5),
	    SMTP_REPLY_BAD);
	UNIT_ASSERT_STR_EQ(r.text, "250 a b");
}

/* test_smtp_reply_lines - line texts kept NUL-separated, in order */
static void
test_smtp_reply_lines(void)
{
	const char *want[] = { "mx.example.com Hello", "PIPELINING",
	    "SIZE 10240000", "", "AUTH PLAIN LOGIN" };
	struct smtp_reply r;
	const char *p;
	size_t i;

	UNIT_ASSERT_INT_EQ(feed(&r, "250-mx.example.com Hello\n"
	    "250-PIPELINING\n250-SIZE 10240000\n250-\n250 AUTH PLAIN LOGIN"),
	    SMTP_REPLY_DONE);
	p = NULL;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		p = smtp_reply_next_line(&r, p);
		UNIT_ASSERT_STR_EQ(p, want[i]);
		if (p == NULL)
			return;
	}
	UNIT_ASSERT_STR_EQ(smtp_reply_next_line(&r, p), NULL);
	/* A pointer from elsewhere ends the walk. */
	UNIT_ASSERT_STR_EQ(smtp_reply_next_line(&r, "x"), NULL);
	smtp_reply_init(&r);
	UNIT_ASSERT_STR_EQ(smtp_reply_next_line(&r, NULL), NULL);
}

/* test_smtp_reply_line_count - 100 lines are fine, 101 are not */
static void
test_smtp_reply_line_count(void)
{
	struct smtp_reply r;
	size_t i;

	smtp_reply_init(&r);
	for (i = 0; i < SMTP_REPLY_LINES_MAX - 1; i++)
		UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, "250-x", 5),
		    SMTP_REPLY_MORE);
	UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, "250 x", 5),
	    SMTP_REPLY_DONE);
	UNIT_ASSERT_INT_EQ(r.nlines, SMTP_REPLY_LINES_MAX);

	smtp_reply_init(&r);
	for (i = 0; i < SMTP_REPLY_LINES_MAX; i++)
		UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, "250-x", 5),
		    SMTP_REPLY_MORE);
	UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, "250 x", 5),
	    SMTP_REPLY_BAD);
}

/* test_smtp_reply_long_line - SMTP_REPLY_LINE_MAX counts the CRLF */
static void
test_smtp_reply_long_line(void)
{
	static char line[SMTP_REPLY_LINE_MAX + 1];
	struct smtp_reply r;

	memset(line, 'a', sizeof(line));
	memcpy(line, "550 ", 4);
	smtp_reply_init(&r);
	UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, line,
	    SMTP_REPLY_LINE_MAX - 2), SMTP_REPLY_DONE);
	UNIT_ASSERT_INT_EQ(strlen(r.text), SMTP_REPLY_LINE_MAX - 2);
	smtp_reply_init(&r);
	UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, line,
	    SMTP_REPLY_LINE_MAX - 1), SMTP_REPLY_BAD);
}

/* test_smtp_reply_text_truncated - long replies stop at the buffer */
static void
test_smtp_reply_text_truncated(void)
{
	static char line[1000];
	struct smtp_reply r;
	const char *p;
	size_t i, n;

	memset(line, 'b', sizeof(line));
	memcpy(line, "250-", 4);
	smtp_reply_init(&r);
	for (i = 0; i < 20; i++) {
		line[3] = i < 19 ? '-' : ' ';
		UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, line, sizeof(line)),
		    i < 19 ? SMTP_REPLY_MORE : SMTP_REPLY_DONE);
	}
	UNIT_ASSERT_INT_EQ(strlen(r.text), SMTP_REPLY_TEXT_MAX - 1);
	UNIT_ASSERT_INT_EQ(r.lines_len <= SMTP_REPLY_TEXT_MAX, true);
	/* Kept lines are whole: 4 of 997 bytes fit in 4096. */
	for (n = 0, p = smtp_reply_next_line(&r, NULL); p != NULL;
	    p = smtp_reply_next_line(&r, p), n++)
		UNIT_ASSERT_INT_EQ(strlen(p), sizeof(line) - 4);
	UNIT_ASSERT_INT_EQ(n, 4);
}

/* test_smtp_reply_nul_byte - a NUL inside a line is a space, not an end */
static void
test_smtp_reply_nul_byte(void)
{
	struct smtp_reply r;

	smtp_reply_init(&r);
	UNIT_ASSERT_INT_EQ(smtp_reply_add_line(&r, "550 a\0b", 7),
	    SMTP_REPLY_DONE);
	UNIT_ASSERT_STR_EQ(r.text, "550 a b");
	UNIT_ASSERT_STR_EQ(smtp_reply_next_line(&r, NULL), "a b");
}

/* test_smtp_reply_reinit - init makes a reply reusable */
static void
test_smtp_reply_reinit(void)
{
	struct smtp_reply r;

	UNIT_ASSERT_INT_EQ(feed(&r, "550 5.1.1 x"), SMTP_REPLY_DONE);
	UNIT_ASSERT_INT_EQ(feed(&r, "250 ok"), SMTP_REPLY_DONE);
	UNIT_ASSERT_STR_EQ(r.status, "2.0.0");
	UNIT_ASSERT_INT_EQ(r.has_status, false);
	UNIT_ASSERT_STR_EQ(r.text, "250 ok");
	UNIT_ASSERT_INT_EQ(r.nlines, 1);
}

static CU_TestInfo tests[] = {
	{ "test_smtp_reply_good", test_smtp_reply_good },
	{ "test_smtp_reply_bad", test_smtp_reply_bad },
	{ "test_smtp_reply_more", test_smtp_reply_more },
	{ "test_smtp_reply_lines", test_smtp_reply_lines },
	{ "test_smtp_reply_line_count", test_smtp_reply_line_count },
	{ "test_smtp_reply_long_line", test_smtp_reply_long_line },
	{ "test_smtp_reply_text_truncated", test_smtp_reply_text_truncated },
	{ "test_smtp_reply_nul_byte", test_smtp_reply_nul_byte },
	{ "test_smtp_reply_reinit", test_smtp_reply_reinit },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("smtp_reply", tests);
}
