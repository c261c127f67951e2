/*
 * NAME
 *	smtp_client - one SMTP session: greeting, EHLO/HELO, transactions
 * SYNOPSIS
 *	#include "smtp_client.h"
 *
 *	struct smtp_client *smtp_client_new(const struct smtp_options *opt);
 *	void smtp_client_free(struct smtp_client *cl);
 *	int smtp_client_connect(struct smtp_client *cl, const char *host_name,
 *	    const struct sockaddr *sa, socklen_t salen,
 *	    const struct sockaddr *src, socklen_t srclen,
 *	    struct relay_result *why);
 *	int smtp_client_start_fd(struct smtp_client *cl, int fd,
 *	    const char *host_name, const char *addr, unsigned port,
 *	    struct relay_result *why);
 *	int smtp_client_send(struct smtp_client *cl,
 *	    const struct envelope *env, struct msg_stream *ms,
 *	    struct relay_result *rcpt_results, struct relay_result *why);
 *	void smtp_client_quit(struct smtp_client *cl);
 *	int smtp_client_reset(struct smtp_client *cl, struct relay_result *why);
 *	void smtp_client_set_deadline(struct smtp_client *cl,
 *	    const struct deadline *deadline);
 *	long smtp_client_connect_ms(const struct smtp_client *cl);
 *	bool smtp_client_is_open(const struct smtp_client *cl);
 *	const char *smtp_client_peer(const struct smtp_client *cl);
 *	const char *smtp_client_relay(const struct smtp_client *cl);
 *	unsigned smtp_client_extensions(const struct smtp_client *cl);
 *	unsigned long long smtp_client_size_limit(const struct smtp_client *cl);
 *	const char *smtp_client_auth_mechs(const struct smtp_client *cl);
 *	int smtp_client_messages(const struct smtp_client *cl);
 *	bool smtp_client_is_tls(const struct smtp_client *cl);
 *	const char *smtp_client_tls_info(const struct smtp_client *cl);
 *	const char *smtp_client_auth_used(const struct smtp_client *cl);
 *	int smtp_client_props(const struct smtp_client *cl, char *buf,
 *	    size_t len);
 *	int smtp_client_park(struct smtp_client *cl, long end_ms);
 *	int smtp_client_fd(const struct smtp_client *cl);
 *	int smtp_client_adopt(struct smtp_client *cl, int fd,
 *	    const char *props, struct relay_result *why);
 * DESCRIPTION
 *	smtp_client_new() copies the options and returns a client without
 *	a session, or NULL when out of memory. The strings and the AUTH
 *	secret the options point to are borrowed only until
 *	smtp_client_connect() or smtp_client_start_fd() returns: the client
 *	forgets them then (the secret is used in the session's opening
 *	only), so that a session can outlive the delivery that opened it;
 *	smtp_client_free() closes any session without QUIT and frees the
 *	client (NULL is a no-op).
 *
 *	smtp_client_connect() connects to sa (from src when not NULL),
 *	reads the greeting and says EHLO, falling back to HELO when EHLO is
 *	refused with any reply but 421 (Postfix's rule). smtp_client_start_fd() does the same on
 *	a connected socket it takes over (the client closes it). Both
 *	return 0 with the session ready for smtp_client_send(), or -1 with
 *	the session closed and why set, in Postfix's words (connect
 *	failures 4.4.1 "connect to H[A]:P: Connection refused", a refused
 *	greeting or EHLO "host H[A] refused to talk to me: ...", with a 5xx
 *	greeting deferred like Postfix's smtp_skip_5xx_greeting). why->relay
 *	names the peer, "name[addr]:port".
 *
 *	smtp_client_send() carries one message to the recipients of env:
 *	MAIL FROM (with SIZE=, BODY=8BITMIME and SMTPUTF8 when offered and
 *	useful), one RCPT TO each, DATA, the content from ms and the final
 *	dot. With PIPELINING the commands go in groups of up to
 *	SMTP_PIPELINE_MAX (one write), their replies read in order
 *	afterwards (RFC 2920); without, one command per reply. Every entry
 *	of rcpt_results (env->nrcpt of them, owned by the caller) is set:
 *	the final reply for an accepted recipient ("250 2.0.0 Ok: queued as
 *	X", class RELAY_OK), else the reply that refused it, Postfix-style:
 *	"host H[A] said: 550 5.1.1 unknown (in reply to RCPT TO command)".
 *	Before anything is sent, a message that needs SMTPUTF8 when the
 *	server lacks it (5.6.7) or that is larger than the server's SIZE
 *	(5.3.4) fails for every recipient, and an address carrying CR or LF
 *	is refused (5.1.7 sender, 5.1.3 recipient): it can only come from a
 *	bug, and would let a caller inject commands.
 *	smtp_client_send() returns 0 when the session can carry another
 *	message (after a transaction that did not end with the server's
 *	reply to the final dot, RSET has cleared it), and -1 with why set
 *	when the session broke (timeout, lost connection, malformed reply,
 *	421, failed RSET): then every recipient still without an answer has
 *	the same result as why, and the session is closed. why is only
 *	written when -1 is returned. When ms fails in the middle of the
 *	content, the connection is closed without the final dot, so that
 *	the server discards the partial message, and accepted recipients
 *	get the stream's (transient) error.
 *
 *	The client counts the replies it is owed (the greeting, one per
 *	command, one for the final dot). Input that arrives when none is
 *	owed is a protocol error, never an answer: bytes already read
 *	behind the last reply owed, or waiting on the socket just before
 *	the final dot is written and just after its reply is read (one
 *	poll() each), break the session with 4.5.0 "lost synchronization
 *	with host H[A] while STAGE (out of turn: LINE)"; during the content
 *	the dot is then never sent, and behind the dot's reply the text
 *	says the message may be sent more than once. A reply code that is
 *	no SMTP answer where one is due (1xx, 6xx-9xx, a 3xx but to DATA
 *	and AUTH) is 4.5.0 too: a broken server defers mail, it never
 *	bounces it.
 *
 *	Every wait uses the stage's timeout from opt->timeout_ms (<= 0: no
 *	stage limit), cut short by opt->deadline. The XFER timeout bounds
 *	each write of the content, not the whole content.
 *
 *	smtp_client_reset() is the probe before a session is used again
 *	(Postfix's connection reuse): nothing may be waiting from the
 *	server, RSET must get a 2xx; it returns 0, or -1 with why set and
 *	the session closed. smtp_client_set_deadline() gives a kept session
 *	the deadline of its next delivery. smtp_client_connect_ms() is the
 *	CLOCK_MONOTONIC time (deadline_now_ms()) the session was opened.
 *
 *	smtp_client_quit() says QUIT and closes without waiting for the
 *	reply (Postfix's smtp_skip_quit_response = yes, its default).
 *	smtp_client_is_open() is true when a session is ready for a
 *	message and the server has not spoken out of turn (a 421 before
 *	closing an idle session) or hung up.
 *
 *	smtp_client_peer() ("name[addr]"), smtp_client_relay()
 *	("name[addr]:port") and smtp_client_auth_mechs() return strings
 *	owned by the client, valid until the next connect or free.
 *	smtp_client_extensions() gives the SMTP_EXT_* bits the server
 *	announced (none after HELO), smtp_client_size_limit() its SIZE (0:
 *	none), smtp_client_messages() the messages delivered (2xx reply to
 *	the final dot) in this client's sessions.
 *
 *	TLS (opt->tls, Postfix's smtp_tls_security_level): with level
 *	"none" nothing changes. Otherwise, after EHLO, STARTTLS is sent
 *	when the server offers it; after the handshake the certificate is
 *	checked as the level says (tls_session_check()), "... TLS
 *	connection established to ..." is logged, and EHLO is said again,
 *	the old extensions forgotten (RFC 3207 4.2). Bytes the server sent
 *	after its reply to STARTTLS end the session (4.7.5: they would be
 *	taken as part of the TLS dialogue, RFC 3207 6). Levels "encrypt",
 *	"verify" and "fingerprint" require TLS: not offered (or HELO only)
 *	is 4.7.4 "TLS is required, but was not offered by host H", a
 *	refused STARTTLS 4.7.5 (4 for 5), a failed handshake 4.7.5
 *	"Cannot start TLS: handshake failure with host H: REASON", a failed
 *	check 4.7.5 "Server certificate not verified: REASON (host H)".
 *	Under "may" a refused STARTTLS continues in plaintext, and when
 *	the handshake fails smtp_client_connect() connects to the same
 *	address again and goes on without TLS, as Postfix does. With
 *	opt->tls.wrappermode the handshake comes first, before the
 *	greeting (implicit TLS, RFC 8314), and any level is "encrypt" or
 *	stronger. smtp_client_is_tls() tells whether the session is
 *	encrypted, smtp_client_tls_info() gives the logged description
 *	("" without TLS).
 *
 *	AUTH (opt->auth, RFC 4954): after the (second) EHLO, when the
 *	server offers AUTH, the mechanism of auth_mech_choose() is run:
 *	PLAIN (initial response), LOGIN or CRAM-MD5. Without TLS, AUTH is
 *	refused (4.7.0 "AUTH refused over an unencrypted connection")
 *	unless opt->auth_allow_plaintext; no common mechanism is 4.7.0.
 *	235 goes on; 535 is "SASL authentication failed; server H said:
 *	...", 4.7.8 with opt->auth_soft_bounce (Postfix's default), else
 *	permanent 5.7.8; any other reply is transient (a 5 becomes a
 *	4: a refused mechanism or an account problem is for the
 *	administrator to fix, and the mail should wait). A server that
 *	offers no AUTH gets the mail without authentication, as Postfix
 *	does. Secrets are never traced ("[redacted]") and the command
 *	buffers that held them are wiped. smtp_client_auth_used() names
 *	the mechanism that succeeded, "" for none.
 *
 *	A session can move to another process between transactions
 *	(session_cache.c, keeper.c): smtp_client_props() writes what the
 *	other process needs as name=value words (connect time, messages,
 *	extensions, SIZE, TLS and its description, AUTH mechanism and
 *	offers, the peer's labels): 0, or -1 when it does not fit.
 *	smtp_client_park() first hands a TLS session to a pump (tls_pump.c)
 *	living until end_ms, and carries on over the pump's plaintext end:
 *	0, or -1 (no pump, or the session is not ready: unchanged); a
 *	plaintext session needs nothing. smtp_client_fd() is the
 *	descriptor to pass. smtp_client_adopt() is the other side: a client
 *	made with smtp_client_new() takes fd over in the state props
 *	describes, ready for a transaction; 0, or -1 (4.3.0, fd closed)
 *	for properties that do not parse. The caller then probes the
 *	session (smtp_client_reset()).
 *
 *	With log_verbose(), every command ("smtp_client: > MAIL FROM:<a>"),
 *	every reply line ("smtp_client: < 250 2.1.0 Ok") and every state
 *	change ("smtp_client: RCPT -> DATA") is logged at debug level.
 * SEE ALSO
 *	RFC 5321 (SMTP), RFC 2920 (PIPELINING), RFC 1870 (SIZE), RFC 6152
 *	(8BITMIME), RFC 6531 (SMTPUTF8), RFC 3463, Postfix smtp_proto.c,
 *	smtp_trouble.c.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "conn.h"
#include "dl.h"
#include "dns.h"
#include "keeper.h"
#include "log.h"
#include "smtp_client.h"
#include "smtp_reply.h"
#include "tls_pump.h"

/*
 * A command line with its CRLF: RFC 5321 4.5.3.1.4's 512, plus what the
 * DSN parameters may add (RFC 3461 5: ORCPT up to 500, NOTIFY, RET,
 * ENVID up to 100).
 */
#define SMTP_CMD_MAX		1200
#define SMTP_PIPELINE_MAX	100	/* commands sent, replies unread */
#define SMTP_XFER_MIN		512	/* flush when less room is left */
#define SMTP_HOST_MAX		240	/* bytes of a host name in labels */
#define SMTP_ADDR_MAX		63	/* bytes of an address in labels */
#define SMTP_STRAY_WAIT_MS	100	/* to read a line sent out of turn */

/* Protocol states; a transaction's states name the reply awaited. */
enum smtp_state {
	SMTP_STATE_CLOSED,
	SMTP_STATE_GREETING,
	SMTP_STATE_EHLO,
	SMTP_STATE_HELO,
	SMTP_STATE_TLS_WRAP,	/* implicit TLS: handshake first */
	SMTP_STATE_STARTTLS,
	SMTP_STATE_AUTH,
	SMTP_STATE_READY,
	SMTP_STATE_MAIL,
	SMTP_STATE_RCPT,
	SMTP_STATE_DATA,
	SMTP_STATE_XFER,
	SMTP_STATE_DOT,
	SMTP_STATE_ABORT,	/* 354 with no recipient: send a lone dot */
	SMTP_STATE_RSET,
};

struct smtp_client {
	struct smtp_options opt;
	struct conn *conn;
	enum smtp_state state;
	unsigned ext;			/* SMTP_EXT_* */
	unsigned long long size_limit;	/* 0: none */
	int	messages;
	long	connect_ms;		/* when the session was opened */
	unsigned owed;			/* replies due for what was sent */
	bool	is_tls;			/* the session is encrypted */
	bool	is_tls_off;		/* "may" fell back to plaintext */
	bool	is_tls_failed;		/* handshake failed ("may": retry) */
	const char *auth_used;		/* static mechanism name, or "" */
	char	tls_info[RELAY_TEXT_MAX];
	char	auth_mechs[SMTP_AUTH_MECHS_MAX];
	char	peer[RELAY_HOST_MAX];	/* "name[addr]" */
	char	relay[RELAY_HOST_MAX];	/* "name[addr]:port" */
	struct smtp_reply reply;	/* the last reply read */
	char	line[SMTP_REPLY_LINE_MAX - 1];	/* one reply line, NUL */
};

/* A command sent and not yet answered. */
struct txn_cmd {
	enum smtp_stage stage;		/* MAIL, RCPT or DATA */
	size_t	rcpt;			/* index for RCPT */
};

/* One transaction in progress. */
struct txn {
	const struct envelope *env;
	struct msg_stream *ms;
	struct relay_result *res;	/* env->nrcpt results */
	long long size;			/* -1 unknown */
	bool	need_utf8;
	bool	is_mail_sent;
	bool	is_mail_failed;
	bool	is_data_sent;
	bool	is_data_354;
	size_t	next_rcpt;		/* next recipient to send RCPT for */
	size_t	naccepted;
	size_t	rcpt_unanswered;
	struct txn_cmd q[SMTP_PIPELINE_MAX];	/* ring of sent commands */
	size_t	qhead;
	size_t	qlen;
};

static const char *state_name(enum smtp_state);
static void	set_state(struct smtp_client *, enum smtp_state);
static void	stage_deadline(const struct smtp_client *, enum smtp_stage,
		    struct deadline *);
static void	trace_command(const char *, size_t);
static void	trace_reply(const char *, size_t);
static int	tcp_connect(struct smtp_client *, const struct sockaddr *,
		    socklen_t, const struct sockaddr *, socklen_t,
		    struct relay_result *);
static int	io_fail(struct smtp_client *, enum smtp_stage,
		    enum conn_status, struct relay_result *);
static int	send_command(struct smtp_client *, enum smtp_stage, bool,
		    struct relay_result *, const char *, ...) PRINTFLIKE(5, 6);
static int	read_reply(struct smtp_client *, enum smtp_stage,
		    struct relay_result *);
static int	read_lines(struct smtp_client *, enum smtp_stage,
		    const struct deadline *, struct relay_result *);
static int	lost_sync(struct smtp_client *, enum smtp_stage, bool,
		    struct relay_result *);
static int	check_quiet(struct smtp_client *, enum smtp_stage,
		    struct relay_result *);
static const char *reply_status(const struct smtp_reply *);
static void	said(struct smtp_client *, struct relay_result *,
		    enum smtp_stage, const char *);
static int	refuse(struct smtp_client *, enum smtp_stage, bool,
		    struct relay_result *);
static void	quit_quietly(struct smtp_client *);
static void	set_peer(struct smtp_client *, const char *, const char *,
		    unsigned);
static const char *ehlo_name(const struct smtp_client *);
static int	session_start(struct smtp_client *, struct relay_result *);
static void	forget_borrowed(struct smtp_client *);
static int	do_greeting(struct smtp_client *, struct relay_result *);
static int	do_ehlo(struct smtp_client *, struct relay_result *);
static int	do_helo(struct smtp_client *, struct relay_result *);
static bool	tls_required(const struct smtp_client *);
static int	tls_not_offered(struct smtp_client *, struct relay_result *);
static int	after_ehlo(struct smtp_client *, struct relay_result *);
static int	start_tls(struct smtp_client *, struct relay_result *);
static int	do_starttls(struct smtp_client *, struct relay_result *);
static int	do_auth(struct smtp_client *, struct relay_result *);
static void	parse_ehlo(struct smtp_client *);
static void	parse_ehlo_line(struct smtp_client *, const char *);
static void	set_auth_mechs(struct smtp_client *, const char *, bool);
static bool	rcpt_is_accepted(const struct relay_result *);
static bool	rcpt_is_open(const struct relay_result *);
static void	give_open(struct smtp_client *, struct txn *,
		    const struct relay_result *);
static void	refuse_rcpt(struct smtp_client *, struct relay_result *,
		    enum smtp_stage, const char *, const char *, ...)
		    PRINTFLIKE(5, 6);
static int	txn_fail(struct smtp_client *, struct txn *,
		    struct relay_result *);
static int	txn_check(struct smtp_client *, struct txn *);
static int	txn_out_of_turn(struct smtp_client *, struct txn *,
		    struct relay_result *);
static int	txn_send_group(struct smtp_client *, struct txn *,
		    struct relay_result *);
static int	txn_send_one(struct smtp_client *, struct txn *,
		    enum smtp_stage, size_t, struct relay_result *);
static int	txn_exchange(struct smtp_client *, struct txn *,
		    struct relay_result *);
static int	txn_reply(struct smtp_client *, struct txn *,
		    const struct txn_cmd *, struct relay_result *);
static int	txn_xfer(struct smtp_client *, struct txn *,
		    struct relay_result *);
static int	txn_dot(struct smtp_client *, struct txn *,
		    struct relay_result *);
static int	txn_abort(struct smtp_client *, struct relay_result *);
static int	txn_rset(struct smtp_client *, struct relay_result *);

/* state_name - a state for traces */
static const char *
state_name(enum smtp_state s)
{
	switch (s) {
	case SMTP_STATE_CLOSED:
		return "CLOSED";
	case SMTP_STATE_GREETING:
		return "GREETING";
	case SMTP_STATE_EHLO:
		return "EHLO";
	case SMTP_STATE_HELO:
		return "HELO";
	case SMTP_STATE_TLS_WRAP:
		return "TLS_WRAP";
	case SMTP_STATE_STARTTLS:
		return "STARTTLS";
	case SMTP_STATE_AUTH:
		return "AUTH";
	case SMTP_STATE_READY:
		return "READY";
	case SMTP_STATE_MAIL:
		return "MAIL";
	case SMTP_STATE_RCPT:
		return "RCPT";
	case SMTP_STATE_DATA:
		return "DATA";
	case SMTP_STATE_XFER:
		return "XFER";
	case SMTP_STATE_DOT:
		return "DOT";
	case SMTP_STATE_ABORT:
		return "ABORT";
	case SMTP_STATE_RSET:
		return "RSET";
	}
	return "UNKNOWN";
}

/* set_state - change state, traced */
static void
set_state(struct smtp_client *cl, enum smtp_state s)
{
	if (cl->state != s && log_verbose())
		log_debug("smtp_client: %s -> %s", state_name(cl->state),
		    state_name(s));
	cl->state = s;
	if (s == SMTP_STATE_CLOSED)
		cl->owed = 0;
}

/* stage_deadline - the stage's timeout from now, within the run's deadline */
static void
stage_deadline(const struct smtp_client *cl, enum smtp_stage stage,
    struct deadline *d)
{
	struct deadline st;
	long ms = cl->opt.timeout_ms[stage];

	if (ms > 0)
		deadline_in_ms(&st, ms);
	else
		deadline_none(&st);
	*d = deadline_earliest(&st, &cl->opt.deadline);
}

/*
 * trace_command - log a command we send, showing only its first shown
 * bytes: secrets (AUTH responses) are replaced by "[redacted]".
 */
static void
trace_command(const char *cmd, size_t shown)
{
	size_t len = strcspn(cmd, "\r\n");

	if (!log_verbose())
		return;
	if (shown < len)
		log_debug("smtp_client: > %.*s%s[redacted]", (int)shown, cmd,
		    shown > 0 ? " " : "");
	else
		log_debug("smtp_client: > %.*s", (int)len, cmd);
}

/* trace_reply - log one reply line, control characters as '?' */
static void
trace_reply(const char *line, size_t len)
{
	char buf[SMTP_REPLY_LINE_MAX];
	size_t i;

	if (!log_verbose())
		return;
	for (i = 0; i < len && i < sizeof(buf) - 1; i++)
		buf[i] = ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) ?
		    '?' : line[i];
	buf[i] = '\0';
	log_debug("smtp_client: < %s", buf);
}

/* close_failed - the session is over: why names stage and host */
static int
close_failed(struct smtp_client *cl, enum smtp_stage stage,
    struct relay_result *why)
{
	why->smtp_code = 0;
	why->stage = smtp_stage_name(stage);
	relay_result_set_relay(why, cl->relay);
	conn_close(cl->conn);
	set_state(cl, SMTP_STATE_CLOSED);
	return -1;
}

/* io_fail - a broken session: set why in Postfix's words and close */
static int
io_fail(struct smtp_client *cl, enum smtp_stage stage, enum conn_status st,
    struct relay_result *why)
{
	switch (st) {
	case CONN_TIMEOUT:
		relay_result_set(why, "4.4.2",
		    "conversation with %s timed out while %s", cl->peer,
		    smtp_stage_while(stage));
		break;
	case CONN_TOOLONG:
		relay_result_set(why, "4.5.0",
		    "host %s sent a malformed reply while %s", cl->peer,
		    smtp_stage_while(stage));
		break;
	default:
		if (st == CONN_ERROR)
			log_debug("smtp_client: %s: %s", cl->peer,
			    strerror(conn_errno(cl->conn)));
		relay_result_set(why, "4.4.2",
		    "lost connection with %s while %s", cl->peer,
		    smtp_stage_while(stage));
		break;
	}
	return close_failed(cl, stage, why);
}

/*
 * send_command - write one command line, flushing when asked. A command
 * with CR or LF would smuggle another command: never sent.
 */
static int
send_command(struct smtp_client *cl, enum smtp_stage stage, bool flush,
    struct relay_result *why, const char *fmt, ...)
{
	char cmd[SMTP_CMD_MAX];
	struct deadline d;
	enum conn_status st;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 2 ||
	    strpbrk(cmd, "\r\n") != NULL) {
		log_err("smtp_client: refusing to send a malformed %s command",
		    smtp_stage_name(stage));
		relay_result_set(why, "4.3.0", "internal error: malformed "
		    "%s command not sent to %s", smtp_stage_name(stage),
		    cl->peer);
		why->stage = smtp_stage_name(stage);
		relay_result_set_relay(why, cl->relay);
		conn_close(cl->conn);
		set_state(cl, SMTP_STATE_CLOSED);
		return -1;
	}
	trace_command(cmd, (size_t)n);
	memcpy(cmd + n, "\r\n", 2);
	stage_deadline(cl, stage, &d);
	cl->owed++;
	st = conn_write(cl->conn, cmd, (size_t)n + 2, &d);
	if (st == CONN_OK && flush)
		st = conn_flush(cl->conn, &d);
	return st == CONN_OK ? 0 : io_fail(cl, stage, st, why);
}

/*
 * read_reply - read one whole reply into cl->reply. It must be owed:
 * the answer to a command sent, or the greeting. When it was the last
 * reply owed, bytes already read after it came out of turn: a protocol
 * error (the reply to STARTTLS has its own, do_starttls()).
 */
static int
read_reply(struct smtp_client *cl, enum smtp_stage stage,
    struct relay_result *why)
{
	struct deadline d;

	if (cl->owed == 0) {
		log_err("smtp_client: reading a reply that is not owed while "
		    "%s", smtp_stage_while(stage));
		abort();
	}
	stage_deadline(cl, stage, &d);
	if (read_lines(cl, stage, &d, why) < 0)
		return -1;
	if (--cl->owed == 0 && stage != SMTP_STAGE_STARTTLS &&
	    conn_has_buffered_input(cl->conn))
		return lost_sync(cl, stage == SMTP_STAGE_DATA &&
		    cl->reply.code == 354 ? SMTP_STAGE_XFER : stage, false, why);
	return 0;
}

/* read_lines - the lines of one reply into cl->reply, before d */
static int
read_lines(struct smtp_client *cl, enum smtp_stage stage,
    const struct deadline *d, struct relay_result *why)
{
	enum conn_status st;
	size_t len;

	smtp_reply_init(&cl->reply);
	for (;;) {
		st = conn_read_line(cl->conn, cl->line, sizeof(cl->line), &len,
		    d);
		if (st != CONN_OK)
			return io_fail(cl, stage, st, why);
		trace_reply(cl->line, len);
		switch (smtp_reply_add_line(&cl->reply, cl->line, len)) {
		case SMTP_REPLY_MORE:
			continue;
		case SMTP_REPLY_DONE:
			return 0;
		case SMTP_REPLY_BAD:
			return io_fail(cl, stage, CONN_TOOLONG, why);
		}
	}
}

/*
 * lost_sync - the server sent something when no reply was owed: the
 * session is broken (Postfix: "lost synchronization"), whatever it
 * said. The stray line, if it came whole, goes into the text; during
 * or after the final dot the text says the message may be sent twice.
 * A hang-up with nothing before it is no stray reply: with is_eof_ok
 * (the reply owed has come) 0 is returned and the next use of the
 * session notices, else it is a lost connection.
 */
static int
lost_sync(struct smtp_client *cl, enum smtp_stage stage, bool is_eof_ok,
    struct relay_result *why)
{
	struct deadline d, wait;
	enum conn_status st;
	size_t len;

	deadline_in_ms(&wait, SMTP_STRAY_WAIT_MS);
	d = deadline_earliest(&wait, &cl->opt.deadline);
	st = conn_read_line(cl->conn, cl->line, sizeof(cl->line), &len, &d);
	if ((st == CONN_EOF || st == CONN_ERROR) &&
	    !conn_has_buffered_input(cl->conn))
		return is_eof_ok ? 0 : io_fail(cl, stage, st, why);
	if (st == CONN_OK)
		trace_reply(cl->line, len);
	else
		cl->line[0] = '\0';
	relay_result_set(why, "4.5.0", "lost synchronization with host %s "
	    "while %s (out of turn: %s)", cl->peer, smtp_stage_while(stage),
	    cl->line[0] != '\0' ? cl->line : "unfinished line");
	return close_failed(cl, stage, why);
}

/*
 * check_quiet - where the client is to write after reading every reply
 * owed, nothing may be waiting to be read: else lost_sync(). One poll()
 * when nothing is buffered; used where a stray line would be taken for
 * the answer to what is sent next.
 */
static int
check_quiet(struct smtp_client *cl, enum smtp_stage stage,
    struct relay_result *why)
{
	if (cl->owed == 0 && conn_has_input(cl->conn))
		return lost_sync(cl, stage, stage == SMTP_STAGE_DOT, why);
	return 0;
}

/*
 * reply_status - the reply's status; 4.5.0 for a reply that is no answer
 * here (3xx where a final reply is due): a broken server defers mail
 */
static const char *
reply_status(const struct smtp_reply *r)
{
	return strchr("245", r->status[0]) != NULL && r->status[0] != '\0' ?
	    r->status : "4.5.0";
}

/* said - a result from the last reply, in reply to the stage's command */
static void
said(struct smtp_client *cl, struct relay_result *r, enum smtp_stage stage,
    const char *status)
{
	relay_result_set(r, status, "host %s said: %s (in reply to %s)",
	    cl->peer, cl->reply.text, smtp_stage_request(stage));
	r->smtp_code = cl->reply.code;
	r->stage = smtp_stage_name(stage);
	relay_result_set_relay(r, cl->relay);
}

/*
 * refuse - the server refused the session: "refused to talk to me", with
 * the reply's status, 5 turned into 4 when asked (a 5xx greeting), and a
 * reply that is no refusal at all (2xx, 3xx) a protocol error. QUIT.
 */
static int
refuse(struct smtp_client *cl, enum smtp_stage stage, bool soften_5xx,
    struct relay_result *why)
{
	char status[RELAY_STATUS_MAX];

	if (cl->reply.status[0] == '4' || cl->reply.status[0] == '5')
		memcpy(status, cl->reply.status, sizeof(status));
	else
		memcpy(status, "4.5.0", sizeof("4.5.0"));
	if (soften_5xx && status[0] == '5')
		status[0] = '4';
	relay_result_set(why, status, "host %s refused to talk to me: %s",
	    cl->peer, cl->reply.text);
	why->smtp_code = cl->reply.code;
	why->stage = smtp_stage_name(stage);
	relay_result_set_relay(why, cl->relay);
	quit_quietly(cl);
	return -1;
}

/*
 * quit_quietly - QUIT and close, without waiting for the reply: like
 * Postfix's smtp_skip_quit_response = yes (its default), since the
 * reply changes nothing and waiting for it costs a round trip
 */
static void
quit_quietly(struct smtp_client *cl)
{
	struct relay_result ignored;

	relay_result_init(&ignored);
	if (conn_fd(cl->conn) >= 0)
		(void)send_command(cl, SMTP_STAGE_QUIT, true, &ignored,
		    "QUIT");
	conn_close(cl->conn);
	set_state(cl, SMTP_STATE_CLOSED);
}

/* smtp_client_new - a client without a session */
struct smtp_client *
smtp_client_new(const struct smtp_options *opt)
{
	struct smtp_client *cl;

	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return NULL;
	if ((cl->conn = conn_new()) == NULL) {
		free(cl);
		return NULL;
	}
	cl->opt = *opt;
	cl->state = SMTP_STATE_CLOSED;
	return cl;
}

/* smtp_client_free - close without QUIT and free; NULL is a no-op */
void
smtp_client_free(struct smtp_client *cl)
{
	if (cl == NULL)
		return;
	conn_free(cl->conn);
	free(cl);
}

/* set_peer - the labels "name[addr]" and "name[addr]:port" */
static void
set_peer(struct smtp_client *cl, const char *host_name, const char *addr,
    unsigned port)
{
	int n;

	if (host_name == NULL || *host_name == '\0')
		host_name = addr;
	/* Name and address are cut so that both labels always fit. */
	n = snprintf(cl->peer, sizeof(cl->peer), "%.*s[%.*s]",
	    SMTP_HOST_MAX, host_name, SMTP_ADDR_MAX, addr);
	if (n < 0)
		cl->peer[0] = '\0';
	/* Port 0: a unix socket (LMTP), whose label has no port. */
	n = port == 0 ? snprintf(cl->relay, sizeof(cl->relay), "%s", cl->peer) :
	    snprintf(cl->relay, sizeof(cl->relay), "%s:%u", cl->peer,
	    port & 0xffff);
	if (n < 0)
		cl->relay[0] = '\0';
	cl->ext = 0;
	cl->size_limit = 0;
	cl->auth_mechs[0] = '\0';
}


/* tcp_connect - the TCP connection, "connect to H[A]:P: ..." on failure */
static int
tcp_connect(struct smtp_client *cl, const struct sockaddr *sa,
    socklen_t salen, const struct sockaddr *src, socklen_t srclen,
    struct relay_result *why)
{
	struct deadline d;
	enum conn_status st;

	stage_deadline(cl, SMTP_STAGE_CONNECT, &d);
	st = conn_connect(cl->conn, sa, salen, src, srclen, &d);
	if (st == CONN_OK)
		return 0;
	relay_result_set(why, "4.4.1", "connect to %s: %s", cl->relay,
	    st == CONN_TIMEOUT ? "Connection timed out" :
	    strerror(conn_errno(cl->conn)));
	why->smtp_code = 0;
	why->stage = smtp_stage_name(SMTP_STAGE_CONNECT);
	return -1;
}

/* smtp_client_connect - connect, then greeting and EHLO/HELO */
int
smtp_client_connect(struct smtp_client *cl, const char *host_name,
    const struct sockaddr *sa, socklen_t salen, const struct sockaddr *src,
    socklen_t srclen, struct relay_result *why)
{
	char addr[NI_MAXHOST];
	unsigned port;
	int err;

	conn_close(cl->conn);
	set_state(cl, SMTP_STATE_CLOSED);
	if ((err = dns_addr_text(sa, salen, addr, sizeof(addr), &port)) != 0) {
		set_peer(cl, host_name, "unknown", 0);
		relay_result_set(why, "4.4.1", "connect to %s: %s", cl->peer,
		    gai_strerror(err));
		why->stage = smtp_stage_name(SMTP_STAGE_CONNECT);
		relay_result_set_relay(why, cl->relay);
		goto fail;
	}
	set_peer(cl, host_name, addr, port);
	relay_result_set_relay(why, cl->relay);
	if (tcp_connect(cl, sa, salen, src, srclen, why) != 0)
		goto fail;
	cl->is_tls_off = false;
	if (session_start(cl, why) == 0)
		goto done;
	if (!cl->is_tls_failed || cl->opt.tls.level != CONFIG_TLS_MAY ||
	    cl->opt.tls.wrappermode)
		goto fail;
	/* Postfix: opportunistic TLS failed, try again in plaintext. */
	log_info("%s; trying again without TLS", why->text);
	relay_result_init(why);
	relay_result_set_relay(why, cl->relay);
	if (tcp_connect(cl, sa, salen, src, srclen, why) != 0)
		goto fail;
	cl->is_tls_off = true;
	if (session_start(cl, why) == 0)
		goto done;
fail:
	forget_borrowed(cl);
	return -1;
done:
	forget_borrowed(cl);
	return 0;
}

/* smtp_client_start_fd - greeting and EHLO/HELO on a connected socket */
int
smtp_client_start_fd(struct smtp_client *cl, int fd, const char *host_name,
    const char *addr, unsigned port, struct relay_result *why)
{
	int rc;

	conn_adopt_fd(cl->conn, fd);
	set_peer(cl, host_name, addr != NULL ? addr : "unknown", port);
	relay_result_set_relay(why, cl->relay);
	rc = session_start(cl, why);
	forget_borrowed(cl);
	return rc;
}

/*
 * forget_borrowed - the opening is over: drop the pointers that only
 * the opening used (EHLO name, TLS names and cache, AUTH secret)
 */
static void
forget_borrowed(struct smtp_client *cl)
{
	cl->opt.ehlo_name = NULL;
	cl->opt.auth = NULL;
	cl->opt.tls.verify_name = NULL;
	cl->opt.tls.cache_dir = NULL;
	cl->opt.tls.tlsa = NULL;
	cl->opt.tls.mx_name = NULL;
	cl->opt.tls.nexthop_name = NULL;
}

/* smtp_client_set_deadline - the deadline of the session's next use */
void
smtp_client_set_deadline(struct smtp_client *cl, const struct deadline *d)
{
	cl->opt.deadline = *d;
}

/* smtp_client_connect_ms - when the session was opened (monotonic) */
long
smtp_client_connect_ms(const struct smtp_client *cl)
{
	return cl->connect_ms;
}

/* smtp_client_reset - the reuse probe: quiet server, RSET answered 2xx */
int
smtp_client_reset(struct smtp_client *cl, struct relay_result *why)
{
	if (cl->state != SMTP_STATE_READY || conn_fd(cl->conn) < 0) {
		relay_result_set(why, "4.3.0", "no open session with %s",
		    cl->peer[0] != '\0' ? cl->peer : "the server");
		relay_result_set_relay(why, cl->relay);
		return -1;
	}
	if (check_quiet(cl, SMTP_STAGE_RSET, why) < 0)
		return -1;
	set_state(cl, SMTP_STATE_RSET);
	if (txn_rset(cl, why) == 0)
		return 0;
	conn_close(cl->conn);
	set_state(cl, SMTP_STATE_CLOSED);
	return -1;
}

/* session_start - run the opening states until the session is ready */
static int
session_start(struct smtp_client *cl, struct relay_result *why)
{
	int rc = 0;

	cl->is_tls = false;
	cl->is_tls_failed = false;
	cl->connect_ms = deadline_now_ms();
	cl->owed = 1;			/* the greeting */
	cl->auth_used = "";
	cl->tls_info[0] = '\0';
	set_state(cl, cl->opt.tls.wrappermode ? SMTP_STATE_TLS_WRAP :
	    SMTP_STATE_GREETING);
	while (rc == 0 && cl->state != SMTP_STATE_READY) {
		switch (cl->state) {
		case SMTP_STATE_TLS_WRAP:
			if ((rc = start_tls(cl, why)) == 0)
				set_state(cl, SMTP_STATE_GREETING);
			break;
		case SMTP_STATE_STARTTLS:
			rc = do_starttls(cl, why);
			break;
		case SMTP_STATE_AUTH:
			rc = do_auth(cl, why);
			break;
		case SMTP_STATE_GREETING:
			rc = do_greeting(cl, why);
			break;
		case SMTP_STATE_EHLO:
			rc = do_ehlo(cl, why);
			break;
		case SMTP_STATE_HELO:
			rc = do_helo(cl, why);
			break;
		default:
			log_err("smtp_client: bad state %s while opening",
			    state_name(cl->state));
			abort();
		}
	}
	return rc;
}

/* do_greeting - the server's 220 (RFC 5321 4.3.1) */
static int
do_greeting(struct smtp_client *cl, struct relay_result *why)
{
	if (read_reply(cl, SMTP_STAGE_GREETING, why) < 0)
		return -1;
	if (cl->reply.code != 220)
		return refuse(cl, SMTP_STAGE_GREETING, true, why);
	set_state(cl, SMTP_STATE_EHLO);
	return 0;
}

/* ehlo_name - our name; one word of printable ASCII, else NULL */
static const char *
ehlo_name(const struct smtp_client *cl)
{
	const char *p, *name = cl->opt.ehlo_name;

	if (name == NULL || *name == '\0')
		name = "localhost";
	for (p = name; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return NULL;
	return p - name < 256 ? name : NULL;
}

/* do_ehlo - EHLO; 2xx: learn the extensions; 421: give up; else HELO */
static int
do_ehlo(struct smtp_client *cl, struct relay_result *why)
{
	const char *name = ehlo_name(cl);

	if (name == NULL) {
		relay_result_set(why, "4.3.5",
		    "invalid EHLO name; check ehlo_name in slimrelay.conf");
		why->stage = smtp_stage_name(SMTP_STAGE_EHLO);
		relay_result_set_relay(why, cl->relay);
		quit_quietly(cl);
		return -1;
	}
	if (send_command(cl, SMTP_STAGE_EHLO, true, why, "%s %s",
	    cl->opt.is_lmtp ? "LHLO" : "EHLO", name) < 0 ||
	    read_reply(cl, SMTP_STAGE_EHLO, why) < 0)
		return -1;
	/* LMTP has no HELO (RFC 2033 4.1). */
	if (cl->opt.is_lmtp && cl->reply.code / 100 != 2)
		return refuse(cl, SMTP_STAGE_EHLO, false, why);
	/* Postfix: HELO after any refusal of EHLO but 421 (closing). */
	if (cl->reply.code == 421)
		return refuse(cl, SMTP_STAGE_EHLO, false, why);
	if (cl->reply.code / 100 != 2) {
		set_state(cl, SMTP_STATE_HELO);
		return 0;
	}
	parse_ehlo(cl);
	return after_ehlo(cl, why);
}

/* do_helo - HELO after a refused EHLO: no extensions */
static int
do_helo(struct smtp_client *cl, struct relay_result *why)
{
	if (send_command(cl, SMTP_STAGE_HELO, true, why, "HELO %s",
	    ehlo_name(cl)) < 0 || read_reply(cl, SMTP_STAGE_HELO, why) < 0)
		return -1;
	if (cl->reply.code / 100 != 2)
		return refuse(cl, SMTP_STAGE_HELO, false, why);
	if (tls_required(cl) && !cl->is_tls)
		return tls_not_offered(cl, why);
	cl->ext = 0;
	cl->size_limit = 0;
	cl->auth_mechs[0] = '\0';
	set_state(cl, SMTP_STATE_READY);
	return 0;
}

/* tls_required - the level (or implicit TLS) demands encryption */
static bool
tls_required(const struct smtp_client *cl)
{
	return cl->opt.tls.level >= CONFIG_TLS_ENCRYPT ||
	    cl->opt.tls.wrappermode;
}

/* tls_not_offered - 4.7.4, Postfix's words; QUIT */
static int
tls_not_offered(struct smtp_client *cl, struct relay_result *why)
{
	relay_result_set(why, "4.7.4",
	    "TLS is required, but was not offered by host %s", cl->peer);
	why->smtp_code = 0;
	why->stage = smtp_stage_name(SMTP_STAGE_STARTTLS);
	relay_result_set_relay(why, cl->relay);
	quit_quietly(cl);
	return -1;
}

/* after_ehlo - STARTTLS, AUTH or ready, as the options and server say */
static int
after_ehlo(struct smtp_client *cl, struct relay_result *why)
{
	if (!cl->is_tls && !cl->is_tls_off &&
	    cl->opt.tls.level != CONFIG_TLS_NONE) {
		if (cl->ext & SMTP_EXT_STARTTLS) {
			set_state(cl, SMTP_STATE_STARTTLS);
			return 0;
		}
		if (tls_required(cl))
			return tls_not_offered(cl, why);
	}
	set_state(cl, cl->opt.auth != NULL ? SMTP_STATE_AUTH :
	    SMTP_STATE_READY);
	return 0;
}

/* tls_fail - a TLS failure of the session: why set, closed without QUIT */
static int
tls_fail(struct smtp_client *cl, struct relay_result *why)
{
	return close_failed(cl, SMTP_STAGE_STARTTLS, why);
}

/*
 * start_tls - the handshake (after STARTTLS, or first with implicit
 * TLS), the level's checks, the log line; the extensions are forgotten
 */
static int
start_tls(struct smtp_client *cl, struct relay_result *why)
{
	struct tls_policy p = cl->opt.tls;
	struct tls_session *sess;
	char key[TLS_KEY_MAX], text[RELAY_TEXT_MAX];
	struct deadline d;
	enum conn_status st;
	const char *reason;

	if (p.wrappermode && p.level < CONFIG_TLS_ENCRYPT)
		p.level = CONFIG_TLS_ENCRYPT;
	snprintf(key, sizeof(key), "%s-%s", config_tls_level_name(p.level),
	    cl->relay);
	if ((sess = tls_session_new(&p, key, why)) == NULL)
		return tls_fail(cl, why);
	stage_deadline(cl, SMTP_STAGE_STARTTLS, &d);
	st = conn_tls_start(cl->conn, sess, &d);
	if (st != CONN_OK) {
		if (st == CONN_TIMEOUT)
			reason = "timed out";
		else if (conn_errno(cl->conn) == EPROTO &&
		    conn_tls(cl->conn) != NULL)
			reason = tls_session_error(conn_tls(cl->conn));
		else
			reason = strerror(conn_errno(cl->conn));
		if (conn_tls(cl->conn) != NULL)
			tls_session_forget(conn_tls(cl->conn));
		relay_result_set(why, "4.7.5", "Cannot start TLS: handshake "
		    "failure with host %s: %s", cl->peer, reason);
		cl->is_tls_failed = true;
		return tls_fail(cl, why);
	}
	if (tls_session_check(conn_tls(cl->conn), why) != 0) {
		snprintf(text, sizeof(text), "%s", why->text);
		relay_result_set(why, "4.7.5", "%s (host %s)", text, cl->peer);
		return tls_fail(cl, why);
	}
	cl->is_tls = true;
	tls_session_describe(conn_tls(cl->conn), cl->relay, cl->tls_info,
	    sizeof(cl->tls_info));
	log_info("%s", cl->tls_info);
	cl->ext = 0;
	cl->size_limit = 0;
	cl->auth_mechs[0] = '\0';
	return 0;
}

/* do_starttls - STARTTLS (RFC 3207), the handshake, then EHLO again */
static int
do_starttls(struct smtp_client *cl, struct relay_result *why)
{
	char status[RELAY_STATUS_MAX];

	if (send_command(cl, SMTP_STAGE_STARTTLS, true, why, "STARTTLS") < 0 ||
	    read_reply(cl, SMTP_STAGE_STARTTLS, why) < 0)
		return -1;
	if (cl->reply.code != 220) {
		if (!tls_required(cl)) {
			log_info("host %s refused STARTTLS: %s; going on "
			    "without TLS", cl->peer, cl->reply.text);
			cl->is_tls_off = true;
			return after_ehlo(cl, why);
		}
		snprintf(status, sizeof(status), "%s",
		    strchr("45", cl->reply.status[0]) != NULL &&
		    cl->reply.status[0] != '\0' ? cl->reply.status : "4.7.5");
		status[0] = '4';
		relay_result_set(why, status, "TLS is required, but host %s "
		    "refused to start TLS: %s", cl->peer, cl->reply.text);
		why->smtp_code = cl->reply.code;
		why->stage = smtp_stage_name(SMTP_STAGE_STARTTLS);
		relay_result_set_relay(why, cl->relay);
		quit_quietly(cl);
		return -1;
	}
	if (conn_has_buffered_input(cl->conn)) {
		relay_result_set(why, "4.7.5", "host %s sent data after its "
		    "reply to STARTTLS (possible command injection)", cl->peer);
		return tls_fail(cl, why);
	}
	if (start_tls(cl, why) != 0)
		return -1;
	set_state(cl, SMTP_STATE_EHLO);
	return 0;
}

/*
 * send_secret - one AUTH line whose part after the first shown bytes is
 * secret: traced redacted; the buffers that held it are wiped
 */
static int
send_secret(struct smtp_client *cl, const char *prefix, const char *secret,
    struct relay_result *why)
{
	char cmd[AUTH_B64_MAX + 32];
	struct deadline d;
	enum conn_status st;
	size_t pl = strlen(prefix), sl = strlen(secret);

	if (pl + sl + 2 > sizeof(cmd)) {
		relay_result_set(why, "4.3.0", "internal error: AUTH response "
		    "too long for %s", cl->peer);
		why->stage = smtp_stage_name(SMTP_STAGE_AUTH);
		relay_result_set_relay(why, cl->relay);
		quit_quietly(cl);
		return -1;
	}
	memcpy(cmd, prefix, pl);
	memcpy(cmd + pl, secret, sl);
	memcpy(cmd + pl + sl, "\r\n", 2);
	trace_command(cmd, pl > 0 && prefix[pl - 1] == ' ' ? pl - 1 : pl);
	stage_deadline(cl, SMTP_STAGE_AUTH, &d);
	cl->owed++;
	st = conn_write(cl->conn, cmd, pl + sl + 2, &d);
	explicit_bzero(cmd, sizeof(cmd));
	if (st == CONN_OK)
		st = conn_flush(cl->conn, &d);
	conn_wipe_output(cl->conn);
	return st == CONN_OK ? 0 : io_fail(cl, SMTP_STAGE_AUTH, st, why);
}

/*
 * auth_refused - AUTH failed: 535 is 4.7.8 with auth_soft_bounce (like
 * Postfix's smtp_sasl_auth_soft_bounce: a password changed at the
 * provider must not bounce all mail), else 5.7.8; all else transient
 */
static int
auth_refused(struct smtp_client *cl, struct relay_result *why)
{
	char status[RELAY_STATUS_MAX];

	if (cl->reply.code == 535)
		snprintf(status, sizeof(status), "%s",
		    cl->opt.auth_soft_bounce ? "4.7.8" : "5.7.8");
	else if (strchr("45", cl->reply.status[0]) != NULL &&
	    cl->reply.status[0] != '\0' && cl->reply.code / 100 >= 4)
		snprintf(status, sizeof(status), "4%s", cl->reply.status + 1);
	else
		snprintf(status, sizeof(status), "4.7.0");
	relay_result_set(why, status, "SASL authentication failed; server %s "
	    "said: %s", cl->peer, cl->reply.text);
	why->smtp_code = cl->reply.code;
	why->stage = smtp_stage_name(SMTP_STAGE_AUTH);
	relay_result_set_relay(why, cl->relay);
	quit_quietly(cl);
	return -1;
}

/* auth_step - one response, then its reply; 1: 334 (more), 0: final */
static int
auth_step(struct smtp_client *cl, const char *prefix, const char *secret,
    struct relay_result *why)
{
	if (send_secret(cl, prefix, secret, why) < 0 ||
	    read_reply(cl, SMTP_STAGE_AUTH, why) < 0)
		return -1;
	return cl->reply.code == 334;
}

/* do_auth - RFC 4954 with the chosen mechanism */
static int
do_auth(struct smtp_client *cl, struct relay_result *why)
{
	const struct auth_secret *sec = cl->opt.auth;
	char buf[AUTH_B64_MAX];
	const char *chal;
	enum auth_mech m;
	int rc = -1;

	if (!(cl->ext & SMTP_EXT_AUTH) || cl->auth_mechs[0] == '\0') {
		log_info("host %s offers no AUTH: sending without "
		    "authentication", cl->peer);
		set_state(cl, SMTP_STATE_READY);
		return 0;
	}
	if (!cl->is_tls && !cl->opt.auth_allow_plaintext) {
		relay_result_set(why, "4.7.0", "AUTH refused over an "
		    "unencrypted connection to host %s (set a TLS level, or "
		    "auth_allow_plaintext = yes)", cl->peer);
		goto fail;
	}
	m = auth_mech_choose(cl->auth_mechs, cl->opt.auth_mechanism,
	    cl->is_tls);
	if (m == AUTH_MECH_NONE) {
		relay_result_set(why, "4.7.0", "no SASL mechanism in common "
		    "with host %s (it offers %s; auth_mechanism = %s)",
		    cl->peer, cl->auth_mechs, cl->opt.auth_mechanism != NULL &&
		    *cl->opt.auth_mechanism ? cl->opt.auth_mechanism : "any");
		goto fail;
	}
	switch (m) {
	case AUTH_MECH_PLAIN:
		if (auth_plain_response(sec, buf, sizeof(buf)) != 0)
			goto toolong;
		rc = auth_step(cl, "AUTH PLAIN ", buf, why);
		break;
	case AUTH_MECH_LOGIN:
		if ((rc = auth_step(cl, "AUTH LOGIN", "", why)) != 1)
			break;
		if (auth_base64_encode(sec->user, strlen(sec->user), buf,
		    sizeof(buf)) != 0)
			goto toolong;
		if ((rc = auth_step(cl, "", buf, why)) != 1)
			break;
		if (auth_base64_encode(sec->pass, strlen(sec->pass), buf,
		    sizeof(buf)) != 0)
			goto toolong;
		rc = auth_step(cl, "", buf, why);
		break;
	default:
		/* HMAC-MD5 is libcrypto's: load it before starting. */
		if (dl_load(DL_CRYPTO, why) != 0)
			goto fail;
		if ((rc = auth_step(cl, "AUTH CRAM-MD5", "", why)) != 1)
			break;
		chal = smtp_reply_next_line(&cl->reply, NULL);
		if (chal == NULL ||
		    auth_cram_md5_response(sec, chal, buf, sizeof(buf)) != 0) {
			explicit_bzero(buf, sizeof(buf));
			/* RFC 4954 4: "*" cancels the exchange. */
			if (auth_step(cl, "*", "", why) < 0)
				return -1;
			relay_result_set(why, "4.7.0", "host %s sent a "
			    "malformed CRAM-MD5 challenge", cl->peer);
			goto fail;
		}
		rc = auth_step(cl, "", buf, why);
		break;
	}
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0)
		return -1;
	if (cl->reply.code != 235)
		return auth_refused(cl, why);
	cl->auth_used = auth_mech_name(m);
	if (log_verbose())
		log_debug("smtp_client: authenticated to %s with %s", cl->peer,
		    cl->auth_used);
	set_state(cl, SMTP_STATE_READY);
	return 0;
toolong:
	explicit_bzero(buf, sizeof(buf));
	relay_result_set(why, "4.3.5", "user name or password too long for "
	    "AUTH %s", auth_mech_name(m));
fail:
	why->smtp_code = 0;
	why->stage = smtp_stage_name(SMTP_STAGE_AUTH);
	relay_result_set_relay(why, cl->relay);
	quit_quietly(cl);
	return -1;
}

/* smtp_client_is_tls - the session is encrypted */
bool
smtp_client_is_tls(const struct smtp_client *cl)
{
	return cl->is_tls;
}

/* smtp_client_tls_info - "Verified TLS connection established to ..." */
const char *
smtp_client_tls_info(const struct smtp_client *cl)
{
	return cl->tls_info;
}

/* smtp_client_auth_used - the mechanism that succeeded, "" for none */
const char *
smtp_client_auth_used(const struct smtp_client *cl)
{
	return cl->auth_used != NULL ? cl->auth_used : "";
}

/* parse_ehlo - the extensions of an EHLO reply (lines after the first) */
static void
parse_ehlo(struct smtp_client *cl)
{
	const char *line;

	cl->ext = 0;
	cl->size_limit = 0;
	cl->auth_mechs[0] = '\0';
	line = smtp_reply_next_line(&cl->reply, NULL);
	while (line != NULL &&
	    (line = smtp_reply_next_line(&cl->reply, line)) != NULL)
		parse_ehlo_line(cl, line);
}

/* parse_ehlo_line - one "KEYWORD params" line, keyword case-insensitive */
static void
parse_ehlo_line(struct smtp_client *cl, const char *line)
{
	static const struct {
		const char *name;
		unsigned flag;
	} keywords[] = {
		{ "PIPELINING", SMTP_EXT_PIPELINING },
		{ "SIZE", SMTP_EXT_SIZE },
		{ "8BITMIME", SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "STARTTLS", SMTP_EXT_STARTTLS },
		{ "AUTH", SMTP_EXT_AUTH },
		{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
		{ "DSN", SMTP_EXT_DSN },
		{ "CHUNKING", SMTP_EXT_CHUNKING },
	};
	size_t i, klen = strcspn(line, " =");
	const char *arg = line + klen;
	unsigned long long n = 0;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].name) == klen &&
		    strncasecmp(line, keywords[i].name, klen) == 0)
			break;
	if (i == sizeof(keywords) / sizeof(keywords[0]))
		return;
	/* "AUTH=LOGIN" is the pre-RFC 2554 form some servers still send. */
	if (keywords[i].flag == SMTP_EXT_AUTH) {
		set_auth_mechs(cl, arg + (*arg != '\0'), *arg == '=');
	} else if (*arg == '=') {
		return;
	} else if (keywords[i].flag == SMTP_EXT_SIZE) {
		/* RFC 1870: "SIZE" alone or "SIZE n"; a bad n is no limit. */
		while (*arg == ' ')
			arg++;
		for (; *arg >= '0' && *arg <= '9'; arg++) {
			if (n > (~0ULL - 9) / 10) {
				n = 0;
				break;
			}
			n = n * 10 + (unsigned)(*arg - '0');
		}
		cl->size_limit = (*arg == '\0' || *arg == ' ') ? n : 0;
	}
	cl->ext |= keywords[i].flag;
}

/*
 * set_auth_mechs - keep the mechanism list, words separated by one
 * space, whole words only; the RFC 4954 form wins over "AUTH=".
 */
static void
set_auth_mechs(struct smtp_client *cl, const char *args, bool is_old_form)
{
	char *out = cl->auth_mechs;
	size_t have = 0, wlen;

	if (is_old_form && cl->auth_mechs[0] != '\0')
		return;
	out[0] = '\0';
	for (;;) {
		args += strspn(args, " ");
		if ((wlen = strcspn(args, " ")) == 0)
			break;
		if (have + (have > 0) + wlen >= sizeof(cl->auth_mechs))
			break;
		if (have > 0)
			out[have++] = ' ';
		memcpy(out + have, args, wlen);
		have += wlen;
		out[have] = '\0';
		args += wlen;
	}
}

/* smtp_client_quit - QUIT, then close at once */
void
smtp_client_quit(struct smtp_client *cl)
{
	quit_quietly(cl);
}

/* smtp_client_is_open - ready for a message, and the server is quiet */
bool
smtp_client_is_open(const struct smtp_client *cl)
{
	return cl->state == SMTP_STATE_READY && conn_fd(cl->conn) >= 0 &&
	    !conn_has_input(cl->conn);
}

/*
 * smtp_client_park - before the session leaves the process: a TLS
 * session goes to a pump (tls_pump.c) living until end_ms, and the
 * client carries on over the pump's plaintext end; 0, or -1 (no pump:
 * the session is unchanged). A plaintext session needs nothing.
 */
int
smtp_client_park(struct smtp_client *cl, long end_ms)
{
	if (!smtp_client_is_open(cl))
		return -1;
	if (conn_tls(cl->conn) == NULL)
		return 0;
	return tls_pump_start(cl->conn, end_ms, cl->relay);
}

/* smtp_client_fd - the session's descriptor, -1 when closed */
int
smtp_client_fd(const struct smtp_client *cl)
{
	return conn_fd(cl->conn);
}

/* props_word - " name=ENCODED" appended at *o; 0, or -1 */
static int
props_word(char *buf, size_t len, size_t *o, const char *name,
    const char *value)
{
	int n;

	n = snprintf(buf + *o, len - *o, " %s=", name);
	if (n < 0 || (size_t)n >= len - *o)
		return -1;
	*o += (size_t)n;
	if (*value == '\0')
		return 0;
	n = (int)keeper_encode(value, buf + *o, len - *o);
	if (n == 0)
		return -1;
	*o += (size_t)n;
	return 0;
}

/*
 * smtp_client_props - what another process needs to carry the session
 * on (smtp_client_adopt()): a text of name=value words; 0, or -1 when
 * it does not fit
 */
int
smtp_client_props(const struct smtp_client *cl, char *buf, size_t len)
{
	size_t o;
	int n;

	n = snprintf(buf, len, "t=%ld n=%d ext=%x size=%llu tls=%d",
	    cl->connect_ms, cl->messages, cl->ext, cl->size_limit,
	    cl->is_tls ? 1 : 0);
	if (n < 0 || (size_t)n >= len)
		return -1;
	o = (size_t)n;
	if (props_word(buf, len, &o, "auth", smtp_client_auth_used(cl)) != 0 ||
	    props_word(buf, len, &o, "mechs", cl->auth_mechs) != 0 ||
	    props_word(buf, len, &o, "peer", cl->peer) != 0 ||
	    props_word(buf, len, &o, "relay", cl->relay) != 0 ||
	    props_word(buf, len, &o, "info", cl->tls_info) != 0)
		return -1;
	return 0;
}

/* props_number - a decimal or hex number of at most max; 0, or -1 */
static int
props_number(const char *v, size_t vl, int base, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long x = 0;
	size_t i;
	int d;

	if (vl == 0 || vl > 20)
		return -1;
	for (i = 0; i < vl; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			d = v[i] - '0';
		else if (base == 16 && v[i] >= 'a' && v[i] <= 'f')
			d = v[i] - 'a' + 10;
		else
			return -1;
		/* A digit above max itself (tls=5) must not wrap max - d. */
		if ((unsigned)d > max ||
		    x > (max - (unsigned)d) / (unsigned)base)
			return -1;
		x = x * (unsigned)base + (unsigned)d;
	}
	*out = x;
	return 0;
}

/*
 * smtp_client_adopt - carry on a session another process opened: fd
 * (the connection or a pump's end) in the state props describes
 * (smtp_client_props()), ready for a transaction. 0, or -1 with why set
 * for properties that do not parse (fd is then closed).
 */
int
smtp_client_adopt(struct smtp_client *cl, int fd, const char *props,
    struct relay_result *why)
{
	unsigned long long v;
	const char *p = props, *e, *eq;
	char auth[32];
	unsigned seen = 0;
	size_t nl, vl;

	forget_borrowed(cl);
	conn_adopt_fd(cl->conn, fd);
	set_state(cl, SMTP_STATE_CLOSED);
	cl->peer[0] = cl->relay[0] = cl->tls_info[0] = '\0';
	cl->auth_mechs[0] = auth[0] = '\0';
	/* Words at single spaces: "", and a space at either end, fail. */
	for (;;) {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if ((eq = memchr(p, '=', (size_t)(e - p))) == NULL)
			goto bad;
		nl = (size_t)(eq - p);
		vl = (size_t)(e - eq - 1);
#define IS(name) (nl == sizeof(name) - 1 && memcmp(p, name, nl) == 0)
#define TEXT(buf) (vl == 0 ? ((buf)[0] = '\0', 0) : \
		keeper_decode(eq + 1, vl, (buf), sizeof(buf)))
		if (IS("t")) {
			if (props_number(eq + 1, vl, 10, LONG_MAX, &v) != 0)
				goto bad;
			cl->connect_ms = (long)v;
			seen |= 1;
		} else if (IS("n")) {
			if (props_number(eq + 1, vl, 10, INT_MAX, &v) != 0)
				goto bad;
			cl->messages = (int)v;
		} else if (IS("ext")) {
			if (props_number(eq + 1, vl, 16, 0xffff, &v) != 0)
				goto bad;
			cl->ext = (unsigned)v;
		} else if (IS("size")) {
			if (props_number(eq + 1, vl, 10, ULLONG_MAX, &v) != 0)
				goto bad;
			cl->size_limit = v;
		} else if (IS("tls")) {
			if (props_number(eq + 1, vl, 10, 1, &v) != 0)
				goto bad;
			cl->is_tls = v == 1;
		} else if (IS("auth")) {
			if (TEXT(auth) != 0)
				goto bad;
		} else if (IS("mechs")) {
			if (TEXT(cl->auth_mechs) != 0)
				goto bad;
		} else if (IS("peer")) {
			if (TEXT(cl->peer) != 0)
				goto bad;
			seen |= 2;
		} else if (IS("relay")) {
			if (TEXT(cl->relay) != 0)
				goto bad;
			seen |= 4;
		} else if (IS("info")) {
			if (TEXT(cl->tls_info) != 0)
				goto bad;
		} else {
			goto bad;
		}
#undef IS
#undef TEXT
		if (*e == '\0')
			break;
		p = e + 1;
	}
	if (seen != 7 || cl->peer[0] == '\0' || cl->relay[0] == '\0')
		goto bad;
	/* smtp_client_props() writes "" or a mechanism's name, not "none". */
	if (auth[0] != '\0' && auth_mech_parse(auth) == AUTH_MECH_NONE)
		goto bad;
	cl->auth_used = auth[0] == '\0' ? "" :
	    auth_mech_name(auth_mech_parse(auth));
	cl->is_tls_off = cl->is_tls_failed = false;
	cl->owed = 0;
	set_state(cl, SMTP_STATE_READY);
	return 0;
bad:
	conn_close(cl->conn);
	set_state(cl, SMTP_STATE_CLOSED);
	relay_result_set(why, "4.3.0", "a kept session's properties do not "
	    "parse");
	return -1;
}

/* smtp_client_peer - "name[addr]"; owned by the client */
const char *
smtp_client_peer(const struct smtp_client *cl)
{
	return cl->peer;
}

/* smtp_client_relay - "name[addr]:port"; owned by the client */
const char *
smtp_client_relay(const struct smtp_client *cl)
{
	return cl->relay;
}

/* smtp_client_extensions - SMTP_EXT_* the server announced */
unsigned
smtp_client_extensions(const struct smtp_client *cl)
{
	return cl->ext;
}

/* smtp_client_size_limit - the server's SIZE, 0 for none */
unsigned long long
smtp_client_size_limit(const struct smtp_client *cl)
{
	return cl->size_limit;
}

/* smtp_client_auth_mechs - "PLAIN LOGIN", "" if none; owned by the client */
const char *
smtp_client_auth_mechs(const struct smtp_client *cl)
{
	return cl->auth_mechs;
}

/* smtp_client_messages - messages delivered by this client */
int
smtp_client_messages(const struct smtp_client *cl)
{
	return cl->messages;
}

/*
 * During a transaction a recipient's result is "open" while it waits for
 * an answer: stage NULL (nothing yet), or accepted by RCPT and waiting for
 * the reply to the final dot (class RELAY_OK with stage RCPT). Every
 * other result is final.
 */

/* rcpt_is_accepted - RCPT accepted, final reply still to come */
static bool
rcpt_is_accepted(const struct relay_result *r)
{
	return r->class == RELAY_OK && r->stage != NULL &&
	    strcmp(r->stage, smtp_stage_name(SMTP_STAGE_RCPT)) == 0;
}

/* rcpt_is_open - still without its final answer */
static bool
rcpt_is_open(const struct relay_result *r)
{
	return r->stage == NULL || rcpt_is_accepted(r);
}

/* give_open - every open recipient gets the result r */
static void
give_open(struct smtp_client *cl, struct txn *t, const struct relay_result *r)
{
	size_t i;

	for (i = 0; i < t->env->nrcpt; i++)
		if (rcpt_is_open(&t->res[i]))
			relay_result_copy(&t->res[i], r);
}

/* txn_fail - the session broke: open recipients share why */
static int
txn_fail(struct smtp_client *cl, struct txn *t, struct relay_result *why)
{
	give_open(cl, t, why);
	conn_close(cl->conn);
	set_state(cl, SMTP_STATE_CLOSED);
	return -1;
}

/* refuse_rcpt - a result that no server gave: ours, before sending */
static void
refuse_rcpt(struct smtp_client *cl, struct relay_result *r,
    enum smtp_stage stage, const char *status, const char *fmt, ...)
{
	char text[RELAY_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	relay_result_set(r, status, "%s", text);
	r->smtp_code = 0;
	r->stage = smtp_stage_name(stage);
	relay_result_set_relay(r, cl->relay);
}

/*
 * txn_check - what must fail before anything is sent: addresses with
 * CR or LF, SMTPUTF8 not offered, message over the server's SIZE.
 * Returns 1 when recipients are left to send, else 0.
 */
static int
txn_check(struct smtp_client *cl, struct txn *t)
{
	const struct envelope *env = t->env;
	struct relay_result err;
	size_t i, left = 0;

	for (i = 0; i < env->nrcpt; i++) {
		relay_result_init(&t->res[i]);
		relay_result_set_relay(&t->res[i], cl->relay);
		if (strpbrk(env->rcpt[i].addr, "\r\n") != NULL) {
			log_err("smtp_client: recipient address with CR or LF");
			refuse_rcpt(cl, &t->res[i], SMTP_STAGE_RCPT, "5.1.3",
			    "bad recipient address syntax: CR or LF in "
			    "address");
		} else {
			left++;
			t->need_utf8 |= env->rcpt[i].is_utf8;
		}
	}
	if (left == 0)
		return 0;
	t->need_utf8 |= env->sender.is_utf8;
	relay_result_init(&err);
	if (strpbrk(env->sender.addr, "\r\n") != NULL) {
		log_err("smtp_client: sender address with CR or LF");
		refuse_rcpt(cl, &err, SMTP_STAGE_MAIL, "5.1.7",
		    "bad sender address syntax: CR or LF in address");
	} else if (t->need_utf8 && !(cl->ext & SMTP_EXT_SMTPUTF8)) {
		refuse_rcpt(cl, &err, SMTP_STAGE_MAIL, "5.6.7",
		    "SMTPUTF8 is required, but was not offered by host %s",
		    cl->peer);
	} else if (msg_stream_peek(t->ms, &err) < 0) {
		err.stage = smtp_stage_name(SMTP_STAGE_MAIL);
		relay_result_set_relay(&err, cl->relay);
	} else {
		t->size = msg_stream_wire_size(t->ms);
		if (t->size < 0)
			t->size = env->size;
		if ((cl->ext & SMTP_EXT_SIZE) && cl->size_limit > 0 &&
		    t->size >= 0 &&
		    (unsigned long long)t->size > cl->size_limit)
			refuse_rcpt(cl, &err, SMTP_STAGE_MAIL, "5.3.4",
			    "message size %lld exceeds size limit %llu of "
			    "server %s", t->size, cl->size_limit, cl->peer);
		else
			return 1;
	}
	give_open(cl, t, &err);
	return 0;
}

/*
 * txn_out_of_turn - the server spoke before we did (a 421 before it
 * closes an idle session, or just the close): the session is unusable.
 */
static int
txn_out_of_turn(struct smtp_client *cl, struct txn *t,
    struct relay_result *why)
{
	char status[RELAY_STATUS_MAX];
	struct deadline d;

	stage_deadline(cl, SMTP_STAGE_MAIL, &d);
	if (read_lines(cl, SMTP_STAGE_MAIL, &d, why) < 0)
		return txn_fail(cl, t, why);
	snprintf(status, sizeof(status), "%s", cl->reply.status[0] == '4' ?
	    cl->reply.status : "4.5.0");
	relay_result_set(why, status,
	    "host %s said: %s (out of turn, before MAIL FROM command)",
	    cl->peer, cl->reply.text);
	why->smtp_code = cl->reply.code;
	why->stage = smtp_stage_name(SMTP_STAGE_MAIL);
	relay_result_set_relay(why, cl->relay);
	return txn_fail(cl, t, why);
}

/* smtp_client_send - one transaction; see the DESCRIPTION above */
int
smtp_client_send(struct smtp_client *cl, const struct envelope *env,
    struct msg_stream *ms, struct relay_result *rcpt_results,
    struct relay_result *why)
{
	struct txn t;
	size_t i;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	t.env = env;
	t.ms = ms;
	t.res = rcpt_results;
	t.size = -1;
	if (cl->state != SMTP_STATE_READY || conn_fd(cl->conn) < 0) {
		relay_result_set(why, "4.3.0", "no open session with %s",
		    cl->peer[0] != '\0' ? cl->peer : "the server");
		relay_result_set_relay(why, cl->relay);
		for (i = 0; i < env->nrcpt; i++)
			relay_result_copy(&rcpt_results[i], why);
		return -1;
	}
	if (txn_check(cl, &t) == 0)
		return 0;
	if (conn_has_input(cl->conn))
		return txn_out_of_turn(cl, &t, why);
	set_state(cl, SMTP_STATE_MAIL);
	while (rc == 0 && cl->state != SMTP_STATE_READY) {
		switch (cl->state) {
		case SMTP_STATE_MAIL:
		case SMTP_STATE_RCPT:
		case SMTP_STATE_DATA:
			rc = txn_exchange(cl, &t, why);
			break;
		case SMTP_STATE_XFER:
			rc = txn_xfer(cl, &t, why);
			break;
		case SMTP_STATE_DOT:
			rc = txn_dot(cl, &t, why);
			break;
		case SMTP_STATE_ABORT:
			rc = txn_abort(cl, why);
			break;
		case SMTP_STATE_RSET:
			rc = txn_rset(cl, why);
			break;
		default:
			log_err("smtp_client: bad state %s in a transaction",
			    state_name(cl->state));
			abort();
		}
	}
	if (rc < 0)
		return txn_fail(cl, &t, why);
	return 0;
}

/*
 * DSN (RFC 3461): the parameters the MTA gave (LMTP mode) go on only to
 * a next hop that offers DSN, as Postfix's smtp(8) does; pipe mode has
 * none. Their values were checked (xtext) when they arrived.
 */

/* has_dsn - the server offers DSN */
static bool
has_dsn(const struct smtp_client *cl)
{
	return (cl->ext & SMTP_EXT_DSN) != 0;
}

/* dsn_ret - " RET=FULL", " RET=HDRS" or "" */
static const char *
dsn_ret(const struct smtp_client *cl, const struct envelope *env)
{
	if (!has_dsn(cl))
		return "";
	switch (env->ret) {
	case ENVELOPE_RET_FULL:
		return " RET=FULL";
	case ENVELOPE_RET_HDRS:
		return " RET=HDRS";
	default:
		return "";
	}
}

/* dsn_notify - " NOTIFY=NEVER" or " NOTIFY=SUCCESS,FAILURE,..." or "" */
static void
dsn_notify(const struct smtp_client *cl, const struct address *a, char *buf,
    size_t size)
{
	static const struct {
		unsigned flag;
		const char *name;
	} flags[] = {
		{ ADDRESS_NOTIFY_SUCCESS, "SUCCESS" },
		{ ADDRESS_NOTIFY_FAILURE, "FAILURE" },
		{ ADDRESS_NOTIFY_DELAY, "DELAY" },
	};
	size_t i, used;

	buf[0] = '\0';
	if (!has_dsn(cl) || a->notify == 0)
		return;
	if (a->notify & ADDRESS_NOTIFY_NEVER) {
		snprintf(buf, size, " NOTIFY=NEVER");
		return;
	}
	used = (size_t)snprintf(buf, size, " NOTIFY=");
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if ((a->notify & flags[i].flag) && used < size)
			used += (size_t)snprintf(buf + used, size - used,
			    "%s%s", buf[used - 1] == '=' ? "" : ",",
			    flags[i].name);
}

/* txn_send_one - write one command of the transaction, not flushed */
static int
txn_send_one(struct smtp_client *cl, struct txn *t, enum smtp_stage stage,
    size_t rcpt, struct relay_result *why)
{
	const struct envelope *env = t->env;
	struct txn_cmd *c;
	char size[32] = "", notify[48];
	int rc;

	switch (stage) {
	case SMTP_STAGE_MAIL:
		if ((cl->ext & SMTP_EXT_SIZE) && t->size >= 0)
			snprintf(size, sizeof(size), " SIZE=%lld", t->size);
		rc = send_command(cl, stage, false, why,
		    "MAIL FROM:<%s>%s%s%s%s%s%s", env->sender.addr, size,
		    (cl->ext & SMTP_EXT_8BITMIME) &&
		    msg_stream_has_8bit(t->ms) != 0 ? " BODY=8BITMIME" : "",
		    t->need_utf8 ? " SMTPUTF8" : "", dsn_ret(cl, env),
		    has_dsn(cl) && env->envid[0] != '\0' ? " ENVID=" : "",
		    has_dsn(cl) ? env->envid : "");
		t->is_mail_sent = true;
		break;
	case SMTP_STAGE_RCPT:
		dsn_notify(cl, &env->rcpt[rcpt], notify, sizeof(notify));
		rc = send_command(cl, stage, false, why, "RCPT TO:<%s>%s%s%s",
		    env->rcpt[rcpt].addr, notify,
		    has_dsn(cl) && env->rcpt[rcpt].orcpt[0] != '\0' ?
		    " ORCPT=" : "", has_dsn(cl) ? env->rcpt[rcpt].orcpt : "");
		t->rcpt_unanswered++;
		break;
	default:
		rc = send_command(cl, stage, false, why, "DATA");
		t->is_data_sent = true;
		break;
	}
	c = &t->q[(t->qhead + t->qlen) % SMTP_PIPELINE_MAX];
	c->stage = stage;
	c->rcpt = rcpt;
	t->qlen++;
	return rc;
}

/*
 * txn_send_group - send what may go now: with PIPELINING up to
 * SMTP_PIPELINE_MAX commands in one write (RFC 2920 3.1: DATA may end a
 * group), else one. DATA is not sent once all RCPTs are known refused.
 */
static int
txn_send_group(struct smtp_client *cl, struct txn *t,
    struct relay_result *why)
{
	size_t limit = (cl->ext & SMTP_EXT_PIPELINING) ? SMTP_PIPELINE_MAX : 1;
	enum smtp_stage last = SMTP_STAGE_MAIL;
	struct deadline d;
	enum conn_status st;

	while (t->qlen < limit) {
		while (t->next_rcpt < t->env->nrcpt &&
		    !rcpt_is_open(&t->res[t->next_rcpt]))
			t->next_rcpt++;
		if (!t->is_mail_sent)
			last = SMTP_STAGE_MAIL;
		else if (t->is_mail_failed)
			break;
		else if (t->next_rcpt < t->env->nrcpt)
			last = SMTP_STAGE_RCPT;
		else if (!t->is_data_sent &&
		    (t->naccepted > 0 || t->rcpt_unanswered > 0))
			last = SMTP_STAGE_DATA;
		else
			break;
		if (txn_send_one(cl, t, last, t->next_rcpt, why) < 0)
			return -1;
		if (last == SMTP_STAGE_RCPT)
			t->next_rcpt++;
	}
	if (t->qlen == 0)
		return 0;
	stage_deadline(cl, last, &d);
	if ((st = conn_flush(cl->conn, &d)) != CONN_OK)
		return io_fail(cl, last, st, why);
	return 0;
}

/*
 * txn_exchange - MAIL/RCPT/DATA: send what may be sent, then handle the
 * next reply; with nothing left to read, choose the next state.
 */
static int
txn_exchange(struct smtp_client *cl, struct txn *t, struct relay_result *why)
{
	struct txn_cmd c;

	if (t->qlen == 0 && txn_send_group(cl, t, why) < 0)
		return -1;
	if (t->qlen == 0) {
		/* Every command sent was answered, and no more will go. */
		if (t->is_data_354)
			set_state(cl, t->is_mail_failed || t->naccepted == 0 ?
			    SMTP_STATE_ABORT : SMTP_STATE_XFER);
		else
			set_state(cl, SMTP_STATE_RSET);
		return 0;
	}
	c = t->q[t->qhead];
	set_state(cl, c.stage == SMTP_STAGE_MAIL ? SMTP_STATE_MAIL :
	    c.stage == SMTP_STAGE_RCPT ? SMTP_STATE_RCPT : SMTP_STATE_DATA);
	if (read_reply(cl, c.stage, why) < 0)
		return -1;
	t->qhead = (t->qhead + 1) % SMTP_PIPELINE_MAX;
	t->qlen--;
	return txn_reply(cl, t, &c, why);
}

/* txn_reply - act on the reply to MAIL, RCPT or DATA */
static int
txn_reply(struct smtp_client *cl, struct txn *t, const struct txn_cmd *c,
    struct relay_result *why)
{
	const struct smtp_reply *r = &cl->reply;
	size_t i;

	if (r->code == 421) {
		/* RFC 5321 3.8: the server is closing the session. */
		said(cl, why, c->stage, reply_status(r));
		return -1;
	}
	switch (c->stage) {
	case SMTP_STAGE_MAIL:
		if (r->code / 100 == 2)
			return 0;
		t->is_mail_failed = true;
		said(cl, why, c->stage, reply_status(r));
		give_open(cl, t, why);
		return 0;
	case SMTP_STAGE_RCPT:
		t->rcpt_unanswered--;
		if (t->is_mail_failed)
			return 0;
		if (r->code / 100 == 2) {
			/* Accepted: the result stays open until the dot. */
			said(cl, &t->res[c->rcpt], c->stage, r->status);
			t->naccepted++;
		} else {
			said(cl, &t->res[c->rcpt], c->stage, reply_status(r));
		}
		return 0;
	default:
		if (r->code == 354) {
			t->is_data_354 = true;
			return 0;
		}
		if (r->code / 100 == 4 || r->code / 100 == 5) {
			for (i = 0; i < t->env->nrcpt; i++) {
				if (!rcpt_is_accepted(&t->res[i]))
					continue;
				said(cl, &t->res[i], c->stage, r->status);
			}
			return 0;
		}
		/* Not a reply to DATA: we cannot know what the server does. */
		said(cl, why, c->stage, "4.5.0");
		return -1;
	}
}

/*
 * txn_xfer - the content, written straight into the connection's buffer,
 * flushed whenever it fills; the final dot goes with the last bytes.
 */
static int
txn_xfer(struct smtp_client *cl, struct txn *t, struct relay_result *why)
{
	struct deadline d;
	enum conn_status st;
	ssize_t n;

	for (;;) {
		if (conn_wbuf_space(cl->conn) < SMTP_XFER_MIN) {
			stage_deadline(cl, SMTP_STAGE_XFER, &d);
			if ((st = conn_flush(cl->conn, &d)) != CONN_OK)
				return io_fail(cl, SMTP_STAGE_XFER, st, why);
		}
		n = msg_stream_read(t->ms, conn_wbuf_tail(cl->conn),
		    conn_wbuf_space(cl->conn), why);
		if (n < 0) {
			/* Close without the dot: the server drops the data. */
			why->smtp_code = 0;
			why->stage = smtp_stage_name(SMTP_STAGE_XFER);
			relay_result_set_relay(why, cl->relay);
			return -1;
		}
		if (n == 0)
			break;
		conn_wbuf_commit(cl->conn, (size_t)n);
	}
	/* What came during the content would be taken for the dot's reply. */
	if (check_quiet(cl, SMTP_STAGE_XFER, why) < 0)
		return -1;
	trace_command(".", 1);
	stage_deadline(cl, SMTP_STAGE_XFER, &d);
	/* LMTP: a reply for each accepted recipient (RFC 2033 4.2). */
	cl->owed += cl->opt.is_lmtp ? (unsigned)t->naccepted : 1;
	if ((st = conn_write(cl->conn, ".\r\n", 3, &d)) != CONN_OK ||
	    (st = conn_flush(cl->conn, &d)) != CONN_OK)
		return io_fail(cl, SMTP_STAGE_XFER, st, why);
	set_state(cl, SMTP_STATE_DOT);
	return 0;
}

/* dot_result - an accepted recipient's result from the reply to the dot */
static void
dot_result(struct smtp_client *cl, struct relay_result *res)
{
	const struct smtp_reply *r = &cl->reply;

	if (r->code / 100 == 2) {
		relay_result_set(res, r->status, "%s", r->text);
		res->smtp_code = r->code;
		res->stage = smtp_stage_name(SMTP_STAGE_DOT);
		relay_result_set_relay(res, cl->relay);
	} else {
		said(cl, res, SMTP_STAGE_DOT, r->status);
	}
}

/*
 * txn_dot - the reply to the final dot decides for accepted recipients;
 * with LMTP (RFC 2033 4.2) each accepted recipient has a reply of its
 * own, in the order of the RCPT commands
 */
static int
txn_dot(struct smtp_client *cl, struct txn *t, struct relay_result *why)
{
	const struct smtp_reply *r = &cl->reply;
	bool is_421 = false, is_sent = false;
	size_t i;

	for (i = 0; i < t->env->nrcpt; i++) {
		if (!rcpt_is_accepted(&t->res[i]))
			continue;
		/* A reply behind the last one: which one answered? */
		if (read_reply(cl, SMTP_STAGE_DOT, why) < 0 ||
		    (cl->owed == 0 && check_quiet(cl, SMTP_STAGE_DOT,
		    why) < 0))
			return -1;
		if (r->code / 100 != 2 && r->code / 100 != 4 &&
		    r->code / 100 != 5) {
			/* Unsure what happened: deferring may duplicate. */
			said(cl, why, SMTP_STAGE_DOT, "4.5.0");
			return -1;
		}
		is_421 |= r->code == 421;
		is_sent |= r->code / 100 == 2;
		if (!cl->opt.is_lmtp) {
			/* SMTP: one reply for all. */
			for (; i < t->env->nrcpt; i++)
				if (rcpt_is_accepted(&t->res[i]))
					dot_result(cl, &t->res[i]);
			break;
		}
		dot_result(cl, &t->res[i]);
	}
	if (is_sent)
		cl->messages++;
	if (is_421) {
		said(cl, why, SMTP_STAGE_DOT, r->status);
		return -1;
	}
	set_state(cl, SMTP_STATE_READY);
	return 0;
}

/* txn_abort - DATA said 354 but no recipient was accepted: lone dot */
static int
txn_abort(struct smtp_client *cl, struct relay_result *why)
{
	if (cl->opt.is_lmtp) {
		/* RFC 2033 4.2: no reply would come; a broken server. */
		relay_result_set(why, "4.5.0", "host %s said 354 to DATA with "
		    "no recipient accepted (LMTP)", cl->peer);
		return close_failed(cl, SMTP_STAGE_DATA, why);
	}
	if (send_command(cl, SMTP_STAGE_DOT, true, why, ".") < 0 ||
	    read_reply(cl, SMTP_STAGE_DOT, why) < 0)
		return -1;
	if (cl->reply.code == 421) {
		said(cl, why, SMTP_STAGE_DOT, reply_status(&cl->reply));
		return -1;
	}
	set_state(cl, SMTP_STATE_READY);
	return 0;
}

/* txn_rset - clear an unfinished transaction so the session goes on */
static int
txn_rset(struct smtp_client *cl, struct relay_result *why)
{
	if (send_command(cl, SMTP_STAGE_RSET, true, why, "RSET") < 0 ||
	    read_reply(cl, SMTP_STAGE_RSET, why) < 0)
		return -1;
	if (cl->reply.code / 100 != 2) {
		/* Only the session fails: transient, whatever the reply. */
		said(cl, why, SMTP_STAGE_RSET, cl->reply.status[0] == '4' ?
		    cl->reply.status : "4.5.0");
		return -1;
	}
	set_state(cl, SMTP_STATE_READY);
	return 0;
}
