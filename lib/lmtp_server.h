/*
 * lmtp_server.h - an RFC 2033 LMTP server session on two descriptors
 * (slimrelay --lmtp: stdin and stdout). See lmtp_server.c.
 */
#ifndef SLIMRELAY_LMTP_SERVER_H
#define SLIMRELAY_LMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "address.h"
#include "msg_stream.h"
#include "result.h"

#define LMTP_SERVER_LINE_MAX	2048	/* command line with its CRLF */
#define LMTP_SERVER_REPLY_MAX	254	/* reply line with CRLF (Exim) */
#define LMTP_SERVER_HOST_MAX	100	/* bytes of hostname shown */
#define LMTP_SERVER_RCPT_MAX	1000	/* default max_rcpt */
#define LMTP_SERVER_ERRORS_MAX	20	/* default max_errors */

struct lmtp_server_options {
	const char *hostname;		/* greeting, LHLO; copied */
	long long size_limit;		/* SIZE; 0 = no limit */
	long	idle_timeout_ms;	/* wait between transactions; 0 none */
	long	command_timeout_ms;	/* in a transaction, writes; 0 none */
	long	max_age_ms;		/* no new transaction after; 0 none */
	size_t	max_rcpt;		/* per transaction; 0 = default */
	unsigned max_commands;		/* per transaction; 0 = default */
	unsigned max_errors;		/* per session; 0 = default */
	unsigned stream_flags;		/* more MSG_STREAM_* (REPLAY is set) */
	const char *spool_dir;		/* msg_stream spool; NULL = $TMPDIR */
};

struct lmtp_server_handler {
	/* NULL accepts all; else 0 accepts, -1 refuses with why set. */
	int	(*check_rcpt)(void *arg, const struct envelope *env,
		    const struct address *rcpt, struct relay_result *why);
	/* Sets results[i] for each env->rcpt[i]; must not be NULL. */
	void	(*deliver)(void *arg, const struct envelope *env,
		    struct msg_stream *ms, struct relay_result *results);
	void   *arg;
};

enum lmtp_server_end {
	LMTP_SERVER_QUIT,	/* the client sent QUIT */
	LMTP_SERVER_EOF,	/* end of input between transactions */
	LMTP_SERVER_IDLE,	/* idle timeout between transactions (421) */
	LMTP_SERVER_AGE,	/* max_age passed, next transaction refused */
	LMTP_SERVER_LOST,	/* end of input inside a transaction */
	LMTP_SERVER_TIMEOUT,	/* timeout inside a transaction (421) */
	LMTP_SERVER_LIMIT,	/* too many errors or commands (421) */
	LMTP_SERVER_IO_ERROR,	/* read or write error, write timeout */
};

struct lmtp_server;

struct lmtp_server *lmtp_server_new(int in_fd, int out_fd,
	    const struct lmtp_server_options *,
	    const struct lmtp_server_handler *);
enum lmtp_server_end lmtp_server_run(struct lmtp_server *);
unsigned lmtp_server_transactions(const struct lmtp_server *);
void	lmtp_server_free(struct lmtp_server *);
const char *lmtp_server_end_name(enum lmtp_server_end);

#endif
