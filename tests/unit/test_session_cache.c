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
 *
 *	With a keeper (keeper_main() in a forked child on a state directory
 *	of the test's, set up as keeper_start() does): a session put goes to
 *	the keeper without QUIT and a get takes it back, after RSET, with
 *	its count and its pool_size slot; a session from the keeper that
 *	does not fit its key (another peer, no TLS where the policy wants
 *	it) is closed without a word, one past its reuse limit is sent
 *	QUIT, one that refuses the probe is not used; a cache that keeps
 *	sessions itself hands them to the keeper when freed; with no keeper
 *	to take it, a session put is sent QUIT.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "keeper.h"
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

/* ---- with a keeper ---------------------------------------------------- */

#define KEY	"mx.test[192.0.2.1]:25 ehlo=client.test"
#define WIRE1	"MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"

static char state_dir[256];
static struct keeper_client_options kopt;

/* make_state_dir - a fresh state directory; kopt points into it */
static void
make_state_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(state_dir, sizeof(state_dir), "%s/test_session_cache.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	CU_ASSERT_FATAL(mkdtemp(state_dir) != NULL);
	memset(&kopt, 0, sizeof(kopt));
	kopt.state_dir = state_dir;
	kopt.timeout_ms = 1000;
}

/* remove_state_dir - and all in it */
static void
remove_state_dir(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	CU_ASSERT(system(cmd) == 0);
}

/*
 * keeper_fork - a keeper in a child, as keeper_start() sets one up (the
 * directory, the lock flocked, the socket listening); its process id.
 * Before any session: the child must hold no end of one.
 */
static pid_t
keeper_fork(void)
{
	char dir[1100], sock[1100], lock[1100];
	struct sockaddr_un sun;
	struct config cfg;
	int lockfd, s, fd;
	pid_t pid;

	CU_ASSERT_FATAL(keeper_paths(state_dir, dir, sizeof(dir), sock,
	    sizeof(sock), lock, sizeof(lock)) == 0 &&
	    keeper_dir_check(dir, true) == 0);
	lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(lockfd >= 0 && flock(lockfd, LOCK_EX | LOCK_NB) == 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(s >= 0 && bind(s, (struct sockaddr *)&sun,
	    sizeof(sun)) == 0 && listen(s, 16) == 0);
	config_defaults(&cfg);
	snprintf(cfg.state_directory, sizeof(cfg.state_directory), "%s",
	    state_dir);
	cfg.keeper_idle_ms = 10000;
	CU_ASSERT_FATAL((pid = fork()) >= 0);
	if (pid == 0) {
		for (fd = 3; fd < 1024; fd++)
			if (fd != lockfd && fd != s)
				(void)close(fd);
		_exit(keeper_main(&cfg, lockfd, s));
	}
	config_fini(&cfg);
	close(s);
	close(lockfd);
	return pid;
}

/* keeper_stop - SIGTERM (QUIT to what it holds) and its exit 0 */
static void
keeper_stop(pid_t pid)
{
	int status = -1, i;

	CU_ASSERT(kill(pid, SIGTERM) == 0);
	for (i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; i++)
		sleep_ms(10);
	if (i == 300) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
	}
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* no_session - session_cache_get() finds nothing (what it finds is freed) */
static void
no_session(struct session_cache *sc, const char *key,
    const struct smtp_options *o)
{
	struct pool_slot *slot = NULL;
	struct smtp_client *cl;
	struct deadline d;

	deadline_none(&d);
	cl = session_cache_get(sc, key, o, &d, &slot);
	UNIT_ASSERT_INT_EQ(cl == NULL, true);
	smtp_client_free(cl);
	pool_release(slot);
}

/* keeper_cache - pipe mode's cache: nothing here, all to the keeper */
static struct session_cache *
keeper_cache(int max_idle, int reuse_count_limit)
{
	struct session_cache_options o = options();

	o.max_idle = max_idle;
	o.reuse_count_limit = reuse_count_limit;
	o.keeper = &kopt;
	o.pump_extra_ms = 1000;
	return session_cache_new(&o);
}

/*
 * test_session_cache_keeper - put: to the keeper, no QUIT; get: back
 * after RSET, with its count; the keeper QUITs what it holds at its end
 */
static void
test_session_cache_keeper(void)
{
	struct session_cache *sc;
	struct smtp_client *cl;
	struct pool_slot *slot;
	struct deadline d;
	struct peer p;
	pid_t pid;

	make_state_dir();
	pid = keeper_fork();
	deadline_none(&d);
	sc = keeper_cache(0, 0);
	cl = session(&p);
	send_msg(cl);
	session_cache_put(sc, KEY, "d", cl, NULL);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 0);
	session_cache_free(sc);

	/* Another run: another cache, the same session. */
	sc = keeper_cache(0, 0);
	no_session(sc, "other[192.0.2.2]:25 x", &copt);
	cl = session_cache_get(sc, KEY, &copt, &d, &slot);
	CU_ASSERT_FATAL(cl != NULL);
	UNIT_ASSERT_INT_EQ(slot == NULL, true);
	UNIT_ASSERT_STR_EQ(smtp_client_relay(cl), "mx.test[192.0.2.1]:25");
	UNIT_ASSERT_INT_EQ(smtp_client_messages(cl), 1);
	send_msg(cl);
	UNIT_ASSERT_INT_EQ(smtp_client_messages(cl), 2);
	session_cache_put(sc, KEY, "d", cl, NULL);
	session_cache_free(sc);
	keeper_stop(pid);
	peer_end(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\n" WIRE1 "RSET\r\n"
	    WIRE1 "QUIT\r\n");
	remove_state_dir();
}

/*
 * test_session_cache_keeper_checks - what comes from the keeper must fit
 * its key and its limits and pass RSET; else it is not used
 */
static void
test_session_cache_keeper_checks(void)
{
	struct smtp_options tls = copt;
	struct session_cache *sc;
	struct peer p[4];
	pid_t pid;

	make_state_dir();
	pid = keeper_fork();
	sc = keeper_cache(0, 0);

	/* Kept under a key whose peer is another: closed, no word. */
	session_cache_put(sc, "zz[192.0.2.9]:25 ehlo=client.test", "d",
	    session(&p[0]), NULL);
	no_session(sc, "zz[192.0.2.9]:25 ehlo=client.test", &copt);
	peer_end(&p[0]);
	UNIT_ASSERT_STR_EQ(p[0].got, "EHLO client.test\r\n");

	/* Plaintext where the policy wants TLS: the same. */
	tls.tls.level = CONFIG_TLS_ENCRYPT;
	session_cache_put(sc, KEY, "d", session(&p[1]), NULL);
	no_session(sc, KEY, &tls);
	peer_end(&p[1]);
	UNIT_ASSERT_STR_EQ(p[1].got, "EHLO client.test\r\n");

	/* The probe refused: not used. */
	session_cache_put(sc, KEY, "d", session(&p[2]), NULL);
	p[2].rset_reply = "421 4.3.2 shutting down\r\n";
	no_session(sc, KEY, &copt);
	peer_end(&p[2]);
	UNIT_ASSERT_STR_EQ(p[2].got, "EHLO client.test\r\nRSET\r\n");
	session_cache_free(sc);

	/* Past this run's count limit (one message): QUIT. */
	sc = keeper_cache(0, 0);
	{
		struct smtp_client *cl = session(&p[3]);

		send_msg(cl);
		session_cache_put(sc, KEY, "d", cl, NULL);
	}
	session_cache_free(sc);
	sc = keeper_cache(0, 1);
	no_session(sc, KEY, &copt);
	peer_end(&p[3]);
	UNIT_ASSERT_STR_EQ(p[3].got, "EHLO client.test\r\n" WIRE1
	    "QUIT\r\n");
	session_cache_free(sc);
	keeper_stop(pid);
	remove_state_dir();
}

/*
 * test_session_cache_keeper_slot - the pool_size slot stays taken while
 * the keeper holds the session, and comes back with it
 */
static void
test_session_cache_keeper_slot(void)
{
	struct session_cache *sc;
	struct pool_slot *slot, *other = NULL, *got;
	struct relay_result why;
	struct smtp_client *cl;
	struct deadline d;
	struct peer p;
	pid_t pid;

	make_state_dir();
	pid = keeper_fork();
	deadline_none(&d);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[mx.test]:25", 1, NULL,
	    &slot, &why), 0);
	sc = keeper_cache(0, 0);
	session_cache_put(sc, KEY, "[mx.test]:25", session(&p), slot);
	session_cache_free(sc);
	/* This process holds nothing now; the keeper holds the slot. */
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[mx.test]:25", 1, NULL,
	    &other, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.4.5");
	sc = keeper_cache(0, 0);
	cl = session_cache_get(sc, KEY, &copt, &d, &got);
	CU_ASSERT_FATAL(cl != NULL);
	CU_ASSERT(got != NULL && pool_slot_fd(got) >= 0);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[mx.test]:25", 1, NULL,
	    &other, &why), -1);
	/* Closed here (QUIT: the NULL cache), the slot is free again, once
	 * the keeper has closed its copy (just after its answer). */
	session_cache_put(NULL, KEY, "[mx.test]:25", cl, got);
	relay_result_init(&why);
	deadline_in_ms(&d, 3000);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[mx.test]:25", 1, &d,
	    &other, &why), 0);
	pool_release(other);
	session_cache_free(sc);
	keeper_stop(pid);
	peer_end(&p);
	UNIT_ASSERT_STR_EQ(p.got, "EHLO client.test\r\nRSET\r\nQUIT\r\n");
	remove_state_dir();
}

/*
 * test_session_cache_keeper_free - LMTP mode's cache keeps sessions
 * itself and hands them to the keeper when freed; with no keeper there,
 * a session put is QUIT
 */
static void
test_session_cache_keeper_free(void)
{
	struct session_cache *sc;
	struct smtp_client *cl;
	struct pool_slot *slot;
	struct deadline d;
	struct peer p[2];
	pid_t pid;

	make_state_dir();
	pid = keeper_fork();
	deadline_none(&d);
	sc = keeper_cache(4, 0);
	session_cache_put(sc, KEY, "d", session(&p[0]), NULL);
	UNIT_ASSERT_INT_EQ(session_cache_idle(sc), 1);
	session_cache_free(sc);
	sc = keeper_cache(4, 0);
	cl = session_cache_get(sc, KEY, &copt, &d, &slot);
	CU_ASSERT_FATAL(cl != NULL);
	session_cache_put(NULL, KEY, "d", cl, slot);
	peer_end(&p[0]);
	UNIT_ASSERT_STR_EQ(p[0].got, "EHLO client.test\r\nRSET\r\nQUIT\r\n");
	session_cache_free(sc);
	keeper_stop(pid);

	/* The keeper gone (its socket removed): QUIT, and nothing to get. */
	sc = keeper_cache(0, 0);
	session_cache_put(sc, KEY, "d", session(&p[1]), NULL);
	no_session(sc, KEY, &copt);
	session_cache_free(sc);
	peer_end(&p[1]);
	UNIT_ASSERT_STR_EQ(p[1].got, "EHLO client.test\r\nQUIT\r\n");
	remove_state_dir();
}

static CU_TestInfo tests[] = {
	{ "test_session_cache_slots", test_session_cache_slots },
	{ "test_session_cache_null", test_session_cache_null },
	{ "test_session_cache_reuse", test_session_cache_reuse },
	{ "test_session_cache_idle_timeout", test_session_cache_idle_timeout },
	{ "test_session_cache_limits", test_session_cache_limits },
	{ "test_session_cache_spoken_to", test_session_cache_spoken_to },
	{ "test_session_cache_keeper", test_session_cache_keeper },
	{ "test_session_cache_keeper_checks",
	    test_session_cache_keeper_checks },
	{ "test_session_cache_keeper_slot", test_session_cache_keeper_slot },
	{ "test_session_cache_keeper_free", test_session_cache_keeper_free },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	client_options();
	return unit_run("session_cache", tests);
}
