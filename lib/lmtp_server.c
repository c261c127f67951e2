/*
 * NAME
 *	lmtp_server - an LMTP server session on an input and an output fd
 * SYNOPSIS
 *	#include "lmtp_server.h"
 *
 *	struct lmtp_server *lmtp_server_new(int in_fd, int out_fd,
 *	    const struct lmtp_server_options *opt,
 *	    const struct lmtp_server_handler *h);
 *	enum lmtp_server_end lmtp_server_run(struct lmtp_server *s);
 *	unsigned lmtp_server_transactions(const struct lmtp_server *s);
 *	void lmtp_server_free(struct lmtp_server *s);
 *	const char *lmtp_server_end_name(enum lmtp_server_end end);
 * DESCRIPTION
 *	The server side of LMTP (RFC 2033) for Postfix lmtp(8) behind a
 *	spawn(8) service and Exim's lmtp transport (command =): one
 *	session, many transactions, one reply per accepted recipient after
 *	the message. in_fd and out_fd may be the same socket (spawn) or two
 *	pipes (Exim); both are made non-blocking while the server exists
 *	and get their old flags back from lmtp_server_free(), which does
 *	not close them. Nothing but protocol goes to out_fd; diagnostics go
 *	to log(3) ("lmtp_server: ...", wire lines at debug level).
 *
 *	lmtp_server_new() copies opt (hostname cut to LMTP_SERVER_HOST_MAX
 *	printable bytes) and h; h->arg is borrowed and must outlive the
 *	server. It returns NULL when out of memory. lmtp_server_free()
 *	frees the server; NULL is a no-op. Writes to a pipe can raise
 *	SIGPIPE when the client has gone: the program ignores it (main.c
 *	does); on a socket, send(MSG_NOSIGNAL) is used.
 *
 *	lmtp_server_run() runs the whole session and says why it ended:
 *	QUIT (221 sent), EOF (input ended between transactions: normal,
 *	Postfix's connection cache closes without QUIT), IDLE (no command
 *	within idle_timeout_ms outside a transaction: "421 4.4.2" sent),
 *	AGE (max_age_ms passed: the next command that would start or
 *	reset a transaction, including Postfix's RSET reuse probe, gets
 *	"421 4.3.2"; a transaction already begun is finished), LOST (input
 *	ended inside a transaction or mid-line), TIMEOUT (no command or
 *	data within command_timeout_ms inside a transaction: "421 4.4.2"
 *	sent), LIMIT (max_errors protocol errors in the session, default
 *	LMTP_SERVER_ERRORS_MAX, or max_commands commands since the last
 *	message, default max_rcpt + 100: "421 4.7.0" sent),
 *	IO_ERROR (read or write failure, or output not taken within
 *	command_timeout_ms). A transaction cut off by LOST, TIMEOUT or
 *	IO_ERROR is never delivered and gets no replies: the MTA defers.
 *	The call may be made once per server.
 *
 *	Protocol. The greeting is "220 <hostname> LMTP slimrelay". LHLO
 *	(required first, may be repeated; it resets the transaction)
 *	offers PIPELINING, SIZE [limit], 8BITMIME, SMTPUTF8,
 *	ENHANCEDSTATUSCODES and DSN. Exim reads every reply into one
 *	256-byte buffer with fgets(buffer, 255): a line of more than 254
 *	bytes with its CRLF is "Malformed LMTP response" (seen with Exim
 *	4.96), and the lines of a multi-line reply share the buffer (each
 *	costs its length plus one; all must stay within 254), so the LHLO
 *	reply, at most 113 bytes plus the hostname (LMTP_SERVER_HOST_MAX),
 *	fits. HELO and EHLO are
 *	refused with 500 (RFC 2033 section 4.1: LMTP has LHLO only).
 *	MAIL FROM takes SIZE=, BODY=7BIT|8BITMIME, SMTPUTF8, RET=FULL|HDRS
 *	and ENVID=xtext; RCPT TO takes NOTIFY= and ORCPT=addr-type;xtext
 *	(RFC 3461, checked by address.c). Every command is checked when it
 *	arrives and answered at once: bad syntax 501 (5.1.7 sender, 5.1.3
 *	recipient, 5.5.4 parameters), unknown parameters 555 5.5.4, a
 *	SIZE= over size_limit 552 5.3.4, commands out of sequence 503
 *	5.5.1, unknown commands 500 5.5.2, a command line over
 *	LMTP_SERVER_LINE_MAX bytes 500 5.5.2 (RFC 5321 4.5.3.1.4 allows
 *	512, but ESMTP parameters may extend it; RFC 3461 alone allows a
 *	500-byte ORCPT, so the limit is Postfix's line_length_limit).
 *	More than max_rcpt recipients (default LMTP_SERVER_RCPT_MAX) get
 *	452 4.5.3 (RFC 5321 4.5.3.1.10: the client sends them later).
 *	h->check_rcpt() sees the transaction so far (env: sender,
 *	parameters, the recipients accepted before) and the parsed
 *	recipient with its DSN fields, and may refuse it with a result
 *	(for instance a route that the configuration alone cannot
 *	resolve); the reply is then made from the result as below.
 *	RSET and NOOP answer 250, VRFY 252,
 *	QUIT 221.
 *
 *	DATA (503 without an accepted recipient) answers 354, then
 *	receives the whole message before anything is delivered: through
 *	a DATA-mode msg_stream (msg_stream_new_data(), with
 *	MSG_STREAM_REPLAY, so memory stays constant and messages over
 *	MSG_STREAM_PEEK_MAX bytes go to an unlinked file in spool_dir).
 *	Receiving first means that a slow next hop can never stall the
 *	MTA's data transfer (its site-failure throttling would hit every
 *	destination), a client lost mid-message never reaches the
 *	delivery, and size_limit is checked before delivery (then every
 *	recipient gets 552 5.3.4). Then h->deliver() gets the envelope
 *	(accepted recipients only, in order), the stream at its start,
 *	and one result per recipient, each preset to "4.3.0 no delivery
 *	result" so that a result it forgets defers; the stream is freed
 *	after it returns. Each result becomes one reply, in recipient
 *	order: "<code> <status> <text>", where the code agrees with the
 *	status class (250; the result's smtp_code when it is an ordinary
 *	45x or 55x code of the same class, else 450/550 at RCPT and
 *	451/554 after DATA; 421 is never used for one recipient). Every
 *	reply line is cut to LMTP_SERVER_REPLY_MAX (254) bytes with its CRLF,
 *	never inside a UTF-8 sequence, and control characters in it
 *	become spaces.
 *
 *	PIPELINING (RFC 2920): commands are processed in order from the
 *	input buffer; replies are buffered and written when the server
 *	would otherwise wait for input (so a pipelined group gets its
 *	replies in one write), when the buffer is full, after 354, and
 *	at the end. Bytes after the end of the message are the next
 *	commands and stay in the input buffer.
 *
 *	Every wait is a poll() against a deadline: idle_timeout_ms for
 *	each command outside a transaction, command_timeout_ms for each
 *	command and each read of message data inside one, and for each
 *	write. Memory is bounded: the buffers are fixed, and the
 *	recipient list grows to max_rcpt entries at most.
 * SEE ALSO
 *	RFC 2033 (LMTP), RFC 2920 (PIPELINING), RFC 3461 (DSN), RFC 1870
 *	(SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 2034 and
 *	RFC 3463 (enhanced status codes), RFC 5321; msg_stream(3).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "lmtp_server.h"
#include "log.h"

#define RBUF_SIZE	(16 * 1024)
#define WBUF_SIZE	(8 * 1024)
#define RCPT_GROW	16
#define SHOW_KEY_MAX	64	/* bytes of a parameter name echoed */

enum lmtp_state {
	LMTP_STATE_INIT,	/* before LHLO */
	LMTP_STATE_READY,	/* after LHLO, no transaction */
	LMTP_STATE_MAIL,	/* MAIL accepted, no recipient yet */
	LMTP_STATE_RCPT,	/* at least one recipient accepted */
};

enum read_status {
	READ_OK,
	READ_EOF,		/* end of input */
	READ_TIMEOUT,		/* the deadline passed */
	READ_ERROR,		/* read(2) failed */
	READ_TOOLONG,		/* a line over LMTP_SERVER_LINE_MAX */
};

struct lmtp_server {
	int	in_fd;
	int	out_fd;
	int	in_flags;		/* fcntl flags to restore; -1 none */
	int	out_flags;
	bool	out_is_socket;		/* send(MSG_NOSIGNAL) works */
	struct lmtp_server_options opt;
	struct lmtp_server_handler h;
	char	host[LMTP_SERVER_HOST_MAX + 1];
	enum lmtp_state state;
	enum lmtp_server_end end;
	bool	done;			/* the session is over */
	bool	dead;			/* output failed: write nothing more */
	bool	timed_out;		/* the last wait for input expired */
	bool	read_failed;		/* read(2) failed */
	bool	skipping;		/* discarding the rest of a long line */
	struct deadline age;
	unsigned ncommands;		/* since the last message */
	unsigned nerrors;		/* in the session */
	unsigned ntransactions;
	struct envelope env;		/* env.rcpt is rcpt */
	struct address *rcpt;
	size_t	rcpt_cap;
	size_t	rpos;			/* unread input is rbuf[rpos..rlen) */
	size_t	rlen;
	size_t	wlen;			/* replies not written yet */
	char	cmd[LMTP_SERVER_LINE_MAX + 1];
	char	rbuf[RBUF_SIZE];
	char	wbuf[WBUF_SIZE];
};

struct command {
	const char *name;
	void	(*fn)(struct lmtp_server *, char *);
	bool	is_reset;		/* starts or resets a transaction */
};

static void do_lhlo(struct lmtp_server *, char *);
static void do_mail(struct lmtp_server *, char *);
static void do_rcpt(struct lmtp_server *, char *);
static void do_data(struct lmtp_server *, char *);
static void do_rset(struct lmtp_server *, char *);
static void do_noop(struct lmtp_server *, char *);
static void do_quit(struct lmtp_server *, char *);
static void do_vrfy(struct lmtp_server *, char *);
static void do_helo(struct lmtp_server *, char *);
static void reply(struct lmtp_server *, const char *, ...) PRINTFLIKE(2, 3);
static void error_reply(struct lmtp_server *, const char *, ...)
	    PRINTFLIKE(2, 3);
static void reply_result(struct lmtp_server *, const struct relay_result *,
	    bool);
static void put_line(struct lmtp_server *, const char *, size_t);
static int flush(struct lmtp_server *);
static int fill_input(struct lmtp_server *, const struct deadline *);
static enum read_status read_command(struct lmtp_server *, size_t *);
static void reset_transaction(struct lmtp_server *);
static void finish(struct lmtp_server *, enum lmtp_server_end);
static void input_broke(struct lmtp_server *, bool);
static void timeout_ms(struct deadline *, long);
static const char *show_key(char *, size_t, const char *);

static const struct command commands[] = {
	{ "LHLO", do_lhlo, true },
	{ "MAIL", do_mail, true },
	{ "RCPT", do_rcpt, false },
	{ "DATA", do_data, false },
	{ "RSET", do_rset, true },
	{ "NOOP", do_noop, false },
	{ "QUIT", do_quit, false },
	{ "VRFY", do_vrfy, false },
	{ "HELO", do_helo, false },
	{ "EHLO", do_helo, false },
};

/* lmtp_state_name - for debug logs */
static const char *
lmtp_state_name(enum lmtp_state st)
{
	switch (st) {
	case LMTP_STATE_INIT:
		return "INIT";
	case LMTP_STATE_READY:
		return "READY";
	case LMTP_STATE_MAIL:
		return "MAIL";
	case LMTP_STATE_RCPT:
		return "RCPT";
	}
	return "?";
}

/* lmtp_server_end_name - why a session ended, for logs */
const char *
lmtp_server_end_name(enum lmtp_server_end end)
{
	switch (end) {
	case LMTP_SERVER_QUIT:
		return "QUIT";
	case LMTP_SERVER_EOF:
		return "end of input";
	case LMTP_SERVER_IDLE:
		return "idle timeout";
	case LMTP_SERVER_AGE:
		return "maximum session age";
	case LMTP_SERVER_LOST:
		return "lost connection in a transaction";
	case LMTP_SERVER_TIMEOUT:
		return "timeout in a transaction";
	case LMTP_SERVER_LIMIT:
		return "too many errors or commands";
	case LMTP_SERVER_IO_ERROR:
		return "I/O error";
	}
	return "?";
}

/* lmtp_server_new - a session on in_fd/out_fd; NULL when out of memory */
struct lmtp_server *
lmtp_server_new(int in_fd, int out_fd, const struct lmtp_server_options *opt,
    const struct lmtp_server_handler *h)
{
	struct lmtp_server *s;
	const char *p;
	size_t n = 0;
	int type;
	socklen_t tlen = sizeof(type);

	if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	memset(s, 0, offsetof(struct lmtp_server, cmd));
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	s->opt = *opt;
	s->h = *h;
	if (s->opt.max_rcpt == 0)
		s->opt.max_rcpt = LMTP_SERVER_RCPT_MAX;
	if (s->opt.max_commands == 0)
		s->opt.max_commands = s->opt.max_rcpt > UINT_MAX - 100 ?
		    UINT_MAX : (unsigned)s->opt.max_rcpt + 100;
	if (s->opt.max_errors == 0)
		s->opt.max_errors = LMTP_SERVER_ERRORS_MAX;
	if (s->opt.size_limit < 0)
		s->opt.size_limit = 0;
	s->opt.hostname = NULL;		/* not kept: host[] is */
	for (p = opt->hostname ? opt->hostname : ""; *p != '\0' &&
	    n < LMTP_SERVER_HOST_MAX; p++)
		s->host[n++] = *p > ' ' && *p < 0x7f ? *p : '?';
	s->host[n] = '\0';
	if (n == 0)
		strcpy(s->host, "localhost");
	s->out_is_socket = getsockopt(out_fd, SOL_SOCKET, SO_TYPE, &type,
	    &tlen) == 0;
	/* Non-blocking: every wait is our own poll() with a deadline. */
	if ((s->in_flags = fcntl(in_fd, F_GETFL)) >= 0)
		(void)fcntl(in_fd, F_SETFL, s->in_flags | O_NONBLOCK);
	if ((s->out_flags = fcntl(out_fd, F_GETFL)) >= 0)
		(void)fcntl(out_fd, F_SETFL, s->out_flags | O_NONBLOCK);
	s->env.size = -1;
	return s;
}

/* lmtp_server_free - restore the descriptors' flags and free */
void
lmtp_server_free(struct lmtp_server *s)
{
	if (s == NULL)
		return;
	if (s->out_flags >= 0)
		(void)fcntl(s->out_fd, F_SETFL, s->out_flags);
	if (s->in_flags >= 0)
		(void)fcntl(s->in_fd, F_SETFL, s->in_flags);
	free(s->rcpt);
	free(s);
}

/* lmtp_server_transactions - messages received to the end so far */
unsigned
lmtp_server_transactions(const struct lmtp_server *s)
{
	return s->ntransactions;
}

/* lmtp_server_run - the whole session; why it ended */
enum lmtp_server_end
lmtp_server_run(struct lmtp_server *s)
{
	const struct command *c;
	enum read_status rs;
	size_t len, n, i;
	char *arg;

	timeout_ms(&s->age, s->opt.max_age_ms);
	reply(s, "220 %s LMTP slimrelay", s->host);
	while (!s->done && !s->dead) {
		rs = read_command(s, &len);
		if (rs == READ_TOOLONG) {
			error_reply(s, "500 5.5.2 Error: line too long");
			continue;
		}
		if (rs != READ_OK) {
			input_broke(s, rs == READ_TIMEOUT);
			break;
		}
		log_debug("lmtp_server: <<< %.200s", s->cmd);
		if (memchr(s->cmd, '\0', len) != NULL) {
			error_reply(s, "500 5.5.2 Error: NUL in command");
			continue;
		}
		if (++s->ncommands > s->opt.max_commands) {
			reply(s, "421 4.7.0 %s Error: too many commands",
			    s->host);
			finish(s, LMTP_SERVER_LIMIT);
			break;
		}
		n = strcspn(s->cmd, " ");
		arg = s->cmd + n;
		while (*arg == ' ')
			arg++;
		for (c = NULL, i = 0; i < sizeof(commands) /
		    sizeof(commands[0]); i++)
			if (strlen(commands[i].name) == n &&
			    strncasecmp(s->cmd, commands[i].name, n) == 0)
				c = &commands[i];
		if (c == NULL) {
			error_reply(s, "500 5.5.2 Error: command not "
			    "recognized");
			continue;
		}
		/* After max_age no new transaction; one begun is ended. */
		if (c->is_reset && deadline_expired(&s->age)) {
			reply(s, "421 4.3.2 %s Error: session too old, "
			    "closing", s->host);
			finish(s, LMTP_SERVER_AGE);
			break;
		}
		c->fn(s, arg);
	}
	if (s->dead)
		s->end = LMTP_SERVER_IO_ERROR;
	else
		(void)flush(s);
	reset_transaction(s);
	s->done = true;
	if (s->end == LMTP_SERVER_QUIT || s->end == LMTP_SERVER_EOF)
		log_debug("lmtp_server: session ended: %s after %u "
		    "message(s)", lmtp_server_end_name(s->end),
		    s->ntransactions);
	else
		log_info("lmtp_server: session ended: %s after %u "
		    "message(s)", lmtp_server_end_name(s->end),
		    s->ntransactions);
	return s->end;
}

/* finish - end the session for this reason */
static void
finish(struct lmtp_server *s, enum lmtp_server_end end)
{
	s->end = end;
	s->done = true;
}

/* input_broke - no command: end of input, timeout or read error */
static void
input_broke(struct lmtp_server *s, bool timed_out)
{
	bool in_trans = s->state >= LMTP_STATE_MAIL;

	if (s->read_failed) {
		finish(s, LMTP_SERVER_IO_ERROR);
	} else if (timed_out) {
		reply(s, "421 4.4.2 %s Error: %s", s->host, in_trans ?
		    "timeout exceeded" : "idle timeout");
		finish(s, in_trans ? LMTP_SERVER_TIMEOUT : LMTP_SERVER_IDLE);
	} else if (s->rpos < s->rlen || s->skipping || in_trans) {
		finish(s, LMTP_SERVER_LOST);
	} else
		finish(s, LMTP_SERVER_EOF);
}

/* timeout_ms - a deadline ms from now; none for 0 or less */
static void
timeout_ms(struct deadline *d, long ms)
{
	if (ms > 0)
		deadline_in_ms(d, ms);
	else
		deadline_none(d);
}

/* reset_transaction - forget the envelope; every end of a message */
static void
reset_transaction(struct lmtp_server *s)
{
	memset(&s->env, 0, sizeof(s->env));
	s->env.size = -1;
	s->env.rcpt = s->rcpt;
	if (s->state > LMTP_STATE_READY)
		s->state = LMTP_STATE_READY;
}

/* do_lhlo - LHLO domain: the extensions (RFC 2033 4.1) */
static void
do_lhlo(struct lmtp_server *s, char *arg)
{
	char size[32];

	if (*arg == '\0') {
		error_reply(s, "501 5.5.4 Syntax: LHLO hostname");
		return;
	}
	reset_transaction(s);
	s->state = LMTP_STATE_READY;
	if (s->opt.size_limit > 0)
		snprintf(size, sizeof(size), "SIZE %lld", s->opt.size_limit);
	else
		strcpy(size, "SIZE");
	/* All of it within 254 bytes: Exim reads it into one buffer. */
	reply(s, "250-%s", s->host);
	reply(s, "250-PIPELINING");
	reply(s, "250-%s", size);
	reply(s, "250-8BITMIME");
	reply(s, "250-SMTPUTF8");
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250 DSN");
}

/* do_helo - HELO and EHLO are not LMTP (RFC 2033 4.1) */
static void
do_helo(struct lmtp_server *s, char *arg)
{
	(void)arg;
	error_reply(s, "500 5.5.1 Error: this is LMTP: send LHLO");
}

/*
 * split_path - after "FROM:" or "TO:": the path (with its <>) becomes
 * a string at *path and the parameters a string at *params; -1 when
 * the path is not closed or runs into the parameters.
 */
static int
split_path(char *p, char **path, char **params)
{
	bool quoted = false;
	char *q;

	while (*p == ' ')
		p++;
	*path = p;
	if (*p != '<') {
		/* Without brackets: up to the first space. */
		q = p + strcspn(p, " ");
	} else {
		for (q = p + 1; *q != '\0'; q++) {
			if (quoted && *q == '\\' && q[1] != '\0')
				q++;
			else if (*q == '"')
				quoted = !quoted;
			else if (!quoted && *q == '>')
				break;
		}
		if (*q != '>')
			return -1;
		q++;
		if (*q != '\0' && *q != ' ')
			return -1;
	}
	if (*q != '\0')
		*q++ = '\0';
	while (*q == ' ')
		q++;
	*params = q;
	return 0;
}

/* next_param - the next "KEY[=VALUE]" of params; NULL at the end */
static char *
next_param(char **params, char **value)
{
	char *p = *params, *end, *eq;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	end = p + strcspn(p, " ");
	if (*end != '\0')
		*end++ = '\0';
	*params = end;
	if ((eq = strchr(p, '=')) != NULL) {
		*eq = '\0';
		*value = eq + 1;
	} else
		*value = NULL;
	return p;
}

/* show_key - a parameter name fit to echo: printable ASCII, cut */
static const char *
show_key(char *buf, size_t size, const char *key)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i + 1 < size; i++)
		buf[i] = key[i] > ' ' && key[i] < 0x7f ? key[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* parse_size - SIZE=1*20DIGIT; huge values saturate; -1 bad */
static long long
parse_size(const char *v)
{
	long long n = 0;
	size_t i;

	if (v == NULL || *v == '\0' || strlen(v) > 20)
		return -1;
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (n > (LLONG_MAX - 9) / 10)
			n = LLONG_MAX;
		else
			n = n * 10 + (v[i] - '0');
	}
	return n;
}

/* mail_param - one MAIL FROM parameter; 0, or -1 after a reply */
static int
mail_param(struct lmtp_server *s, const char *key, const char *v,
    unsigned *seen)
{
	static const char *const keys[] = {
		"SIZE", "BODY", "SMTPUTF8", "RET", "ENVID",
	};
	struct relay_result why;
	char shown[SHOW_KEY_MAX + 1];
	long long size;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcasecmp(key, keys[i]) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0])) {
		reply(s, "555 5.5.4 Error: unsupported parameter %s",
		    show_key(shown, sizeof(shown), key));
		return -1;
	}
	if ((*seen & (1u << i)) != 0) {
		error_reply(s, "501 5.5.4 Error: %s given twice", keys[i]);
		return -1;
	}
	*seen |= 1u << i;
	relay_result_init(&why);
	switch (i) {
	case 0:
		if ((size = parse_size(v)) < 0) {
			error_reply(s, "501 5.5.4 Error: bad SIZE parameter");
			return -1;
		}
		if (s->opt.size_limit > 0 && size > s->opt.size_limit) {
			reply(s, "552 5.3.4 Error: message size exceeds the "
			    "limit of %lld bytes", s->opt.size_limit);
			return -1;
		}
		s->env.size = size;
		return 0;
	case 1:
		if (v != NULL && strcasecmp(v, "7BIT") == 0)
			s->env.body = ENVELOPE_BODY_7BIT;
		else if (v != NULL && strcasecmp(v, "8BITMIME") == 0)
			s->env.body = ENVELOPE_BODY_8BITMIME;
		else {
			error_reply(s, "501 5.5.4 Error: bad BODY parameter");
			return -1;
		}
		return 0;
	case 2:
		if (v != NULL) {
			error_reply(s, "501 5.5.4 Error: SMTPUTF8 takes no "
			    "value");
			return -1;
		}
		s->env.smtputf8 = true;
		return 0;
	case 3:
		if (v != NULL && strcasecmp(v, "FULL") == 0)
			s->env.ret = ENVELOPE_RET_FULL;
		else if (v != NULL && strcasecmp(v, "HDRS") == 0)
			s->env.ret = ENVELOPE_RET_HDRS;
		else {
			error_reply(s, "501 5.5.4 Error: bad RET parameter");
			return -1;
		}
		return 0;
	default:
		if (address_parse_envid(&s->env, v != NULL ? v : "",
		    &why) < 0) {
			error_reply(s, "501 %s %s", why.status, why.text);
			return -1;
		}
		return 0;
	}
}

/* do_mail - MAIL FROM:<path> [parameters] */
static void
do_mail(struct lmtp_server *s, char *arg)
{
	struct relay_result why;
	char *path, *params, *key, *v;
	unsigned seen = 0;

	if (s->state == LMTP_STATE_INIT) {
		error_reply(s, "503 5.5.1 Error: send LHLO first");
		return;
	}
	if (s->state != LMTP_STATE_READY) {
		error_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (strncasecmp(arg, "FROM:", 5) != 0 ||
	    split_path(arg + 5, &path, &params) < 0) {
		error_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	reset_transaction(s);
	relay_result_init(&why);
	if (address_parse_sender(&s->env.sender, path, &why) < 0) {
		error_reply(s, "501 %s %s", why.status, why.text);
		return;
	}
	while ((key = next_param(&params, &v)) != NULL)
		if (mail_param(s, key, v, &seen) < 0) {
			reset_transaction(s);
			return;
		}
	s->state = LMTP_STATE_MAIL;
	log_debug("lmtp_server: %s -> %s", lmtp_state_name(LMTP_STATE_READY),
	    lmtp_state_name(s->state));
	reply(s, "250 2.1.0 Ok");
}

/* rcpt_param - one RCPT TO parameter into a; 0, or -1 after a reply */
static int
rcpt_param(struct lmtp_server *s, struct address *a, const char *key,
    const char *v, unsigned *seen)
{
	struct relay_result why;
	char shown[SHOW_KEY_MAX + 1];
	unsigned bit;
	int rc;

	relay_result_init(&why);
	if (strcasecmp(key, "NOTIFY") == 0)
		bit = 1;
	else if (strcasecmp(key, "ORCPT") == 0)
		bit = 2;
	else {
		reply(s, "555 5.5.4 Error: unsupported parameter %s",
		    show_key(shown, sizeof(shown), key));
		return -1;
	}
	if ((*seen & bit) != 0) {
		error_reply(s, "501 5.5.4 Error: %s given twice", key);
		return -1;
	}
	*seen |= bit;
	if (bit == 1)
		rc = address_parse_notify(a, v != NULL ? v : "", &why);
	else
		rc = address_parse_orcpt(a, v != NULL ? v : "", &why);
	if (rc < 0) {
		error_reply(s, "501 %s %s", why.status, why.text);
		return -1;
	}
	return 0;
}

/* add_rcpt - room for one more recipient; -1 when out of memory */
static int
add_rcpt(struct lmtp_server *s)
{
	struct address *r;
	size_t cap;

	if (s->env.nrcpt < s->rcpt_cap)
		return 0;
	cap = s->rcpt_cap + RCPT_GROW;
	if (cap > s->opt.max_rcpt)
		cap = s->opt.max_rcpt;
	if ((r = realloc(s->rcpt, cap * sizeof(*r))) == NULL)
		return -1;
	s->rcpt = s->env.rcpt = r;
	s->rcpt_cap = cap;
	return 0;
}

/* do_rcpt - RCPT TO:<path> [parameters] */
static void
do_rcpt(struct lmtp_server *s, char *arg)
{
	struct relay_result why;
	struct address *a;
	char *path, *params, *key, *v;
	unsigned seen = 0;

	if (s->state < LMTP_STATE_MAIL) {
		error_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (strncasecmp(arg, "TO:", 3) != 0 ||
	    split_path(arg + 3, &path, &params) < 0) {
		error_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (s->env.nrcpt >= s->opt.max_rcpt) {
		reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (add_rcpt(s) < 0) {
		reply(s, "452 4.3.1 Error: insufficient system resources");
		return;
	}
	a = &s->rcpt[s->env.nrcpt];
	relay_result_init(&why);
	if (address_parse_rcpt(a, path, &why) < 0) {
		error_reply(s, "501 %s %s", why.status, why.text);
		return;
	}
	while ((key = next_param(&params, &v)) != NULL)
		if (rcpt_param(s, a, key, v, &seen) < 0)
			return;
	if (s->h.check_rcpt != NULL &&
	    s->h.check_rcpt(s->h.arg, &s->env, a, &why) < 0) {
		reply_result(s, &why, true);
		return;
	}
	s->env.nrcpt++;
	s->state = LMTP_STATE_RCPT;
	reply(s, "250 2.1.5 Ok");
}

/* data_peek - msg_stream source: the buffered input, reading more */
static int
data_peek(void *arg, const char **p, size_t *len, struct relay_result *why)
{
	struct lmtp_server *s = arg;
	struct deadline d;
	int r;

	if (s->rpos == s->rlen) {
		timeout_ms(&d, s->opt.command_timeout_ms);
		if ((r = fill_input(s, &d)) == 0)
			return 0;
		if (r < 0)
			return relay_result_set(why, "4.4.2", "%s while "
			    "receiving the message", s->timed_out ?
			    "timeout" : "read error");
	}
	*p = s->rbuf + s->rpos;
	*len = s->rlen - s->rpos;
	return 1;
}

/* data_consume - msg_stream source: bytes used */
static void
data_consume(void *arg, size_t n)
{
	struct lmtp_server *s = arg;

	s->rpos += n;
}

/* receive_deliver - receive the message, deliver, a reply per recipient */
static void
receive_deliver(struct lmtp_server *s, struct msg_stream *ms,
    struct relay_result *res)
{
	struct relay_result why, tmp;
	size_t i;

	relay_result_init(&why);
	/* Receive all of it first (memory or spool file). */
	if (msg_stream_rewind(ms, &why) < 0) {
		relay_result_init(&tmp);
		if (msg_stream_drain(ms, &tmp) < 0) {
			/* The client is gone or silent: no replies. */
			log_info("lmtp_server: message not received: %s",
			    tmp.text);
			input_broke(s, s->timed_out);
			return;
		}
		/* Too big (RFC 1870 uses 552 for it), or a spool error. */
		if (strcmp(why.status, "5.3.4") == 0)
			why.smtp_code = 552;
		for (i = 0; i < s->env.nrcpt; i++)
			reply_result(s, &why, false);
		return;
	}
	for (i = 0; i < s->env.nrcpt; i++) {
		relay_result_init(&res[i]);
		relay_result_set(&res[i], "4.3.0", "no delivery result");
	}
	s->h.deliver(s->h.arg, &s->env, ms, res);
	for (i = 0; i < s->env.nrcpt; i++)
		reply_result(s, &res[i], false);
	s->ntransactions++;
	s->ncommands = 0;
}

/* do_data - DATA: 354, the message, a reply per recipient */
static void
do_data(struct lmtp_server *s, char *arg)
{
	const struct msg_stream_source src = {
		data_peek, data_consume, s,
	};
	struct relay_result why;
	struct relay_result *res = NULL;
	struct msg_stream *ms = NULL;

	if (s->state < LMTP_STATE_MAIL) {
		error_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (s->state < LMTP_STATE_RCPT) {
		/* RFC 2033 4.2: no successful RCPT, DATA fails with 503. */
		error_reply(s, "503 5.5.1 Error: no valid recipients");
		return;
	}
	if (*arg != '\0') {
		error_reply(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	relay_result_init(&why);
	if ((res = calloc(s->env.nrcpt, sizeof(*res))) == NULL)
		relay_result_set(&why, "4.3.1", "insufficient system "
		    "resources");
	else
		ms = msg_stream_new_data(&src, MSG_STREAM_REPLAY |
		    s->opt.stream_flags, s->opt.spool_dir,
		    s->opt.size_limit, &why);
	if (ms == NULL) {
		reply_result(s, &why, false);
		goto out;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	if (flush(s) < 0)
		goto out;
	receive_deliver(s, ms, res);
out:
	msg_stream_free(ms);
	free(res);
	reset_transaction(s);
}

/* do_rset - RSET: end the transaction (also Postfix's reuse probe) */
static void
do_rset(struct lmtp_server *s, char *arg)
{
	(void)arg;
	reset_transaction(s);
	reply(s, "250 2.0.0 Ok");
}

/* do_noop - NOOP */
static void
do_noop(struct lmtp_server *s, char *arg)
{
	(void)arg;
	reply(s, "250 2.0.0 Ok");
}

/* do_vrfy - VRFY: never says (RFC 5321 3.5.3) */
static void
do_vrfy(struct lmtp_server *s, char *arg)
{
	if (*arg == '\0') {
		error_reply(s, "501 5.5.4 Syntax: VRFY address");
		return;
	}
	reply(s, "252 2.0.0 Cannot VRFY user; try RCPT");
}

/* do_quit - QUIT */
static void
do_quit(struct lmtp_server *s, char *arg)
{
	(void)arg;
	reply(s, "221 2.0.0 %s Bye", s->host);
	finish(s, LMTP_SERVER_QUIT);
}

/* result_code - the reply code for a result, agreeing with its class */
static int
result_code(const char *status, int smtp_code, bool at_rcpt)
{
	if (status[0] == '2')
		return 250;
	if (status[0] == '4') {
		/* Never 421: that would end the client's session. */
		if (smtp_code >= 450 && smtp_code <= 452)
			return smtp_code;
		return at_rcpt ? 450 : 451;
	}
	if (smtp_code >= 550 && smtp_code <= 554)
		return smtp_code;
	return at_rcpt ? 550 : 554;
}

/* reply_result - a result as one reply line */
static void
reply_result(struct lmtp_server *s, const struct relay_result *r,
    bool at_rcpt)
{
	const char *status = relay_status_valid(r->status) ? r->status :
	    "4.3.0";

	reply(s, "%d %s %s", result_code(status, r->smtp_code, at_rcpt),
	    status, r->text[0] != '\0' ? r->text : status[0] == '2' ?
	    "Ok" : "Error");
}

/* error_reply - a protocol error: counted; too many end the session */
static void
error_reply(struct lmtp_server *s, const char *fmt, ...)
{
	char line[LMTP_SERVER_REPLY_MAX * 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	put_line(s, line, (size_t)n < sizeof(line) ? (size_t)n :
	    sizeof(line) - 1);
	if (++s->nerrors >= s->opt.max_errors && !s->done) {
		reply(s, "421 4.7.0 %s Error: too many errors", s->host);
		finish(s, LMTP_SERVER_LIMIT);
	}
}

/* reply - one reply line */
static void
reply(struct lmtp_server *s, const char *fmt, ...)
{
	char line[LMTP_SERVER_REPLY_MAX * 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	put_line(s, line, (size_t)n < sizeof(line) ? (size_t)n :
	    sizeof(line) - 1);
}

/*
 * put_line - buffer one reply line: cut to LMTP_SERVER_REPLY_MAX with
 * its CRLF, not inside a UTF-8 sequence; control characters become
 * spaces, so that no CR or LF can end the line early
 */
static void
put_line(struct lmtp_server *s, const char *line, size_t len)
{
	char *w;
	size_t i;

	if (s->dead)
		return;
	if (len > LMTP_SERVER_REPLY_MAX - 2) {
		len = LMTP_SERVER_REPLY_MAX - 2;
		/* Cut before a sequence that does not fit whole. */
		while (len > 0 && ((unsigned char)line[len] & 0xc0) == 0x80)
			len--;
	}
	if (WBUF_SIZE - s->wlen < len + 2 && flush(s) < 0)
		return;
	w = s->wbuf + s->wlen;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		w[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	w[len] = '\r';
	w[len + 1] = '\n';
	s->wlen += len + 2;
	log_debug("lmtp_server: >>> %.*s", (int)len, w);
}

/* wait_fd - poll until fd has events or the deadline passes */
static int
wait_fd(struct lmtp_server *s, int fd, short events,
    const struct deadline *d)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, deadline_poll_ms(d));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
		if (n == 0 && deadline_expired(d)) {
			s->timed_out = true;
			return -1;
		}
	}
}

/* flush - write every buffered reply before command_timeout_ms */
static int
flush(struct lmtp_server *s)
{
	struct deadline d;
	size_t off = 0;
	ssize_t n;

	if (s->dead)
		return -1;
	timeout_ms(&d, s->opt.command_timeout_ms);
	while (off < s->wlen) {
		if (s->out_is_socket)
			n = send(s->out_fd, s->wbuf + off, s->wlen - off,
			    MSG_NOSIGNAL);
		else
			n = write(s->out_fd, s->wbuf + off, s->wlen - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_fd(s, s->out_fd, POLLOUT, &d) == 0)
			continue;
		log_info("lmtp_server: cannot write replies: %s",
		    n < 0 && s->timed_out ? "timeout" : n < 0 ?
		    strerror(errno) : "short write");
		s->dead = true;
		s->wlen = 0;
		finish(s, LMTP_SERVER_IO_ERROR);
		return -1;
	}
	s->wlen = 0;
	return 0;
}

/*
 * fill_input - read more input after rbuf[rpos..rlen), moved to the
 * front; 1, 0 at the end of input, -1 on timeout (timed_out) or error.
 * Replies are flushed before waiting, never before a read that has
 * data (RFC 2920: a pipelined group gets its replies together).
 */
static int
fill_input(struct lmtp_server *s, const struct deadline *d)
{
	ssize_t n;

	if (s->rpos > 0) {
		memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
		s->rlen -= s->rpos;
		s->rpos = 0;
	}
	s->timed_out = false;
	for (;;) {
		n = read(s->in_fd, s->rbuf + s->rlen, sizeof(s->rbuf) -
		    s->rlen);
		if (n > 0) {
			s->rlen += (size_t)n;
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			s->read_failed = true;
			log_info("lmtp_server: read error: %s",
			    strerror(errno));
			return -1;
		}
		if (s->wlen > 0 && flush(s) < 0)
			return -1;
		if (wait_fd(s, s->in_fd, POLLIN, d) < 0)
			return -1;
	}
}

/*
 * read_command - the next command line into cmd, without CR LF: a line
 * ends at LF, one CR before it is dropped. A line longer than
 * LMTP_SERVER_LINE_MAX is skipped to its end (READ_TOOLONG once).
 */
static enum read_status
read_command(struct lmtp_server *s, size_t *len)
{
	struct deadline d;
	const char *nl;
	size_t n;
	int r;

	timeout_ms(&d, s->state >= LMTP_STATE_MAIL ?
	    s->opt.command_timeout_ms : s->opt.idle_timeout_ms);
	for (;;) {
		nl = memchr(s->rbuf + s->rpos, '\n', s->rlen - s->rpos);
		if (s->skipping) {
			if (nl == NULL) {
				s->rpos = s->rlen;
			} else {
				s->rpos = (size_t)(nl - s->rbuf) + 1;
				s->skipping = false;
				return READ_TOOLONG;
			}
		} else if (nl != NULL) {
			n = (size_t)(nl - (s->rbuf + s->rpos)) + 1;
			if (n > LMTP_SERVER_LINE_MAX) {
				s->rpos += n;
				return READ_TOOLONG;
			}
			memcpy(s->cmd, s->rbuf + s->rpos, n - 1);
			s->rpos += n;
			n--;
			if (n > 0 && s->cmd[n - 1] == '\r')
				n--;
			s->cmd[n] = '\0';
			*len = n;
			return READ_OK;
		} else if (s->rlen - s->rpos >= LMTP_SERVER_LINE_MAX) {
			s->skipping = true;
			s->rpos = s->rlen;
		}
		if ((r = fill_input(s, &d)) == 0)
			return READ_EOF;
		if (r < 0)
			return s->timed_out ? READ_TIMEOUT : READ_ERROR;
	}
}
