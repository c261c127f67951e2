/*
 * smtp_reply.h - assemble and sanitise SMTP replies (RFC 5321 4.2,
 * RFC 3463 enhanced codes). See smtp_reply.c.
 */
#ifndef SLIMRELAY_SMTP_REPLY_H
#define SLIMRELAY_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

#define SMTP_REPLY_LINE_MAX	2048	/* one line incl. CRLF (Postfix) */
#define SMTP_REPLY_LINES_MAX	100	/* lines in one reply */
#define SMTP_REPLY_TEXT_MAX	4096	/* joined text kept */

struct smtp_reply {
	int	code;			/* 200..599; 0 until complete */
	char	status[RELAY_STATUS_MAX]; /* sanitised enhanced code */
	bool	has_status;		/* server sent an enhanced code */
	char	text[SMTP_REPLY_TEXT_MAX]; /* "550 5.1.1 a b", lines joined */
	size_t	nlines;
	bool	is_complete;
	/* Each line's text (after "250-"/"250 "), for EHLO parsing. */
	char	lines[SMTP_REPLY_TEXT_MAX]; /* NUL-separated line bodies */
	size_t	lines_len;
};

enum smtp_reply_add {
	SMTP_REPLY_MORE,	/* line taken, more lines follow */
	SMTP_REPLY_DONE,	/* line taken, reply complete */
	SMTP_REPLY_BAD,		/* malformed line or too many lines */
};

void	smtp_reply_init(struct smtp_reply *);
enum smtp_reply_add smtp_reply_add_line(struct smtp_reply *,
	    const char *line, size_t len);
const char *smtp_reply_next_line(const struct smtp_reply *,
	    const char *prev);

#endif
