/*
 * NAME
 *	test_session_cache - unit tests for lib/session_cache.c
 * DESCRIPTION
 *	Real smtp_client sessions over socketpairs to a small SMTP peer (a
 *	thread that answers every command and records it): the NULL cache
 *	never keeps a session and QUITs it; a kept session is found by its
 *	key only, after an RSET probe; idle timeout, reuse time and count
 *	limits, the caps in all and per key; a server that spoke (421) or
 *	hung up while idle, and one that refuses the probe, are closed and
 *	not used, the first without QUIT.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "session_cache.h"
#include "unit.h"

#define MSG	"Subject: t\n\nhello\n"

struct peer {
	int	fd;
	pthread_t thread;
	char	got[4096];		/* command lines, CRLF kept */
	size_t	got_len;
	const char *rset_reply;		/* NULL: "250 2.0.0 Ok" */
};

/* peer_say - one reply */
static void
peer_say(struct peer *p, const char *text)
{
	(void)send(p->fd, text, strlen(text), MSG_NOSIGNAL);
}

/* peer_main - greet, answer every command, swallow the content */
static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	char buf[2048], line[512];
	size_t len = 0, ll = 0;
	bool in_data = false;
	ssize_t n;
	int i;

	peer_say(p, "220 mx.test ESMTP\r\n");
	while ((n = read(p->fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (ll + 1 < sizeof(line))
				line[ll++] = buf[i];
			if (buf[i] != '\n')
				continue;
			line[ll] = '\0';
			if (in_data) {
				if (strcmp(line, ".\r\n") == 0) {
					in_data = false;
					peer_say(p, "250 2.0.0 Ok: queued\r\n");
				}
				ll = 0;
				continue;
			}
			if (len + ll < sizeof(p->got)) {
				memcpy(p->got + len, line, ll + 1);
				len += ll;
				p->got_len = len;
			}
			if (strncmp(line, "EHLO", 4) == 0)
				peer_say(p, "250 mx.test\r\n");
			else if (strncmp(line, "DATA", 4) == 0) {
				peer_say(p, "354 go\r\n");
				in_data = true;
			} else if (strncmp(line, "RSET", 4) == 0)
				peer_say(p, p->rset_reply != NULL ?
				    p->rset_reply : "250 2.0.0 Ok\r\n");
			else if (strncmp(line, "QUIT", 4) == 0)
				peer_say(p, "221 2.0.0 Bye\r\n");
			else
				peer_say(p, "250 2.0.0 Ok\r\n");
			ll = 0;
		}
	}
	return NULL;
}

/* The clients' options (plaintext, no AUTH): see client_options(). */
static struct smtp_options copt;

/* client_options - fill copt */
static void
client_options(void)
{
	int s;

	memset(&copt, 0, sizeof(copt));
	copt.ehlo_name = "client.test";
	for (s = 0; s < SMTP_STAGE_COUNT; s++)
		copt.timeout_ms[s] = 2000;
	deadline_none(&copt.deadline);
}

/* session - a client with an open session to a new peer */
static struct smtp_client *
session(struct peer *p)
{
	struct relay_result why;
	struct smtp_client *cl;
	int sv[2];

	memset(p, 0, sizeof(*p));
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	p->fd = sv[1];
	CU_ASSERT_FATAL(pthread_create(&p->thread, NULL, peer_main, p) == 0);
	cl = smtp_client_new(&copt);
	CU_ASSERT_FATAL(cl != NULL);
	relay_result_init(&why);
	CU_ASSERT_FATAL(smtp_client_start_fd(cl, sv[0], "mx.test",
	    "192.0.2.1", 25, &why) == 0);
	return cl;
}

/* peer_end - wait for the peer to see EOF; what it got stays in p->got */
static void
peer_end(struct peer *p)
{
	pthread_join(p->thread, NULL);
	close(p->fd);
}

/* send_msg - one message over cl, delivered */
static void
send_msg(struct smtp_client *cl)
{
	struct relay_result why, res;
	struct envelope env;
	struct address rcpt;
	struct msg_stream *ms;
	int fd;

	memset(&env, 0, sizeof(env));
	memset(&rcpt, 0, sizeof(rcpt));
	snprintf(env.sender.addr, sizeof(env.sender.addr), "a@b.test");
	snprintf(rcpt.addr, sizeof(rcpt.addr), "c@d.test");
	snprintf(rcpt.domain, sizeof(rcpt.domain), "d.test");
	env.rcpt = &rcpt;
	env.nrcpt = 1;
	env.size = -1;
	fd = memfd_create("msg", MFD_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0 && write(fd, MSG, strlen(MSG)) ==
	    (ssize_t)strlen(MSG) && lseek(fd, 0, SEEK_SET) == 0);
	relay_result_init(&why);
	ms = msg_stream_new(fd, 0, NULL, &why);
	CU_ASSERT_FATAL(ms != NULL);
	UNIT_ASSERT_INT_EQ(smtp_client_send(cl, &env, ms, &res, &why), 0);
	UNIT_ASSERT_STR_EQ(res.status, "2.0.0");
	msg_stream_free(ms);
	close(fd);
}

/* sleep_ms - at least ms milliseconds */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* options - a cache for tests */
static struct session_cache_options
options(void)
{
	struct session_cache_options o;

	memset(&o, 0, sizeof(o));
	o.max_idle = 4;
	o.idle_timeout_ms = 10000;
	o.reuse_time_limit_ms = 300000;
	return o;
}

/* test_session_cache_null - pipe mode: nothing kept, QUIT at put */
static void
test_session_cache_null(void)
{
	struct deadline d;
	struct pool_slot *slot;
	struct peer p;
	struct smtp_client *cl = session(&p);

	deadline_none(&d);
	UNIT_ASSERT_INT_EQ(session_cache_get(NULL, "k", &copt, &d, &slot) ==
	    NULL, true);
	session_cache_put(NULL, "k", "d", cl, NULL);
	UNIT_ASSERT_INT_EQ(session_cache_idle(NULL), 0);
	peer_end(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\nQUIT\r\n");
}

/* test_session_cache_reuse - found by key after RSET; another key: no */
static void
test_session_cache_reuse(void)
{
	struct session_cache_options o = options();
	struct session_cache *sc = session_cache_new(&o);
	struct smtp_client *cl, *again;
	struct deadline d;
	struct pool_slot *slot;
	struct peer p;

	deadline_none(&d);
	cl = session(&p);
	send_msg(cl);
	session_cache_put(sc, "mx.test[192.0.2.1]:25", "d", cl, NULL);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 1);
	UNIT_ASSERT_INT_EQ(session_cache_get(sc, "other[192.0.2.2]:25", &copt,
	    &d, &slot) == NULL, true);
	UNIT_ASSERT_INT_EQ(session_cache_get(sc, NULL, &copt, &d, &slot) ==
	    NULL, true);
	again = session_cache_get(sc, "mx.test[192.0.2.1]:25", &copt, &d,
	    &slot);
	UNIT_ASSERT_INT_EQ(again == cl, true);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 0);
	send_msg(again);
	UNIT_ASSERT_INT_EQ(smtp_client_messages(again), 2);
	session_cache_put(sc, "mx.test[192.0.2.1]:25", "d", again, NULL);
	session_cache_free(sc);
	peer_end(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
	    "RSET\r\n"
	    "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
	    "QUIT\r\n");
}

/* test_session_cache_idle_timeout - too long idle: QUIT, not reused */
static void
test_session_cache_idle_timeout(void)
{
	struct session_cache_options o = options();
	struct session_cache *sc;
	struct deadline d;
	struct pool_slot *slot;
	struct peer p;

	o.idle_timeout_ms = 50;
	sc = session_cache_new(&o);
	deadline_none(&d);
	session_cache_put(sc, "k", "d", session(&p), NULL);
	sleep_ms(80);
	UNIT_ASSERT_INT_EQ(session_cache_get(sc, "k", &copt, &d, &slot) ==
	    NULL, true);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 0);
	peer_end(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\nQUIT\r\n");
	session_cache_free(sc);
}

/* test_session_cache_limits - reuse time and count, caps in all and per key */
static void
test_session_cache_limits(void)
{
	struct session_cache_options o = options();
	struct session_cache *sc;
	struct smtp_client *cl;
	struct peer p[4];

	/* Reuse time from connect: an old session is not kept. */
	o.reuse_time_limit_ms = 50;
	sc = session_cache_new(&o);
	cl = session(&p[0]);
	sleep_ms(80);
	session_cache_put(sc, "k", "d", cl, NULL);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 0);
	peer_end(&p[0]);
	UNIT_ASSERT_STR_EQ(p[0].got, "EHLO client.test\r\nQUIT\r\n");
	session_cache_free(sc);

	/* Count: one message allowed per session. */
	o = options();
	o.reuse_count_limit = 1;
	sc = session_cache_new(&o);
	cl = session(&p[0]);
	send_msg(cl);
	session_cache_put(sc, "k", "d", cl, NULL);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 0);
	peer_end(&p[0]);
	session_cache_free(sc);

	/* Two per key, three in all. */
	o = options();
	o.max_idle = 3;
	o.max_per_key = 2;
	sc = session_cache_new(&o);
	session_cache_put(sc, "a", "d", session(&p[0]), NULL);
	session_cache_put(sc, "a", "d", session(&p[1]), NULL);
	session_cache_put(sc, "a", "d", session(&p[2]), NULL);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 2);
	peer_end(&p[2]);
	UNIT_ASSERT_STR_EQ(p[2].got, "EHLO client.test\r\nQUIT\r\n");
	session_cache_put(sc, "b", "d", session(&p[2]), NULL);
	session_cache_put(sc, "c", "d", session(&p[3]), NULL);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 3);
	peer_end(&p[3]);
	UNIT_ASSERT_STR_EQ(p[3].got, "EHLO client.test\r\nQUIT\r\n");
	session_cache_free(sc);
	peer_end(&p[0]);
	peer_end(&p[1]);
	peer_end(&p[2]);
	UNIT_ASSERT_STR_EQ(p[0].got, "EHLO client.test\r\nQUIT\r\n");
}

/* test_session_cache_spoken_to - 421 or hang-up while idle; probe refused */
static void
test_session_cache_spoken_to(void)
{
	struct session_cache_options o = options();
	struct session_cache *sc = session_cache_new(&o);
	struct deadline d;
	struct pool_slot *slot;
	struct peer p[3];
	int i;

	deadline_none(&d);
	session_cache_put(sc, "k", "d", session(&p[0]), NULL);
	peer_say(&p[0], "421 4.4.2 mx.test idle timeout\r\n");
	for (i = 0; i < 100 && session_cache_idle(sc) > 0; i++) {
		sleep_ms(5);
		session_cache_expire(sc);
	}
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 0);
	peer_end(&p[0]);
	/* Closed without QUIT: the server spoke out of turn. */
	UNIT_ASSERT_STR_EQ(p[0].got, "EHLO client.test\r\n");

	session_cache_put(sc, "k", "d", session(&p[1]), NULL);
	shutdown(p[1].fd, SHUT_WR);
	sleep_ms(20);
	UNIT_ASSERT_INT_EQ(session_cache_get(sc, "k", &copt, &d, &slot) ==
	    NULL, true);
	peer_end(&p[1]);
	UNIT_ASSERT_STR_EQ(p[1].got, "EHLO client.test\r\n");

	/* The probe refused: not used, and no delivery failure. */
	session_cache_put(sc, "k", "d", session(&p[2]), NULL);
	p[2].rset_reply = "421 4.3.2 shutting down\r\n";
	UNIT_ASSERT_INT_EQ(session_cache_get(sc, "k", &copt, &d, &slot) ==
	    NULL, true);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 0);
	peer_end(&p[2]);
	UNIT_ASSERT_STR_EQ(p[2].got, "EHLO client.test\r\nRSET\r\n");
	session_cache_free(sc);
}

/* test_session_cache_slots - a session keeps its pool slot while idle */
static void
test_session_cache_slots(void)
{
	struct session_cache_options o = options();
	struct session_cache *sc = session_cache_new(&o);
	struct pool_slot *slot, *other = NULL, *got;
	struct relay_result why;
	struct smtp_client *cl;
	struct deadline d;
	char dir[] = "/tmp/test_session_cache.XXXXXX", cmd[64];
	struct peer p;

	deadline_none(&d);
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(pool_acquire(dir, "[mx.test]:25", 1, NULL, &slot,
	    &why), 0);
	session_cache_put(sc, "k", "[mx.test]:25", session(&p), slot);
	/* Idle, it still holds the one slot. */
	UNIT_ASSERT_INT_EQ(pool_acquire(dir, "[mx.test]:25", 1, NULL, &other,
	    &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.4.5");
	cl = session_cache_get(sc, "k", &copt, &d, &got);
	UNIT_ASSERT_INT_EQ(cl != NULL && got == slot, true);
	session_cache_put(sc, "k", "[mx.test]:25", cl, got);
	/* Another destination's sessions stay; this one's give theirs up. */
	UNIT_ASSERT_INT_EQ(session_cache_drop_dest(sc, "[other.test]:25"), 0);
	UNIT_ASSERT_INT_EQ(session_cache_drop_dest(sc, "[mx.test]:25"), 1);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 0);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(pool_acquire(dir, "[mx.test]:25", 1, NULL, &other,
	    &why), 0);
	pool_release(other);
	peer_end(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\nRSET\r\nQUIT\r\n");
	session_cache_free(sc);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CU_ASSERT(system(cmd) == 0);
}

static CU_TestInfo tests[] = {
	{ "test_session_cache_slots", test_session_cache_slots },
	{ "test_session_cache_null", test_session_cache_null },
	{ "test_session_cache_reuse", test_session_cache_reuse },
	{ "test_session_cache_idle_timeout", test_session_cache_idle_timeout },
	{ "test_session_cache_limits", test_session_cache_limits },
	{ "test_session_cache_spoken_to", test_session_cache_spoken_to },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	client_options();
	return unit_run("session_cache", tests);
}
