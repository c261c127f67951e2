/*
 * result.h - the outcome of one delivery attempt for one recipient.
 * See result.c for the contract.
 */
#ifndef SLIMRELAY_RESULT_H
#define SLIMRELAY_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#ifndef PRINTFLIKE
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#endif

enum relay_class {
	RELAY_OK,		/* delivered (2.x.x) */
	RELAY_TRANSIENT,	/* try again later (4.x.x) */
	RELAY_PERMANENT,	/* bounce (5.x.x) */
};

#define RELAY_STATUS_MAX	10	/* "5.123.123" + NUL */
#define RELAY_TEXT_MAX		512	/* one line, no CR/LF */
#define RELAY_HOST_MAX		320	/* "name[addr]:port" */

struct relay_result {
	enum relay_class class;		/* derived from status[0] */
	int	smtp_code;		/* 0 = no reply from a server */
	char	status[RELAY_STATUS_MAX]; /* RFC 3463 "4.4.1" */
	char	text[RELAY_TEXT_MAX];	/* Postfix-style diagnostic */
	char	relay[RELAY_HOST_MAX];	/* "mx[192.0.2.1]:25", "none" */
	const char *stage;		/* static string or NULL */
};

void	relay_result_init(struct relay_result *);
int	relay_result_set(struct relay_result *, const char *status,
	    const char *fmt, ...) PRINTFLIKE(3, 4);
void	relay_result_set_relay(struct relay_result *, const char *relay);
void	relay_result_copy(struct relay_result *dst,
	    const struct relay_result *src);
const char *relay_class_name(enum relay_class);
const char *relay_class_log_status(enum relay_class);
bool	relay_status_valid(const char *status);
int	relay_result_worse(const struct relay_result *a,
	    const struct relay_result *b);

#endif
