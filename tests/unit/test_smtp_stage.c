/*
 * NAME
 *	test_smtp_stage - unit tests for lib/smtp_stage.c
 * DESCRIPTION
 *	The stage table: names, Postfix's phrases, configuration keys and
 *	Postfix's default timeouts; every stage complete, keys unique, and
 *	out-of-range stages never crash.
 */
#include "autoconfig.h"

#include <string.h>

#include "smtp_stage.h"
#include "unit.h"

static const struct {
	enum smtp_stage stage;
	const char *name;
	const char *while_doing;
	const char *request;
	const char *key;
	long	ms;
} want[] = {
	{ SMTP_STAGE_CONNECT, "CONNECT", "connecting", NULL,
	    "connect_timeout", 30000 },
	{ SMTP_STAGE_GREETING, "GREETING",
	    "receiving the initial server greeting", NULL,
	    "greeting_timeout", 300000 },
	{ SMTP_STAGE_EHLO, "EHLO", "performing the EHLO handshake",
	    "EHLO command", "ehlo_timeout", 300000 },
	{ SMTP_STAGE_HELO, "HELO", "performing the HELO handshake",
	    "HELO command", "helo_timeout", 300000 },
	{ SMTP_STAGE_STARTTLS, "STARTTLS", "performing the TLS handshake",
	    "STARTTLS command", "starttls_timeout", 300000 },
	{ SMTP_STAGE_AUTH, "AUTH", "performing the AUTH handshake",
	    "AUTH command", "auth_timeout", 300000 },
	{ SMTP_STAGE_MAIL, "MAIL", "sending MAIL FROM", "MAIL FROM command",
	    "mail_timeout", 300000 },
	{ SMTP_STAGE_RCPT, "RCPT", "sending RCPT TO", "RCPT TO command",
	    "rcpt_timeout", 300000 },
	{ SMTP_STAGE_DATA, "DATA", "sending DATA command", "DATA command",
	    "data_timeout", 120000 },
	{ SMTP_STAGE_XFER, "XFER", "sending message body", NULL,
	    "xfer_timeout", 180000 },
	{ SMTP_STAGE_DOT, "DOT",
	    "sending end of data -- message may be sent more than once",
	    "end of DATA command", "dot_timeout", 600000 },
	{ SMTP_STAGE_RSET, "RSET", "sending RSET", "RSET command",
	    "rset_timeout", 20000 },
	{ SMTP_STAGE_QUIT, "QUIT", "sending QUIT", "QUIT command",
	    "quit_timeout", 300000 },
};

/* test_smtp_stage_table - every stage, every column */
static void
test_smtp_stage_table(void)
{
	size_t i;

	UNIT_ASSERT_INT_EQ(sizeof(want) / sizeof(want[0]), SMTP_STAGE_COUNT);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum smtp_stage s = want[i].stage;

		UNIT_ASSERT_STR_EQ(smtp_stage_name(s), want[i].name);
		UNIT_ASSERT_STR_EQ(smtp_stage_while(s), want[i].while_doing);
		UNIT_ASSERT_STR_EQ(smtp_stage_request(s), want[i].request);
		UNIT_ASSERT_STR_EQ(smtp_stage_config_key(s), want[i].key);
		UNIT_ASSERT_INT_EQ(smtp_stage_default_timeout_ms(s),
		    want[i].ms);
	}
}

/* test_smtp_stage_keys_unique - one parameter per stage */
static void
test_smtp_stage_keys_unique(void)
{
	int a, b;

	for (a = 0; a < SMTP_STAGE_COUNT; a++) {
		for (b = a + 1; b < SMTP_STAGE_COUNT; b++) {
			if (strcmp(smtp_stage_config_key(a),
			    smtp_stage_config_key(b)) == 0 ||
			    strcmp(smtp_stage_name(a), smtp_stage_name(b)) == 0)
				unit_fail(__FILE__, __LINE__, "stages %d and "
				    "%d share a name or key", a, b);
			else
				CU_PASS("unique");
		}
		/* Every key ends in _timeout; every default is positive. */
		UNIT_ASSERT_STR_EQ(strstr(smtp_stage_config_key(a), "_timeout"),
		    "_timeout");
		UNIT_ASSERT_INT_EQ(smtp_stage_default_timeout_ms(a) > 0, 1);
	}
}

/* test_smtp_stage_out_of_range - a bad stage gives a valid row */
static void
test_smtp_stage_out_of_range(void)
{
	UNIT_ASSERT_STR_EQ(smtp_stage_name(SMTP_STAGE_COUNT), "CONNECT");
	UNIT_ASSERT_STR_EQ(smtp_stage_name((enum smtp_stage)-1), "CONNECT");
	UNIT_ASSERT_STR_EQ(smtp_stage_config_key((enum smtp_stage)999),
	    "connect_timeout");
	UNIT_ASSERT_INT_EQ(smtp_stage_default_timeout_ms(SMTP_STAGE_COUNT),
	    30000);
}

static CU_TestInfo tests[] = {
	{ "test_smtp_stage_table", test_smtp_stage_table },
	{ "test_smtp_stage_keys_unique", test_smtp_stage_keys_unique },
	{ "test_smtp_stage_out_of_range", test_smtp_stage_out_of_range },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("smtp_stage", tests);
}
