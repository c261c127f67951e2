/*
 * smtp_stage.h - the stages of an SMTP session, each with its own
 * timeout and the words Postfix uses for it. See smtp_stage.c.
 */
#ifndef SLIMRELAY_SMTP_STAGE_H
#define SLIMRELAY_SMTP_STAGE_H

enum smtp_stage {
	SMTP_STAGE_CONNECT,
	SMTP_STAGE_GREETING,
	SMTP_STAGE_EHLO,
	SMTP_STAGE_HELO,
	SMTP_STAGE_STARTTLS,	/* STARTTLS and the TLS handshake */
	SMTP_STAGE_AUTH,
	SMTP_STAGE_MAIL,
	SMTP_STAGE_RCPT,
	SMTP_STAGE_DATA,
	SMTP_STAGE_XFER,
	SMTP_STAGE_DOT,
	SMTP_STAGE_RSET,
	SMTP_STAGE_QUIT,
	SMTP_STAGE_COUNT
};

const char *smtp_stage_name(enum smtp_stage);
const char *smtp_stage_while(enum smtp_stage);
const char *smtp_stage_request(enum smtp_stage);
const char *smtp_stage_config_key(enum smtp_stage);
long	smtp_stage_default_timeout_ms(enum smtp_stage);

#endif
