/*
 * NAME
 *	test_smtp_client - unit tests for lib/smtp_client.c
 * DESCRIPTION
 *	The client talks to a scripted peer: a thread on the other end of a
 *	socketpair (SOCK_SEQPACKET, so that every write of the client
 *	arrives as one record and "one write" can be asserted) or of a
 *	loopback TCP connection. The peer reads command lines and the
 *	message content, answers from its script, and records every byte
 *	the client sent; the tests assert that exact transcript, the
 *	per-recipient results and the session's state.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "address.h"
#include "log.h"
#include "msg_stream.h"
#include "result.h"
#include "smtp_client.h"
#include "unit.h"

/* ---- the scripted peer ---------------------------------------------- */

enum peer_op {
	PEER_END = 0,
	PEER_SEND,		/* send text */
	PEER_LINE,		/* read n (default 1) lines, answer each */
	PEER_DATA,		/* read content up to the lone dot, answer */
	PEER_SLEEP,		/* pause n milliseconds */
	PEER_CLOSE,		/* hang up at once */
};

struct peer_step {
	enum peer_op op;
	const char *text;	/* sent after the step's input; NULL: none */
	long	n;
};

#define PEER_RECORDS_MAX	512
#define PEER_RECV_MAX		(256 * 1024)
#define PEER_WAIT_MS		5000

struct peer {
	int	fd;			/* the peer's end */
	int	client_fd;		/* the client's end */
	int	listen_fd;		/* >= 0: accept the client first */
	const struct peer_step *script;
	pthread_t thread;
	char	*got;			/* every byte received, NUL-ended */
	size_t	got_len;
	size_t	got_cap;
	size_t	rec_off[PEER_RECORDS_MAX];	/* where each read began */
	size_t	nrec;
	size_t	pos;			/* script's read position in got */
	bool	saw_eof;
	bool	data_eof;		/* EOF came inside the content */
	char	*rbuf;
};

/* peer_recv - one read (one record on SOCK_SEQPACKET); 0 at EOF */
static ssize_t
peer_recv(struct peer *p)
{
	struct pollfd pfd = { p->fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, PEER_WAIT_MS) <= 0) {
		fprintf(stderr, "peer: nothing from the client\n");
		p->saw_eof = true;
		return 0;
	}
	if ((n = recv(p->fd, p->rbuf, PEER_RECV_MAX, 0)) <= 0) {
		p->saw_eof = true;
		return 0;
	}
	if (p->got_len + (size_t)n + 1 > p->got_cap) {
		p->got_cap = (p->got_len + (size_t)n + 1) * 2;
		p->got = realloc(p->got, p->got_cap);
	}
	if (p->nrec < PEER_RECORDS_MAX)
		p->rec_off[p->nrec++] = p->got_len;
	memcpy(p->got + p->got_len, p->rbuf, (size_t)n);
	p->got_len += (size_t)n;
	p->got[p->got_len] = '\0';
	return n;
}

/* peer_line - consume one line; its start in *line, false at EOF */
static bool
peer_line(struct peer *p, size_t *line)
{
	char *lf;

	for (;;) {
		lf = p->got_len > p->pos ?
		    memchr(p->got + p->pos, '\n', p->got_len - p->pos) : NULL;
		if (lf != NULL) {
			*line = p->pos;
			p->pos = (size_t)(lf - p->got) + 1;
			return true;
		}
		if (p->saw_eof || peer_recv(p) == 0)
			return false;
	}
}

/* peer_data - consume the content through the line "." */
static bool
peer_data(struct peer *p)
{
	size_t line;

	while (peer_line(p, &line))
		if (p->pos - line == 3 &&
		    memcmp(p->got + line, ".\r\n", 3) == 0)
			return true;
	p->data_eof = true;
	return false;
}

/* peer_say - send a reply (one record) */
static void
peer_say(struct peer *p, const char *text)
{
	if (text != NULL && p->fd >= 0)
		(void)send(p->fd, text, strlen(text), MSG_NOSIGNAL);
}

/* peer_main - thread body: run the script, then record until EOF */
static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	const struct peer_step *s;
	struct timespec ts;
	size_t line;
	long i;

	if (p->listen_fd >= 0)
		p->fd = accept(p->listen_fd, NULL, NULL);
	for (s = p->script; s->op != PEER_END && p->fd >= 0; s++) {
		switch (s->op) {
		case PEER_SEND:
			peer_say(p, s->text);
			break;
		case PEER_LINE:
			for (i = 0; i < (s->n > 0 ? s->n : 1); i++)
				if (peer_line(p, &line))
					peer_say(p, s->text);
			break;
		case PEER_DATA:
			if (peer_data(p))
				peer_say(p, s->text);
			break;
		case PEER_SLEEP:
			ts.tv_sec = s->n / 1000;
			ts.tv_nsec = (s->n % 1000) * 1000000L;
			nanosleep(&ts, NULL);
			break;
		case PEER_CLOSE:
			close(p->fd);
			p->fd = -1;
			break;
		default:
			break;
		}
	}
	while (p->fd >= 0 && !p->saw_eof && peer_recv(p) > 0)
		;
	return NULL;
}

/* peer_start - a peer on a socketpair of the given type */
static void
peer_start(struct peer *p, const struct peer_step *script, int type)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	p->listen_fd = -1;
	p->script = script;
	p->got_cap = 4096;
	p->got = calloc(1, p->got_cap);
	p->rbuf = malloc(PEER_RECV_MAX);
	if (socketpair(AF_UNIX, type, 0, sv) < 0 || p->got == NULL ||
	    p->rbuf == NULL) {
		perror("test_smtp_client: peer");
		exit(99);
	}
	p->client_fd = sv[0];
	p->fd = sv[1];
	pthread_create(&p->thread, NULL, peer_main, p);
}

/* peer_finish - wait for the peer (the client must have closed) */
static void
peer_finish(struct peer *p)
{
	pthread_join(p->thread, NULL);
	if (p->fd >= 0)
		close(p->fd);
	if (p->listen_fd >= 0)
		close(p->listen_fd);
	free(p->rbuf);
}

/*
 * case_end - a table case's end: QUIT, the peer done, the wire as
 * wanted; names the case when it added failures
 */
static void
case_end(struct smtp_client *cl, struct peer *p, const char *want_wire,
    unsigned failures, const char *name)
{
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(p);
	UNIT_ASSERT_STR_EQ(p->got, want_wire);
	free(p->got);
	if (CU_get_number_of_failures() != failures)
		fprintf(stderr, "  ^ in case \"%s\"\n", name);
}

/* peer_record - the i-th record the peer received, copied into buf */
static const char *
peer_record(const struct peer *p, size_t i, char *buf, size_t len)
{
	size_t end, n;

	if (i >= p->nrec)
		return "(no such record)";
	end = i + 1 < p->nrec ? p->rec_off[i + 1] : p->got_len;
	n = end - p->rec_off[i];
	if (n >= len)
		n = len - 1;
	memcpy(buf, p->got + p->rec_off[i], n);
	buf[n] = '\0';
	return buf;
}

/* ---- envelopes, messages, options ----------------------------------- */

#define RCPT_MAX	200

struct env_buf {
	struct envelope env;
	struct address rcpt[RCPT_MAX];
};

/* set_address - fill an address as address.c would for clean input */
static void
set_address(struct address *a, const char *text)
{
	const char *at = strrchr(text, '@'), *p;

	memset(a, 0, sizeof(*a));
	snprintf(a->addr, sizeof(a->addr), "%s", text);
	snprintf(a->domain, sizeof(a->domain), "%s", at ? at + 1 : "");
	a->local_len = at ? (size_t)(at - text) : strlen(text);
	a->is_null = *text == '\0';
	for (p = text; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			a->is_utf8 = true;
}

/* env_make - an envelope; rcpts is NULL-terminated */
static struct envelope *
env_make(struct env_buf *e, const char *sender, const char *const *rcpts)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	set_address(&e->env.sender, sender);
	for (i = 0; rcpts[i] != NULL && i < RCPT_MAX; i++)
		set_address(&e->rcpt[i], rcpts[i]);
	e->env.rcpt = e->rcpt;
	e->env.nrcpt = i;
	e->env.size = -1;
	return &e->env;
}

/* stream_make - a message stream over an in-memory file */
static struct msg_stream *
stream_make(const char *content, size_t len, int *fd)
{
	struct relay_result why;
	struct msg_stream *ms;

	relay_result_init(&why);
	*fd = memfd_create("message", MFD_CLOEXEC);
	if (*fd < 0 || write(*fd, content, len) != (ssize_t)len ||
	    lseek(*fd, 0, SEEK_SET) != 0 ||
	    (ms = msg_stream_new(*fd, 0, NULL, &why)) == NULL) {
		fprintf(stderr, "test_smtp_client: message: %s\n", why.text);
		exit(99);
	}
	return ms;
}

/* opts - options with every stage timeout set to ms */
static struct smtp_options
opts(long ms)
{
	struct smtp_options o;
	int s;

	memset(&o, 0, sizeof(o));
	o.ehlo_name = "client.test";
	for (s = 0; s < SMTP_STAGE_COUNT; s++)
		o.timeout_ms[s] = ms;
	deadline_none(&o.deadline);
	return o;
}

#define MSG		"Subject: t\n\nhello\n"
#define WIRE		"Subject: t\r\n\r\nhello\r\n.\r\n"
#define PEER		"mx.test[192.0.2.1]"
#define RELAY		"mx.test[192.0.2.1]:25"

#define GREET		{ PEER_SEND, "220 mx.test ESMTP\r\n", 0 }
#define EHLO_BARE	{ PEER_LINE, "250 mx.test\r\n", 0 }
#define EHLO_PIPE	{ PEER_LINE, "250-mx.test\r\n250 PIPELINING\r\n", 0 }
#define OK(text)	{ PEER_LINE, text, 0 }
#define QUIT_OK		{ PEER_LINE, "221 2.0.0 Bye\r\n", 0 }

#define ASSERT_RESULT(r, st, code, txt, stg) do {			\
	UNIT_ASSERT_STR_EQ((r)->status, (st));				\
	UNIT_ASSERT_INT_EQ((r)->smtp_code, (code));			\
	UNIT_ASSERT_STR_EQ((r)->text, (txt));				\
	UNIT_ASSERT_STR_EQ((r)->stage, (stg));				\
} while (0)

/* ---- table-driven sessions ------------------------------------------ */

struct want_result {
	const char *status;
	int	code;
	const char *text;
	const char *stage;
};

struct session_case {
	const char *name;
	struct peer_step script[16];
	const char *rcpts[4];		/* NULL first: "c@d.test" */
	int	want_start;		/* smtp_client_start_fd() */
	int	want_send;		/* smtp_client_send() */
	bool	want_open;		/* session usable afterwards */
	const char *want_wire;		/* everything the client sent */
	struct want_result want[3];	/* per recipient; [0] = why if
					   the start fails */
	struct want_result want_why;	/* when want_send is -1 */
};

/* run_case - one session against the scripted peer, checked */
static void
run_case(const struct session_case *c)
{
	static const char *const one[] = { "c@d.test", NULL };
	struct smtp_options o = opts(2000);
	struct relay_result why, res[3];
	struct smtp_client *cl;
	struct msg_stream *ms;
	struct env_buf e;
	struct envelope *env;
	struct peer p;
	size_t i;
	unsigned failures = CU_get_number_of_failures();
	int fd, rc;

	peer_start(&p, c->script, SOCK_SEQPACKET);
	cl = smtp_client_new(&o);
	relay_result_init(&why);
	rc = smtp_client_start_fd(cl, p.client_fd, "mx.test", "192.0.2.1",
	    25, &why);
	UNIT_ASSERT_INT_EQ(rc, c->want_start);
	UNIT_ASSERT_STR_EQ(why.relay, RELAY);
	if (rc < 0) {
		ASSERT_RESULT(&why, c->want[0].status, c->want[0].code,
		    c->want[0].text, c->want[0].stage);
		UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), false);
	} else {
		env = env_make(&e, "a@b.test", c->rcpts[0] ? c->rcpts : one);
		ms = stream_make(MSG, strlen(MSG), &fd);
		relay_result_init(&why);
		rc = smtp_client_send(cl, env, ms, res, &why);
		UNIT_ASSERT_INT_EQ(rc, c->want_send);
		for (i = 0; i < env->nrcpt; i++) {
			ASSERT_RESULT(&res[i], c->want[i].status,
			    c->want[i].code, c->want[i].text,
			    c->want[i].stage);
			UNIT_ASSERT_STR_EQ(res[i].relay, RELAY);
		}
		if (rc < 0)
			ASSERT_RESULT(&why, c->want_why.status,
			    c->want_why.code, c->want_why.text,
			    c->want_why.stage);
		UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), c->want_open);
		msg_stream_free(ms);
		close(fd);
	}
	case_end(cl, &p, c->want_wire, failures, c->name);
}

static const struct session_case greeting_cases[] = {
	{ "greeting 421", { { PEER_SEND, "421 4.3.2 busy\r\n", 0 },
	    QUIT_OK }, { NULL }, -1, 0, false, "QUIT\r\n",
	    { { "4.3.2", 421, "host " PEER " refused to talk to me: "
	    "421 4.3.2 busy", "GREETING" } }, { NULL, 0, NULL, NULL } },
	{ "greeting 554 deferred", { { PEER_SEND,
	    "554 5.7.1 no mail from you\r\n", 0 }, QUIT_OK }, { NULL }, -1,
	    0, false, "QUIT\r\n", { { "4.7.1", 554, "host " PEER
	    " refused to talk to me: 554 5.7.1 no mail from you",
	    "GREETING" } }, { NULL, 0, NULL, NULL } },
	{ "greeting 554 without code", { { PEER_SEND, "554 go away\r\n", 0 },
	    { PEER_CLOSE, NULL, 0 } }, { NULL }, -1, 0, false, "",
	    { { "4.0.0", 554, "host " PEER " refused to talk to me: "
	    "554 go away", "GREETING" } }, { NULL, 0, NULL, NULL } },
	{ "greeting 250 is no greeting", { { PEER_SEND, "250 hi\r\n", 0 },
	    QUIT_OK }, { NULL }, -1, 0, false, "QUIT\r\n",
	    { { "4.5.0", 250, "host " PEER " refused to talk to me: 250 hi",
	    "GREETING" } }, { NULL, 0, NULL, NULL } },
	{ "greeting multi-line 220", { { PEER_SEND,
	    "220-mx.test ESMTP\r\n220 welcome\r\n", 0 }, EHLO_BARE,
	    OK("250 2.1.0 Ok\r\n"), OK("250 2.1.5 Ok\r\n"),
	    OK("354 go\r\n"), { PEER_DATA, "250 2.0.0 Ok: queued as A1\r\n",
	    0 }, QUIT_OK }, { NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\nDATA\r\n" WIRE "QUIT\r\n",
	    { { "2.0.0", 250, "250 2.0.0 Ok: queued as A1", "DOT" } },
	    { NULL, 0, NULL, NULL } },
	{ "EHLO 421", { GREET, OK("421 4.7.0 slow down\r\n"),
	    { PEER_CLOSE, NULL, 0 } }, { NULL }, -1, 0, false,
	    "EHLO client.test\r\n", { { "4.7.0", 421, "host " PEER
	    " refused to talk to me: 421 4.7.0 slow down", "EHLO" } },
	    { NULL, 0, NULL, NULL } },
	{ "EHLO 451, HELO 250 (Postfix: HELO after any refusal but 421)",
	    { GREET, OK("451 4.7.1 not now\r\n"), OK("250 mx.test\r\n"),
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 Ok: queued as B1\r\n", 0 }, QUIT_OK },
	    { NULL }, 0, 0, true,
	    "EHLO client.test\r\nHELO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\nDATA\r\n" WIRE "QUIT\r\n",
	    { { "2.0.0", 250, "250 Ok: queued as B1", "DOT" } },
	    { NULL, 0, NULL, NULL } },
	{ "EHLO 450, HELO 450", { GREET, OK("450 4.7.1 not now\r\n"),
	    OK("450 4.7.1 still not\r\n"), QUIT_OK },
	    { NULL }, -1, 0, false,
	    "EHLO client.test\r\nHELO client.test\r\nQUIT\r\n",
	    { { "4.7.1", 450, "host " PEER " refused to talk to me: "
	    "450 4.7.1 still not", "HELO" } }, { NULL, 0, NULL, NULL } },
	{ "EHLO 500, HELO 550", { GREET, OK("500 5.5.1 what\r\n"),
	    OK("550 5.7.1 no\r\n"), QUIT_OK }, { NULL }, -1, 0, false,
	    "EHLO client.test\r\nHELO client.test\r\nQUIT\r\n",
	    { { "5.7.1", 550, "host " PEER " refused to talk to me: "
	    "550 5.7.1 no", "HELO" } }, { NULL, 0, NULL, NULL } },
	{ "EHLO 502, HELO 250: no extensions", { GREET,
	    OK("502 5.5.2 no EHLO\r\n"), OK("250 mx.test\r\n"),
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 Ok: queued as B2\r\n", 0 }, QUIT_OK },
	    { NULL }, 0, 0, true,
	    "EHLO client.test\r\nHELO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\nDATA\r\n" WIRE "QUIT\r\n",
	    { { "2.0.0", 250, "250 Ok: queued as B2", "DOT" } },
	    { NULL, 0, NULL, NULL } },
};

/* test_smtp_client_greeting - greeting, EHLO and HELO outcomes */
static void
test_smtp_client_greeting(void)
{
	size_t i;

	for (i = 0; i < sizeof(greeting_cases) / sizeof(greeting_cases[0]);
	    i++)
		run_case(&greeting_cases[i]);
}

static const struct session_case txn_cases[] = {
	{ "MAIL 451", { GREET, EHLO_BARE, OK("451 4.3.0 try later\r\n"),
	    OK("250 2.0.0 Ok\r\n"), QUIT_OK }, { NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRSET\r\nQUIT\r\n",
	    { { "4.3.0", 451, "host " PEER " said: 451 4.3.0 try later "
	    "(in reply to MAIL FROM command)", "MAIL" } },
	    { NULL, 0, NULL, NULL } },
	{ "MAIL 553, two recipients", { GREET, EHLO_BARE,
	    OK("553 5.1.8 bad sender\r\n"), OK("250 2.0.0 Ok\r\n"),
	    QUIT_OK }, { "c@d.test", "e@f.test", NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRSET\r\nQUIT\r\n",
	    { { "5.1.8", 553, "host " PEER " said: 553 5.1.8 bad sender "
	    "(in reply to MAIL FROM command)", "MAIL" }, { "5.1.8", 553,
	    "host " PEER " said: 553 5.1.8 bad sender (in reply to MAIL "
	    "FROM command)", "MAIL" } }, { NULL, 0, NULL, NULL } },
	{ "one of two RCPTs rejected", { GREET, EHLO_BARE,
	    OK("250 2.1.0 Ok\r\n"), OK("550 5.1.1 <c@d.test> unknown\r\n"),
	    OK("250 2.1.5 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 2.0.0 Ok: queued as C3\r\n", 0 }, QUIT_OK },
	    { "c@d.test", "e@f.test", NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "RCPT TO:<e@f.test>\r\nDATA\r\n" WIRE "QUIT\r\n",
	    { { "5.1.1", 550, "host " PEER " said: 550 5.1.1 <c@d.test> "
	    "unknown (in reply to RCPT TO command)", "RCPT" },
	    { "2.0.0", 250, "250 2.0.0 Ok: queued as C3", "DOT" } },
	    { NULL, 0, NULL, NULL } },
	{ "all RCPTs rejected: RSET, no DATA", { GREET, EHLO_BARE,
	    OK("250 2.1.0 Ok\r\n"), OK("550 5.1.1 no\r\n"),
	    OK("450 4.2.0 full\r\n"), OK("250 2.0.0 Ok\r\n"), QUIT_OK },
	    { "c@d.test", "e@f.test", NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "RCPT TO:<e@f.test>\r\nRSET\r\nQUIT\r\n",
	    { { "5.1.1", 550, "host " PEER " said: 550 5.1.1 no (in reply to "
	    "RCPT TO command)", "RCPT" }, { "4.2.0", 450, "host " PEER
	    " said: 450 4.2.0 full (in reply to RCPT TO command)", "RCPT" } },
	    { NULL, 0, NULL, NULL } },
	{ "pipelined, all RCPTs rejected, DATA 554", { GREET, EHLO_PIPE,
	    OK("250 2.1.0 Ok\r\n"), OK("550 5.1.1 no\r\n"),
	    OK("554 5.5.1 no valid recipients\r\n"), OK("250 2.0.0 Ok\r\n"),
	    QUIT_OK }, { NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\nRSET\r\nQUIT\r\n",
	    { { "5.1.1", 550, "host " PEER " said: 550 5.1.1 no (in reply to "
	    "RCPT TO command)", "RCPT" } }, { NULL, 0, NULL, NULL } },
	{ "pipelined, all RCPTs rejected, DATA 354 anyway", { GREET,
	    EHLO_PIPE, OK("250 2.1.0 Ok\r\n"), OK("550 5.1.1 no\r\n"),
	    OK("354 go\r\n"), OK("554 5.5.1 no recipients\r\n"), QUIT_OK },
	    { NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\n.\r\nQUIT\r\n",
	    { { "5.1.1", 550, "host " PEER " said: 550 5.1.1 no (in reply to "
	    "RCPT TO command)", "RCPT" } }, { NULL, 0, NULL, NULL } },
	{ "pipelined, MAIL rejected", { GREET, EHLO_PIPE,
	    OK("452 4.3.1 queue full\r\n"), OK("503 5.5.1 need MAIL\r\n"),
	    OK("503 5.5.1 need MAIL\r\n"), OK("250 2.0.0 Ok\r\n"), QUIT_OK },
	    { NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\nRSET\r\nQUIT\r\n",
	    { { "4.3.1", 452, "host " PEER " said: 452 4.3.1 queue full "
	    "(in reply to MAIL FROM command)", "MAIL" } },
	    { NULL, 0, NULL, NULL } },
	{ "DATA 554", { GREET, EHLO_BARE, OK("250 Ok\r\n"), OK("250 Ok\r\n"),
	    OK("554 5.7.1 no data for you\r\n"), OK("250 Ok\r\n"), QUIT_OK },
	    { NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\nRSET\r\nQUIT\r\n",
	    { { "5.7.1", 554, "host " PEER " said: 554 5.7.1 no data for you "
	    "(in reply to DATA command)", "DATA" } },
	    { NULL, 0, NULL, NULL } },
	{ "DATA 250 is a protocol error", { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("250 Ok\r\n") },
	    { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\n",
	    { { "4.5.0", 250, "host " PEER " said: 250 Ok (in reply to DATA "
	    "command)", "DATA" } }, { "4.5.0", 250, "host " PEER " said: "
	    "250 Ok (in reply to DATA command)", "DATA" } },
	{ "dot 451", { GREET, EHLO_BARE, OK("250 Ok\r\n"), OK("250 Ok\r\n"),
	    OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "451 4.3.0 try again\r\n", 0 },
	    QUIT_OK }, { "c@d.test", "e@f.test", NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "RCPT TO:<e@f.test>\r\nDATA\r\n" WIRE "QUIT\r\n",
	    { { "4.3.0", 451, "host " PEER " said: 451 4.3.0 try again (in "
	    "reply to end of DATA command)", "DOT" }, { "4.3.0", 451,
	    "host " PEER " said: 451 4.3.0 try again (in reply to end of "
	    "DATA command)", "DOT" } }, { NULL, 0, NULL, NULL } },
	{ "dot 554", { GREET, EHLO_BARE, OK("250 Ok\r\n"), OK("250 Ok\r\n"),
	    OK("354 go\r\n"), { PEER_DATA, "554-5.7.1 spam\r\n"
	    "554 5.7.1 go away\r\n", 0 }, QUIT_OK }, { NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\n" WIRE "QUIT\r\n",
	    { { "5.7.1", 554, "host " PEER " said: 554 5.7.1 spam go away (in "
	    "reply to end of DATA command)", "DOT" } },
	    { NULL, 0, NULL, NULL } },
	{ "dot 250 without enhanced code", { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 Ok: queued as D4\r\n", 0 }, QUIT_OK },
	    { NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\n" WIRE "QUIT\r\n",
	    { { "2.0.0", 250, "250 Ok: queued as D4", "DOT" } },
	    { NULL, 0, NULL, NULL } },
	{ "RCPT 421 and close", { GREET, EHLO_BARE, OK("250 Ok\r\n"),
	    OK("421 4.4.2 bye\r\n"), { PEER_CLOSE, NULL, 0 } },
	    { "c@d.test", "e@f.test", NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\n",
	    { { "4.4.2", 421, "host " PEER " said: 421 4.4.2 bye (in reply to "
	    "RCPT TO command)", "RCPT" }, { "4.4.2", 421, "host " PEER
	    " said: 421 4.4.2 bye (in reply to RCPT TO command)", "RCPT" } },
	    { "4.4.2", 421, "host " PEER " said: 421 4.4.2 bye (in reply to "
	    "RCPT TO command)", "RCPT" } },
	{ "MAIL 421 and close", { GREET, EHLO_BARE, OK("421 shutting down\r\n"),
	    { PEER_CLOSE, NULL, 0 } }, { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n",
	    { { "4.0.0", 421, "host " PEER " said: 421 shutting down (in reply "
	    "to MAIL FROM command)", "MAIL" } }, { "4.0.0", 421, "host " PEER
	    " said: 421 shutting down (in reply to MAIL FROM command)",
	    "MAIL" } },
	{ "DATA 421 and close", { GREET, EHLO_BARE, OK("250 Ok\r\n"),
	    OK("250 Ok\r\n"), OK("421 4.3.2 bye\r\n"),
	    { PEER_CLOSE, NULL, 0 } },
	    { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\n",
	    { { "4.3.2", 421, "host " PEER " said: 421 4.3.2 bye (in reply to "
	    "DATA command)", "DATA" } }, { "4.3.2", 421, "host " PEER
	    " said: 421 4.3.2 bye (in reply to DATA command)", "DATA" } },
	{ "dot 421 and close", { GREET, EHLO_BARE, OK("250 Ok\r\n"),
	    OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "421 4.3.2 bye\r\n", 0 }, { PEER_CLOSE, NULL, 0 } },
	    { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\n" WIRE,
	    { { "4.3.2", 421, "host " PEER " said: 421 4.3.2 bye (in reply to "
	    "end of DATA command)", "DOT" } }, { "4.3.2", 421, "host " PEER
	    " said: 421 4.3.2 bye (in reply to end of DATA command)",
	    "DOT" } },
	{ "close after the dot", { GREET, EHLO_BARE, OK("250 Ok\r\n"),
	    OK("250 Ok\r\n"), OK("354 go\r\n"), { PEER_DATA, NULL, 0 },
	    { PEER_CLOSE, NULL, 0 } }, { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\n" WIRE,
	    { { "4.4.2", 0, "lost connection with " PEER " while sending end "
	    "of data -- message may be sent more than once", "DOT" } },
	    { "4.4.2", 0, "lost connection with " PEER " while sending end "
	    "of data -- message may be sent more than once", "DOT" } },
	{ "close after RCPT", { GREET, EHLO_BARE, OK("250 Ok\r\n"),
	    { PEER_LINE, NULL, 0 }, { PEER_CLOSE, NULL, 0 } }, { NULL }, 0,
	    -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\n",
	    { { "4.4.2", 0, "lost connection with " PEER " while sending "
	    "RCPT TO", "RCPT" } }, { "4.4.2", 0, "lost connection with "
	    PEER " while sending RCPT TO", "RCPT" } },
	{ "malformed reply to MAIL", { GREET, EHLO_BARE, OK("2x0 Ok\r\n") },
	    { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n",
	    { { "4.5.0", 0, "host " PEER " sent a malformed reply while "
	    "sending MAIL FROM", "MAIL" } }, { "4.5.0", 0, "host " PEER
	    " sent a malformed reply while sending MAIL FROM", "MAIL" } },
	{ "reply code changes between lines", { GREET, EHLO_BARE,
	    OK("250-Ok\r\n251 Ok\r\n") }, { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n",
	    { { "4.5.0", 0, "host " PEER " sent a malformed reply while "
	    "sending MAIL FROM", "MAIL" } }, { "4.5.0", 0, "host " PEER
	    " sent a malformed reply while sending MAIL FROM", "MAIL" } },
	{ "RCPT 3xx is a protocol error", { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("354 what\r\n"), OK("250 Ok\r\n"),
	    QUIT_OK }, { NULL }, 0, 0, true,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "RSET\r\nQUIT\r\n",
	    { { "4.5.0", 354, "host " PEER " said: 354 what (in reply to RCPT "
	    "TO command)", "RCPT" } }, { NULL, 0, NULL, NULL } },
	{ "RSET refused", { GREET, EHLO_BARE, OK("451 4.3.0 later\r\n"),
	    OK("502 5.5.2 no RSET\r\n"), QUIT_OK }, { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRSET\r\n",
	    { { "4.3.0", 451, "host " PEER " said: 451 4.3.0 later (in reply "
	    "to MAIL FROM command)", "MAIL" } }, { "4.5.0", 502, "host " PEER
	    " said: 502 5.5.2 no RSET (in reply to RSET command)", "RSET" } },
};

/* test_smtp_client_transaction - replies to MAIL/RCPT/DATA/dot mapped */
static void
test_smtp_client_transaction(void)
{
	size_t i;

	for (i = 0; i < sizeof(txn_cases) / sizeof(txn_cases[0]); i++)
		run_case(&txn_cases[i]);
}

/* ---- single scenarios ------------------------------------------------ */

/* session - a client started on a new peer; NULL when the start failed */
static struct smtp_client *
session(struct peer *p, const struct peer_step *script,
    const struct smtp_options *o, struct relay_result *why)
{
	struct smtp_client *cl;

	peer_start(p, script, SOCK_SEQPACKET);
	cl = smtp_client_new(o);
	relay_result_init(why);
	if (smtp_client_start_fd(cl, p->client_fd, "mx.test", "192.0.2.1", 25,
	    why) < 0) {
		smtp_client_free(cl);
		return NULL;
	}
	return cl;
}

/* test_smtp_client_ehlo_extensions - keywords, SIZE, AUTH, any case */
static void
test_smtp_client_ehlo_extensions(void)
{
	static const struct peer_step script[] = { GREET,
	    OK("250-mx.test Hello client.test\r\n250-pipelining\r\n"
	    "250-Size 10240000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
	    "250-STARTTLS\r\n250-AUTH=LOGIN\r\n250-AUTH PLAIN  LOGIN\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250-VRFY\r\n"
	    "250-X-UNKNOWN 1\r\n250 CHUNKING\r\n"), QUIT_OK, { 0 } };
	static const struct peer_step script2[] = { GREET,
	    OK("250-mx.test\r\n250-SIZE\r\n250-AUTH=CRAM-MD5 PLAIN\r\n"
	    "250 PIPELININGX\r\n"), QUIT_OK, { 0 } };
	static const struct peer_step script3[] = { GREET,
	    OK("250-mx.test\r\n250 SIZE 99999999999999999999999\r\n"),
	    QUIT_OK, { 0 } };
	struct smtp_options o = opts(2000);
	struct relay_result why;
	struct smtp_client *cl;
	struct peer p;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(smtp_client_extensions(cl), SMTP_EXT_PIPELINING |
	    SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 |
	    SMTP_EXT_STARTTLS | SMTP_EXT_AUTH | SMTP_EXT_ENHANCEDSTATUSCODES |
	    SMTP_EXT_DSN | SMTP_EXT_CHUNKING);
	UNIT_ASSERT_INT_EQ(smtp_client_size_limit(cl), 10240000);
	UNIT_ASSERT_STR_EQ(smtp_client_auth_mechs(cl), "PLAIN LOGIN");
	UNIT_ASSERT_STR_EQ(smtp_client_peer(cl), PEER);
	UNIT_ASSERT_STR_EQ(smtp_client_relay(cl), RELAY);
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), true);
	smtp_client_quit(cl);
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), false);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\nQUIT\r\n");
	free(p.got);

	cl = session(&p, script2, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(smtp_client_extensions(cl),
	    SMTP_EXT_SIZE | SMTP_EXT_AUTH);
	UNIT_ASSERT_INT_EQ(smtp_client_size_limit(cl), 0);
	UNIT_ASSERT_STR_EQ(smtp_client_auth_mechs(cl), "CRAM-MD5 PLAIN");
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	free(p.got);

	cl = session(&p, script3, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(smtp_client_extensions(cl), SMTP_EXT_SIZE);
	UNIT_ASSERT_INT_EQ(smtp_client_size_limit(cl), 0);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	free(p.got);
}

/* test_smtp_client_pipelined_group - MAIL, RCPTs, DATA in one write */
static void
test_smtp_client_pipelined_group(void)
{
	static const struct peer_step script[] = { GREET,
	    OK("250-mx.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"),
	    OK("250 2.1.0 Ok\r\n"), OK("250 2.1.5 Ok\r\n"),
	    OK("250 2.1.5 Ok\r\n"), OK("354 End data\r\n"),
	    { PEER_DATA, "250 2.0.0 Ok: queued as P1\r\n", 0 }, QUIT_OK,
	    { 0 } };
	static const char *const rcpts[] = { "c@d.test", "e@f.test", NULL };
	struct smtp_options o = opts(2000);
	struct relay_result why, res[2];
	struct smtp_client *cl;
	struct msg_stream *ms;
	struct env_buf e;
	struct peer p;
	char buf[256];
	int fd;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	ms = stream_make(MSG, strlen(MSG), &fd);
	UNIT_ASSERT_INT_EQ(smtp_client_send(cl, env_make(&e, "a@b.test",
	    rcpts), ms, res, &why), 0);
	ASSERT_RESULT(&res[0], "2.0.0", 250, "250 2.0.0 Ok: queued as P1",
	    "DOT");
	ASSERT_RESULT(&res[1], "2.0.0", 250, "250 2.0.0 Ok: queued as P1",
	    "DOT");
	UNIT_ASSERT_INT_EQ(res[0].class, RELAY_OK);
	UNIT_ASSERT_INT_EQ(smtp_client_messages(cl), 1);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_INT_EQ(p.nrec, 4);
	UNIT_ASSERT_STR_EQ(peer_record(&p, 0, buf, sizeof(buf)),
	    "EHLO client.test\r\n");
	UNIT_ASSERT_STR_EQ(peer_record(&p, 1, buf, sizeof(buf)),
	    "MAIL FROM:<a@b.test> SIZE=21\r\nRCPT TO:<c@d.test>\r\n"
	    "RCPT TO:<e@f.test>\r\nDATA\r\n");
	/* The final dot travels with the end of the content. */
	UNIT_ASSERT_STR_EQ(peer_record(&p, 2, buf, sizeof(buf)), WIRE);
	UNIT_ASSERT_STR_EQ(peer_record(&p, 3, buf, sizeof(buf)), "QUIT\r\n");
	msg_stream_free(ms);
	close(fd);
	free(p.got);
}

/* test_smtp_client_unpipelined_order - one command per write and reply */
static void
test_smtp_client_unpipelined_order(void)
{
	static const struct peer_step script[] = { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("250 Ok\r\n"),
	    OK("354 go\r\n"), { PEER_DATA, "250 Ok\r\n", 0 }, QUIT_OK,
	    { 0 } };
	static const char *const rcpts[] = { "c@d.test", "e@f.test", NULL };
	static const char *const want[] = { "EHLO client.test\r\n",
	    "MAIL FROM:<a@b.test>\r\n", "RCPT TO:<c@d.test>\r\n",
	    "RCPT TO:<e@f.test>\r\n", "DATA\r\n", WIRE, "QUIT\r\n" };
	struct smtp_options o = opts(2000);
	struct relay_result why, res[2];
	struct smtp_client *cl;
	struct msg_stream *ms;
	struct env_buf e;
	struct peer p;
	char buf[256];
	size_t i;
	int fd;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	ms = stream_make(MSG, strlen(MSG), &fd);
	UNIT_ASSERT_INT_EQ(smtp_client_send(cl, env_make(&e, "a@b.test",
	    rcpts), ms, res, &why), 0);
	UNIT_ASSERT_INT_EQ(res[1].class, RELAY_OK);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_INT_EQ(p.nrec, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		UNIT_ASSERT_STR_EQ(peer_record(&p, i, buf, sizeof(buf)),
		    want[i]);
	msg_stream_free(ms);
	close(fd);
	free(p.got);
}

/* test_smtp_client_many_rcpts - pipelined groups of at most 100 commands */
static void
test_smtp_client_many_rcpts(void)
{
	static const struct peer_step script[] = { GREET, EHLO_PIPE,
	    OK("250 2.1.0 Ok\r\n"), { PEER_LINE, "250 2.1.5 Ok\r\n", 150 },
	    OK("354 go\r\n"), { PEER_DATA, "250 2.0.0 Ok: queued\r\n", 0 },
	    QUIT_OK, { 0 } };
	static char names[150][32];
	static const char *rcpts[151];
	static struct env_buf e;
	static struct relay_result res[150];
	struct smtp_options o = opts(2000);
	struct relay_result why;
	struct smtp_client *cl;
	struct msg_stream *ms;
	struct peer p;
	size_t i, n;
	char *buf;
	int fd;

	for (i = 0; i < 150; i++) {
		snprintf(names[i], sizeof(names[i]), "r%zu@d.test", i);
		rcpts[i] = names[i];
	}
	rcpts[150] = NULL;
	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	ms = stream_make(MSG, strlen(MSG), &fd);
	UNIT_ASSERT_INT_EQ(smtp_client_send(cl, env_make(&e, "a@b.test",
	    rcpts), ms, res, &why), 0);
	for (i = 0; i < 150; i++)
		UNIT_ASSERT_INT_EQ(res[i].class, RELAY_OK);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	/* EHLO; MAIL + 99 RCPT; 51 RCPT + DATA; content; QUIT. */
	UNIT_ASSERT_INT_EQ(p.nrec, 5);
	buf = malloc(p.got_len + 1);
	peer_record(&p, 1, buf, p.got_len + 1);
	for (n = 0, i = 0; buf[i] != '\0'; i++)
		n += buf[i] == '\n';
	UNIT_ASSERT_INT_EQ(n, 100);
	UNIT_ASSERT_INT_EQ(strncmp(buf, "MAIL FROM:<a@b.test>\r\n", 22), 0);
	peer_record(&p, 2, buf, p.got_len + 1);
	for (n = 0, i = 0; buf[i] != '\0'; i++)
		n += buf[i] == '\n';
	UNIT_ASSERT_INT_EQ(n, 52);
	UNIT_ASSERT_INT_EQ(strcmp(buf + strlen(buf) - 6, "DATA\r\n"), 0);
	free(buf);
	msg_stream_free(ms);
	close(fd);
	free(p.got);
}

/* send_one - one message to "c@d.test" from sender on session cl */
static int
send_one(struct smtp_client *cl, const char *sender, const char *rcpt,
    const char *content, size_t size, struct relay_result *res,
    struct relay_result *why)
{
	const char *rcpts[] = { rcpt, NULL };
	struct msg_stream *ms;
	struct env_buf e;
	struct envelope *env;
	int fd, rc;

	env = env_make(&e, sender, rcpts);
	ms = stream_make(content, size, &fd);
	relay_result_init(why);
	rc = smtp_client_send(cl, env, ms, res, why);
	msg_stream_free(ms);
	close(fd);
	return rc;
}

/* dsn_send - one message with DSN parameters to a peer offering ehlo */
static void
dsn_send(const char *ehlo, const char *want_wire)
{
	const struct peer_step script[] = { GREET, OK(ehlo),
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("250 Ok\r\n"),
	    OK("354 go\r\n"), { PEER_DATA, "250 2.0.0 Ok\r\n", 0 }, QUIT_OK,
	    { 0 } };
	static const char *const rcpts[] = { "c@d.test", "e@f.test", NULL };
	struct smtp_options o = opts(2000);
	struct relay_result why, res[2];
	struct smtp_client *cl;
	struct msg_stream *ms;
	struct envelope *env;
	struct env_buf e;
	struct peer p;
	int fd;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	env = env_make(&e, "a@b.test", rcpts);
	env->ret = ENVELOPE_RET_HDRS;
	snprintf(env->envid, sizeof(env->envid), "QQ+2B314");
	e.rcpt[0].notify = ADDRESS_NOTIFY_SUCCESS | ADDRESS_NOTIFY_DELAY;
	snprintf(e.rcpt[0].orcpt, sizeof(e.rcpt[0].orcpt),
	    "rfc822;c+2Bx@d.test");
	e.rcpt[1].notify = ADDRESS_NOTIFY_NEVER;
	ms = stream_make(MSG, strlen(MSG), &fd);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(smtp_client_send(cl, env, ms, res, &why), 0);
	UNIT_ASSERT_STR_EQ(res[0].status, "2.0.0");
	UNIT_ASSERT_STR_EQ(res[1].status, "2.0.0");
	msg_stream_free(ms);
	close(fd);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, want_wire);
	free(p.got);
}

/* test_smtp_client_dsn - RET, ENVID, NOTIFY, ORCPT only when offered */
static void
test_smtp_client_dsn(void)
{
	dsn_send("250-mx.test\r\n250 DSN\r\n", "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test> RET=HDRS ENVID=QQ+2B314\r\n"
	    "RCPT TO:<c@d.test> NOTIFY=SUCCESS,DELAY "
	    "ORCPT=rfc822;c+2Bx@d.test\r\n"
	    "RCPT TO:<e@f.test> NOTIFY=NEVER\r\n"
	    "DATA\r\n" WIRE "QUIT\r\n");
	/* A next hop without DSN gets none of them (Postfix's smtp(8)). */
	dsn_send("250 mx.test\r\n", "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "RCPT TO:<e@f.test>\r\nDATA\r\n" WIRE "QUIT\r\n");
}

/* test_smtp_client_size_limit - SIZE= sent; too big fails with 5.3.4 */
static void
test_smtp_client_size_limit(void)
{
	static const struct peer_step script[] = { GREET,
	    OK("250-mx.test\r\n250 SIZE 30\r\n"), OK("250 Ok\r\n"),
	    OK("250 Ok\r\n"), OK("354 go\r\n"), { PEER_DATA, "250 Ok\r\n", 0 },
	    QUIT_OK, { 0 } };
	static const char big[] = "Subject: big\n\n0123456789abcdef\n";
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct smtp_client *cl;
	struct peer p;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	/* 34 bytes on the wire: refused before anything is sent. */
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", big,
	    strlen(big), &res, &why), 0);
	ASSERT_RESULT(&res, "5.3.4", 0, "message size 34 exceeds size limit "
	    "30 of server " PEER, "MAIL");
	UNIT_ASSERT_STR_EQ(res.relay, RELAY);
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), true);
	/* 21 bytes fit. */
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	UNIT_ASSERT_INT_EQ(res.class, RELAY_OK);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test> SIZE=21\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
	    WIRE "QUIT\r\n");
	free(p.got);
}

/* test_smtp_client_smtputf8 - needed and missing: 5.6.7; offered: used */
static void
test_smtp_client_smtputf8(void)
{
	static const struct peer_step plain[] = { GREET, EHLO_BARE, QUIT_OK,
	    { 0 } };
	static const struct peer_step utf8[] = { GREET,
	    OK("250-mx.test\r\n250 SMTPUTF8\r\n"), OK("250 Ok\r\n"),
	    OK("250 Ok\r\n"), OK("354 go\r\n"), { PEER_DATA, "250 Ok\r\n", 0 },
	    QUIT_OK, { 0 } };
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct smtp_client *cl;
	struct peer p;

	cl = session(&p, plain, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "j\xc3\xb6rg@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	ASSERT_RESULT(&res, "5.6.7", 0, "SMTPUTF8 is required, but was not "
	    "offered by host " PEER, "MAIL");
	UNIT_ASSERT_INT_EQ(res.class, RELAY_PERMANENT);
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), true);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\nQUIT\r\n");
	free(p.got);

	cl = session(&p, utf8, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(send_one(cl, "\xc3\xa5@b.test", "c@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	UNIT_ASSERT_INT_EQ(res.class, RELAY_OK);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n"
	    "MAIL FROM:<\xc3\xa5@b.test> SMTPUTF8\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\n" WIRE "QUIT\r\n");
	free(p.got);
}

/* test_smtp_client_8bitmime - BODY=8BITMIME only for 8-bit content */
static void
test_smtp_client_8bitmime(void)
{
	static const struct peer_step with[] = { GREET,
	    OK("250-mx.test\r\n250 8BITMIME\r\n"),
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 Ok\r\n", 0 },
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 Ok\r\n", 0 }, QUIT_OK, { 0 } };
	static const struct peer_step without[] = { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 Ok\r\n", 0 }, QUIT_OK, { 0 } };
	static const char eight[] = "Subject: x\n\ncaf\xc3\xa9\n";
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct smtp_client *cl;
	struct peer p;

	cl = session(&p, with, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", eight,
	    strlen(eight), &res, &why), 0);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test> BODY=8BITMIME\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\nSubject: x\r\n\r\ncaf\xc3\xa9\r\n.\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n" WIRE
	    "QUIT\r\n");
	free(p.got);

	/* Not offered: the content goes as it is, without the parameter. */
	cl = session(&p, without, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", eight,
	    strlen(eight), &res, &why), 0);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
	    "DATA\r\nSubject: x\r\n\r\ncaf\xc3\xa9\r\n.\r\nQUIT\r\n");
	free(p.got);
}

/* test_smtp_client_dot_stuffing - the wire bytes, exactly */
static void
test_smtp_client_dot_stuffing(void)
{
	static const struct peer_step script[] = { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 Ok\r\n", 0 }, OK("250 Ok\r\n"), OK("250 Ok\r\n"),
	    OK("354 go\r\n"), { PEER_DATA, "250 Ok\r\n", 0 }, QUIT_OK,
	    { 0 } };
	static const char msg[] = "a\n.\n..b\n.c\r\nlast";
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct smtp_client *cl;
	struct peer p;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(send_one(cl, "", "c@d.test", msg, strlen(msg),
	    &res, &why), 0);
	/* An empty message is just the dot. */
	UNIT_ASSERT_INT_EQ(send_one(cl, "", "c@d.test", "", 0, &res, &why), 0);
	UNIT_ASSERT_INT_EQ(res.class, RELAY_OK);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n"
	    "MAIL FROM:<>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
	    "a\r\n..\r\n...b\r\n..c\r\nlast\r\n.\r\n"
	    "MAIL FROM:<>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n.\r\nQUIT\r\n");
	free(p.got);
}

/* test_smtp_client_two_messages - one session carries two messages */
static void
test_smtp_client_two_messages(void)
{
	static const struct peer_step script[] = { GREET, EHLO_PIPE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 2.0.0 Ok: queued as M1\r\n", 0 },
	    OK("250 Ok\r\n"), OK("550 5.1.1 unknown\r\n"),
	    OK("554 5.5.1 no valid recipients\r\n"), OK("250 Ok\r\n"),
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 2.0.0 Ok: queued as M3\r\n", 0 }, QUIT_OK,
	    { 0 } };
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct smtp_client *cl;
	struct peer p;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	ASSERT_RESULT(&res, "2.0.0", 250, "250 2.0.0 Ok: queued as M1",
	    "DOT");
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), true);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "x@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	ASSERT_RESULT(&res, "5.1.1", 550, "host " PEER " said: 550 5.1.1 "
	    "unknown (in reply to RCPT TO command)", "RCPT");
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), true);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "e@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	ASSERT_RESULT(&res, "2.0.0", 250, "250 2.0.0 Ok: queued as M3",
	    "DOT");
	UNIT_ASSERT_INT_EQ(smtp_client_messages(cl), 2);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n" WIRE
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\nDATA\r\nRSET\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<e@d.test>\r\nDATA\r\n" WIRE
	    "QUIT\r\n");
	free(p.got);
}

/* test_smtp_client_greeting_timeout - 200 ms, then 4.4.2 */
static void
test_smtp_client_greeting_timeout(void)
{
	static const struct peer_step silent[] = { { 0 } };
	struct smtp_options o = opts(2000);
	struct relay_result why;
	struct smtp_client *cl;
	struct peer p;
	long t0, elapsed;

	o.timeout_ms[SMTP_STAGE_GREETING] = 200;
	t0 = deadline_now_ms();
	cl = session(&p, silent, &o, &why);
	elapsed = deadline_now_ms() - t0;
	UNIT_ASSERT_INT_EQ(cl == NULL, true);
	ASSERT_RESULT(&why, "4.4.2", 0, "conversation with " PEER " timed out "
	    "while receiving the initial server greeting", "GREETING");
	UNIT_ASSERT_INT_EQ(elapsed >= 190 && elapsed < 1500, true);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "");
	free(p.got);

	/* The run's deadline cuts a longer stage timeout short. */
	o.timeout_ms[SMTP_STAGE_GREETING] = 5000;
	deadline_in_ms(&o.deadline, 150);
	t0 = deadline_now_ms();
	cl = session(&p, silent, &o, &why);
	elapsed = deadline_now_ms() - t0;
	UNIT_ASSERT_INT_EQ(cl == NULL, true);
	UNIT_ASSERT_STR_EQ(why.status, "4.4.2");
	UNIT_ASSERT_INT_EQ(elapsed >= 140 && elapsed < 1500, true);
	peer_finish(&p);
	free(p.got);
}

/* test_smtp_client_xfer_timeout - a server that stops reading content */
static void
test_smtp_client_xfer_timeout(void)
{
	static const struct peer_step script[] = { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_SLEEP, NULL, 1000 }, { 0 } };
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct smtp_client *cl;
	struct peer p;
	char *big;
	size_t i, size = 4 * 1024 * 1024;
	long t0;

	o.timeout_ms[SMTP_STAGE_XFER] = 200;
	big = malloc(size);
	for (i = 0; i < size; i++)
		big[i] = (i % 64 == 63) ? '\n' : 'x';
	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	t0 = deadline_now_ms();
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", big, size,
	    &res, &why), -1);
	UNIT_ASSERT_INT_EQ(deadline_now_ms() - t0 < 900, true);
	ASSERT_RESULT(&why, "4.4.2", 0, "conversation with " PEER " timed "
	    "out while sending message body", "XFER");
	ASSERT_RESULT(&res, "4.4.2", 0, "conversation with " PEER " timed "
	    "out while sending message body", "XFER");
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), false);
	smtp_client_free(cl);
	peer_finish(&p);
	free(p.got);
	free(big);
}

/* test_smtp_client_long_reply - a line too long, 101 lines: malformed */
static void
test_smtp_client_long_reply(void)
{
	static char line[3000], many[101 * 16 + 16];
	struct peer_step script[] = { GREET, { PEER_LINE, NULL, 0 }, { 0 } };
	struct smtp_options o = opts(2000);
	struct relay_result why;
	struct smtp_client *cl;
	struct peer p;
	size_t i, n;

	memset(line, 'x', sizeof(line) - 3);
	memcpy(line, "250 ", 4);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	script[1].text = line;
	cl = session(&p, script, &o, &why);
	UNIT_ASSERT_INT_EQ(cl == NULL, true);
	ASSERT_RESULT(&why, "4.5.0", 0, "host " PEER " sent a malformed reply "
	    "while performing the EHLO handshake", "EHLO");
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n");
	free(p.got);

	for (i = 0, n = 0; i < 101; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		    "250-line %zu\r\n", i);
	snprintf(many + n, sizeof(many) - n, "250 end\r\n");
	script[1].text = many;
	cl = session(&p, script, &o, &why);
	UNIT_ASSERT_INT_EQ(cl == NULL, true);
	ASSERT_RESULT(&why, "4.5.0", 0, "host " PEER " sent a malformed reply "
	    "while performing the EHLO handshake", "EHLO");
	peer_finish(&p);
	free(p.got);

	/* 100 lines are fine. */
	for (i = 0, n = 0; i < 99; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		    "250-line %zu\r\n", i);
	snprintf(many + n, sizeof(many) - n, "250 end\r\n");
	script[1].text = many;
	cl = session(&p, script, &o, &why);
	UNIT_ASSERT_INT_EQ(cl != NULL, true);
	smtp_client_free(cl);
	peer_finish(&p);
	free(p.got);
}

/* test_smtp_client_out_of_turn - a 421 on an idle session */
static void
test_smtp_client_out_of_turn(void)
{
	static const struct peer_step script[] = { GREET, EHLO_BARE,
	    { PEER_SEND, "421 4.4.2 mx.test Error: timeout exceeded\r\n", 0 },
	    { PEER_CLOSE, NULL, 0 }, { 0 } };
	static const struct peer_step hangup[] = { GREET, EHLO_BARE,
	    { PEER_CLOSE, NULL, 0 }, { 0 } };
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct smtp_client *cl;
	struct peer p;
	int i;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	for (i = 0; i < 200 && smtp_client_is_open(cl); i++)
		usleep(5000);
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), false);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", MSG,
	    strlen(MSG), &res, &why), -1);
	ASSERT_RESULT(&why, "4.4.2", 421, "host " PEER " said: 421 4.4.2 "
	    "mx.test Error: timeout exceeded (out of turn, before MAIL FROM "
	    "command)", "MAIL");
	ASSERT_RESULT(&res, "4.4.2", 421, "host " PEER " said: 421 4.4.2 "
	    "mx.test Error: timeout exceeded (out of turn, before MAIL FROM "
	    "command)", "MAIL");
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n");
	free(p.got);

	cl = session(&p, hangup, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	for (i = 0; i < 200 && smtp_client_is_open(cl); i++)
		usleep(5000);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", MSG,
	    strlen(MSG), &res, &why), -1);
	ASSERT_RESULT(&res, "4.4.2", 0, "lost connection with " PEER
	    " while sending MAIL FROM", "MAIL");
	/* A closed session refuses further messages. */
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", MSG,
	    strlen(MSG), &res, &why), -1);
	UNIT_ASSERT_STR_EQ(res.status, "4.3.0");
	UNIT_ASSERT_STR_EQ(res.text, "no open session with " PEER);
	smtp_client_free(cl);
	peer_finish(&p);
	free(p.got);
}

#define SYNC	"4.5.0", 0, "lost synchronization with host " PEER " while "

/*
 * Replies out of turn: a line that comes when no reply is owed breaks the
 * session (transient), whatever it says; it is never taken for the answer
 * to what is sent next. Each stray line comes in the same record as the
 * last reply owed, so that the client has it whatever the scheduling.
 */
static const struct session_case desync_cases[] = {
	{ "extra line at the greeting", { { PEER_SEND,
	    "220 mx.test ESMTP\r\n250 extra\r\n", 0 } }, { NULL }, -1, 0,
	    false, "", { { SYNC "receiving the initial server greeting (out "
	    "of turn: 250 extra)", "GREETING" } }, { NULL, 0, NULL, NULL } },
	{ "extra line after EHLO", { GREET,
	    OK("250 mx.test\r\n250 extra\r\n") }, { NULL }, -1, 0, false,
	    "EHLO client.test\r\n", { { SYNC "performing the EHLO handshake "
	    "(out of turn: 250 extra)", "EHLO" } }, { NULL, 0, NULL, NULL } },
	{ "extra line after RCPT", { GREET, EHLO_BARE, OK("250 Ok\r\n"),
	    OK("250 Ok\r\n250 extra\r\n") }, { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n",
	    { { SYNC "sending RCPT TO (out of turn: 250 extra)", "RCPT" } },
	    { SYNC "sending RCPT TO (out of turn: 250 extra)", "RCPT" } },
	{ "250 after 354, 554 at the dot", { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"),
	    OK("354 go\r\n250 2.0.0 spurious\r\n"),
	    { PEER_DATA, "554 5.7.1 rejected\r\n", 0 } }, { NULL }, 0, -1,
	    false, "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\nDATA\r\n",
	    { { SYNC "sending message body (out of turn: 250 2.0.0 "
	    "spurious)", "XFER" } }, { SYNC "sending message body (out of "
	    "turn: 250 2.0.0 spurious)", "XFER" } },
	{ "pipelined: 250 after 354", { GREET, EHLO_PIPE,
	    { PEER_LINE, NULL, 2 },
	    OK("250 Ok\r\n250 Ok\r\n354 go\r\n250 2.0.0 spurious\r\n"),
	    { PEER_DATA, "554 5.7.1 rejected\r\n", 0 } }, { NULL }, 0, -1,
	    false, "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\nDATA\r\n",
	    { { SYNC "sending message body (out of turn: 250 2.0.0 "
	    "spurious)", "XFER" } }, { SYNC "sending message body (out of "
	    "turn: 250 2.0.0 spurious)", "XFER" } },
	{ "two replies to the dot", { GREET, EHLO_BARE, OK("250 Ok\r\n"),
	    OK("250 Ok\r\n"), OK("354 go\r\n"), { PEER_DATA,
	    "250 2.0.0 spurious\r\n554 5.7.1 rejected\r\n", 0 } },
	    { NULL }, 0, -1, false, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n" WIRE,
	    { { SYNC "sending end of data -- message may be sent more than "
	    "once (out of turn: 554 5.7.1 rejected)", "DOT" } },
	    { SYNC "sending end of data -- message may be sent more than "
	    "once (out of turn: 554 5.7.1 rejected)", "DOT" } },
	{ "extra line after RSET", { GREET, EHLO_BARE,
	    OK("550 5.7.1 no\r\n"), OK("250 Ok\r\n250 extra\r\n") },
	    { NULL }, 0, -1, false, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test>\r\nRSET\r\n",
	    { { "5.7.1", 550, "host " PEER " said: 550 5.7.1 no (in reply to "
	    "MAIL FROM command)", "MAIL" } }, { SYNC "sending RSET (out of "
	    "turn: 250 extra)", "RSET" } },
	{ "nonsense code 700 to RCPT: transient", { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("700 what\r\n"), OK("250 Ok\r\n"),
	    QUIT_OK }, { NULL }, 0, 0, true, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nRSET\r\n"
	    "QUIT\r\n", { { "4.5.0", 700, "host " PEER " said: 700 what (in "
	    "reply to RCPT TO command)", "RCPT" } }, { NULL, 0, NULL, NULL } },
	{ "nonsense code 199 to the dot: transient", { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "199 what\r\n", 0 } }, { NULL }, 0, -1, false,
	    "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\nDATA\r\n" WIRE,
	    { { "4.5.0", 199, "host " PEER " said: 199 what (in reply to end "
	    "of DATA command)", "DOT" } }, { "4.5.0", 199, "host " PEER
	    " said: 199 what (in reply to end of DATA command)", "DOT" } },
};

/* test_smtp_client_desync - input when no reply is owed breaks the session */
static void
test_smtp_client_desync(void)
{
	size_t i;

	for (i = 0; i < sizeof(desync_cases) / sizeof(desync_cases[0]); i++)
		run_case(&desync_cases[i]);
}

/* Content for test_smtp_client_stream_error, then a reset. */
struct feeder {
	int	fd;
	size_t	size;
};

/* feed_then_reset - write content, leave data unread on our side, close */
static void *
feed_then_reset(void *arg)
{
	struct feeder *f = arg;
	static char chunk[4096];
	size_t sent = 0, n;
	ssize_t w;

	memset(chunk, 'y', sizeof(chunk));
	for (n = 63; n < sizeof(chunk); n += 64)
		chunk[n] = '\n';
	while (sent < f->size) {
		n = f->size - sent < sizeof(chunk) ? f->size - sent :
		    sizeof(chunk);
		if ((w = write(f->fd, chunk, n)) <= 0)
			break;
		sent += (size_t)w;
	}
	/* Unread data here makes the reader's next read ECONNRESET. */
	close(f->fd);
	return NULL;
}

/*
 * test_smtp_client_stream_error - the input fails in the middle of the
 * content: no final dot, the connection is closed, 4.3.0 for the
 * recipient.
 */
static void
test_smtp_client_stream_error(void)
{
	static const struct peer_step script[] = { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 Ok\r\n", 0 }, { 0 } };
	static const char *const rcpts[] = { "c@d.test", NULL };
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct feeder f;
	struct smtp_client *cl;
	struct msg_stream *ms;
	struct env_buf e;
	struct peer p;
	pthread_t t;
	int sv[2];

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	f.fd = sv[1];
	f.size = 150 * 1024;
	CU_ASSERT_FATAL(write(sv[0], "x", 1) == 1);
	pthread_create(&t, NULL, feed_then_reset, &f);
	relay_result_init(&why);
	ms = msg_stream_new(sv[0], 0, NULL, &why);
	CU_ASSERT_FATAL(ms != NULL);
	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(smtp_client_send(cl, env_make(&e, "a@b.test",
	    rcpts), ms, &res, &why), -1);
	pthread_join(t, NULL);
	UNIT_ASSERT_STR_EQ(res.status, "4.3.0");
	UNIT_ASSERT_STR_EQ(res.stage, "XFER");
	UNIT_ASSERT_STR_EQ(res.relay, RELAY);
	UNIT_ASSERT_INT_EQ(strstr(res.text, "error reading message") != NULL,
	    true);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), false);
	smtp_client_free(cl);
	peer_finish(&p);
	/* The server saw content but never the dot. */
	UNIT_ASSERT_INT_EQ(p.data_eof, true);
	UNIT_ASSERT_INT_EQ(p.got_len > 64 * 1024, true);
	UNIT_ASSERT_INT_EQ(strstr(p.got, "\r\n.\r\n") == NULL, true);
	msg_stream_free(ms);
	close(sv[0]);
	free(p.got);
}

/* test_smtp_client_crlf_address - never put CR or LF on the wire */
static void
test_smtp_client_crlf_address(void)
{
	static const struct peer_step script[] = { GREET, EHLO_BARE,
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 Ok\r\n", 0 }, QUIT_OK, { 0 } };
	static const char *const rcpts[] = { "x@d.test\r\nRSET",
	    "c@d.test", NULL };
	struct smtp_options o = opts(2000);
	struct relay_result why, res[2];
	struct smtp_client *cl;
	struct msg_stream *ms;
	struct env_buf e;
	struct peer p;
	int fd;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test\nDATA", "c@d.test", MSG,
	    strlen(MSG), res, &why), 0);
	UNIT_ASSERT_STR_EQ(res[0].status, "5.1.7");
	ms = stream_make(MSG, strlen(MSG), &fd);
	UNIT_ASSERT_INT_EQ(smtp_client_send(cl, env_make(&e, "a@b.test",
	    rcpts), ms, res, &why), 0);
	UNIT_ASSERT_STR_EQ(res[0].status, "5.1.3");
	UNIT_ASSERT_STR_EQ(res[0].stage, "RCPT");
	UNIT_ASSERT_INT_EQ(res[1].class, RELAY_OK);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n" WIRE
	    "QUIT\r\n");
	msg_stream_free(ms);
	close(fd);
	free(p.got);
}

/* test_smtp_client_connect - real TCP: success, refused */
static void
test_smtp_client_connect(void)
{
	static const struct peer_step script[] = { GREET, EHLO_BARE, QUIT_OK,
	    { 0 } };
	struct smtp_options o = opts(2000);
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin);
	struct relay_result why;
	struct smtp_client *cl;
	struct peer p;
	char want[128];
	int lfd;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    listen(lfd, 5) == 0 &&
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == 0);

	memset(&p, 0, sizeof(p));
	p.fd = -1;
	p.listen_fd = lfd;
	p.script = script;
	p.got_cap = 4096;
	p.got = calloc(1, p.got_cap);
	p.rbuf = malloc(PEER_RECV_MAX);
	pthread_create(&p.thread, NULL, peer_main, &p);
	cl = smtp_client_new(&o);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(smtp_client_connect(cl, "mx.test",
	    (struct sockaddr *)&sin, sizeof(sin), NULL, 0, &why), 0);
	snprintf(want, sizeof(want), "mx.test[127.0.0.1]:%u",
	    ntohs(sin.sin_port));
	UNIT_ASSERT_STR_EQ(smtp_client_relay(cl), want);
	UNIT_ASSERT_STR_EQ(why.relay, want);
	UNIT_ASSERT_STR_EQ(smtp_client_peer(cl), "mx.test[127.0.0.1]");
	smtp_client_quit(cl);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\nQUIT\r\n");
	free(p.got);

	/* The listener is gone now: refused, in Postfix's words. */
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(smtp_client_connect(cl, "mx.test",
	    (struct sockaddr *)&sin, sizeof(sin), NULL, 0, &why), -1);
	snprintf(want, sizeof(want), "connect to mx.test[127.0.0.1]:%u: "
	    "Connection refused", ntohs(sin.sin_port));
	ASSERT_RESULT(&why, "4.4.1", 0, want, "CONNECT");
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), false);

	/* IPv6 in the relay's name, with the scope of a link-local one. */
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = sin.sin_port;		/* closed, on loopback */
	sin6.sin6_addr = in6addr_loopback;
	smtp_client_connect(cl, "mx.test", (struct sockaddr *)&sin6,
	    sizeof(sin6), NULL, 0, &why);
	snprintf(want, sizeof(want), "mx.test[::1]:%u", ntohs(sin.sin_port));
	UNIT_ASSERT_STR_EQ(why.relay, want);
	sin6.sin6_port = htons(25);
	inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr);
	sin6.sin6_scope_id = if_nametoindex("lo");
	if (sin6.sin6_scope_id != 0) {
		smtp_client_connect(cl, "mx.test", (struct sockaddr *)&sin6,
		    sizeof(sin6), NULL, 0, &why);
		UNIT_ASSERT_STR_EQ(why.relay, "mx.test[fe80::1%lo]:25");
	}
	smtp_client_free(cl);
	smtp_client_free(NULL);
}

/* test_smtp_client_trace - verbose logging of commands, replies, states */
static void
test_smtp_client_trace(void)
{
	static const struct peer_step script[] = { GREET, EHLO_BARE,
	    OK("250 2.1.0 Ok\r\n"), OK("250 2.1.5 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 2.0.0 Ok\r\n", 0 }, QUIT_OK, { 0 } };
	static const char *const want[] = {
	    "smtp_client: > MAIL FROM:<a@b.test>",
	    "smtp_client: < 250 2.1.5 Ok",
	    "smtp_client: RCPT -> DATA",
	    "smtp_client: > .",
	    "smtp_client: DOT -> READY",
	    "smtp_client: > QUIT",
	};
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct smtp_client *cl;
	struct peer p;
	char path[] = "/tmp/test_smtp_client.XXXXXX", buf[8192];
	ssize_t n;
	size_t i;
	int fd;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	relay_result_init(&why);
	CU_ASSERT_FATAL(log_open(path, "test", 0, true, &why) == 0);
	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	free(p.got);
	log_close();
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(buf, want[i]) == NULL)
			unit_fail(__FILE__, __LINE__, "log lacks \"%s\"",
			    want[i]);
	/* The content is never logged. */
	UNIT_ASSERT_INT_EQ(strstr(buf, "hello") == NULL, true);
	close(fd);
	unlink(path);
}

/* ---- STARTTLS requirements and AUTH (plaintext peer) ---------------- */

#define EHLO_TLS	{ PEER_LINE, "250-mx.test\r\n250 STARTTLS\r\n", 0 }
#define EHLO_AUTH	{ PEER_LINE, "250-mx.test\r\n250-PIPELINING\r\n" \
			    "250 AUTH PLAIN LOGIN CRAM-MD5\r\n", 0 }
/* RFC 2195's example: challenge, and tim's response to it */
#define CRAM_CHAL	"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2Uu" \
			    "cmVzdG9uLm1jaS5uZXQ+"
#define CRAM_RESP	"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"

struct start_case {
	const char *name;
	struct peer_step script[10];
	enum config_tls_level level;
	bool	with_auth;		/* tim / tanstaaftanstaaf */
	const char *mech;		/* auth_mechanism */
	bool	allow_plaintext;
	int	want_start;
	const char *want_wire;
	struct want_result want;	/* when want_start is -1 */
	const char *want_auth;		/* smtp_client_auth_used() */
};

static const struct start_case start_cases[] = {
	{ "encrypt, STARTTLS not offered: 4.7.4", { GREET, EHLO_BARE,
	    QUIT_OK }, CONFIG_TLS_ENCRYPT, false, NULL, false, -1,
	    "EHLO client.test\r\nQUIT\r\n", { "4.7.4", 0, "TLS is required, "
	    "but was not offered by host " PEER, "STARTTLS" }, "" },
	{ "verify, HELO only: 4.7.4", { GREET, OK("502 5.5.2 no\r\n"),
	    OK("250 mx.test\r\n"), QUIT_OK }, CONFIG_TLS_VERIFY, false, NULL,
	    false, -1, "EHLO client.test\r\nHELO client.test\r\nQUIT\r\n",
	    { "4.7.4", 0, "TLS is required, but was not offered by host "
	    PEER, "STARTTLS" }, "" },
	{ "may, not offered: plaintext", { GREET, EHLO_BARE, QUIT_OK },
	    CONFIG_TLS_MAY, false, NULL, false, 0,
	    "EHLO client.test\r\nQUIT\r\n", { NULL, 0, NULL, NULL }, "" },
	{ "none, offered: never sent", { GREET, EHLO_TLS, QUIT_OK },
	    CONFIG_TLS_NONE, false, NULL, false, 0,
	    "EHLO client.test\r\nQUIT\r\n", { NULL, 0, NULL, NULL }, "" },
	{ "may, STARTTLS refused: plaintext", { GREET, EHLO_TLS,
	    OK("454 4.7.0 TLS not available\r\n"), QUIT_OK }, CONFIG_TLS_MAY,
	    false, NULL, false, 0, "EHLO client.test\r\nSTARTTLS\r\nQUIT\r\n",
	    { NULL, 0, NULL, NULL }, "" },
	{ "encrypt, STARTTLS refused 554: transient", { GREET, EHLO_TLS,
	    OK("554 5.7.3 no TLS for you\r\n"), QUIT_OK }, CONFIG_TLS_ENCRYPT,
	    false, NULL, false, -1, "EHLO client.test\r\nSTARTTLS\r\nQUIT\r\n",
	    { "4.7.3", 554, "TLS is required, but host " PEER " refused to "
	    "start TLS: 554 5.7.3 no TLS for you", "STARTTLS" }, "" },
	{ "STARTTLS reply with injected data", { GREET, EHLO_TLS,
	    OK("220 go ahead\r\n250 injected\r\n") }, CONFIG_TLS_MAY, false,
	    NULL, false, -1, "EHLO client.test\r\nSTARTTLS\r\n", { "4.7.5", 0,
	    "host " PEER " sent data after its reply to STARTTLS (possible "
	    "command injection)", "STARTTLS" }, "" },
	{ "AUTH without TLS refused", { GREET, EHLO_AUTH, QUIT_OK },
	    CONFIG_TLS_MAY, true, NULL, false, -1,
	    "EHLO client.test\r\nQUIT\r\n", { "4.7.0", 0, "AUTH refused over "
	    "an unencrypted connection to host " PEER " (set a TLS level, or "
	    "auth_allow_plaintext = yes)", "AUTH" }, "" },
	{ "AUTH plaintext allowed: CRAM-MD5 first", { GREET, EHLO_AUTH,
	    OK("334 " CRAM_CHAL "\r\n"), OK("235 2.7.0 ok\r\n"), QUIT_OK },
	    CONFIG_TLS_MAY, true, NULL, true, 0, "EHLO client.test\r\n"
	    "AUTH CRAM-MD5\r\n" CRAM_RESP "\r\nQUIT\r\n",
	    { NULL, 0, NULL, NULL }, "CRAM-MD5" },
	{ "AUTH PLAIN forced", { GREET, EHLO_AUTH, OK("235 2.7.0 ok\r\n"),
	    QUIT_OK }, CONFIG_TLS_NONE, true, "plain", true, 0,
	    "EHLO client.test\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"
	    "QUIT\r\n", { NULL, 0, NULL, NULL }, "PLAIN" },
	{ "AUTH LOGIN forced", { GREET, EHLO_AUTH, OK("334 VXNlcm5hbWU6\r\n"),
	    OK("334 UGFzc3dvcmQ6\r\n"), OK("235 2.7.0 ok\r\n"), QUIT_OK },
	    CONFIG_TLS_NONE, true, "LOGIN", true, 0, "EHLO client.test\r\n"
	    "AUTH LOGIN\r\ndGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\nQUIT\r\n",
	    { NULL, 0, NULL, NULL }, "LOGIN" },
	{ "AUTH 535: permanent 5.7.8", { GREET, EHLO_AUTH,
	    OK("535 5.7.8 Error: authentication failed\r\n"), QUIT_OK },
	    CONFIG_TLS_NONE, true, "PLAIN", true, -1, "EHLO client.test\r\n"
	    "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\nQUIT\r\n",
	    { "5.7.8", 535, "SASL authentication failed; server " PEER
	    " said: 535 5.7.8 Error: authentication failed", "AUTH" }, "" },
	{ "AUTH 454: transient", { GREET, EHLO_AUTH,
	    OK("454 4.7.0 Temporary authentication failure\r\n"), QUIT_OK },
	    CONFIG_TLS_NONE, true, "PLAIN", true, -1, "EHLO client.test\r\n"
	    "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\nQUIT\r\n",
	    { "4.7.0", 454, "SASL authentication failed; server " PEER
	    " said: 454 4.7.0 Temporary authentication failure", "AUTH" },
	    "" },
	{ "AUTH 534: softened to 4.7.9", { GREET, EHLO_AUTH,
	    OK("534 5.7.9 mechanism too weak\r\n"), QUIT_OK },
	    CONFIG_TLS_NONE, true, "PLAIN", true, -1, "EHLO client.test\r\n"
	    "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\nQUIT\r\n",
	    { "4.7.9", 534, "SASL authentication failed; server " PEER
	    " said: 534 5.7.9 mechanism too weak", "AUTH" }, "" },
	{ "AUTH forced mechanism not offered", { GREET, { PEER_LINE,
	    "250-mx.test\r\n250 AUTH PLAIN\r\n", 0 }, QUIT_OK },
	    CONFIG_TLS_NONE, true, "CRAM-MD5", true, -1,
	    "EHLO client.test\r\nQUIT\r\n", { "4.7.0", 0, "no SASL mechanism "
	    "in common with host " PEER " (it offers PLAIN; auth_mechanism = "
	    "CRAM-MD5)", "AUTH" }, "" },
	{ "AUTH bad CRAM-MD5 challenge: cancelled", { GREET, EHLO_AUTH,
	    OK("334 ###\r\n"), OK("501 5.7.0 cancelled\r\n"), QUIT_OK },
	    CONFIG_TLS_NONE, true, NULL, true, -1, "EHLO client.test\r\n"
	    "AUTH CRAM-MD5\r\n*\r\nQUIT\r\n", { "4.7.0", 0, "host " PEER
	    " sent a malformed CRAM-MD5 challenge", "AUTH" }, "" },
	{ "AUTH not offered: no AUTH", { GREET, EHLO_BARE, QUIT_OK },
	    CONFIG_TLS_NONE, true, NULL, false, 0,
	    "EHLO client.test\r\nQUIT\r\n", { NULL, 0, NULL, NULL }, "" },
};

/* test_smtp_client_tls_auth_start - TLS requirements and AUTH dialogues */
static void
test_smtp_client_tls_auth_start(void)
{
	struct auth_secret sec;
	struct relay_result why;
	struct smtp_client *cl;
	struct peer p;
	size_t i;
	int rc;

	memset(&sec, 0, sizeof(sec));
	strcpy(sec.user, "tim");
	strcpy(sec.pass, "tanstaaftanstaaf");
	for (i = 0; i < sizeof(start_cases) / sizeof(start_cases[0]); i++) {
		const struct start_case *c = &start_cases[i];
		struct smtp_options o = opts(2000);
		unsigned failures = CU_get_number_of_failures();

		o.tls.level = c->level;
		o.auth = c->with_auth ? &sec : NULL;
		o.auth_mechanism = c->mech;
		o.auth_allow_plaintext = c->allow_plaintext;
		peer_start(&p, c->script, SOCK_STREAM);
		cl = smtp_client_new(&o);
		relay_result_init(&why);
		rc = smtp_client_start_fd(cl, p.client_fd, "mx.test",
		    "192.0.2.1", 25, &why);
		UNIT_ASSERT_INT_EQ(rc, c->want_start);
		if (rc < 0)
			ASSERT_RESULT(&why, c->want.status, c->want.code,
			    c->want.text, c->want.stage);
		else
			UNIT_ASSERT_STR_EQ(smtp_client_auth_used(cl),
			    c->want_auth);
		CU_ASSERT(!smtp_client_is_tls(cl));
		UNIT_ASSERT_STR_EQ(smtp_client_tls_info(cl), "");
		case_end(cl, &p, c->want_wire, failures, c->name);
	}
}

/*
 * test_smtp_client_adopt_moved - a session moved to another client by
 * its properties (as the keeper moves it between processes): the same
 * peer, extensions, SIZE and count, and it carries the next message
 */
static void
test_smtp_client_adopt_moved(void)
{
	static const struct peer_step script[] = { GREET,
	    OK("250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n"
	    "250 AUTH PLAIN LOGIN\r\n"),
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 2.0.0 Ok: queued as M1\r\n", 0 },
	    OK("250 Ok\r\n"), OK("250 Ok\r\n"), OK("354 go\r\n"),
	    { PEER_DATA, "250 2.0.0 Ok: queued as M2\r\n", 0 }, QUIT_OK,
	    { 0 } };
	struct smtp_options o = opts(2000);
	struct relay_result why, res;
	struct smtp_client *cl, *moved;
	char props[1024], again[1024];
	struct peer p;
	int fd;

	cl = session(&p, script, &o, &why);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(send_one(cl, "a@b.test", "c@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	UNIT_ASSERT_INT_EQ(smtp_client_props(cl, props, sizeof(props)), 0);
	/* No room: -1, never a cut text. */
	UNIT_ASSERT_INT_EQ(smtp_client_props(cl, again, 40), -1);
	fd = dup(smtp_client_fd(cl));
	CU_ASSERT_FATAL(fd >= 0);
	smtp_client_free(cl);

	moved = smtp_client_new(&o);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(smtp_client_adopt(moved, fd, props, &why), 0);
	UNIT_ASSERT_INT_EQ(smtp_client_is_open(moved), true);
	UNIT_ASSERT_STR_EQ(smtp_client_peer(moved), PEER);
	UNIT_ASSERT_STR_EQ(smtp_client_relay(moved), RELAY);
	UNIT_ASSERT_INT_EQ(smtp_client_extensions(moved),
	    SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_AUTH);
	UNIT_ASSERT_INT_EQ(smtp_client_size_limit(moved), 1000000);
	UNIT_ASSERT_STR_EQ(smtp_client_auth_mechs(moved), "PLAIN LOGIN");
	UNIT_ASSERT_STR_EQ(smtp_client_auth_used(moved), "");
	UNIT_ASSERT_INT_EQ(smtp_client_messages(moved), 1);
	UNIT_ASSERT_INT_EQ(smtp_client_is_tls(moved), false);
	UNIT_ASSERT_INT_EQ(smtp_client_props(moved, again, sizeof(again)), 0);
	UNIT_ASSERT_STR_EQ(again, props);
	UNIT_ASSERT_INT_EQ(send_one(moved, "a@b.test", "e@d.test", MSG,
	    strlen(MSG), &res, &why), 0);
	ASSERT_RESULT(&res, "2.0.0", 250, "250 2.0.0 Ok: queued as M2",
	    "DOT");
	UNIT_ASSERT_INT_EQ(smtp_client_messages(moved), 2);
	smtp_client_quit(moved);
	smtp_client_free(moved);
	peer_finish(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test> SIZE=21\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
	    WIRE
	    "MAIL FROM:<a@b.test> SIZE=21\r\nRCPT TO:<e@d.test>\r\nDATA\r\n"
	    WIRE "QUIT\r\n");
	free(p.got);
}

/* Properties as smtp_client_adopt() reads them. */
static const struct {
	const char *props;
	int	want;			/* 0 or -1 */
	const char *relay;		/* accepted: the relay shown */
	const char *auth;		/* accepted: the mechanism used */
	bool	is_tls;
} adopt_cases[] = {
	{ "t=1 n=0 ext=1 size=0 tls=0 auth= mechs= peer=a[b] "
	    "relay=a[b]:25 info=", 0, "a[b]:25", "", false },
	{ "t=1 peer=a[b] relay=a[b]:25", 0, "a[b]:25", "", false },
	{ "t=1 tls=1 auth=cram-md5 peer=a[b] relay=a%5Bb%5d:25 info=x%20y",
	    0, "a[b]:25", "CRAM-MD5", true },
	{ "t=1 peer=a[b] relay=x relay=a[b]:25", 0, "a[b]:25", "", false },
	{ "t=1 tls=01 peer=a[b] relay=a[b]:25", 0, "a[b]:25", "", true },
	/* Missing or empty labels, no time. */
	{ "", -1, NULL, NULL, false },
	{ "peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 peer=a[b] relay=", -1, NULL, NULL, false },
	/* Names and numbers. */
	{ "t=1 peer=a[b] relay=a[b]:25 x=1", -1, NULL, NULL, false },
	{ "t=1 peer=a[b] relay=a[b]:25 tls", -1, NULL, NULL, false },
	{ "t=-1 peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=9223372036854775808 peer=a[b] relay=a[b]:25", -1, NULL, NULL,
	    false },
	{ "t=1 n=2147483648 peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 ext=10000 peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 ext=1F peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 size=18446744073709551616 peer=a[b] relay=a[b]:25", -1, NULL,
	    NULL, false },
	{ "t=1 tls=10 peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	/* A digit above the maximum (1) once wrapped max - digit. */
	{ "t=1 tls=2 peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 tls=19 peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	/* Texts: bad escapes, NUL, too long, spacing. */
	{ "t=1 peer=a%00 relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 peer=a%2 relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 auth=0123456789012345678901234567890123456789 peer=a[b] "
	    "relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1  peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	/* An AUTH mechanism smtp_client_props() never names. */
	{ "t=1 auth=none peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 auth=XOAUTH2 peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	{ " t=1 peer=a[b] relay=a[b]:25", -1, NULL, NULL, false },
	{ "t=1 peer=a[b] relay=a[b]:25 ", -1, NULL, NULL, false },
};

/* test_smtp_client_adopt_props - properties accepted and refused */
static void
test_smtp_client_adopt_props(void)
{
	struct smtp_options o = opts(100);
	struct relay_result why;
	struct smtp_client *cl;
	size_t i;
	int sv[2], rc;

	for (i = 0; i < sizeof(adopt_cases) / sizeof(adopt_cases[0]); i++) {
		unsigned failures = CU_get_number_of_failures();

		CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
		cl = smtp_client_new(&o);
		relay_result_init(&why);
		rc = smtp_client_adopt(cl, sv[0], adopt_cases[i].props, &why);
		UNIT_ASSERT_INT_EQ(rc, adopt_cases[i].want);
		if (rc == 0) {
			UNIT_ASSERT_INT_EQ(smtp_client_is_open(cl), true);
			UNIT_ASSERT_STR_EQ(smtp_client_relay(cl),
			    adopt_cases[i].relay);
			UNIT_ASSERT_STR_EQ(smtp_client_auth_used(cl),
			    adopt_cases[i].auth);
			UNIT_ASSERT_INT_EQ(smtp_client_is_tls(cl),
			    adopt_cases[i].is_tls);
		} else {
			UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
			UNIT_ASSERT_INT_EQ(smtp_client_fd(cl), -1);
			/* The descriptor was closed: the peer sees EOF. */
			UNIT_ASSERT_INT_EQ(read(sv[1], &rc, 1), 0);
		}
		smtp_client_free(cl);
		close(sv[1]);
		if (CU_get_number_of_failures() != failures)
			fprintf(stderr, "  ^ in case \"%s\"\n",
			    adopt_cases[i].props);
	}
}

static CU_TestInfo tests[] = {
	{ "test_smtp_client_tls_auth_start",
	    test_smtp_client_tls_auth_start },
	{ "test_smtp_client_greeting", test_smtp_client_greeting },
	{ "test_smtp_client_transaction", test_smtp_client_transaction },
	{ "test_smtp_client_ehlo_extensions",
	    test_smtp_client_ehlo_extensions },
	{ "test_smtp_client_pipelined_group",
	    test_smtp_client_pipelined_group },
	{ "test_smtp_client_unpipelined_order",
	    test_smtp_client_unpipelined_order },
	{ "test_smtp_client_many_rcpts", test_smtp_client_many_rcpts },
	{ "test_smtp_client_size_limit", test_smtp_client_size_limit },
	{ "test_smtp_client_dsn", test_smtp_client_dsn },
	{ "test_smtp_client_smtputf8", test_smtp_client_smtputf8 },
	{ "test_smtp_client_8bitmime", test_smtp_client_8bitmime },
	{ "test_smtp_client_dot_stuffing", test_smtp_client_dot_stuffing },
	{ "test_smtp_client_two_messages", test_smtp_client_two_messages },
	{ "test_smtp_client_greeting_timeout",
	    test_smtp_client_greeting_timeout },
	{ "test_smtp_client_xfer_timeout", test_smtp_client_xfer_timeout },
	{ "test_smtp_client_long_reply", test_smtp_client_long_reply },
	{ "test_smtp_client_out_of_turn", test_smtp_client_out_of_turn },
	{ "test_smtp_client_desync", test_smtp_client_desync },
	{ "test_smtp_client_stream_error", test_smtp_client_stream_error },
	{ "test_smtp_client_crlf_address", test_smtp_client_crlf_address },
	{ "test_smtp_client_connect", test_smtp_client_connect },
	{ "test_smtp_client_trace", test_smtp_client_trace },
	{ "test_smtp_client_adopt_moved", test_smtp_client_adopt_moved },
	{ "test_smtp_client_adopt_props", test_smtp_client_adopt_props },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("smtp_client", tests);
}
