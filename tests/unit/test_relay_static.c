/*
 * test_relay_static - the smart-host relay end to end against a scripted
 * SMTP peer on loopback: results per recipient, recipients refused
 * before the relay are kept, a refused connection is relay=none, a busy
 * pool defers 4.4.5, a DNS failure reaches every recipient, and one
 * delivery record is logged per recipient.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "address.h"
#include "config.h"
#include "log.h"
#include "msg_stream.h"
#include "nexthop.h"
#include "pool.h"
#include "relay.h"
#include "unit.h"

static char tmpdir[] = "/tmp/test_relay_static.XXXXXX";
static char logpath[256];

/* peer_start - a listener on 127.0.0.1 whose child answers one session */
static pid_t
peer_start(const char *const *replies, unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char buf[4096];
	int lfd, fd, i;
	pid_t pid;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 4) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	*port = ntohs(sin.sin_port);
	if ((pid = fork()) != 0) {
		close(lfd);
		return pid;
	}
	/* Child: greet, then answer each line read with the next reply. */
	if ((fd = accept(lfd, NULL, NULL)) < 0)
		_exit(1);
	if (write(fd, replies[0], strlen(replies[0])) < 0)
		_exit(1);
	for (i = 1; replies[i] != NULL; i++) {
		/* "<data>": swallow the message up to CRLF . CRLF. */
		const char *end = strcmp(replies[i], "<data>") == 0 ?
		    "\r\n.\r\n" : "\n";
		size_t want = strlen(end), got = 0;
		char c;

		for (;;) {
			if (read(fd, &c, 1) <= 0)
				_exit(0);
			if (got < want) {
				buf[got] = c;
			} else {
				memmove(buf, buf + 1, want - 1);
				buf[want - 1] = c;
			}
			got++;
			if (got >= want && memcmp(buf, end, want) == 0)
				break;
		}
		if (strcmp(replies[i], "<data>") == 0 && replies[++i] == NULL)
			break;
		if (write(fd, replies[i], strlen(replies[i])) < 0)
			_exit(1);
	}
	_exit(0);
}

/* setup - a configuration that logs to a file in a private directory */
static void
setup(struct config *cfg)
{
	config_defaults(cfg);
	snprintf(cfg->state_directory, sizeof(cfg->state_directory), "%s",
	    tmpdir);
	snprintf(cfg->ehlo_name, sizeof(cfg->ehlo_name), "client.test");
	cfg->timeout_ms[SMTP_STAGE_GREETING] = 2000;
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	unlink(logpath);
	CU_ASSERT_EQUAL(log_open(logpath, "slimrelay", 0, false, NULL), 0);
}

/* message - a msg_stream over a small message in a pipe */
static struct msg_stream *
message(void)
{
	static const char msg[] = "Subject: t\n\nbody\n";
	int fds[2];

	if (pipe(fds) != 0)
		return NULL;
	if (write(fds[1], msg, sizeof(msg) - 1) < 0)
		return NULL;
	close(fds[1]);
	return msg_stream_new(fds[0], 0, NULL, NULL);
}

/* log_contains - whether the log file has a line with this text */
static int
log_contains(const char *text)
{
	char buf[8192];
	FILE *fp = fopen(logpath, "r");
	int found = 0;

	if (fp == NULL)
		return 0;
	while (!found && fgets(buf, sizeof(buf), fp) != NULL)
		found = strstr(buf, text) != NULL;
	fclose(fp);
	return found;
}

/* envelope - sender and n recipients */
static void
envelope(struct envelope *env, struct address *rcpt, const char **to,
    size_t n, struct relay_result *res)
{
	size_t i;

	memset(env, 0, sizeof(*env));
	env->queue_id = "QTEST";
	env->size = -1;
	env->rcpt = rcpt;
	env->nrcpt = n;
	CU_ASSERT_EQUAL(address_parse_sender(&env->sender, "a@example.org",
	    NULL), 0);
	for (i = 0; i < n; i++) {
		relay_result_init(&res[i]);
		if (address_parse_rcpt(&rcpt[i], to[i], &res[i]) != 0)
			snprintf(rcpt[i].addr, sizeof(rcpt[i].addr), "%s",
			    to[i]);
	}
}

/* relay_to - run the relays for nexthop spec */
static int
relay_to(struct config *cfg, const char *spec, struct envelope *env,
    struct relay_result *res)
{
	struct relay_ctx ctx;
	struct relay_job job;
	struct deadline d;
	struct msg_stream *ms = message();
	int ret;

	deadline_in_ms(&d, 10000);
	relay_ctx_init(&ctx, cfg);
	relay_job_init(&job, spec, env, ms, res, &d);
	ret = relay_deliver(&ctx, &job);
	relay_job_fini(&job);
	relay_ctx_fini(&ctx);
	msg_stream_free(ms);
	return ret;
}

/* deliver - run the relays to [127.0.0.1]:port */
static int
deliver(struct config *cfg, unsigned port, struct envelope *env,
    struct relay_result *res)
{
	char spec[64];

	snprintf(spec, sizeof(spec), "[127.0.0.1]:%u", port);
	return relay_to(cfg, spec, env, res);
}

static void
test_relay_static_mixed_recipients(void)
{
	static const char *const replies[] = {
		"220 peer ESMTP\r\n",
		"250-peer\r\n250 PIPELINING\r\n",	/* EHLO */
		"250 2.1.0 Ok\r\n",			/* MAIL */
		"550 5.1.1 <no@example.com> unknown\r\n", /* RCPT 1 */
		"250 2.1.5 Ok\r\n",			/* RCPT 2 */
		"354 go\r\n",				/* DATA */
		"<data>",
		"250 2.0.0 Ok: queued as X1\r\n",	/* dot */
		"221 bye\r\n",				/* QUIT */
		NULL,
	};
	const char *to[] = { "no@example.com", "yes@example.com",
	    "bad rcpt@example.com" };
	struct relay_result res[3];
	struct address rcpt[3];
	struct envelope env;
	struct config cfg;
	unsigned port = 0;
	pid_t pid;
	int status;

	setup(&cfg);
	pid = peer_start(replies, &port);
	CU_ASSERT_FATAL(pid > 0);
	envelope(&env, rcpt, to, 3, res);
	UNIT_ASSERT_STR_EQ(res[2].status, "5.1.3");
	UNIT_ASSERT_INT_EQ(deliver(&cfg, port, &env, res), -1);
	waitpid(pid, &status, 0);
	UNIT_ASSERT_STR_EQ(res[0].status, "5.1.1");
	CU_ASSERT_PTR_NOT_NULL(strstr(res[0].text, "host 127.0.0.1[127.0.0.1]"
	    " said: 550 5.1.1 <no@example.com> unknown (in reply to RCPT TO "
	    "command)"));
	UNIT_ASSERT_INT_EQ(res[1].class, RELAY_OK);
	UNIT_ASSERT_STR_EQ(res[1].text, "250 2.0.0 Ok: queued as X1");
	UNIT_ASSERT_STR_EQ(res[2].status, "5.1.3");
	CU_ASSERT(log_contains("QTEST: to=<yes@example.com>, "
	    "relay=127.0.0.1[127.0.0.1]:"));
	CU_ASSERT(log_contains("dsn=2.0.0, status=sent (250 2.0.0 Ok: "
	    "queued as X1)"));
	CU_ASSERT(log_contains("QTEST: to=<no@example.com>, "));
	CU_ASSERT(log_contains("dsn=5.1.1, status=bounced (host "));
	CU_ASSERT(log_contains("QTEST: to=<bad rcpt@example.com>, "
	    "relay=none, "));
	config_fini(&cfg);
}

static void
test_relay_static_refused_is_relay_none(void)
{
	const char *to[] = { "b@example.com" };
	struct relay_result res[1];
	struct address rcpt[1];
	struct envelope env;
	struct config cfg;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	unsigned port;
	int fd;

	/* A port that was just free: bind, learn it, close. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);

	setup(&cfg);
	envelope(&env, rcpt, to, 1, res);
	UNIT_ASSERT_INT_EQ(deliver(&cfg, port, &env, res), -1);
	UNIT_ASSERT_STR_EQ(res[0].status, "4.4.1");
	UNIT_ASSERT_STR_EQ(res[0].relay, "none");
	CU_ASSERT_PTR_NOT_NULL(strstr(res[0].text, "connect to "
	    "127.0.0.1[127.0.0.1]:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res[0].text, ": Connection refused"));
	CU_ASSERT(log_contains("QTEST: to=<b@example.com>, relay=none, "));
	config_fini(&cfg);
}

static void
test_relay_static_pool_busy_defers(void)
{
	const char *to[] = { "b@example.com" };
	struct relay_result res[1], why;
	struct pool_slot *held = NULL;
	struct address rcpt[1];
	struct envelope env;
	struct config cfg;
	struct deadline d;

	setup(&cfg);
	cfg.pool_size = 1;
	cfg.pool_wait_ms = 200;
	deadline_in_ms(&d, 1000);
	relay_result_init(&why);
	/* Hold the only slot of the destination the relay will use. */
	CU_ASSERT_EQUAL_FATAL(pool_acquire(tmpdir, "[127.0.0.1]:9", 1, &d,
	    &held, &why), 0);
	envelope(&env, rcpt, to, 1, res);
	UNIT_ASSERT_INT_EQ(deliver(&cfg, 9, &env, res), -1);
	UNIT_ASSERT_STR_EQ(res[0].status, "4.4.5");
	pool_release(held);
	config_fini(&cfg);
}

static void
test_relay_static_dns_failure_reaches_all(void)
{
	const char *to[] = { "b@example.com", "c@example.com" };
	struct relay_result res[2];
	struct address rcpt[2];
	struct envelope env;
	struct config cfg;

	setup(&cfg);
	/* A resolver that does not answer: transient for everyone. */
	snprintf(cfg.dns_servers, sizeof(cfg.dns_servers), "127.0.0.1:9");
	cfg.dns_timeout_ms = 200;
	cfg.dns_retries = 0;
	envelope(&env, rcpt, to, 2, res);
	UNIT_ASSERT_INT_EQ(relay_to(&cfg, "[mail.example.invalid]", &env, res),
	    -1);
	UNIT_ASSERT_STR_EQ(res[0].status, "4.4.3");
	UNIT_ASSERT_STR_EQ(res[1].status, "4.4.3");
	config_fini(&cfg);
}

static CU_TestInfo tests[] = {
	{ "test_relay_static_mixed_recipients",
	    test_relay_static_mixed_recipients },
	{ "test_relay_static_refused_is_relay_none",
	    test_relay_static_refused_is_relay_none },
	{ "test_relay_static_pool_busy_defers",
	    test_relay_static_pool_busy_defers },
	{ "test_relay_static_dns_failure_reaches_all",
	    test_relay_static_dns_failure_reaches_all },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	int ret;

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tmpdir) == NULL)
		return 99;
	ret = unit_run("relay_static", tests);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			ret = ret ? ret : 1;
	}
	return ret;
}
