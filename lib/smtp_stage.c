/*
 * NAME
 *	smtp_stage - SMTP session stages, their timeouts and their words
 * SYNOPSIS
 *	#include "smtp_stage.h"
 *
 *	const char *smtp_stage_name(enum smtp_stage s);
 *	const char *smtp_stage_while(enum smtp_stage s);
 *	const char *smtp_stage_request(enum smtp_stage s);
 *	const char *smtp_stage_config_key(enum smtp_stage s);
 *	long smtp_stage_default_timeout_ms(enum smtp_stage s);
 * DESCRIPTION
 *	One table holds, per stage, the name used in traces ("RCPT"), the
 *	phrase Postfix's smtp(8) uses after "timed out while" and "lost
 *	connection with ... while" ("sending RCPT TO"), the phrase after
 *	"(in reply to ...)" ("RCPT TO command"; NULL where no command was
 *	sent), the slimrelay.conf parameter that sets the stage's timeout,
 *	and its default, which is Postfix's (smtp_connect_timeout,
 *	smtp_helo_timeout, smtp_mail_timeout, smtp_rcpt_timeout,
 *	smtp_data_init_timeout, smtp_data_xfer_timeout,
 *	smtp_data_done_timeout, smtp_rset_timeout, smtp_quit_timeout,
 *	smtp_starttls_timeout; AUTH, which Postfix bounds by its SASL
 *	exchange, gets 300s too).
 *
 *	The xfer timeout bounds each write of the message content (no
 *	progress for that long), not the whole transfer, like Postfix.
 *	All strings are static.
 * SEE ALSO
 *	Postfix smtp_proto.c (xfer_states, xfer_request), postconf(5).
 */
#include "autoconfig.h"

#include <stddef.h>

#include "smtp_stage.h"

static const struct stage_info {
	const char *name;
	const char *while_doing;
	const char *request;
	const char *config_key;
	long	default_ms;
} stages[SMTP_STAGE_COUNT] = {
	[SMTP_STAGE_CONNECT] = { "CONNECT", "connecting", NULL,
	    "connect_timeout", 30 * 1000L },
	[SMTP_STAGE_GREETING] = { "GREETING",
	    "receiving the initial server greeting", NULL,
	    "greeting_timeout", 300 * 1000L },
	[SMTP_STAGE_EHLO] = { "EHLO", "performing the EHLO handshake",
	    "EHLO command", "ehlo_timeout", 300 * 1000L },
	[SMTP_STAGE_HELO] = { "HELO", "performing the HELO handshake",
	    "HELO command", "helo_timeout", 300 * 1000L },
	[SMTP_STAGE_STARTTLS] = { "STARTTLS",
	    "performing the TLS handshake", "STARTTLS command",
	    "starttls_timeout", 300 * 1000L },
	[SMTP_STAGE_AUTH] = { "AUTH", "performing the AUTH handshake",
	    "AUTH command", "auth_timeout", 300 * 1000L },
	[SMTP_STAGE_MAIL] = { "MAIL", "sending MAIL FROM",
	    "MAIL FROM command", "mail_timeout", 300 * 1000L },
	[SMTP_STAGE_RCPT] = { "RCPT", "sending RCPT TO",
	    "RCPT TO command", "rcpt_timeout", 300 * 1000L },
	[SMTP_STAGE_DATA] = { "DATA", "sending DATA command",
	    "DATA command", "data_timeout", 120 * 1000L },
	[SMTP_STAGE_XFER] = { "XFER", "sending message body", NULL,
	    "xfer_timeout", 180 * 1000L },
	[SMTP_STAGE_DOT] = { "DOT",
	    "sending end of data -- message may be sent more than once",
	    "end of DATA command", "dot_timeout", 600 * 1000L },
	[SMTP_STAGE_RSET] = { "RSET", "sending RSET", "RSET command",
	    "rset_timeout", 20 * 1000L },
	[SMTP_STAGE_QUIT] = { "QUIT", "sending QUIT", "QUIT command",
	    "quit_timeout", 300 * 1000L },
};

/* info - the table row for a stage; stage is always in range */
static const struct stage_info *
info(enum smtp_stage s)
{
	if ((unsigned)s >= SMTP_STAGE_COUNT)
		s = SMTP_STAGE_CONNECT;
	return &stages[s];
}

/* smtp_stage_name - "RCPT" */
const char *
smtp_stage_name(enum smtp_stage s)
{
	return info(s)->name;
}

/* smtp_stage_while - "sending RCPT TO" */
const char *
smtp_stage_while(enum smtp_stage s)
{
	return info(s)->while_doing;
}

/* smtp_stage_request - "RCPT TO command", or NULL */
const char *
smtp_stage_request(enum smtp_stage s)
{
	return info(s)->request;
}

/* smtp_stage_config_key - "rcpt_timeout" */
const char *
smtp_stage_config_key(enum smtp_stage s)
{
	return info(s)->config_key;
}

/* smtp_stage_default_timeout_ms - Postfix's default for the stage */
long
smtp_stage_default_timeout_ms(enum smtp_stage s)
{
	return info(s)->default_ms;
}
