/*
 * test_routing - the transport's side of routing headers: every routing
 * header is removed from the message; a header signed with the key,
 * bound to this message, for a recipient's domain, becomes the first
 * route; forged, foreign and unneeded ones are ignored; a key that
 * cannot be read defers.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "config.h"
#include "msg_stream.h"
#include "route.h"
#include "route_header.h"
#include "routing.h"
#include "unit.h"

static char tmpdir[] = "/tmp/test_routing.XXXXXX";
static char keypath[256];

/* sign - a valid header value routing domain to [pin.test]:2525 */
static void
sign(char *buf, size_t len, const char *domain, const char *message_id)
{
	struct route_table t;
	struct route_header h;
	struct route_header_key key;
	struct route_header_message msg = { message_id, NULL };
	struct relay_result why;
	char spec[300];

	route_table_init(&t);
	relay_result_init(&why);
	snprintf(spec, sizeof(spec), "%s smtp:[pin.test]:2525", domain);
	CU_ASSERT_EQUAL_FATAL(route_table_add(&t, spec, &why), 0);
	CU_ASSERT_EQUAL_FATAL(route_header_key_load(&key, keypath, &why), 0);
	CU_ASSERT_EQUAL_FATAL(route_header_from_route(&h, domain, &t.route[0],
	    time(NULL), &msg, &why), 0);
	CU_ASSERT_EQUAL_FATAL(route_header_sign(&h, &key, buf, len, &why), 0);
	route_header_key_wipe(&key);
	route_table_free(&t);
}

/* stream - a message in a file, as a replayable stream */
static struct msg_stream *
stream(const char *text)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/msg.XXXXXX", tmpdir);
	if ((fd = mkstemp(path)) < 0)
		return NULL;
	unlink(path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	lseek(fd, 0, SEEK_SET);
	return msg_stream_new(fd, MSG_STREAM_REPLAY, NULL, NULL);
}

/* body - the whole wire form of a stream */
static const char *
body(struct msg_stream *ms)
{
	static char out[8192];
	ssize_t n, total = 0;

	while ((n = msg_stream_read(ms, out + total,
	    sizeof(out) - 1 - (size_t)total, NULL)) > 0)
		total += n;
	out[total] = '\0';
	return out;
}

/* The routes the last run() granted (the message's own table). */
static struct route_table granted;

/* run - routing_apply on text for one recipient; routes in granted */
static int
run(struct config *cfg, const char *text, const char *rcpt, char *wire,
    size_t len, struct relay_result *why)
{
	struct address a;
	struct envelope env;
	struct msg_stream *ms;
	int ret;

	memset(&env, 0, sizeof(env));
	env.queue_id = "QID1";
	env.rcpt = &a;
	env.nrcpt = 1;
	CU_ASSERT_EQUAL(address_parse_rcpt(&a, rcpt, NULL), 0);
	ms = stream(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
	CU_ASSERT_EQUAL(msg_stream_peek(ms, NULL), 0);
	relay_result_init(why);
	route_table_free(&granted);
	route_table_init(&granted);
	ret = routing_apply(cfg, ms, &env, &granted, why);
	snprintf(wire, len, "%s", body(ms));
	msg_stream_free(ms);
	return ret;
}

static void
test_routing_valid_header_routes(void)
{
	struct route_decision d;
	struct config cfg;
	struct relay_result why;
	char hdr[1024], text[2048], wire[8192];

	sign(hdr, sizeof(hdr), "forced.test", "<m1@test>");
	snprintf(text, sizeof(text), "Message-ID: <m1@test>\n"
	    "X-Slimrelay-Route: %s\nx-SLIMRELAY-route: forged\n"
	    "Subject: s\n\nbody\n", hdr);
	config_defaults(&cfg);
	snprintf(cfg.routing_key_file, sizeof(cfg.routing_key_file), "%s",
	    keypath);
	CU_ASSERT_EQUAL(route_table_add(&cfg.routes, "forced.test "
	    "smtp:[rule.test]", NULL), 0);
	UNIT_ASSERT_INT_EQ(run(&cfg, text, "bob@forced.test", wire,
	    sizeof(wire), &why), 0);
	UNIT_ASSERT_STR_EQ(wire, "Message-ID: <m1@test>\r\nSubject: s\r\n\r\n"
	    "body\r\n");
	/*
	 * The header's route is the message's own, never the
	 * configuration's, and comes before the rule of the same domain.
	 */
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 1);
	UNIT_ASSERT_INT_EQ(granted.count, 1);
	UNIT_ASSERT_STR_EQ(route_table_lookup(&granted,
	    "forced.test")->nh.host, "pin.test");
	UNIT_ASSERT_INT_EQ(route_table_lookup(&granted,
	    "forced.test")->nh.port, 2525);
	UNIT_ASSERT_INT_EQ(route_decide(&granted, &cfg.routes, NULL, NULL,
	    "forced.test", &d, &why), 0);
	UNIT_ASSERT_STR_EQ(d.nh.host, "pin.test");
	/* The next message, without a header: the rule again. */
	UNIT_ASSERT_INT_EQ(run(&cfg, "Subject: s\n\nbody\n",
	    "bob@forced.test", wire, sizeof(wire), &why), 0);
	UNIT_ASSERT_INT_EQ(granted.count, 0);
	UNIT_ASSERT_INT_EQ(route_decide(&granted, &cfg.routes, NULL, NULL,
	    "forced.test", &d, &why), 0);
	UNIT_ASSERT_STR_EQ(d.nh.host, "rule.test");
	config_fini(&cfg);
}

static void
test_routing_ignored_headers(void)
{
	static const struct {
		const char *what, *msgid, *rcpt;
	} cases[] = {
		{ "bound to another message", "<other@test>", "bob@forced.test" },
		{ "for a domain without recipient", "<m1@test>",
		    "bob@else.test" },
	};
	struct config cfg;
	struct relay_result why;
	char hdr[1024], text[2048], wire[8192], *p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sign(hdr, sizeof(hdr), "forced.test", "<m1@test>");
		snprintf(text, sizeof(text), "Message-ID: %s\n"
		    "X-Slimrelay-Route: %s\n\nbody\n", cases[i].msgid, hdr);
		config_defaults(&cfg);
		snprintf(cfg.routing_key_file, sizeof(cfg.routing_key_file),
		    "%s", keypath);
		UNIT_ASSERT_INT_EQ(run(&cfg, text, cases[i].rcpt, wire,
		    sizeof(wire), &why), 0);
		UNIT_ASSERT_INT_EQ(granted.count, 0);
		CU_ASSERT_PTR_NULL(strstr(wire, "Slimrelay"));
		config_fini(&cfg);
	}
	/* A tampered signature. */
	sign(hdr, sizeof(hdr), "forced.test", "<m1@test>");
	p = strstr(hdr, "pin.test");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p, "bad.test", 8);
	snprintf(text, sizeof(text), "Message-ID: <m1@test>\n"
	    "X-Slimrelay-Route: %s\n\nbody\n", hdr);
	config_defaults(&cfg);
	snprintf(cfg.routing_key_file, sizeof(cfg.routing_key_file), "%s",
	    keypath);
	UNIT_ASSERT_INT_EQ(run(&cfg, text, "bob@forced.test", wire,
	    sizeof(wire), &why), 0);
	UNIT_ASSERT_INT_EQ(granted.count, 0);
	UNIT_ASSERT_STR_EQ(wire, "Message-ID: <m1@test>\r\n\r\nbody\r\n");
	config_fini(&cfg);
}

static void
test_routing_key_trouble(void)
{
	struct config cfg;
	struct relay_result why;
	char wire[8192];
	static const char text[] = "X-Slimrelay-Route: v=1\n\nbody\n";

	/* No key configured: removed and ignored. */
	config_defaults(&cfg);
	UNIT_ASSERT_INT_EQ(run(&cfg, text, "bob@forced.test", wire,
	    sizeof(wire), &why), 0);
	UNIT_ASSERT_STR_EQ(wire, "\r\nbody\r\n");
	/* A key that cannot be read: defer. */
	snprintf(cfg.routing_key_file, sizeof(cfg.routing_key_file),
	    "%s/missing.key", tmpdir);
	UNIT_ASSERT_INT_EQ(run(&cfg, text, "bob@forced.test", wire,
	    sizeof(wire), &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	/* No routing header: the key is not even read. */
	UNIT_ASSERT_INT_EQ(run(&cfg, "Subject: x\n\nbody\n", "bob@forced.test",
	    wire, sizeof(wire), &why), 0);
	config_fini(&cfg);
}

/* test_routing_full_table - a header's route over a table of 64 rules */
static void
test_routing_full_table(void)
{
	struct route_decision d;
	struct config cfg;
	struct relay_result why;
	char hdr[1024], text[2048], wire[8192], spec[64];
	size_t i;

	sign(hdr, sizeof(hdr), "forced.test", "<m2@test>");
	snprintf(text, sizeof(text), "Message-ID: <m2@test>\n"
	    "X-Slimrelay-Route: %s\n\nbody\n", hdr);
	config_defaults(&cfg);
	snprintf(cfg.routing_key_file, sizeof(cfg.routing_key_file), "%s",
	    keypath);
	/* 64 rules (the old fixed limit): the array is exactly full. */
	for (i = 0; i < 63; i++) {
		snprintf(spec, sizeof(spec), "d%zu.test smtp:[h%zu.test]", i,
		    i);
		CU_ASSERT_EQUAL(route_table_add(&cfg.routes, spec, NULL), 0);
	}
	CU_ASSERT_EQUAL(route_table_add(&cfg.routes, "forced.test "
	    "smtp:[rule.test]", NULL), 0);
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 64);
	UNIT_ASSERT_INT_EQ(cfg.routes.cap, 64);
	UNIT_ASSERT_INT_EQ(run(&cfg, text, "bob@forced.test", wire,
	    sizeof(wire), &why), 0);
	UNIT_ASSERT_STR_EQ(why.text, "");
	UNIT_ASSERT_INT_EQ(cfg.routes.count, 64);
	UNIT_ASSERT_INT_EQ(granted.count, 1);
	UNIT_ASSERT_STR_EQ(granted.route[0].text,
	    "forced.test smtp:[pin.test]:2525 (routing header)");
	UNIT_ASSERT_STR_EQ(cfg.routes.route[0].text,
	    "d0.test smtp:[h0.test]:25");
	UNIT_ASSERT_STR_EQ(cfg.routes.route[63].text,
	    "forced.test smtp:[rule.test]:25");
	UNIT_ASSERT_INT_EQ(route_decide(&granted, &cfg.routes, NULL, NULL,
	    "forced.test", &d, &why), 0);
	UNIT_ASSERT_STR_EQ(d.nh.host, "pin.test");
	config_fini(&cfg);
}

static CU_TestInfo tests[] = {
	{ "test_routing_valid_header_routes",
	    test_routing_valid_header_routes },
	{ "test_routing_ignored_headers", test_routing_ignored_headers },
	{ "test_routing_key_trouble", test_routing_key_trouble },
	{ "test_routing_full_table", test_routing_full_table },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	char cmd[300];
	int fd, ret;

	if (mkdtemp(tmpdir) == NULL)
		return 99;
	snprintf(keypath, sizeof(keypath), "%s/key", tmpdir);
	fd = open(keypath, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, "0123456789abcdef0123456789abcdef\n", 33)
	    != 33)
		return 99;
	close(fd);
	ret = unit_run("routing", tests);
	route_table_free(&granted);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0 && ret == 0)
		ret = 1;
	return ret;
}
