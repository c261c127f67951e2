/*
 * NAME
 *	fuzz_smtp_session - libFuzzer target: a server's whole reply stream
 *	to a real smtp_client session
 * DESCRIPTION
 *	Input: one byte of options (bits 0-1: 1 to 3 recipients, bit 2: a
 *	second message on the same session, bit 3: content with a line
 *	that starts with '.'), then the server's script as smtp_peer.h
 *	reads it: reply units, one per command or final dot, and stray
 *	lines marked '+'. The client connects over a socketpair
 *	(smtp_client_start_fd()) and sends the message(s); every wait is
 *	bounded by short stage timeouts, so that a client and a peer that
 *	disagree cost a fraction of a second, not a hang.
 *
 *	Invariants, any violation abort()s:
 *	- a recipient reported delivered (class RELAY_OK) has the stage of
 *	  the final dot, and then the peer did read that message's final
 *	  dot, answered it with a whole 2xx reply whose code and text are
 *	  the result's, and had sent no stray input before that answer
 *	  (input that arrived when no reply was owed: extra lines after
 *	  354, a second reply after a dot's, ...). A client that takes a
 *	  stray "250" for the reply to the dot breaks this;
 *	- after smtp_client_send() no result is left open (no stage, or
 *	  accepted at RCPT and waiting for the dot), every status is a
 *	  valid RFC 3463 code of the result's class and every text one
 *	  printable line; -1 comes with why set, transient or permanent,
 *	  and a closed session;
 *	- no crash, no leak, nothing read out of bounds (ASan).
 *
 *	Seeds named desync-* in tests/fuzz/corpus/smtp_session/ are cases
 *	of the stray-input bug: they fail until the client counts the
 *	replies it is owed.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "address.h"
#include "msg_stream.h"
#include "printable.h"
#include "result.h"
#include "smtp_client.h"
#include "smtp_peer.h"
#include "smtp_stage.h"

#define STAGE_MS	300		/* every stage's timeout */
#define SCRIPT_MAX	(32 * 1024)	/* more only repeats */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_smtp_session: %s\n", what);
		abort();
	}
}

/* set_address - an address as address.c makes it from clean input */
static void
set_address(struct address *a, const char *text)
{
	const char *at = strrchr(text, '@');

	memset(a, 0, sizeof(*a));
	snprintf(a->addr, sizeof(a->addr), "%s", text);
	snprintf(a->domain, sizeof(a->domain), "%s", at ? at + 1 : "");
	a->local_len = at ? (size_t)(at - text) : strlen(text);
}

/* stream - a message stream over a memory file; *fd to close */
static struct msg_stream *
stream(const char *content, int *fd)
{
	struct relay_result why;
	struct msg_stream *ms;
	size_t len = strlen(content);

	relay_result_init(&why);
	if ((*fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0 ||
	    write(*fd, content, len) != (ssize_t)len ||
	    lseek(*fd, 0, SEEK_SET) != 0 ||
	    (ms = msg_stream_new(*fd, 0, NULL, &why)) == NULL)
		abort();
	return ms;
}

/* check_text - a result's text is one printable line */
static void
check_text(const struct relay_result *r)
{
	const char *p;

	check(memchr(r->text, '\0', sizeof(r->text)) != NULL,
	    "text not terminated");
	for (p = r->text; *p != '\0'; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f,
		    "control character in a result");
	check(relay_status_valid(r->status), "invalid status");
	check(r->status[0] == (r->class == RELAY_OK ? '2' :
	    r->class == RELAY_TRANSIENT ? '4' : '5'),
	    "class and status disagree");
}

/*
 * check_message - the results of message k (its final dot, if any, is
 * the peer's dot[dot_index]); returns whether the session goes on
 */
static bool
check_message(struct smtp_client *cl, struct peer *p, int rc,
    const struct relay_result *res, size_t nrcpt,
    const struct relay_result *why, size_t dots_before)
{
	const char *dot_stage = smtp_stage_name(SMTP_STAGE_DOT);
	const struct peer_dot *d;
	char want[RELAY_TEXT_MAX];
	size_t i, ndot;

	pthread_mutex_lock(&p->lock);
	ndot = p->ndot;
	for (i = 0; i < nrcpt; i++) {
		check(res[i].stage != NULL, "result left without a stage");
		check_text(&res[i]);
		if (res[i].class != RELAY_OK)
			continue;
		check(strcmp(res[i].stage, dot_stage) == 0,
		    "a recipient left accepted at RCPT, never answered");
		check(ndot == dots_before + 1 && ndot <= PEER_DOTS_MAX,
		    "delivered, but the peer read no final dot");
		d = &p->dot[ndot - 1];
		check(d->has_reply && d->code / 100 == 2,
		    "delivered, but the peer did not answer the dot with 2xx");
		check(!d->stray_before,
		    "delivered although stray input came before the reply "
		    "to the dot (reply taken out of turn)");
		/* The reply's text as a result shows it (result.c). */
		snprintf(want, sizeof(want), "%s", d->text);
		printable_fix(want);
		check(res[i].smtp_code == d->code &&
		    strcmp(res[i].text, want) == 0,
		    "delivered with a reply that is not the reply to the dot");
	}
	pthread_mutex_unlock(&p->lock);
	if (rc < 0) {
		check(why->class != RELAY_OK, "-1 with a success");
		check_text(why);
		check(!smtp_client_is_open(cl), "-1 with the session open");
		return false;
	}
	check(rc == 0, "smtp_client_send() returned neither 0 nor -1");
	return smtp_client_is_open(cl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rcpts[] = { "a@example.test",
	    "b@example.test", "c@example.org" };
	struct relay_result why, res[3];
	struct address rcpt[3];
	struct smtp_options o;
	struct smtp_client *cl;
	struct envelope env;
	struct msg_stream *ms;
	struct peer p;
	size_t i, n, dots;
	int s, fd, rc, msg, nmsg;
	unsigned opts;

	if (size < 1 || size > SCRIPT_MAX)
		return 0;
	opts = data[0];
	n = 1 + (opts & 3) % 3;
	nmsg = (opts & 4) ? 2 : 1;

	memset(&o, 0, sizeof(o));
	o.ehlo_name = "client.example.test";
	for (s = 0; s < SMTP_STAGE_COUNT; s++)
		o.timeout_ms[s] = STAGE_MS;
	deadline_none(&o.deadline);
	memset(&env, 0, sizeof(env));
	set_address(&env.sender, "sender@example.test");
	for (i = 0; i < n; i++)
		set_address(&rcpt[i], rcpts[i]);
	env.rcpt = rcpt;
	env.nrcpt = n;
	env.size = -1;

	peer_start(&p, (const char *)data + 1, size - 1);
	if ((cl = smtp_client_new(&o)) == NULL)
		abort();
	relay_result_init(&why);
	if (smtp_client_start_fd(cl, p.client_fd, "mx.example.test",
	    "192.0.2.1", 25, &why) != 0) {
		check(why.class != RELAY_OK, "a failed start with a success");
		check_text(&why);
		check(!smtp_client_is_open(cl), "failed start, open session");
		nmsg = 0;
	}
	for (msg = 0; msg < nmsg; msg++) {
		ms = stream((opts & 8) ? "Subject: fuzz\n\n.dot\nbody\n" :
		    "Subject: fuzz\n\nbody\n", &fd);
		pthread_mutex_lock(&p.lock);
		dots = p.ndot;
		pthread_mutex_unlock(&p.lock);
		relay_result_init(&why);
		rc = smtp_client_send(cl, &env, ms, res, &why);
		msg_stream_free(ms);
		close(fd);
		if (!check_message(cl, &p, rc, res, n, &why, dots))
			break;
	}
	smtp_client_quit(cl);
	smtp_client_free(cl);
	peer_finish(&p);
	return 0;
}
