/*
 * NAME
 *	test_keeper - unit tests for lib/keeper_proto.c, lib/keeper.c and
 *	lib/keeper_client.c
 * DESCRIPTION
 *	The protocol's pieces alone: the %XX encoding both ways, the
 *	request and reply grammars (tables of good and bad records), one
 *	record with descriptors over a SOCK_SEQPACKET socketpair (passed;
 *	too many, or a cut record: refused with every descriptor closed),
 *	the keeper's private directory and its names.
 *
 *	Then a real keeper: keeper_main() in a forked child, on a state
 *	directory of its own, with the lock and the listening socket made
 *	as keeper_start() makes them, and the client calls of
 *	keeper_client.c from this process. Sessions are socketpair ends:
 *	what the keeper does to a session shows at the other end (a QUIT,
 *	an end of file). GET, PUT, newest first, slot locks that travel
 *	with their session, the caps per key and in all, requests it
 *	refuses, a session the server spoke to or hung up, the idle TTL
 *	(QUIT, then close), the exit after keeper_idle with nothing held
 *	(its socket removed, its lock released) and on SIGTERM (QUIT to
 *	what it holds). Last, keeper_start() itself, with this program as
 *	the keeper (main() runs keeper_main() when called with
 *	--keeper-child): one keeper per state directory, descriptors 0-4
 *	only, standard input on /dev/null, a session of its own.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "deadline.h"
#include "keeper.h"
#include "log.h"
#include "unit.h"

#define PROPS		"t=1 n=0 peer=mx.test[192.0.2.1] " \
			"relay=mx.test[192.0.2.1]:25"
#define KEY		"mx.test[192.0.2.1]:25 ehlo=client.test"
#define WAIT_MS		3000		/* for what must happen soon */

static char state_dir[256];
static char kdir[1100], ksock[1100], klock[1100];
static struct keeper_client_options kopt;

/* ---- helpers ---------------------------------------------------------- */

/* make_state_dir - a fresh state directory, and the keeper's names in it */
static void
make_state_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(state_dir, sizeof(state_dir), "%s/test_keeper.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(state_dir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
	if (keeper_paths(state_dir, kdir, sizeof(kdir), ksock, sizeof(ksock),
	    klock, sizeof(klock)) != 0) {
		fprintf(stderr, "test_keeper: %s: name too long\n", state_dir);
		exit(99);
	}
	memset(&kopt, 0, sizeof(kopt));
	kopt.state_dir = state_dir;
	kopt.timeout_ms = 1000;
}

/* remove_state_dir - the state directory and all in it */
static void
remove_state_dir(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	CU_ASSERT(system(cmd) == 0);
}

/* sleep_ms - at least ms milliseconds */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/*
 * read_until_eof - what arrives at fd until the other end closes (the
 * text in buf); 0 at end of file (or a reset), -1 when ms pass first
 */
static int
read_until_eof(int fd, char *buf, size_t len, long ms)
{
	struct deadline d;
	struct pollfd p;
	size_t got = 0;
	ssize_t n;

	deadline_in_ms(&d, ms);
	buf[0] = '\0';
	for (;;) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, deadline_poll_ms(&d)) <= 0)
			return -1;
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		/* A unix socket closed with input unread: ECONNRESET. */
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
		if (n < 0)
			return -1;
		got += (size_t)n;
		buf[got] = '\0';
		if (got + 1 >= len)
			return -1;
	}
}

/* pair - a socketpair (SOCK_STREAM: a session) */
static void
pair(int sv[2])
{
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv) == 0);
}

/* through - bytes written at one end arrive at the other */
static bool
through(int from, int to)
{
	char buf[16];

	return write(from, "ping", 4) == 4 && read(to, buf, sizeof(buf)) == 4 &&
	    memcmp(buf, "ping", 4) == 0;
}

/* wait_exit - the child's exit status, or -1 (killed) after ms */
static int
wait_exit(pid_t pid, long ms)
{
	struct deadline d;
	int status;
	pid_t r;

	deadline_in_ms(&d, ms);
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
	    !deadline_expired(&d))
		sleep_ms(10);
	if (r == pid)
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
		    WTERMSIG(status);
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	return -1;
}

/* file_has - the file holds text */
static bool
file_has(const char *path, const char *text)
{
	char buf[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	if (strstr(buf, text) == NULL) {
		fprintf(stderr, "test_keeper: %s: no \"%s\" in:\n%s", path,
		    text, buf);
		return false;
	}
	return true;
}

/* sock_addr - the keeper's socket address */
static void
sock_addr(struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* keeper_paths() made sure that it fits. */
	memcpy(sun->sun_path, ksock, strlen(ksock) + 1);
}

/* flock_within - fd's file can be locked within ms */
static bool
flock_within(int fd, long ms)
{
	struct deadline d;

	deadline_in_ms(&d, ms);
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (deadline_expired(&d))
			return false;
		sleep_ms(5);
	}
	return true;
}

/* keeper_config - a configuration for a keeper in state_dir */
static void
keeper_config(struct config *cfg, long idle_ms, int max_sessions)
{
	config_defaults(cfg);
	snprintf(cfg->state_directory, sizeof(cfg->state_directory), "%s",
	    state_dir);
	cfg->keeper_idle_ms = idle_ms;
	cfg->keeper_max_sessions = max_sessions;
}

/*
 * keeper_fork - a keeper in a child, set up as keeper_start() sets one
 * up: the directory, the lock file flocked, the socket listening. The
 * child logs to <state_dir>/keeper.log. Its process id.
 */
static pid_t
keeper_fork(long idle_ms, int max_sessions)
{
	struct sockaddr_un sun;
	struct config cfg;
	char logpath[300];
	int lockfd, s, fd;
	pid_t pid;

	CU_ASSERT_FATAL(keeper_dir_check(kdir, true) == 0);
	lockfd = open(klock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(lockfd >= 0 && flock(lockfd, LOCK_EX | LOCK_NB) == 0);
	sock_addr(&sun);
	(void)unlink(ksock);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(s >= 0 && bind(s, (struct sockaddr *)&sun,
	    sizeof(sun)) == 0 && listen(s, 128) == 0);
	keeper_config(&cfg, idle_ms, max_sessions);
	snprintf(logpath, sizeof(logpath), "%s/keeper.log", state_dir);
	CU_ASSERT_FATAL((pid = fork()) >= 0);
	if (pid == 0) {
		/* Nothing of the test's but the lock and the socket. */
		for (fd = 3; fd < 1024; fd++)
			if (fd != lockfd && fd != s)
				(void)close(fd);
		if (log_open(logpath, "keeper", 0, false, NULL) != 0)
			_exit(98);
		_exit(keeper_main(&cfg, lockfd, s));
	}
	config_fini(&cfg);
	close(s);
	close(lockfd);
	return pid;
}

/* keeper_stop - SIGTERM, and the keeper's exit status 0 */
static void
keeper_stop(pid_t pid)
{
	UNIT_ASSERT_INT_EQ(kill(pid, SIGTERM), 0);
	UNIT_ASSERT_INT_EQ(wait_exit(pid, WAIT_MS), 0);
}

/* log_path - the keeper's log */
static const char *
log_path(void)
{
	static char path[300];

	snprintf(path, sizeof(path), "%s/keeper.log", state_dir);
	return path;
}

/*
 * raw - one request as a client of another mind would send it (fds
 * along when nfd > 0); the keeper's answer's word, or "" for none
 */
static const char *
raw(const char *msg, size_t len, const int *fds, int nfd)
{
	static char word[8];
	char buf[KEEPER_MSG_MAX + 1];
	struct sockaddr_un sun;
	int s, got[2], ngot = 0;
	long n;

	word[0] = '\0';
	sock_addr(&sun);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    keeper_send(s, msg, len, fds, nfd, 1000) != 0 ||
	    (n = keeper_recv(s, buf, sizeof(buf), got, &ngot, 1000)) < 0) {
		if (s >= 0)
			close(s);
		return word;
	}
	close(s);
	keeper_close_fds(got, ngot);
	if (keeper_parse_reply(buf, (size_t)n, NULL, NULL, 0, word,
	    sizeof(word)) != 0)
		snprintf(word, sizeof(word), "?");
	return word;
}

/* ---- encoding --------------------------------------------------------- */

static const struct {
	const char *in;
	const char *out;
} encode_cases[] = {
	{ "abc", "abc" },
	{ "mx.test[192.0.2.1]:25", "mx.test[192.0.2.1]:25" },
	{ "a b", "a%20b" },
	{ "%", "%25" },
	{ "100%", "100%25" },
	{ "\t\r\n", "%09%0D%0A" },
	{ "\x7f\x80\xff", "%7F%80%FF" },
	{ "!~", "!~" },
	{ "tls=may auth=me:PLAIN:0", "tls=may%20auth=me:PLAIN:0" },
};

/* test_keeper_encode - one word of '!'..'~', and back */
static void
test_keeper_encode(void)
{
	char out[64], back[64], all[256];
	size_t i;
	int c;

	for (i = 0; i < sizeof(encode_cases) / sizeof(encode_cases[0]); i++) {
		UNIT_ASSERT_INT_EQ(keeper_encode(encode_cases[i].in, out,
		    sizeof(out)), strlen(encode_cases[i].out));
		UNIT_ASSERT_STR_EQ(out, encode_cases[i].out);
		UNIT_ASSERT_INT_EQ(keeper_decode(out, strlen(out), back,
		    sizeof(back)), 0);
		UNIT_ASSERT_STR_EQ(back, encode_cases[i].in);
	}
	/* Room for the text and its NUL, else 0 and "". */
	UNIT_ASSERT_INT_EQ(keeper_encode("abc", out, 4), 3);
	UNIT_ASSERT_INT_EQ(keeper_encode("abc", out, 3), 0);
	UNIT_ASSERT_STR_EQ(out, "");
	UNIT_ASSERT_INT_EQ(keeper_encode("a ", out, 5), 4);
	UNIT_ASSERT_INT_EQ(keeper_encode("a ", out, 4), 0);
	UNIT_ASSERT_STR_EQ(out, "");
	UNIT_ASSERT_INT_EQ(keeper_encode("", out, sizeof(out)), 0);
	UNIT_ASSERT_STR_EQ(out, "");
	UNIT_ASSERT_INT_EQ(keeper_encode("abc", out, 0), 0);

	/* Every byte but NUL, there and back. */
	for (c = 1; c < 256; c++)
		all[c - 1] = (char)c;
	all[255] = '\0';
	{
		char enc[3 * 256], dec[256];
		size_t n = keeper_encode(all, enc, sizeof(enc));

		CU_ASSERT(n > 255);
		UNIT_ASSERT_INT_EQ(strlen(enc), n);
		for (i = 0; i < n; i++)
			CU_ASSERT(enc[i] > ' ' && enc[i] < 0x7f);
		UNIT_ASSERT_INT_EQ(keeper_decode(enc, n, dec, sizeof(dec)), 0);
		UNIT_ASSERT_STR_EQ(dec, all);
		/* One byte short of room for the NUL. */
		UNIT_ASSERT_INT_EQ(keeper_decode(enc, n, dec, 255), -1);
	}
}

static const struct {
	const char *in;
	size_t	len;			/* 0: strlen(in) */
	int	want;
	const char *out;
} decode_cases[] = {
	{ "a%20b", 0, 0, "a b" },
	{ "a%2fb%2F", 0, 0, "a/b/" },		/* either case */
	{ "%25%25", 0, 0, "%%" },
	{ "%e2%9c%93", 0, 0, "\xe2\x9c\x93" },
	{ "~", 0, 0, "~" },
	{ "%", 0, -1, NULL },
	{ "a%2", 0, -1, NULL },
	{ "%g0", 0, -1, NULL },
	{ "%0g", 0, -1, NULL },
	{ "%00", 0, -1, NULL },			/* no NUL inside */
	{ "a b", 0, -1, NULL },			/* raw: only '!'..'~' */
	{ "a\tb", 0, -1, NULL },
	{ "a\x7f", 0, -1, NULL },
	{ "\xc3\xa9", 0, -1, NULL },
	{ "ab\0cd", 5, -1, NULL },
	{ "%2", 1, -1, NULL },			/* cut at inlen */
	{ "ab%20", 2, 0, "ab" },
};

/* test_keeper_decode - good and bad encodings, and the room needed */
static void
test_keeper_decode(void)
{
	char out[64];
	size_t i, len;

	for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		unsigned failures = CU_get_number_of_failures();

		len = decode_cases[i].len > 0 ? decode_cases[i].len :
		    strlen(decode_cases[i].in);
		UNIT_ASSERT_INT_EQ(keeper_decode(decode_cases[i].in, len, out,
		    sizeof(out)), decode_cases[i].want);
		if (decode_cases[i].want == 0)
			UNIT_ASSERT_STR_EQ(out, decode_cases[i].out);
		if (CU_get_number_of_failures() != failures)
			fprintf(stderr, "  ^ in case \"%s\"\n",
			    decode_cases[i].in);
	}
	UNIT_ASSERT_INT_EQ(keeper_decode("abc", 3, out, 4), 0);
	UNIT_ASSERT_INT_EQ(keeper_decode("abc", 3, out, 3), -1);
	UNIT_ASSERT_INT_EQ(keeper_decode("%41", 3, out, 2), 0);
	UNIT_ASSERT_STR_EQ(out, "A");
	UNIT_ASSERT_INT_EQ(keeper_decode("", 0, out, 1), 0);
	UNIT_ASSERT_STR_EQ(out, "");
	UNIT_ASSERT_INT_EQ(keeper_decode("", 0, out, 0), -1);
}

/* ---- requests and replies ---------------------------------------------- */

static const struct {
	const char *msg;
	size_t	len;			/* 0: strlen(msg) */
	int	want;
	enum keeper_op op;
	long	ttl;
	int	cap;
	const char *key;
	const char *props;
} request_cases[] = {
	{ "HELLO 1 GET " "mx.test[192.0.2.1]:25%20ehlo=x", 0, 0,
	    KEEPER_OP_GET, 0, 0, "mx.test[192.0.2.1]:25 ehlo=x", "" },
	{ "HELLO 1 PUT 300000 2 k%25 t=1%20n=0", 0, 0, KEEPER_OP_PUT,
	    300000, 2, "k%", "t=1%20n=0" },
	{ "HELLO 1 PUT 1 0 k p", 0, 0, KEEPER_OP_PUT, 1, 0, "k", "p" },
	{ "HELLO 1 PUT 86400000 10000 k p", 0, 0, KEEPER_OP_PUT, 86400000,
	    10000, "k", "p" },
	{ "HELLO 01 GET a%2fb", 0, 0, KEEPER_OP_GET, 0, 0, "a/b", "" },
	/* The greeting and the version. */
	{ "", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 2 GET k", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 0 GET k", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO GET k", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELO 1 GET k", 0, -1, 0, 0, 0, NULL, NULL },
	{ "hello 1 GET k", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 get k", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 DEL k", 0, -1, 0, 0, 0, NULL, NULL },
	/* Numbers. */
	{ "HELLO 1 PUT 0 1 k p", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT 86400001 1 k p", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT -1 1 k p", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT +1 1 k p", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT 1x 1 k p", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT 1 10001 k p", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT 1 1000000000000 k p", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT 1000000000000000000000 1 k p", 0, -1, 0, 0, 0, NULL,
	    NULL },
	/* Words missing, extra, or not one space apart. */
	{ "HELLO 1 GET", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT 1 1 k", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 GET k x", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT 1 1 k p x", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1  GET k", 0, -1, 0, 0, 0, NULL, NULL },
	{ " HELLO 1 GET k", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 GET k ", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT 1 1 k p ", 0, -1, 0, 0, 0, NULL, NULL },
	/* Embedded NUL, bad escapes, raw bytes. */
	{ "HELLO 1 GET k\0x", 15, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 GET k\0", 14, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 PUT 1 1 k p\0", 20, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 GET a%00b", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 GET a%2", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 GET a\001b", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 GET a\377b", 0, -1, 0, 0, 0, NULL, NULL },
	{ "HELLO 1 GET a\tb", 0, -1, 0, 0, 0, NULL, NULL },
};

/* test_keeper_parse_request - the two forms, and everything else refused */
static void
test_keeper_parse_request(void)
{
	static struct keeper_request req;
	static char msg[KEEPER_MSG_MAX + 1];
	size_t i, len;
	int n;

	for (i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]);
	    i++) {
		unsigned failures = CU_get_number_of_failures();

		len = request_cases[i].len > 0 ? request_cases[i].len :
		    strlen(request_cases[i].msg);
		UNIT_ASSERT_INT_EQ(keeper_parse_request(request_cases[i].msg,
		    len, &req), request_cases[i].want);
		if (request_cases[i].want == 0) {
			UNIT_ASSERT_INT_EQ(req.op, request_cases[i].op);
			UNIT_ASSERT_INT_EQ(req.ttl_ms, request_cases[i].ttl);
			UNIT_ASSERT_INT_EQ(req.max_per_key,
			    request_cases[i].cap);
			UNIT_ASSERT_STR_EQ(req.key, request_cases[i].key);
			UNIT_ASSERT_STR_EQ(req.props, request_cases[i].props);
		}
		if (CU_get_number_of_failures() != failures)
			fprintf(stderr, "  ^ in case \"%s\"\n",
			    request_cases[i].msg);
	}

	/* A key of KEEPER_KEY_MAX - 1 bytes, and one more. */
	n = snprintf(msg, sizeof(msg), "HELLO 1 GET %0*d", KEEPER_KEY_MAX - 1,
	    0);
	UNIT_ASSERT_INT_EQ(keeper_parse_request(msg, (size_t)n, &req), 0);
	UNIT_ASSERT_INT_EQ(strlen(req.key), KEEPER_KEY_MAX - 1);
	n = snprintf(msg, sizeof(msg), "HELLO 1 GET %0*d", KEEPER_KEY_MAX, 0);
	UNIT_ASSERT_INT_EQ(keeper_parse_request(msg, (size_t)n, &req), -1);
	/* Encoded, a key may take three times as many bytes. */
	n = snprintf(msg, sizeof(msg), "HELLO 1 GET ");
	for (i = 0; i < KEEPER_KEY_MAX - 1; i++)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, "%%01");
	UNIT_ASSERT_INT_EQ(keeper_parse_request(msg, (size_t)n, &req), 0);
	UNIT_ASSERT_INT_EQ(strlen(req.key), KEEPER_KEY_MAX - 1);
	/* Properties of KEEPER_PROPS_MAX - 1 bytes, and one more. */
	n = snprintf(msg, sizeof(msg), "HELLO 1 PUT 1 1 k %0*d",
	    KEEPER_PROPS_MAX - 1, 0);
	UNIT_ASSERT_INT_EQ(keeper_parse_request(msg, (size_t)n, &req), 0);
	UNIT_ASSERT_INT_EQ(strlen(req.props), KEEPER_PROPS_MAX - 1);
	n = snprintf(msg, sizeof(msg), "HELLO 1 PUT 1 1 k %0*d",
	    KEEPER_PROPS_MAX, 0);
	UNIT_ASSERT_INT_EQ(keeper_parse_request(msg, (size_t)n, &req), -1);
}

static const struct {
	const char *msg;
	size_t	len;			/* 0: strlen(msg) */
	const char *key;		/* the key asked for, or NULL */
	int	want;
	const char *word;
	const char *props;
} reply_cases[] = {
	{ "HELLO 1 77 NONE", 0, NULL, 0, "NONE", "" },
	{ "HELLO 1 77 OK", 0, "k", 0, "OK", "" },
	{ "HELLO 1 77 FULL", 0, NULL, 0, "FULL", "" },
	{ "HELLO 1 2147483647 ERR", 0, NULL, 0, "ERR", "" },
	{ "HELLO 1 77 FD k%20x t=1%20peer=a", 0, "k x", 0, "FD",
	    "t=1 peer=a" },
	/* FD for another key, or for none asked. */
	{ "HELLO 1 77 FD k%20x t=1", 0, NULL, -1, "", "" },
	{ "HELLO 1 77 FD k%20x t=1", 0, "k y", -1, "", "" },
	{ "HELLO 1 77 FD k%20x t=1", 0, "k x ", -1, "", "" },
	/* Version, process id, word. */
	{ "HELLO 2 77 OK", 0, NULL, -1, "", "" },
	{ "HELLO 1 0 OK", 0, NULL, -1, "", "" },
	{ "HELLO 1 2147483648 OK", 0, NULL, -1, "", "" },
	{ "HELLO 1 x OK", 0, NULL, -1, "", "" },
	{ "HELLO 1 OK", 0, NULL, -1, "", "" },
	{ "HELLO 1 77 MAYBE", 0, NULL, -1, "", "" },
	{ "HELLO 1 77 ok", 0, NULL, -1, "", "" },
	/* Words missing, extra, NUL. */
	{ "HELLO 1 77 OK extra", 0, NULL, -1, "", "" },
	{ "HELLO 1 77 OK ", 0, NULL, -1, "", "" },
	{ "HELLO 1 77 FD k p ", 0, "k", -1, "", "" },
	{ "HELLO 1 77 FD k", 0, "k", -1, "", "" },
	{ "HELLO 1 77 FD k p x", 0, "k", -1, "", "" },
	{ "HELLO 1 77 NONE\0", 16, NULL, -1, "", "" },
	{ "HELLO 1 77 FD k %00", 0, "k", -1, "", "" },
	{ "HELLO 1 77 FD k a%2", 0, "k", -1, "", "" },
};

/* test_keeper_parse_reply - the keeper's words, FD for the key asked */
static void
test_keeper_parse_reply(void)
{
	char props[64], word[8];
	size_t i, len;

	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		unsigned failures = CU_get_number_of_failures();

		len = reply_cases[i].len > 0 ? reply_cases[i].len :
		    strlen(reply_cases[i].msg);
		strcpy(props, "junk");
		strcpy(word, "junk");
		UNIT_ASSERT_INT_EQ(keeper_parse_reply(reply_cases[i].msg, len,
		    reply_cases[i].key, props, sizeof(props), word,
		    sizeof(word)), reply_cases[i].want);
		UNIT_ASSERT_STR_EQ(word, reply_cases[i].word);
		if (reply_cases[i].want == 0)
			UNIT_ASSERT_STR_EQ(props, reply_cases[i].props);
		if (CU_get_number_of_failures() != failures)
			fprintf(stderr, "  ^ in case \"%s\"\n",
			    reply_cases[i].msg);
	}
	/* No room for the word, or for the properties. */
	UNIT_ASSERT_INT_EQ(keeper_parse_reply("HELLO 1 7 NONE", 14, NULL,
	    props, sizeof(props), word, 4), -1);
	UNIT_ASSERT_INT_EQ(keeper_parse_reply("HELLO 1 7 NONE", 14, NULL,
	    props, sizeof(props), word, 5), 0);
	UNIT_ASSERT_INT_EQ(keeper_parse_reply("HELLO 1 7 FD k abc", 18, "k",
	    props, 3, word, sizeof(word)), -1);
	UNIT_ASSERT_INT_EQ(keeper_parse_reply("HELLO 1 7 FD k abc", 18, "k",
	    props, 4, word, sizeof(word)), 0);
	UNIT_ASSERT_STR_EQ(props, "abc");
	UNIT_ASSERT_INT_EQ(keeper_parse_reply("HELLO 1 7 OK", 12, NULL,
	    NULL, 0, word, sizeof(word)), 0);
}

/* ---- records with descriptors ----------------------------------------- */

/* send_fds - one record with nfd copies of fd, past keeper_send() */
static int
send_fds(int sock, const char *msg, size_t len, int fd, int nfd)
{
	union {
		struct cmsghdr h;
		char	buf[CMSG_SPACE(16 * sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov;
	int i;

	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)msg;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
	for (i = 0; i < nfd; i++)
		memcpy(CMSG_DATA(&cm.h) + (size_t)i * sizeof(int), &fd,
		    sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/*
 * refused_and_closed - keeper_recv() refuses what comes at s, and the
 * write end of pipe p (sent along; our copy closed) is closed too: the
 * read end sees end of file
 */
static void
refused_and_closed(int s, size_t buflen, int p[2])
{
	char buf[KEEPER_MSG_MAX + 64];
	int fds[2], nfd = 5;

	close(p[1]);
	UNIT_ASSERT_INT_EQ(keeper_recv(s, buf, buflen, fds, &nfd, 1000), -1);
	UNIT_ASSERT_INT_EQ(nfd, 0);
	UNIT_ASSERT_INT_EQ(read_until_eof(p[0], buf, sizeof(buf), 1000), 0);
	close(p[0]);
}

/* test_keeper_send_recv - one record and its descriptors, or nothing */
static void
test_keeper_send_recv(void)
{
	static char big[KEEPER_MSG_MAX + 2];
	char buf[KEEPER_MSG_MAX + 1];
	int sv[2], s1[2], s2[2], p[2], fds[2], nfd, three[3];
	long t0;

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv) == 0);
	UNIT_ASSERT_INT_EQ(keeper_peer_is_us(sv[0]), true);

	/* Two descriptors pass, close-on-exec, and work. */
	pair(s1);
	pair(s2);
	fds[0] = s1[0];
	fds[1] = s2[0];
	UNIT_ASSERT_INT_EQ(keeper_send(sv[0], "HELLO 1 x", 9, fds, 2, 1000),
	    0);
	close(s1[0]);
	close(s2[0]);
	fds[0] = fds[1] = -1;
	UNIT_ASSERT_INT_EQ(keeper_recv(sv[1], buf, sizeof(buf), fds, &nfd,
	    1000), 9);
	UNIT_ASSERT_STR_EQ(buf, "HELLO 1 x");
	UNIT_ASSERT_INT_EQ(nfd, 2);
	CU_ASSERT((fcntl(fds[0], F_GETFD) & FD_CLOEXEC) != 0);
	CU_ASSERT((fcntl(fds[1], F_GETFD) & FD_CLOEXEC) != 0);
	CU_ASSERT(through(fds[0], s1[1]));
	CU_ASSERT(through(s2[1], fds[1]));
	keeper_close_fds(fds, nfd);
	CU_ASSERT(fds[0] == -1 && fds[1] == -1);
	close(s1[1]);
	close(s2[1]);

	/* None. */
	UNIT_ASSERT_INT_EQ(keeper_send(sv[0], "x", 1, NULL, 0, 1000), 0);
	UNIT_ASSERT_INT_EQ(keeper_recv(sv[1], buf, sizeof(buf), fds, &nfd,
	    1000), 1);
	UNIT_ASSERT_INT_EQ(nfd, 0);

	/* keeper_send() takes two at most, and KEEPER_MSG_MAX bytes. */
	three[0] = three[1] = three[2] = 0;
	UNIT_ASSERT_INT_EQ(keeper_send(sv[0], "x", 1, three, 3, 1000), -1);
	UNIT_ASSERT_INT_EQ(keeper_send(sv[0], "x", 1, three, -1, 1000), -1);
	memset(big, 'x', sizeof(big));
	UNIT_ASSERT_INT_EQ(keeper_send(sv[0], big, KEEPER_MSG_MAX + 1, NULL,
	    0, 1000), -1);

	/* Three descriptors: refused, all closed. */
	CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
	UNIT_ASSERT_INT_EQ(send_fds(sv[0], "x", 1, p[1], 3), 0);
	refused_and_closed(sv[1], sizeof(buf), p);
	/* More than keeper_recv() has room for: the same. */
	CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
	UNIT_ASSERT_INT_EQ(send_fds(sv[0], "x", 1, p[1], 12), 0);
	refused_and_closed(sv[1], sizeof(buf), p);
	/* A record cut by the buffer: refused, its descriptor closed. */
	CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
	UNIT_ASSERT_INT_EQ(send_fds(sv[0], big, KEEPER_MSG_MAX + 1, p[1], 1),
	    0);
	refused_and_closed(sv[1], KEEPER_MSG_MAX + 1, p);
	CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
	UNIT_ASSERT_INT_EQ(send_fds(sv[0], "HELLO 1 GET k", 13, p[1], 1), 0);
	refused_and_closed(sv[1], 13, p);
	/* An empty record is refused too. */
	UNIT_ASSERT_INT_EQ(send(sv[0], "", 0, 0), 0);
	UNIT_ASSERT_INT_EQ(keeper_recv(sv[1], buf, sizeof(buf), fds, &nfd,
	    1000), -1);

	/* Nothing within the time: -1 after it. */
	t0 = deadline_now_ms();
	UNIT_ASSERT_INT_EQ(keeper_recv(sv[1], buf, sizeof(buf), fds, &nfd,
	    100), -1);
	CU_ASSERT(deadline_now_ms() - t0 >= 90);
	/* The other end gone. */
	close(sv[0]);
	UNIT_ASSERT_INT_EQ(keeper_recv(sv[1], buf, sizeof(buf), fds, &nfd,
	    1000), -1);
	UNIT_ASSERT_INT_EQ(keeper_send(sv[1], "x", 1, NULL, 0, 1000), -1);
	close(sv[1]);
}

/* ---- the directory and its names -------------------------------------- */

/* test_keeper_dir - 0700 and ours, or refused; the names in it */
static void
test_keeper_dir(void)
{
	char dir[1100], sock[1100], lock[1100], other[1200], lnk[1200];
	char longdir[200];

	make_state_dir();
	UNIT_ASSERT_INT_EQ(keeper_paths(state_dir, dir, sizeof(dir), sock,
	    sizeof(sock), lock, sizeof(lock)), 0);
	snprintf(other, sizeof(other), "%s/keeper", state_dir);
	UNIT_ASSERT_STR_EQ(dir, other);
	snprintf(other, sizeof(other), "%s/keeper/k%d.sock", state_dir,
	    KEEPER_VERSION);
	UNIT_ASSERT_STR_EQ(sock, other);
	snprintf(other, sizeof(other), "%s/keeper/k%d.lock", state_dir,
	    KEEPER_VERSION);
	UNIT_ASSERT_STR_EQ(lock, other);
	UNIT_ASSERT_INT_EQ(keeper_paths("", dir, sizeof(dir), sock,
	    sizeof(sock), lock, sizeof(lock)), -1);
	UNIT_ASSERT_INT_EQ(keeper_paths(NULL, dir, sizeof(dir), sock,
	    sizeof(sock), lock, sizeof(lock)), -1);
	/* A socket's name has 107 bytes at most. */
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	UNIT_ASSERT_INT_EQ(keeper_paths(longdir, dir, sizeof(dir), sock,
	    sizeof(sock), lock, sizeof(lock)), -1);
	UNIT_ASSERT_INT_EQ(keeper_paths(state_dir, dir, 10, sock,
	    sizeof(sock), lock, sizeof(lock)), -1);

	/* Missing: made only when asked. */
	errno = 0;
	UNIT_ASSERT_INT_EQ(keeper_dir_check(kdir, false), -1);
	UNIT_ASSERT_INT_EQ(errno, ENOENT);
	UNIT_ASSERT_INT_EQ(keeper_dir_check(kdir, true), 0);
	UNIT_ASSERT_INT_EQ(keeper_dir_check(kdir, true), 0);
	UNIT_ASSERT_INT_EQ(keeper_dir_check(kdir, false), 0);
	/* Anybody else may enter: refused, and left as it is. */
	CU_ASSERT_FATAL(chmod(kdir, 0755) == 0);
	errno = 0;
	UNIT_ASSERT_INT_EQ(keeper_dir_check(kdir, false), -1);
	UNIT_ASSERT_INT_EQ(errno, EPERM);
	UNIT_ASSERT_INT_EQ(keeper_dir_check(kdir, true), -1);
	CU_ASSERT_FATAL(chmod(kdir, 0710) == 0);
	UNIT_ASSERT_INT_EQ(keeper_dir_check(kdir, false), -1);
	CU_ASSERT_FATAL(chmod(kdir, 0700) == 0);
	/* Not ours (only root can make one). */
	if (geteuid() == 0) {
		CU_ASSERT_FATAL(chown(kdir, 65534, 65534) == 0);
		UNIT_ASSERT_INT_EQ(keeper_dir_check(kdir, false), -1);
		CU_ASSERT_FATAL(chown(kdir, 0, 0) == 0);
	}
	/* A link to a good directory, or a file: refused. */
	snprintf(other, sizeof(other), "%s/real", state_dir);
	CU_ASSERT_FATAL(mkdir(other, 0700) == 0);
	snprintf(lnk, sizeof(lnk), "%s/link", state_dir);
	CU_ASSERT_FATAL(symlink(other, lnk) == 0);
	UNIT_ASSERT_INT_EQ(keeper_dir_check(lnk, false), -1);
	UNIT_ASSERT_INT_EQ(keeper_dir_check(lnk, true), -1);
	snprintf(other, sizeof(other), "%s/file", state_dir);
	CU_ASSERT_FATAL(close(open(other, O_CREAT | O_WRONLY, 0700)) == 0);
	UNIT_ASSERT_INT_EQ(keeper_dir_check(other, false), -1);
	UNIT_ASSERT_INT_EQ(keeper_dir_check(other, true), -1);

	/* No keeper there: the client says so, and starts none. */
	{
		struct keeper_session ks;
		int sv[2];

		UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), -1);
		UNIT_ASSERT_INT_EQ(ks.fd, -1);
		pair(sv);
		UNIT_ASSERT_INT_EQ(keeper_put(&kopt, KEY, 1000, 0, PROPS,
		    sv[0], -1), 0);
		/* Still ours to QUIT. */
		CU_ASSERT(through(sv[0], sv[1]));
		close(sv[0]);
		close(sv[1]);
		CU_ASSERT(access(ksock, F_OK) != 0);
	}
	remove_state_dir();
}

/* ---- a keeper --------------------------------------------------------- */

/* test_keeper_get_put - NONE, OK, FD with its properties, newest first */
static void
test_keeper_get_put(void)
{
	struct keeper_session ks;
	struct stat st1, st2;
	char slot_path[300];
	int sv[2], a[2], b[2], slot, other;
	pid_t pid;

	make_state_dir();
	pid = keeper_fork(10000, 100);

	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), 0);
	UNIT_ASSERT_INT_EQ(ks.fd, -1);
	UNIT_ASSERT_INT_EQ(ks.slot_fd, -1);

	pair(sv);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, KEY, 10000, 0, PROPS, sv[0], -1),
	    1);
	close(sv[0]);
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, "other[192.0.2.2]:25", &ks), 0);
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), 1);
	UNIT_ASSERT_STR_EQ(ks.props, PROPS);
	UNIT_ASSERT_INT_EQ(ks.slot_fd, -1);
	CU_ASSERT(ks.fd >= 0 && (fcntl(ks.fd, F_GETFD) & FD_CLOEXEC) != 0);
	CU_ASSERT(through(ks.fd, sv[1]));
	CU_ASSERT(through(sv[1], ks.fd));
	close(ks.fd);
	close(sv[1]);
	/* Handed out: gone from the keeper. */
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), 0);

	/* The newest of a key first. */
	pair(a);
	pair(b);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, KEY, 10000, 0, "a=1", a[0], -1),
	    1);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, KEY, 10000, 0, "b=1", b[0], -1),
	    1);
	close(a[0]);
	close(b[0]);
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), 1);
	UNIT_ASSERT_STR_EQ(ks.props, "b=1");
	CU_ASSERT(through(ks.fd, b[1]));
	close(ks.fd);
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), 1);
	UNIT_ASSERT_STR_EQ(ks.props, "a=1");
	CU_ASSERT(through(ks.fd, a[1]));
	close(ks.fd);
	close(a[1]);
	close(b[1]);

	/* The longest key, every byte of it escaped (three times as long
	 * on the wire), comes back too. */
	{
		char key[KEEPER_KEY_MAX];

		memset(key, '\001', sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		pair(a);
		UNIT_ASSERT_INT_EQ(keeper_put(&kopt, key, 10000, 0, PROPS,
		    a[0], -1), 1);
		close(a[0]);
		UNIT_ASSERT_INT_EQ(keeper_get(&kopt, key, &ks), 1);
		if (ks.fd >= 0) {
			CU_ASSERT(through(ks.fd, a[1]));
			close(ks.fd);
		}
		close(a[1]);
	}

	/* A slot lock travels with its session, and stays locked. */
	snprintf(slot_path, sizeof(slot_path), "%s/slot", state_dir);
	slot = open(slot_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	other = open(slot_path, O_RDWR | O_CLOEXEC);
	CU_ASSERT_FATAL(slot >= 0 && other >= 0 &&
	    flock(slot, LOCK_EX | LOCK_NB) == 0);
	pair(sv);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, KEY, 10000, 0, PROPS, sv[0],
	    slot), 1);
	close(sv[0]);
	close(slot);
	UNIT_ASSERT_INT_EQ(flock(other, LOCK_EX | LOCK_NB), -1);
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), 1);
	CU_ASSERT_FATAL(ks.slot_fd >= 0);
	CU_ASSERT(fstat(ks.slot_fd, &st1) == 0 && stat(slot_path, &st2) == 0 &&
	    st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev);
	UNIT_ASSERT_INT_EQ(flock(other, LOCK_EX | LOCK_NB), -1);
	close(ks.slot_fd);
	close(ks.fd);
	/* Free once the keeper's copy is closed too (it closes it after
	 * its answer is sent: soon, not necessarily before we read it). */
	CU_ASSERT(flock_within(other, WAIT_MS));
	close(other);
	close(sv[1]);

	keeper_stop(pid);
	CU_ASSERT(file_has(log_path(), "sessions kept=5, reused=5, "
	    "refused=0, closed by server=0, expired=0, left=0"));
	remove_state_dir();
}

/* test_keeper_refused - caps per key and in all; requests it refuses */
static void
test_keeper_refused(void)
{
	struct keeper_session ks;
	char buf[64], msg[64];
	int s[5][2], i, n;
	pid_t pid;

	make_state_dir();
	pid = keeper_fork(10000, 3);
	for (i = 0; i < 5; i++)
		pair(s[i]);
	/* Two of "a" at most. */
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "a", 10000, 2, "p", s[0][0], -1),
	    1);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "a", 10000, 2, "p", s[1][0], -1),
	    1);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "a", 10000, 2, "p", s[2][0], -1),
	    0);
	/* Three in all (keeper_max_sessions), whatever the key. */
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "b", 10000, 0, "p", s[3][0], -1),
	    1);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "c", 10000, 0, "p", s[2][0], -1),
	    0);
	/* Refused, a session is still the caller's: QUIT and close. */
	CU_ASSERT(through(s[2][0], s[2][1]));
	/* Room again after a GET (of the newest "a"). */
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, "a", &ks), 1);
	CU_ASSERT(through(ks.fd, s[1][1]));
	close(ks.fd);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "c", 10000, 0, "p", s[2][0], -1),
	    1);
	for (i = 0; i < 4; i++)
		close(s[i][0]);

	/* What the keeper refuses to read. */
	UNIT_ASSERT_STR_EQ(raw("HELLO 1 PUT 1000 0 k p", 22, NULL, 0),
	    "ERR");
	UNIT_ASSERT_STR_EQ(raw("HELLO 2 GET k", 13, NULL, 0), "ERR");
	UNIT_ASSERT_STR_EQ(raw("HELLO 1 GET k extra", 19, NULL, 0), "ERR");
	UNIT_ASSERT_STR_EQ(raw("HELLO 1 GET k", 13, NULL, 0), "NONE");
	/* A refused request's descriptors are closed, not kept. */
	n = snprintf(msg, sizeof(msg), "HELLO 1 PUT 1000 0 k%%00 p");
	UNIT_ASSERT_STR_EQ(raw(msg, (size_t)n, &s[4][0], 1), "ERR");
	close(s[4][0]);
	UNIT_ASSERT_INT_EQ(read_until_eof(s[4][1], buf, sizeof(buf),
	    WAIT_MS), 0);
	close(s[4][1]);

	/* SIGTERM: QUIT to each session held, then the exit. */
	keeper_stop(pid);
	UNIT_ASSERT_INT_EQ(read_until_eof(s[0][1], buf, sizeof(buf), 100), 0);
	UNIT_ASSERT_STR_EQ(buf, "QUIT\r\n");
	UNIT_ASSERT_INT_EQ(read_until_eof(s[3][1], buf, sizeof(buf), 100), 0);
	UNIT_ASSERT_STR_EQ(buf, "QUIT\r\n");
	UNIT_ASSERT_INT_EQ(read_until_eof(s[2][1], buf, sizeof(buf), 100), 0);
	UNIT_ASSERT_STR_EQ(buf, "QUIT\r\n");
	for (i = 0; i < 5; i++)
		close(s[i][1]);
	CU_ASSERT(access(ksock, F_OK) != 0);
	CU_ASSERT(file_has(log_path(), "keeper: exiting on a signal: "
	    "sessions kept=4, reused=1, refused=3, closed by server=0, "
	    "expired=0, left=3"));
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, "a", &ks), -1);
	remove_state_dir();
}

/* test_keeper_drops - spoken to, hung up, TTL over: closed */
static void
test_keeper_drops(void)
{
	struct keeper_session ks;
	char buf[64];
	int w[2], h[2], t[2];
	long t0;
	pid_t pid;

	make_state_dir();
	pid = keeper_fork(10000, 10);
	pair(w);
	pair(h);
	pair(t);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "w", 10000, 0, "p", w[0], -1), 1);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "h", 10000, 0, "p", h[0], -1), 1);
	t0 = deadline_now_ms();
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "t", 300, 0, "p", t[0], -1), 1);
	close(w[0]);
	close(h[0]);
	close(t[0]);

	/* A server that speaks while idle (a 421): closed without a word. */
	CU_ASSERT(write(w[1], "421 4.4.2 bye\r\n", 15) == 15);
	UNIT_ASSERT_INT_EQ(read_until_eof(w[1], buf, sizeof(buf), WAIT_MS), 0);
	UNIT_ASSERT_STR_EQ(buf, "");
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, "w", &ks), 0);
	/* One that hangs up: the same. */
	CU_ASSERT(shutdown(h[1], SHUT_WR) == 0);
	UNIT_ASSERT_INT_EQ(read_until_eof(h[1], buf, sizeof(buf), WAIT_MS), 0);
	UNIT_ASSERT_STR_EQ(buf, "");
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, "h", &ks), 0);
	/* At the end of its TTL: QUIT, then closed. */
	UNIT_ASSERT_INT_EQ(read_until_eof(t[1], buf, sizeof(buf), WAIT_MS), 0);
	UNIT_ASSERT_STR_EQ(buf, "QUIT\r\n");
	CU_ASSERT(deadline_now_ms() - t0 >= 290);
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, "t", &ks), 0);
	close(w[1]);
	close(h[1]);
	close(t[1]);

	keeper_stop(pid);
	CU_ASSERT(file_has(log_path(), "sessions kept=3, reused=0, "
	    "refused=0, closed by server=2, expired=1, left=0"));
	remove_state_dir();
}

/* test_keeper_idle - exit after keeper_idle with nothing held, not before */
static void
test_keeper_idle(void)
{
	struct keeper_session ks;
	char buf[64];
	int sv[2], lockfd;
	long t0;
	pid_t pid;

	make_state_dir();
	pid = keeper_fork(300, 10);
	pair(sv);
	t0 = deadline_now_ms();
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, "i", 600, 0, "p", sv[0], -1), 1);
	close(sv[0]);
	/* Held past keeper_idle: the keeper stays for it. */
	sleep_ms(450);
	UNIT_ASSERT_INT_EQ(waitpid(pid, NULL, WNOHANG), 0);
	UNIT_ASSERT_INT_EQ(read_until_eof(sv[1], buf, sizeof(buf), WAIT_MS),
	    0);
	UNIT_ASSERT_STR_EQ(buf, "QUIT\r\n");
	close(sv[1]);
	/* Then keeper_idle with nothing: it goes, and its socket with it. */
	UNIT_ASSERT_INT_EQ(wait_exit(pid, WAIT_MS), 0);
	CU_ASSERT(deadline_now_ms() - t0 >= 600 + 300 - 20);
	CU_ASSERT(access(ksock, F_OK) != 0);
	CU_ASSERT(file_has(log_path(), "keeper: exiting after idle: "
	    "sessions kept=1, reused=0, refused=0, closed by server=0, "
	    "expired=1, left=0"));
	/* Its lock is free for the next keeper. */
	lockfd = open(klock, O_RDWR | O_CLOEXEC);
	CU_ASSERT(lockfd >= 0 && flock(lockfd, LOCK_EX | LOCK_NB) == 0);
	close(lockfd);
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, "i", &ks), -1);

	/* Requests keep it alive too. */
	pid = keeper_fork(300, 10);
	for (lockfd = 0; lockfd < 4; lockfd++) {
		sleep_ms(150);
		UNIT_ASSERT_INT_EQ(keeper_get(&kopt, "i", &ks), 0);
	}
	UNIT_ASSERT_INT_EQ(waitpid(pid, NULL, WNOHANG), 0);
	UNIT_ASSERT_INT_EQ(wait_exit(pid, WAIT_MS), 0);
	remove_state_dir();
}

/* fd_count - the open descriptors of process pid */
static int
fd_count(pid_t pid)
{
	char cmd[128], buf[64];
	FILE *fp;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls /proc/%ld/fd | wc -l", (long)pid);
	if ((fp = popen(cmd, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp) != NULL)
			n = atoi(buf);
		pclose(fp);
	}
	return n;
}

/*
 * fd_count_is - pid has want descriptors open within ms (the keeper
 * closes a connection just after its answer, which we may read first)
 */
static bool
fd_count_is(pid_t pid, int want, long ms)
{
	struct deadline d;
	int n;

	deadline_in_ms(&d, ms);
	while ((n = fd_count(pid)) != want) {
		if (deadline_expired(&d)) {
			fprintf(stderr, "test_keeper: %ld has %d descriptors, "
			    "not %d\n", (long)pid, n, want);
			return false;
		}
		sleep_ms(20);
	}
	return true;
}

/* lock_pid - the process id keeper_start() wrote into the lock file */
static pid_t
lock_pid(void)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(klock, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)atol(buf);
}

/* lock_free_within - the lock file can be locked within ms */
static bool
lock_free_within(long ms)
{
	bool ok;
	int fd;

	if ((fd = open(klock, O_RDWR | O_CLOEXEC)) < 0)
		return false;
	ok = flock_within(fd, ms);
	close(fd);
	return ok;
}

/* test_keeper_start - keeper_put() starts one; one per state directory */
static void
test_keeper_start(void)
{
	char *argv[] = { (char *)"test_keeper", (char *)"--keeper-child",
	    state_dir, NULL };
	struct keeper_session ks;
	char path[64], target[64];
	int sv[2];
	ssize_t n;
	pid_t pid;

	make_state_dir();
	kopt.program = "/proc/self/exe";
	kopt.argv = argv;
	/* keeper_get() never starts one. */
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), -1);
	CU_ASSERT(access(ksock, F_OK) != 0);
	/* keeper_put() does, and the keeper takes the session. */
	pair(sv);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, KEY, 10000, 0, PROPS, sv[0], -1),
	    1);
	close(sv[0]);
	pid = lock_pid();
	CU_ASSERT_FATAL(pid > 1);
	CU_ASSERT(kill(pid, 0) == 0);
	/* Another start finds the lock taken; the keeper stays the one. */
	UNIT_ASSERT_INT_EQ(keeper_start(&kopt), -1);
	UNIT_ASSERT_INT_EQ(lock_pid(), pid);
	/* Its own session; standard input on /dev/null; 0-4 and one held. */
	CU_ASSERT(getsid(pid) != getsid(0));
	snprintf(path, sizeof(path), "/proc/%ld/fd/0", (long)pid);
	n = readlink(path, target, sizeof(target) - 1);
	CU_ASSERT(n > 0);
	target[n > 0 ? n : 0] = '\0';
	UNIT_ASSERT_STR_EQ(target, "/dev/null");
	CU_ASSERT(fd_count_is(pid, 6, WAIT_MS));
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), 1);
	UNIT_ASSERT_STR_EQ(ks.props, PROPS);
	CU_ASSERT(through(ks.fd, sv[1]));
	close(ks.fd);
	close(sv[1]);
	CU_ASSERT(fd_count_is(pid, 5, WAIT_MS));

	UNIT_ASSERT_INT_EQ(kill(pid, SIGTERM), 0);
	CU_ASSERT(lock_free_within(WAIT_MS));
	CU_ASSERT(access(ksock, F_OK) != 0);
	/* A stale socket (its keeper killed) is replaced by the next. */
	pair(sv);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, KEY, 10000, 0, PROPS, sv[0], -1),
	    1);
	close(sv[0]);
	pid = lock_pid();
	CU_ASSERT_FATAL(pid > 1);
	UNIT_ASSERT_INT_EQ(kill(pid, SIGKILL), 0);
	CU_ASSERT(lock_free_within(WAIT_MS));
	/* Killed, it left its socket: nobody listens there. */
	CU_ASSERT(access(ksock, F_OK) == 0);
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), -1);
	close(sv[1]);
	pair(sv);
	UNIT_ASSERT_INT_EQ(keeper_put(&kopt, KEY, 10000, 0, PROPS, sv[0], -1),
	    1);
	close(sv[0]);
	CU_ASSERT(lock_pid() != pid);
	pid = lock_pid();
	UNIT_ASSERT_INT_EQ(keeper_get(&kopt, KEY, &ks), 1);
	close(ks.fd);
	close(sv[1]);
	UNIT_ASSERT_INT_EQ(kill(pid, SIGTERM), 0);
	CU_ASSERT(lock_free_within(WAIT_MS));
	remove_state_dir();
}

/* keeper_child - --keeper-child STATE_DIR: keeper_main() on 3 and 4 */
static int
keeper_child(const char *dir)
{
	struct config cfg;

	config_defaults(&cfg);
	snprintf(cfg.state_directory, sizeof(cfg.state_directory), "%s", dir);
	cfg.keeper_idle_ms = 5000;
	return keeper_main(&cfg, 3, 4);
}

static CU_TestInfo tests[] = {
	{ "test_keeper_encode", test_keeper_encode },
	{ "test_keeper_decode", test_keeper_decode },
	{ "test_keeper_parse_request", test_keeper_parse_request },
	{ "test_keeper_parse_reply", test_keeper_parse_reply },
	{ "test_keeper_send_recv", test_keeper_send_recv },
	{ "test_keeper_dir", test_keeper_dir },
	{ "test_keeper_get_put", test_keeper_get_put },
	{ "test_keeper_refused", test_keeper_refused },
	{ "test_keeper_drops", test_keeper_drops },
	{ "test_keeper_idle", test_keeper_idle },
	{ "test_keeper_start", test_keeper_start },
	CU_TEST_INFO_NULL,
};

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--keeper-child") == 0)
		return keeper_child(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	return unit_run("keeper", tests);
}
