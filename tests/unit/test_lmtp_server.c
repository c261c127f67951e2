/*
 * NAME
 *	test_lmtp_server - unit tests for lib/lmtp_server.c
 * DESCRIPTION
 *	The server runs in the test's thread; a scripted client runs in
 *	another, on the other ends of the server's descriptors: a stream
 *	socketpair for the server's input and a SOCK_SEQPACKET socketpair
 *	for its output (every write of the server arrives as one record,
 *	so that "these replies came in one write" can be asserted), or one
 *	socket for both (Postfix spawn(8)), or two pipes (Exim). Each step
 *	of a script sends bytes, waits, and expects an exact transcript.
 *	A fake handler records what deliver() got (envelope, DSN fields,
 *	content) and returns scripted per-recipient results.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "address.h"
#include "lmtp_server.h"
#include "msg_stream.h"
#include "result.h"
#include "unit.h"

#define HOST		"lmtp.test"
#define GREETING	"220 " HOST " LMTP slimrelay\r\n"
#define LHLO_REPLY	"250-" HOST "\r\n250-PIPELINING\r\n" \
	"250-SIZE 100000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 DSN\r\n"
#define GO_AHEAD	"354 End data with <CR><LF>.<CR><LF>\r\n"
#define OUT_MAX		(256 * 1024)

/* ---- the scripted client ------------------------------------------- */

struct step {
	const char *send;	/* bytes to send, or NULL */
	const char *expect;	/* the exact replies, or NULL */
	int	writes;		/* in this many server writes; 0: any */
	int	sleep_ms;	/* before sending */
	bool	close;		/* close the input after sending */
};

enum fd_mode {
	FD_TWO_SOCKETS,		/* stream in, seqpacket out */
	FD_ONE_SOCKET,		/* spawn(8): stdin and stdout one socket */
	FD_PIPES,		/* Exim: two pipes */
};

struct client {
	const struct step *steps;
	int	wfd;		/* the client writes the server's input */
	int	rfd;		/* the client reads the server's output */
	bool	records;	/* rfd is SOCK_SEQPACKET */
	char	out[OUT_MAX];	/* everything the server wrote */
	size_t	out_len;
	char	err[512];	/* the first mismatch */
	pthread_t thread;
};

/* client_read - one read of the server's output; 0 at EOF/timeout */
static ssize_t
client_read(struct client *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->rfd, .events = POLLIN };
	ssize_t n;

	if (c->out_len >= sizeof(c->out))
		return 0;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	n = read(c->rfd, c->out + c->out_len, sizeof(c->out) - c->out_len);
	if (n > 0)
		c->out_len += (size_t)n;
	return n > 0 ? n : 0;
}

/* client_main - run the script, then read what remains */
static void *
client_main(void *arg)
{
	struct client *c = arg;
	const struct step *s;
	size_t start, want;
	int writes;

	for (s = c->steps; s->send != NULL || s->expect != NULL ||
	    s->sleep_ms != 0 || s->close; s++) {
		if (s->sleep_ms > 0)
			usleep((useconds_t)s->sleep_ms * 1000);
		if (s->send != NULL && write(c->wfd, s->send,
		    strlen(s->send)) != (ssize_t)strlen(s->send) &&
		    c->err[0] == '\0')
			snprintf(c->err, sizeof(c->err), "cannot send %.40s",
			    s->send);
		if (s->close) {
			close(c->wfd);
			c->wfd = -1;
		}
		if (s->expect == NULL)
			continue;
		start = c->out_len;
		want = strlen(s->expect);
		writes = 0;
		while (c->out_len - start < want && client_read(c, 5000) > 0)
			writes++;
		if (c->err[0] != '\0')
			continue;
		if (c->out_len - start != want ||
		    memcmp(c->out + start, s->expect, want) != 0)
			snprintf(c->err, sizeof(c->err), "got \"%.*s\", want "
			    "\"%s\"", (int)(c->out_len - start),
			    c->out + start, s->expect);
		else if (s->writes > 0 && c->records && writes != s->writes)
			snprintf(c->err, sizeof(c->err), "\"%.60s\" came in %d "
			    "writes, want %d", s->expect, writes, s->writes);
	}
	/* The rest, until the server closes its output. */
	while (client_read(c, 5000) > 0)
		continue;
	return NULL;
}

/* ---- the fake handler ---------------------------------------------- */

struct fake_result {
	const char *status;
	int	code;
	const char *text;
};

struct fake {
	const struct fake_result *results;	/* one per recipient */
	const char *refuse;	/* check_rcpt refuses this domain */
	int	ndeliver;
	int	ncheck;
	struct envelope env;	/* as deliver() got it */
	struct address rcpt[8];
	char	content[128 * 1024];
	ssize_t content_len;	/* -1: read failed */
	bool	twice;		/* read the message twice (replay) */
};

/* fake_check - refuse recipients in one domain */
static int
fake_check(void *arg, const struct envelope *env, const struct address *a,
    struct relay_result *why)
{
	struct fake *f = arg;

	(void)env;
	f->ncheck++;
	if (f->refuse != NULL && strcmp(a->domain, f->refuse) == 0)
		return relay_result_set(why, "4.4.3", "Host or domain name "
		    "not found. Name service error for name=%s type=MX: "
		    "Host not found, try again", a->domain);
	return 0;
}

/* fake_deliver - keep what was given; the scripted results */
static void
fake_deliver(void *arg, const struct envelope *env, struct msg_stream *ms,
    struct relay_result *res)
{
	struct relay_result why;
	struct fake *f = arg;
	size_t i, n;
	ssize_t got;
	int pass;

	f->ndeliver++;
	f->env = *env;
	n = env->nrcpt < 8 ? env->nrcpt : 8;
	memcpy(f->rcpt, env->rcpt, n * sizeof(*f->rcpt));
	relay_result_init(&why);
	for (pass = 0; pass < (f->twice ? 2 : 1); pass++) {
		if (pass > 0 && msg_stream_rewind(ms, &why) < 0)
			break;
		f->content_len = 0;
		while ((got = msg_stream_read(ms, f->content + f->content_len,
		    7, &why)) > 0 && f->content_len + 7 <
		    (ssize_t)sizeof(f->content))
			f->content_len += got;
		if (got < 0)
			f->content_len = -1;
	}
	for (i = 0; f->results != NULL && i < env->nrcpt; i++) {
		relay_result_set(&res[i], f->results[i].status, "%s",
		    f->results[i].text);
		res[i].smtp_code = f->results[i].code;
	}
}

/* ---- running a session --------------------------------------------- */

static const struct lmtp_server_options default_opt = {
	.hostname = HOST,
	.size_limit = 100000,
	.idle_timeout_ms = 5000,
	.command_timeout_ms = 5000,
};

/* session - run the server against a client script; the end reason */
static enum lmtp_server_end
session(const struct lmtp_server_options *opt, struct fake *f,
    const struct step *steps, enum fd_mode mode, struct client *c)
{
	const struct lmtp_server_handler h = {
		fake_check, fake_deliver, f,
	};
	struct lmtp_server *s;
	enum lmtp_server_end end;
	int in[2], out[2], sin, sout;

	memset(c, 0, sizeof(*c));
	c->steps = steps;
	switch (mode) {
	case FD_TWO_SOCKETS:
		CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, in) == 0);
		CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_SEQPACKET, 0,
		    out) == 0);
		c->wfd = in[0];
		sin = in[1];
		c->rfd = out[0];
		sout = out[1];
		c->records = true;
		break;
	case FD_ONE_SOCKET:
		CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, in) == 0);
		c->wfd = in[0];
		c->rfd = dup(in[0]);
		sin = sout = in[1];
		break;
	default:
		CU_ASSERT_FATAL(pipe(in) == 0 && pipe(out) == 0);
		c->wfd = in[1];
		sin = in[0];
		c->rfd = out[0];
		sout = out[1];
		break;
	}
	pthread_create(&c->thread, NULL, client_main, c);
	s = lmtp_server_new(sin, sout, opt, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	end = lmtp_server_run(s);
	lmtp_server_free(s);
	if (mode == FD_ONE_SOCKET)
		shutdown(sout, SHUT_RDWR);
	close(sout);
	if (sin != sout)
		close(sin);
	pthread_join(c->thread, NULL);
	if (c->wfd >= 0)
		close(c->wfd);
	close(c->rfd);
	c->out[c->out_len < sizeof(c->out) ? c->out_len :
	    sizeof(c->out) - 1] = '\0';
	if (c->err[0] != '\0')
		unit_fail(__FILE__, __LINE__, "client: %s", c->err);
	return end;
}

/* every_line_short - every reply line <= 254 bytes, ends in CRLF */
static void
every_line_short(const struct client *c)
{
	const char *p = c->out, *end = c->out + c->out_len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		CU_ASSERT_FATAL(nl != NULL);
		if (nl - p + 1 > LMTP_SERVER_REPLY_MAX)
			unit_fail(__FILE__, __LINE__, "reply line of %zd "
			    "bytes: %.60s", nl - p + 1, p);
		CU_ASSERT(nl > p && nl[-1] == '\r');
		CU_ASSERT(memchr(p, '\r', (size_t)(nl - p)) == nl - 1);
		p = nl + 1;
	}
}

static struct client cl;	/* big: not on the stack */
static struct fake fk;

/* ---- the tests ----------------------------------------------------- */

static const struct fake_result all_ok[] = {
	{ "2.0.0", 250, "delivered via mx.b.test[192.0.2.1]:25: 250 2.0.0 "
	    "Ok: queued as 1" },
	{ "2.0.0", 250, "delivered via mx.c.test[192.0.2.2]:25: 250 2.0.0 "
	    "Ok: queued as 2" },
	{ "2.0.0", 250, "delivered" },
};

#define OK1	"250 2.0.0 delivered via mx.b.test[192.0.2.1]:25: 250 2.0.0 " \
	"Ok: queued as 1\r\n"
#define OK2	"250 2.0.0 delivered via mx.c.test[192.0.2.2]:25: 250 2.0.0 " \
	"Ok: queued as 2\r\n"

/* Postfix lmtp(8): pipelined MAIL/RCPT/DATA, RSET probe before reuse. */
static const struct step postfix_steps[] = {
	{ .expect = GREETING, .writes = 1 },
	{ .send = "LHLO mail.test\r\n", .expect = LHLO_REPLY, .writes = 1 },
	{ .send = "MAIL FROM:<a@a.test> SIZE=24\r\nRCPT TO:<b@b.test> "
	    "ORCPT=rfc822;b@b.test\r\nRCPT TO:<c@c.test>\r\nDATA\r\n",
	    .expect = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    GO_AHEAD, .writes = 1 },
	{ .send = "Subject: one\r\n\r\n..dot\r\n.\r\n",
	    .expect = OK1 OK2, .writes = 1 },
	{ .send = "RSET\r\n", .expect = "250 2.0.0 Ok\r\n" },
	{ .send = "MAIL FROM:<>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n",
	    .expect = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" GO_AHEAD,
	    .writes = 1 },
	{ .send = "Subject: two\r\n\r\nbody\r\n.\r\n", .expect = OK1 },
	{ .send = "QUIT\r\n", .expect = "221 2.0.0 " HOST " Bye\r\n" },
	{ .send = NULL },
};

/* test_lmtp_server_two_transactions - Postfix's way, two messages */
static void
test_lmtp_server_two_transactions(void)
{
	static const enum fd_mode modes[] = { FD_TWO_SOCKETS, FD_ONE_SOCKET };
	size_t m;

	for (m = 0; m < 2; m++) {
		memset(&fk, 0, sizeof(fk));
		fk.results = all_ok;
		UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, postfix_steps,
		    modes[m], &cl), LMTP_SERVER_QUIT);
		UNIT_ASSERT_INT_EQ(fk.ndeliver, 2);
		UNIT_ASSERT_INT_EQ(fk.ncheck, 3);
		/* The last message, as deliver() saw it. */
		UNIT_ASSERT_STR_EQ(fk.env.sender.addr, "");
		CU_ASSERT(fk.env.sender.is_null);
		UNIT_ASSERT_INT_EQ(fk.env.nrcpt, 1);
		UNIT_ASSERT_STR_EQ(fk.rcpt[0].addr, "b@b.test");
		UNIT_ASSERT_INT_EQ(fk.env.size, -1);
		UNIT_ASSERT_INT_EQ(fk.content_len, 22);
		CU_ASSERT(memcmp(fk.content, "Subject: two\r\n\r\nbody\r\n",
		    22) == 0);
		UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY
		    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n" GO_AHEAD
		    OK1 OK2 "250 2.0.0 Ok\r\n"
		    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" GO_AHEAD OK1
		    "221 2.0.0 " HOST " Bye\r\n");
		every_line_short(&cl);
	}
}

/* test_lmtp_server_first_message - the envelope and content of #1 */
static void
test_lmtp_server_first_message(void)
{
	static const struct step steps[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test> SIZE=24\r\n"
		    "RCPT TO:<b@b.test> ORCPT=rfc822;b@b.test\r\n"
		    "RCPT TO:<c@c.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "Subject: one\r\n\r\n..dot\r\n.\r\n"
		    "QUIT\r\n" },
		{ .send = NULL },
	};

	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	fk.twice = true;
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, steps, FD_PIPES, &cl),
	    LMTP_SERVER_QUIT);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 1);
	UNIT_ASSERT_STR_EQ(fk.env.sender.addr, "a@a.test");
	UNIT_ASSERT_INT_EQ(fk.env.size, 24);
	UNIT_ASSERT_INT_EQ(fk.env.nrcpt, 2);
	UNIT_ASSERT_STR_EQ(fk.rcpt[0].orcpt, "rfc822;b@b.test");
	UNIT_ASSERT_STR_EQ(fk.rcpt[1].orcpt, "");
	UNIT_ASSERT_STR_EQ(fk.rcpt[1].domain, "c.test");
	/* Read twice (replay); stuffed again for the next hop. */
	UNIT_ASSERT_INT_EQ(fk.content_len, 23);
	CU_ASSERT(memcmp(fk.content, "Subject: one\r\n\r\n..dot\r\n", 23) == 0);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n" GO_AHEAD
	    OK1 OK2 "221 2.0.0 " HOST " Bye\r\n");
}

/* test_lmtp_server_exim - one command at a time, pipes, EOF at the end */
static void
test_lmtp_server_exim(void)
{
	static const struct step steps[] = {
		{ .expect = GREETING },
		{ .send = "LHLO exim.test\r\n", .expect = LHLO_REPLY },
		{ .send = "MAIL FROM:<a@a.test>\r\n",
		    .expect = "250 2.1.0 Ok\r\n" },
		{ .send = "RCPT TO:<b@b.test>\r\n",
		    .expect = "250 2.1.5 Ok\r\n" },
		{ .send = "DATA\r\n", .expect = GO_AHEAD },
		{ .send = "x\r\n.\r\n", .expect = OK1 },
		{ .send = "QUIT\r\n", .expect = "221 2.0.0 " HOST " Bye\r\n" },
		{ .send = NULL },
	};

	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, steps, FD_PIPES, &cl),
	    LMTP_SERVER_QUIT);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 1);
	/* Exim reads the whole LHLO reply into 256 bytes (see below). */
	CU_ASSERT(strlen(LHLO_REPLY) + 7 <= LMTP_SERVER_REPLY_MAX);
}

/* test_lmtp_server_mixed_results - one reply per recipient, in order */
static void
test_lmtp_server_mixed_results(void)
{
	static const struct fake_result mixed[] = {
		{ "2.0.0", 250, "delivered via mx.b.test[192.0.2.1]:25: 250 "
		    "2.0.0 Ok: queued as 1" },
		{ "4.4.1", 0, "connect to mx.d.test[192.0.2.4]:25: "
		    "Connection refused" },
		{ "5.1.1", 550, "host mx.e.test[192.0.2.5] said: 550 5.1.1 "
		    "<e@e.test>: Recipient address rejected (in reply to RCPT "
		    "TO command)" },
		{ "4.2.2", 452, "host mx.f.test[192.0.2.6] said: 452 4.2.2 "
		    "Mailbox full (in reply to end of DATA command)" },
		{ "4.4.2", 421, "host mx.g.test[192.0.2.7] said: 421 4.4.2 "
		    "closing (in reply to end of DATA command)" },
		{ "5.7.1", 0, "relay access denied" },
	};
	static const struct step steps[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n"
		    "RCPT TO:<b@b.test>\r\nRCPT TO:<d@d.test>\r\n"
		    "RCPT TO:<x@refused.test>\r\nRCPT TO:<e@e.test>\r\n"
		    "RCPT TO:<f@f.test>\r\nRCPT TO:<g@g.test>\r\n"
		    "RCPT TO:<h@h.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "x\r\n.\r\nQUIT\r\n" },
		{ .send = NULL },
	};

	memset(&fk, 0, sizeof(fk));
	fk.results = mixed;
	fk.refuse = "refused.test";
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, steps, FD_TWO_SOCKETS,
	    &cl), LMTP_SERVER_QUIT);
	UNIT_ASSERT_INT_EQ(fk.env.nrcpt, 6);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "450 4.4.3 Host or domain name not found. Name service error for "
	    "name=refused.test type=MX: Host not found, try again\r\n"
	    "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    GO_AHEAD
	    "250 2.0.0 delivered via mx.b.test[192.0.2.1]:25: 250 2.0.0 Ok: "
	    "queued as 1\r\n"
	    "451 4.4.1 connect to mx.d.test[192.0.2.4]:25: Connection "
	    "refused\r\n"
	    "550 5.1.1 host mx.e.test[192.0.2.5] said: 550 5.1.1 <e@e.test>: "
	    "Recipient address rejected (in reply to RCPT TO command)\r\n"
	    "452 4.2.2 host mx.f.test[192.0.2.6] said: 452 4.2.2 Mailbox "
	    "full (in reply to end of DATA command)\r\n"
	    "451 4.4.2 host mx.g.test[192.0.2.7] said: 421 4.4.2 closing (in "
	    "reply to end of DATA command)\r\n"
	    "554 5.7.1 relay access denied\r\n"
	    "221 2.0.0 " HOST " Bye\r\n");
}

/* test_lmtp_server_forgotten_result - deliver() sets nothing: defer */
static void
test_lmtp_server_forgotten_result(void)
{
	static const struct step steps[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n"
		    "RCPT TO:<b@b.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "x\r\n.\r\nQUIT\r\n" },
		{ .send = NULL },
	};

	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, steps, FD_TWO_SOCKETS,
	    &cl), LMTP_SERVER_QUIT);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" GO_AHEAD
	    "451 4.3.0 no delivery result\r\n"
	    "221 2.0.0 " HOST " Bye\r\n");
}

/* test_lmtp_server_dsn - DSN and other MAIL/RCPT parameters */
static void
test_lmtp_server_dsn(void)
{
	static const struct step steps[] = {
		{ .send = "LHLO x\r\n"
		    "MAIL FROM:<a@a.test> RET=HDRS ENVID=QQ314159+2B1 "
		    "BODY=8BITMIME SMTPUTF8 SIZE=100\r\n"
		    "RCPT TO:<b@b.test> NOTIFY=SUCCESS,FAILURE "
		    "ORCPT=rfc822;b+2Bx@b.test\r\n"
		    "RCPT TO:<c@c.test> NOTIFY=NEVER\r\n"
		    "RCPT TO:<d@d.test> NOTIFY=NEVER,DELAY\r\n"
		    "RCPT TO:<d@d.test> ORCPT=rfc822;a+zz\r\n"
		    "RCPT TO:<d@d.test> ORCPT=rfc822\r\n"
		    "RCPT TO:<d@d.test> NOTIFY=DELAY NOTIFY=DELAY\r\n"
		    "RCPT TO:<d@d.test> FOO=BAR\r\n"
		    "DATA\r\n" },
		{ .sleep_ms = 50, .send = "x\r\n.\r\n"
		    "MAIL FROM:<a@a.test> ENVID=a=b\r\n"
		    "MAIL FROM:<a@a.test> RET=ALL\r\n"
		    "MAIL FROM:<a@a.test> BODY=BINARYMIME\r\n"
		    "MAIL FROM:<a@a.test> SIZE=1 SIZE=1\r\n"
		    "MAIL FROM:<a@a.test> SIZE=x\r\n"
		    "MAIL FROM:<a@a.test> SMTPUTF8=yes\r\n"
		    "MAIL FROM:<a@a.test> AUTH=<>\r\n"
		    "MAIL FROM:<a@a.test> X\xc3\x01=1\r\n"
		    "QUIT\r\n" },
		{ .send = NULL },
	};

	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, steps, FD_TWO_SOCKETS,
	    &cl), LMTP_SERVER_QUIT);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 1);
	UNIT_ASSERT_INT_EQ(fk.env.ret, ENVELOPE_RET_HDRS);
	UNIT_ASSERT_STR_EQ(fk.env.envid, "QQ314159+2B1");
	UNIT_ASSERT_INT_EQ(fk.env.body, ENVELOPE_BODY_8BITMIME);
	CU_ASSERT(fk.env.smtputf8);
	UNIT_ASSERT_INT_EQ(fk.env.size, 100);
	UNIT_ASSERT_INT_EQ(fk.env.nrcpt, 2);
	UNIT_ASSERT_INT_EQ(fk.rcpt[0].notify, ADDRESS_NOTIFY_SUCCESS |
	    ADDRESS_NOTIFY_FAILURE);
	UNIT_ASSERT_STR_EQ(fk.rcpt[0].orcpt, "rfc822;b+2Bx@b.test");
	UNIT_ASSERT_INT_EQ(fk.rcpt[1].notify, ADDRESS_NOTIFY_NEVER);
	UNIT_ASSERT_STR_EQ(fk.rcpt[1].orcpt, "");
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "501 5.5.4 bad NOTIFY parameter: NEVER combined with other "
	    "keywords\r\n"
	    "501 5.5.4 bad ORCPT parameter: bad xtext\r\n"
	    "501 5.5.4 bad ORCPT parameter: want addr-type;address\r\n"
	    "501 5.5.4 Error: NOTIFY given twice\r\n"
	    "555 5.5.4 Error: unsupported parameter FOO\r\n"
	    GO_AHEAD OK1 OK2
	    "501 5.5.4 bad ENVID parameter: bad xtext\r\n"
	    "501 5.5.4 Error: bad RET parameter\r\n"
	    "501 5.5.4 Error: bad BODY parameter\r\n"
	    "501 5.5.4 Error: SIZE given twice\r\n"
	    "501 5.5.4 Error: bad SIZE parameter\r\n"
	    "501 5.5.4 Error: SMTPUTF8 takes no value\r\n"
	    "555 5.5.4 Error: unsupported parameter AUTH\r\n"
	    "555 5.5.4 Error: unsupported parameter X??\r\n"
	    "221 2.0.0 " HOST " Bye\r\n");
}

/* test_lmtp_server_size - SIZE= at MAIL and the real size after DATA */
static void
test_lmtp_server_size(void)
{
	static const struct step steps[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test> SIZE=21\r\n"
		    "MAIL FROM:<a@a.test> SIZE=99999999999999999999\r\n"
		    "MAIL FROM:<a@a.test> SIZE=20\r\n"
		    "RCPT TO:<b@b.test>\r\nRCPT TO:<c@c.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "0123456789\r\n..23456789\r\n.\r\n"
		    "MAIL FROM:<a@a.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "0123456789\r\n.\r\nQUIT\r\n" },
		{ .send = NULL },
	};
	struct lmtp_server_options opt = default_opt;

	opt.size_limit = 20;
	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, steps, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_QUIT);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 1);
	UNIT_ASSERT_INT_EQ(fk.content_len, 12);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING "250-" HOST "\r\n"
	    "250-PIPELINING\r\n250-SIZE 20\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250 DSN\r\n"
	    "552 5.3.4 Error: message size exceeds the limit of 20 bytes\r\n"
	    "552 5.3.4 Error: message size exceeds the limit of 20 bytes\r\n"
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n" GO_AHEAD
	    "552 5.3.4 message size exceeds the limit of 20 bytes\r\n"
	    "552 5.3.4 message size exceeds the limit of 20 bytes\r\n"
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" GO_AHEAD OK1
	    "221 2.0.0 " HOST " Bye\r\n");
}

/* test_lmtp_server_too_many_rcpt - 452 4.5.3 beyond max_rcpt */
static void
test_lmtp_server_too_many_rcpt(void)
{
	static const struct step steps[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n"
		    "RCPT TO:<b@b.test>\r\nRCPT TO:<c@c.test>\r\n"
		    "RCPT TO:<d@d.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "x\r\n.\r\nQUIT\r\n" },
		{ .send = NULL },
	};
	struct lmtp_server_options opt = default_opt;

	opt.max_rcpt = 2;
	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, steps, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_QUIT);
	UNIT_ASSERT_INT_EQ(fk.env.nrcpt, 2);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "452 4.5.3 Error: too many recipients\r\n" GO_AHEAD OK1 OK2
	    "221 2.0.0 " HOST " Bye\r\n");
}

/* test_lmtp_server_sequence - unknown and out-of-sequence commands */
static void
test_lmtp_server_sequence(void)
{
	static const struct step steps[] = {
		{ .send = "MAIL FROM:<a@a.test>\r\nHELO x\r\nEHLO x\r\n"
		    "FOO\r\nLHLO\r\nLHLO x\r\nRCPT TO:<b@b.test>\r\nDATA\r\n"
		    "MAIL FROM:<a b@a.test>\r\nMAIL TO:<a@a.test>\r\n"
		    "MAIL FROM:<a@a.test\r\n"
		    "mail from:<a@a.test>\r\nMAIL FROM:<a@a.test>\r\n"
		    "RCPT TO:<>\r\nRCPT <b@b.test>\r\nDATA\r\n"
		    "VRFY b\r\nVRFY\r\nNOOP\r\nRSET\r\nRCPT TO:<b@b.test>\r\n"
		    "quit\r\n" },
		{ .send = NULL },
	};

	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, steps, FD_TWO_SOCKETS,
	    &cl), LMTP_SERVER_QUIT);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 0);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING
	    "503 5.5.1 Error: send LHLO first\r\n"
	    "500 5.5.1 Error: this is LMTP: send LHLO\r\n"
	    "500 5.5.1 Error: this is LMTP: send LHLO\r\n"
	    "500 5.5.2 Error: command not recognized\r\n"
	    "501 5.5.4 Syntax: LHLO hostname\r\n"
	    LHLO_REPLY
	    "503 5.5.1 Error: need MAIL command\r\n"
	    "503 5.5.1 Error: need MAIL command\r\n"
	    "501 5.1.7 bad address syntax: <a b@a.test>: unquoted space in "
	    "local part\r\n"
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
	    "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
	    "250 2.1.0 Ok\r\n"
	    "503 5.5.1 Error: nested MAIL command\r\n"
	    "501 5.1.3 bad address syntax: <>: empty address\r\n"
	    "501 5.5.4 Syntax: RCPT TO:<address>\r\n"
	    "503 5.5.1 Error: no valid recipients\r\n"
	    "252 2.0.0 Cannot VRFY user; try RCPT\r\n"
	    "501 5.5.4 Syntax: VRFY address\r\n"
	    "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
	    "503 5.5.1 Error: need MAIL command\r\n"
	    "221 2.0.0 " HOST " Bye\r\n");
}

/* test_lmtp_server_long_line - over 2048 bytes: 500, then in step */
static void
test_lmtp_server_long_line(void)
{
	static char input[3 * LMTP_SERVER_LINE_MAX + 20000];
	struct step steps[3];
	size_t n = 0;

	memset(steps, 0, sizeof(steps));
	/* Exactly the maximum: NOOP, padding, CRLF = 2048 bytes. */
	memcpy(input + n, "NOOP ", 5);
	n += 5;
	memset(input + n, 'x', LMTP_SERVER_LINE_MAX - 7);
	n += LMTP_SERVER_LINE_MAX - 7;
	memcpy(input + n, "\r\nNOOP ", 7);
	n += 7;
	/* One more byte: too long. */
	memset(input + n, 'x', LMTP_SERVER_LINE_MAX - 6);
	n += LMTP_SERVER_LINE_MAX - 6;
	memcpy(input + n, "\r\n", 2);
	n += 2;
	/* Far too long, over the input buffer. */
	memset(input + n, 'y', 18000);
	n += 18000;
	memcpy(input + n, "\r\nNOOP\r\nQUIT\r\n", 15);
	steps[0].send = input;
	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, steps, FD_TWO_SOCKETS,
	    &cl), LMTP_SERVER_QUIT);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING "250 2.0.0 Ok\r\n"
	    "500 5.5.2 Error: line too long\r\n"
	    "500 5.5.2 Error: line too long\r\n"
	    "250 2.0.0 Ok\r\n221 2.0.0 " HOST " Bye\r\n");
}

/* test_lmtp_server_idle_timeout - 421 4.4.2 between transactions */
static void
test_lmtp_server_idle_timeout(void)
{
	static const struct step steps[] = {
		{ .send = "LHLO x\r\n", .expect = GREETING LHLO_REPLY },
		{ .sleep_ms = 600 },
		{ .send = NULL },
	};
	struct lmtp_server_options opt = default_opt;
	long t0;

	opt.idle_timeout_ms = 200;
	memset(&fk, 0, sizeof(fk));
	t0 = (long)time(NULL);
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, steps, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_IDLE);
	CU_ASSERT((long)time(NULL) - t0 < 5);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY
	    "421 4.4.2 " HOST " Error: idle timeout\r\n");
}

/* test_lmtp_server_timeouts - in a transaction: 421, nothing delivered */
static void
test_lmtp_server_timeouts(void)
{
	static const struct step at_rcpt[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n" },
		{ .sleep_ms = 600 },
		{ .send = NULL },
	};
	static const struct step in_data[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n"
		    "RCPT TO:<b@b.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "Subject: x\r\n\r\nbody" },
		{ .sleep_ms = 600 },
		{ .send = NULL },
	};
	struct lmtp_server_options opt = default_opt;

	opt.command_timeout_ms = 200;
	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, at_rcpt, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_TIMEOUT);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY "250 2.1.0 Ok\r\n"
	    "421 4.4.2 " HOST " Error: timeout exceeded\r\n");
	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, in_data, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_TIMEOUT);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 0);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY "250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n" GO_AHEAD
	    "421 4.4.2 " HOST " Error: timeout exceeded\r\n");
}

/* test_lmtp_server_eof - between transactions normal, inside lost */
static void
test_lmtp_server_eof(void)
{
	static const struct step between[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n"
		    "RCPT TO:<b@b.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "x\r\n.\r\n", .close = true },
		{ .send = NULL },
	};
	static const struct step mid_data[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n"
		    "RCPT TO:<b@b.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "Subject: x\r\n\r\nbody\r\n.",
		    .close = true },
		{ .send = NULL },
	};
	static const struct step mid_line[] = {
		{ .send = "LHLO x\r\nNOOP", .close = true },
		{ .send = NULL },
	};
	static const struct step at_rcpt[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n", .close = true },
		{ .send = NULL },
	};

	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, between, FD_PIPES,
	    &cl), LMTP_SERVER_EOF);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 1);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY "250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n" GO_AHEAD OK1);

	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, mid_data, FD_PIPES,
	    &cl), LMTP_SERVER_LOST);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 0);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY "250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n" GO_AHEAD);

	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, mid_line,
	    FD_TWO_SOCKETS, &cl), LMTP_SERVER_LOST);
	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, at_rcpt,
	    FD_TWO_SOCKETS, &cl), LMTP_SERVER_LOST);
}

/* test_lmtp_server_max_age - finish the transaction, refuse the next */
static void
test_lmtp_server_max_age(void)
{
	static const struct step probe[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n" },
		{ .sleep_ms = 400, .send = "RCPT TO:<b@b.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50,
		    .send = "x\r\n.\r\nRSET\r\nMAIL FROM:<>\r\n" },
		{ .send = NULL },
	};
	static const struct step mail[] = {
		{ .send = "LHLO x\r\n" },
		{ .sleep_ms = 400, .send = "NOOP\r\nMAIL FROM:<>\r\n" },
		{ .send = NULL },
	};
	struct lmtp_server_options opt = default_opt;

	opt.max_age_ms = 200;
	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, probe, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_AGE);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 1);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY "250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n" GO_AHEAD OK1
	    "421 4.3.2 " HOST " Error: session too old, closing\r\n");
	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, mail, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_AGE);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY "250 2.0.0 Ok\r\n"
	    "421 4.3.2 " HOST " Error: session too old, closing\r\n");
}

/*
 * test_lmtp_server_reply_length - every line fits Exim's buffer: its
 * fgets(buffer, 255) takes 254 bytes, CRLF included, and the lines of a
 * multi-line reply share it, each costing its length plus one
 */
static void
test_lmtp_server_reply_length(void)
{
	static char text[600];
	static struct fake_result longres[2];
	static const struct step steps[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n"
		    "RCPT TO:<b@b.test>\r\nRCPT TO:<c@c.test>\r\nDATA\r\n" },
		{ .sleep_ms = 50, .send = "x\r\n.\r\nQUIT\r\n" },
		{ .send = NULL },
	};
	struct lmtp_server_options opt = default_opt;
	char host[300];
	const char *p, *line2;
	size_t i, len;

	/* "é" (2 bytes) across the cut at every offset. */
	for (i = 0; i + 1 < sizeof(text); i += 2)
		memcpy(text + i, "\xc3\xa9", 2);
	text[sizeof(text) - 1] = '\0';
	longres[0].status = "5.1.1";
	longres[0].code = 550;
	longres[0].text = text;
	longres[1].status = "2.0.0";
	longres[1].text = text + 1;	/* starts inside a sequence */
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	opt.hostname = host;
	memset(&fk, 0, sizeof(fk));
	fk.results = longres;
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, steps, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_QUIT);
	every_line_short(&cl);
	/* The LHLO reply with the longest hostname still fits. */
	p = strstr(cl.out, "250 DSN\r\n");
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(p + 9 - strstr(cl.out, "250-") + 6 <= 254);
	/* The 550 line: cut at 252 bytes before a whole "é". */
	p = strstr(cl.out, "550 5.1.1 ");
	CU_ASSERT_FATAL(p != NULL);
	len = (size_t)(strchr(p, '\r') - p);
	UNIT_ASSERT_INT_EQ(len, 252);
	CU_ASSERT((unsigned char)p[len - 2] == 0xc3);
	/* Here the cut falls inside an "é": it goes before it. */
	line2 = strstr(cl.out, "250 2.0.0 ");
	CU_ASSERT_FATAL(line2 != NULL);
	len = (size_t)(strchr(line2, '\r') - line2);
	UNIT_ASSERT_INT_EQ(len, 251);
	CU_ASSERT((unsigned char)line2[len - 2] == 0xc3 ||
	    (unsigned char)line2[len - 1] < 0x80);
}

/* test_lmtp_server_too_many_errors - 421 4.7.0 after max_errors */
static void
test_lmtp_server_too_many_errors(void)
{
	static const struct step steps[] = {
		{ .send = "a\r\nb\r\nc\r\nNOOP\r\n" },
		{ .send = NULL },
	};
	struct lmtp_server_options opt = default_opt;

	opt.max_errors = 3;
	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, steps, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_LIMIT);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING
	    "500 5.5.2 Error: command not recognized\r\n"
	    "500 5.5.2 Error: command not recognized\r\n"
	    "500 5.5.2 Error: command not recognized\r\n"
	    "421 4.7.0 " HOST " Error: too many errors\r\n");
}

/* test_lmtp_server_too_many_commands - 421 4.7.0 after max_commands */
static void
test_lmtp_server_too_many_commands(void)
{
	static const struct step steps[] = {
		{ .send = "NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n" },
		{ .send = NULL },
	};
	struct lmtp_server_options opt = default_opt;

	opt.max_commands = 3;
	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, steps, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_LIMIT);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING
	    "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
	    "421 4.7.0 " HOST " Error: too many commands\r\n");
}

/* test_lmtp_server_large_message - spooled, replayed, then in step */
static void
test_lmtp_server_large_message(void)
{
	static char input[200 * 1024];
	struct step steps[3];
	size_t n, i;

	memset(steps, 0, sizeof(steps));
	steps[0].send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n"
	    "RCPT TO:<b@b.test>\r\nDATA\r\n";
	n = 0;
	for (i = 0; n + 100 < 100 * 1024; i++)
		n += (size_t)snprintf(input + n, sizeof(input) - n,
		    "%s line %zu of the message\r\n", i % 3 ? ".." : "", i);
	memcpy(input + n, ".\r\nQUIT\r\n", 10);
	steps[1].sleep_ms = 50;
	steps[1].send = input;
	memset(&fk, 0, sizeof(fk));
	fk.results = all_ok;
	fk.twice = true;
	UNIT_ASSERT_INT_EQ(session(&default_opt, &fk, steps, FD_TWO_SOCKETS,
	    &cl), LMTP_SERVER_QUIT);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 1);
	/* The content as sent: stuffing removed and added again. */
	UNIT_ASSERT_INT_EQ(fk.content_len, n);
	CU_ASSERT(fk.content_len == (ssize_t)n &&
	    memcmp(fk.content, input, n) == 0);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY "250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n" GO_AHEAD OK1 "221 2.0.0 " HOST " Bye\r\n");
}


/* test_lmtp_server_bad_spool - no stream: DATA gets 451, session goes on */
static void
test_lmtp_server_bad_spool(void)
{
	static const struct step steps[] = {
		{ .send = "LHLO x\r\nMAIL FROM:<a@a.test>\r\n"
		    "RCPT TO:<b@b.test>\r\nDATA\r\nNOOP\r\nQUIT\r\n" },
		{ .send = NULL },
	};
	struct lmtp_server_options opt = default_opt;

	opt.spool_dir = "/nonexistent/spool";
	memset(&fk, 0, sizeof(fk));
	UNIT_ASSERT_INT_EQ(session(&opt, &fk, steps, FD_TWO_SOCKETS, &cl),
	    LMTP_SERVER_QUIT);
	UNIT_ASSERT_INT_EQ(fk.ndeliver, 0);
	UNIT_ASSERT_STR_EQ(cl.out, GREETING LHLO_REPLY "250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n"
	    "451 4.3.0 cannot create spool file in /nonexistent/spool: No "
	    "such file or directory\r\n"
	    "250 2.0.0 Ok\r\n221 2.0.0 " HOST " Bye\r\n");
}

/* test_lmtp_server_fd_flags - non-blocking while it runs, then restored */
static void
test_lmtp_server_fd_flags(void)
{
	const struct lmtp_server_handler h = { NULL, fake_deliver, &fk };
	struct lmtp_server *s;
	int in[2], out[2];

	CU_ASSERT_FATAL(pipe(in) == 0 && pipe(out) == 0);
	CU_ASSERT((fcntl(in[0], F_GETFL) & O_NONBLOCK) == 0);
	s = lmtp_server_new(in[0], out[1], &default_opt, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT((fcntl(in[0], F_GETFL) & O_NONBLOCK) != 0);
	CU_ASSERT((fcntl(out[1], F_GETFL) & O_NONBLOCK) != 0);
	lmtp_server_free(s);
	CU_ASSERT((fcntl(in[0], F_GETFL) & O_NONBLOCK) == 0);
	CU_ASSERT((fcntl(out[1], F_GETFL) & O_NONBLOCK) == 0);
	lmtp_server_free(NULL);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}

static CU_TestInfo tests[] = {
	{ "test_lmtp_server_two_transactions",
	    test_lmtp_server_two_transactions },
	{ "test_lmtp_server_first_message", test_lmtp_server_first_message },
	{ "test_lmtp_server_exim", test_lmtp_server_exim },
	{ "test_lmtp_server_mixed_results", test_lmtp_server_mixed_results },
	{ "test_lmtp_server_forgotten_result",
	    test_lmtp_server_forgotten_result },
	{ "test_lmtp_server_dsn", test_lmtp_server_dsn },
	{ "test_lmtp_server_size", test_lmtp_server_size },
	{ "test_lmtp_server_too_many_rcpt", test_lmtp_server_too_many_rcpt },
	{ "test_lmtp_server_sequence", test_lmtp_server_sequence },
	{ "test_lmtp_server_long_line", test_lmtp_server_long_line },
	{ "test_lmtp_server_idle_timeout", test_lmtp_server_idle_timeout },
	{ "test_lmtp_server_timeouts", test_lmtp_server_timeouts },
	{ "test_lmtp_server_eof", test_lmtp_server_eof },
	{ "test_lmtp_server_max_age", test_lmtp_server_max_age },
	{ "test_lmtp_server_reply_length", test_lmtp_server_reply_length },
	{ "test_lmtp_server_too_many_errors",
	    test_lmtp_server_too_many_errors },
	{ "test_lmtp_server_too_many_commands",
	    test_lmtp_server_too_many_commands },
	{ "test_lmtp_server_large_message", test_lmtp_server_large_message },
	{ "test_lmtp_server_bad_spool", test_lmtp_server_bad_spool },
	{ "test_lmtp_server_fd_flags", test_lmtp_server_fd_flags },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("lmtp_server", tests);
}
