/*
 * NAME
 *	test_conn - unit tests for lib/conn.c
 * DESCRIPTION
 *	Line reading edge cases through a socketpair (table-driven), read
 *	and write timeouts, write buffering, big writes to a slow reader
 *	thread, a peer that has gone, and real TCP connects on loopback:
 *	success with a source address, refused, and timed out against a
 *	listener whose backlog is full.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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

#include "conn.h"
#include "deadline.h"
#include "tls.h"
#include "unit.h"

/* pair - a connection on one end of a socketpair; the other end in *peer */
static struct conn *
pair(int *peer)
{
	struct conn *c;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    (c = conn_new()) == NULL) {
		perror("test_conn: socketpair");
		exit(99);
	}
	conn_adopt_fd(c, sv[0]);
	*peer = sv[1];
	return c;
}

/* sleep_ms - nanosleep for ms milliseconds */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* write_all - write everything to a blocking fd */
static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static const struct line_case {
	const char *input;	/* bytes the peer sends, then closes */
	size_t	input_len;	/* 0: strlen(input) */
	size_t	max;		/* buffer size given to conn_read_line */
	struct {
		enum conn_status st;
		const char *line;
	} want[5];		/* until CONN_EOF */
} line_cases[] = {
	{ "a\r\nb\nc\r\n", 0, 64, { { CONN_OK, "a" }, { CONN_OK, "b" },
	    { CONN_OK, "c" }, { CONN_EOF, "" } } },
	{ "x\ry\r\n", 0, 64, { { CONN_OK, "x\ry" }, { CONN_EOF, "" } } },
	{ "\r\n\n\r\r\n", 0, 64, { { CONN_OK, "" }, { CONN_OK, "" },
	    { CONN_OK, "\r" }, { CONN_EOF, "" } } },
	{ "abc", 0, 64, { { CONN_EOF, "" } } },
	{ "", 0, 64, { { CONN_EOF, "" } } },
	{ "abc\r\n", 0, 4, { { CONN_OK, "abc" }, { CONN_EOF, "" } } },
	{ "abcd\r\nnext\r\n", 0, 4, { { CONN_TOOLONG, "" },
	    { CONN_TOOLONG, "" }, { CONN_EOF, "" } } },
	{ "abcd\r\nnxt\r\n", 0, 4, { { CONN_TOOLONG, "" }, { CONN_OK, "nxt" },
	    { CONN_EOF, "" } } },
	{ "abc\r", 0, 4, { { CONN_EOF, "" } } },
	{ "abcdefgh", 0, 4, { { CONN_TOOLONG, "" }, { CONN_EOF, "" } } },
	{ "250 ok\r\n", 0, 1, { { CONN_TOOLONG, "" }, { CONN_EOF, "" } } },
};

/* test_conn_read_lines - line splitting, CR handling, long lines, EOF */
static void
test_conn_read_lines(void)
{
	const struct line_case *c;
	struct deadline d;
	struct conn *conn;
	char buf[64];
	size_t i, j, len;
	int peer;

	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		c = &line_cases[i];
		conn = pair(&peer);
		write_all(peer, c->input,
		    c->input_len ? c->input_len : strlen(c->input));
		close(peer);
		deadline_in_ms(&d, 2000);
		for (j = 0; j < 5; j++) {
			UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, c->max,
			    &len, &d), c->want[j].st);
			if (c->want[j].st == CONN_OK) {
				UNIT_ASSERT_STR_EQ(buf, c->want[j].line);
				UNIT_ASSERT_INT_EQ(len,
				    strlen(c->want[j].line));
			}
			if (c->want[j].st == CONN_EOF)
				break;
		}
		conn_free(conn);
	}
}

/* A writer thread: chunks with pauses between them. */
struct writer {
	int	fd;
	const char *chunks[4];
	long	pause_ms;
};

/* write_chunks - thread body of a writer */
static void *
write_chunks(void *arg)
{
	struct writer *w = arg;
	size_t i;

	for (i = 0; i < 4 && w->chunks[i] != NULL; i++) {
		sleep_ms(w->pause_ms);
		write_all(w->fd, w->chunks[i], strlen(w->chunks[i]));
	}
	return NULL;
}

/* test_conn_read_split - a line, and its CRLF, in separate segments */
static void
test_conn_read_split(void)
{
	struct writer w = { -1, { "ab", "c\r", "\nde", "f\n" }, 20 };
	struct deadline d;
	struct conn *conn;
	pthread_t t;
	char buf[4];
	size_t len;

	conn = pair(&w.fd);
	pthread_create(&t, NULL, write_chunks, &w);
	deadline_in_ms(&d, 2000);
	/* "abc" fills buf exactly: the CR must not count as a byte. */
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_OK);
	UNIT_ASSERT_STR_EQ(buf, "abc");
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_OK);
	UNIT_ASSERT_STR_EQ(buf, "def");
	pthread_join(t, NULL);
	close(w.fd);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_EOF);
	conn_free(conn);
}

/* test_conn_read_huge_line - a line bigger than the read buffer */
static void
test_conn_read_huge_line(void)
{
	static char big[CONN_RBUF_SIZE + 100], buf[CONN_RBUF_SIZE * 2];
	struct writer w = { -1, { big, "\r\nnext\r\n", NULL }, 0 };
	struct deadline d;
	struct conn *conn;
	pthread_t t;
	size_t len;

	memset(big, 'x', sizeof(big) - 1);
	conn = pair(&w.fd);
	pthread_create(&t, NULL, write_chunks, &w);
	deadline_in_ms(&d, 2000);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_TOOLONG);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_OK);
	UNIT_ASSERT_STR_EQ(buf, "next");
	UNIT_ASSERT_INT_EQ(len, 4);
	pthread_join(t, NULL);
	close(w.fd);
	conn_free(conn);
}

/* test_conn_read_timeout - nothing arrives: CONN_TIMEOUT on time */
static void
test_conn_read_timeout(void)
{
	struct deadline d;
	struct conn *conn;
	char buf[16];
	size_t len;
	long t0, elapsed;
	int peer;

	conn = pair(&peer);
	write_all(peer, "partial", 7);
	t0 = deadline_now_ms();
	deadline_in_ms(&d, 150);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_TIMEOUT);
	elapsed = deadline_now_ms() - t0;
	UNIT_ASSERT_INT_EQ(elapsed >= 140 && elapsed < 1000, true);
	/* The partial line is still there when the rest comes. */
	write_all(peer, "\r\n", 2);
	deadline_in_ms(&d, 1000);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_OK);
	UNIT_ASSERT_STR_EQ(buf, "partial");
	close(peer);
	conn_free(conn);
}

/* test_conn_has_input - buffered data, new data and EOF all count */
static void
test_conn_has_input(void)
{
	struct deadline d;
	struct conn *conn;
	char buf[16];
	size_t len;
	int peer;

	conn = pair(&peer);
	UNIT_ASSERT_INT_EQ(conn_has_input(conn), false);
	write_all(peer, "a\r\nb\r\n", 6);
	UNIT_ASSERT_INT_EQ(conn_has_input(conn), true);
	deadline_in_ms(&d, 1000);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_OK);
	/* "b" is buffered inside conn, not in the socket. */
	UNIT_ASSERT_INT_EQ(conn_has_input(conn), true);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(conn_has_input(conn), false);
	close(peer);
	UNIT_ASSERT_INT_EQ(conn_has_input(conn), true);
	conn_close(conn);
	UNIT_ASSERT_INT_EQ(conn_has_input(conn), false);
	conn_free(conn);
}

/* pending - bytes readable on fd right now */
static size_t
pending(int fd, char *buf, size_t len)
{
	size_t have = 0;
	ssize_t n;

	while (have < len &&
	    (n = recv(fd, buf + have, len - have, MSG_DONTWAIT)) > 0)
		have += (size_t)n;
	return have;
}

/* test_conn_write_buffered - writes wait for a full buffer or a flush */
static void
test_conn_write_buffered(void)
{
	static char data[CONN_WBUF_SIZE + 100], got[CONN_WBUF_SIZE + 200];
	struct deadline d;
	struct conn *conn;
	size_t i;
	int peer;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	conn = pair(&peer);
	deadline_in_ms(&d, 2000);
	UNIT_ASSERT_INT_EQ(conn_write(conn, "MAIL FROM:<>\r\n", 14, &d),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(pending(peer, got, sizeof(got)), 0);
	UNIT_ASSERT_INT_EQ(conn_wbuf_space(conn), CONN_WBUF_SIZE - 14);
	UNIT_ASSERT_INT_EQ(conn_flush(conn, &d), CONN_OK);
	UNIT_ASSERT_INT_EQ(pending(peer, got, sizeof(got)), 14);
	UNIT_ASSERT_INT_EQ(memcmp(got, "MAIL FROM:<>\r\n", 14), 0);
	UNIT_ASSERT_INT_EQ(conn_wbuf_space(conn), CONN_WBUF_SIZE);

	/* More than a buffer: one full buffer goes, the rest waits. */
	UNIT_ASSERT_INT_EQ(conn_write(conn, data, sizeof(data), &d), CONN_OK);
	UNIT_ASSERT_INT_EQ(pending(peer, got, sizeof(got)), CONN_WBUF_SIZE);
	UNIT_ASSERT_INT_EQ(memcmp(got, data, CONN_WBUF_SIZE), 0);
	UNIT_ASSERT_INT_EQ(conn_wbuf_space(conn), CONN_WBUF_SIZE - 100);
	UNIT_ASSERT_INT_EQ(conn_flush(conn, &d), CONN_OK);
	UNIT_ASSERT_INT_EQ(pending(peer, got, sizeof(got)), 100);
	UNIT_ASSERT_INT_EQ(memcmp(got, data + CONN_WBUF_SIZE, 100), 0);
	close(peer);
	conn_free(conn);
}

/* test_conn_wbuf_direct - fill the buffer in place, commit, flush */
static void
test_conn_wbuf_direct(void)
{
	struct deadline d;
	struct conn *conn;
	char got[64];
	int peer;

	conn = pair(&peer);
	deadline_in_ms(&d, 1000);
	UNIT_ASSERT_INT_EQ(conn_write(conn, "DATA\r\n", 6, &d), CONN_OK);
	memcpy(conn_wbuf_tail(conn), "body\r\n", 6);
	conn_wbuf_commit(conn, 6);
	UNIT_ASSERT_INT_EQ(conn_write(conn, ".\r\n", 3, &d), CONN_OK);
	UNIT_ASSERT_INT_EQ(conn_flush(conn, &d), CONN_OK);
	UNIT_ASSERT_INT_EQ(pending(peer, got, sizeof(got)), 15);
	UNIT_ASSERT_INT_EQ(memcmp(got, "DATA\r\nbody\r\n.\r\n", 15), 0);
	close(peer);
	conn_free(conn);
}

/* A slow reader: reads everything in small pieces, checks the pattern. */
struct reader {
	int	fd;
	size_t	total;
	bool	is_ok;
};

/* read_slowly - thread body: 4 KiB reads, a pause every 256 KiB */
static void *
read_slowly(void *arg)
{
	struct reader *r = arg;
	char buf[4096];
	ssize_t n, i;

	r->is_ok = true;
	while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] != (char)((r->total + (size_t)i) % 251))
				r->is_ok = false;
		if ((r->total + (size_t)n) / 262144 != r->total / 262144)
			sleep_ms(5);
		r->total += (size_t)n;
	}
	return NULL;
}

/* test_conn_big_write - 4 MiB through small socket buffers, in order */
static void
test_conn_big_write(void)
{
	static char chunk[10000];
	struct reader r = { -1, 0, false };
	struct deadline d;
	struct conn *conn;
	size_t sent = 0, i, n;
	pthread_t t;
	int size = 4096;

	conn = pair(&r.fd);
	setsockopt(conn_fd(conn), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	pthread_create(&t, NULL, read_slowly, &r);
	deadline_in_ms(&d, 20000);
	while (sent < 4 * 1024 * 1024) {
		n = sizeof(chunk);
		for (i = 0; i < n; i++)
			chunk[i] = (char)((sent + i) % 251);
		if (conn_write(conn, chunk, n, &d) != CONN_OK)
			break;
		sent += n;
	}
	UNIT_ASSERT_INT_EQ(conn_flush(conn, &d), CONN_OK);
	conn_close(conn);
	pthread_join(t, NULL);
	close(r.fd);
	UNIT_ASSERT_INT_EQ(r.total, sent);
	UNIT_ASSERT_INT_EQ(r.is_ok, true);
	conn_free(conn);
}

/* test_conn_write_timeout - a peer that never reads: CONN_TIMEOUT */
static void
test_conn_write_timeout(void)
{
	static char data[CONN_WBUF_SIZE];
	struct deadline d;
	struct conn *conn;
	long t0, elapsed;
	int peer, i;
	enum conn_status st = CONN_OK;

	conn = pair(&peer);
	t0 = deadline_now_ms();
	deadline_in_ms(&d, 150);
	for (i = 0; i < 200 && st == CONN_OK; i++)
		st = conn_write(conn, data, sizeof(data), &d);
	UNIT_ASSERT_INT_EQ(st, CONN_TIMEOUT);
	elapsed = deadline_now_ms() - t0;
	UNIT_ASSERT_INT_EQ(elapsed >= 140 && elapsed < 2000, true);
	close(peer);
	conn_free(conn);
}

/* test_conn_peer_gone - writing to a closed peer: error, no SIGPIPE */
static void
test_conn_peer_gone(void)
{
	struct deadline d;
	struct conn *conn;
	char buf[8];
	size_t len;
	int peer;

	conn = pair(&peer);
	close(peer);
	deadline_in_ms(&d, 1000);
	UNIT_ASSERT_INT_EQ(conn_write(conn, "QUIT\r\n", 6, &d), CONN_OK);
	UNIT_ASSERT_INT_EQ(conn_flush(conn, &d), CONN_ERROR);
	UNIT_ASSERT_INT_EQ(conn_errno(conn), EPIPE);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_EOF);
	conn_free(conn);
}

/* test_conn_closed - a closed connection fails cleanly, close twice */
static void
test_conn_closed(void)
{
	struct deadline d;
	struct conn *conn;
	char buf[8];
	size_t len;

	conn = conn_new();
	deadline_in_ms(&d, 100);
	UNIT_ASSERT_INT_EQ(conn_fd(conn), -1);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_ERROR);
	UNIT_ASSERT_INT_EQ(conn_errno(conn), EBADF);
	UNIT_ASSERT_INT_EQ(conn_flush(conn, &d), CONN_ERROR);
	UNIT_ASSERT_INT_EQ(conn_has_input(conn), false);
	conn_close(conn);
	conn_close(conn);
	conn_free(conn);
	conn_free(NULL);
	UNIT_ASSERT_STR_EQ(conn_status_name(CONN_TOOLONG), "too long");
	UNIT_ASSERT_STR_EQ(conn_status_name(CONN_TIMEOUT), "timeout");
}

/* listener - a loopback TCP listener on a free port of addr */
static int
listener(const char *addr, int backlog, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) < 0 ||
	    listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* test_conn_connect - connect from a chosen source, talk, refused */
static void
test_conn_connect(void)
{
	struct sockaddr_in sin, src, from;
	socklen_t len = sizeof(from);
	struct deadline d;
	struct conn *conn;
	char buf[16], text[32];
	size_t n;
	int lfd, afd, flags;

	lfd = listener("127.0.0.1", 5, &sin);
	CU_ASSERT_FATAL(lfd >= 0);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
	conn = conn_new();
	deadline_in_ms(&d, 2000);
	UNIT_ASSERT_INT_EQ(conn_connect(conn, (struct sockaddr *)&sin,
	    sizeof(sin), (struct sockaddr *)&src, sizeof(src), &d), CONN_OK);
	flags = fcntl(conn_fd(conn), F_GETFL);
	UNIT_ASSERT_INT_EQ((flags & O_NONBLOCK) != 0, true);
	UNIT_ASSERT_INT_EQ((fcntl(conn_fd(conn), F_GETFD) & FD_CLOEXEC) != 0,
	    true);
	afd = accept(lfd, (struct sockaddr *)&from, &len);
	CU_ASSERT_FATAL(afd >= 0);
	inet_ntop(AF_INET, &from.sin_addr, text, sizeof(text));
	UNIT_ASSERT_STR_EQ(text, "127.0.0.2");
	write_all(afd, "220 hi\r\n", 8);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &n, &d),
	    CONN_OK);
	UNIT_ASSERT_STR_EQ(buf, "220 hi");
	close(afd);

	/* Nobody listens on the port any more: refused. */
	close(lfd);
	UNIT_ASSERT_INT_EQ(conn_connect(conn, (struct sockaddr *)&sin,
	    sizeof(sin), NULL, 0, &d), CONN_ERROR);
	UNIT_ASSERT_INT_EQ(conn_errno(conn), ECONNREFUSED);
	UNIT_ASSERT_INT_EQ(conn_fd(conn), -1);
	conn_free(conn);
}

/*
 * test_conn_connect_timeout - a listener with a full accept queue drops
 * SYNs, so the connect can only time out.
 */
static void
test_conn_connect_timeout(void)
{
	struct sockaddr_in sin;
	struct deadline d;
	struct conn *fill[4];
	long t0, elapsed;
	int lfd, i;
	enum conn_status st = CONN_OK;

	lfd = listener("127.0.0.1", 0, &sin);
	CU_ASSERT_FATAL(lfd >= 0);
	/* Fill the accept queue until a connect does not complete. */
	for (i = 0; i < 4; i++)
		fill[i] = NULL;
	for (i = 0; i < 4 && st == CONN_OK; i++) {
		fill[i] = conn_new();
		t0 = deadline_now_ms();
		deadline_in_ms(&d, 200);
		st = conn_connect(fill[i], (struct sockaddr *)&sin,
		    sizeof(sin), NULL, 0, &d);
	}
	elapsed = deadline_now_ms() - t0;
	UNIT_ASSERT_INT_EQ(st, CONN_TIMEOUT);
	UNIT_ASSERT_INT_EQ(elapsed >= 190 && elapsed < 1000, true);
	UNIT_ASSERT_INT_EQ(conn_fd(fill[i - 1]), -1);
	for (i = 0; i < 4; i++)
		conn_free(fill[i]);
	close(lfd);
}

/* test_conn_read_nul - a NUL byte is data, *len says where the line ends */
static void
test_conn_read_nul(void)
{
	struct deadline d;
	struct conn *conn;
	char buf[16];
	size_t len;
	int peer;

	conn = pair(&peer);
	write_all(peer, "a\0b\r\n", 5);
	deadline_in_ms(&d, 1000);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(len, 3);
	UNIT_ASSERT_INT_EQ(memcmp(buf, "a\0b", 4), 0);
	close(peer);
	conn_free(conn);
}

/* test_conn_buffered_input - bytes read past a line stay visible */
static void
test_conn_buffered_input(void)
{
	struct deadline d;
	struct conn *conn;
	char buf[64];
	size_t len;
	int peer;

	conn = pair(&peer);
	deadline_in_ms(&d, 1000);
	CU_ASSERT(!conn_has_buffered_input(conn));
	CU_ASSERT(conn_tls(conn) == NULL);
	/* A STARTTLS reply with a command injected behind it. */
	write_all(peer, "220 go ahead\r\n250 injected\r\n", 28);
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_OK);
	UNIT_ASSERT_STR_EQ(buf, "220 go ahead");
	CU_ASSERT(conn_has_buffered_input(conn));
	UNIT_ASSERT_INT_EQ(conn_read_line(conn, buf, sizeof(buf), &len, &d),
	    CONN_OK);
	CU_ASSERT(!conn_has_buffered_input(conn));
	close(peer);
	conn_free(conn);
}

/* test_conn_wipe_output - a sent secret leaves no trace in the buffer */
static void
test_conn_wipe_output(void)
{
	struct deadline d;
	struct conn *conn;
	char got[64];
	int peer;

	conn = pair(&peer);
	deadline_in_ms(&d, 1000);
	UNIT_ASSERT_INT_EQ(conn_write(conn, "AUTH PLAIN c2VjcmV0\r\n", 21, &d),
	    CONN_OK);
	UNIT_ASSERT_INT_EQ(conn_flush(conn, &d), CONN_OK);
	UNIT_ASSERT_INT_EQ(pending(peer, got, sizeof(got)), 21);
	conn_wipe_output(conn);
	UNIT_ASSERT_INT_EQ(memcmp(conn_wbuf_tail(conn), "\0\0\0\0\0\0\0\0", 8),
	    0);
	UNIT_ASSERT_INT_EQ(conn_wbuf_space(conn), CONN_WBUF_SIZE);
	close(peer);
	conn_free(conn);
}

/* test_conn_tls_start_closed - no socket: EBADF, the session is freed */
static void
test_conn_tls_start_closed(void)
{
	struct tls_policy p;
	struct relay_result why;
	struct deadline d;
	struct conn *conn = conn_new();

	memset(&p, 0, sizeof(p));
	p.level = CONFIG_TLS_MAY;
	relay_result_init(&why);
	deadline_in_ms(&d, 100);
	UNIT_ASSERT_INT_EQ(conn_tls_start(conn, tls_session_new(&p, NULL,
	    &why), &d), CONN_ERROR);
	UNIT_ASSERT_INT_EQ(conn_errno(conn), EBADF);
	CU_ASSERT(conn_tls(conn) == NULL);
	conn_free(conn);
}

static CU_TestInfo tests[] = {
	{ "test_conn_buffered_input", test_conn_buffered_input },
	{ "test_conn_wipe_output", test_conn_wipe_output },
	{ "test_conn_tls_start_closed", test_conn_tls_start_closed },
	{ "test_conn_read_lines", test_conn_read_lines },
	{ "test_conn_read_split", test_conn_read_split },
	{ "test_conn_read_nul", test_conn_read_nul },
	{ "test_conn_read_huge_line", test_conn_read_huge_line },
	{ "test_conn_read_timeout", test_conn_read_timeout },
	{ "test_conn_has_input", test_conn_has_input },
	{ "test_conn_write_buffered", test_conn_write_buffered },
	{ "test_conn_wbuf_direct", test_conn_wbuf_direct },
	{ "test_conn_big_write", test_conn_big_write },
	{ "test_conn_write_timeout", test_conn_write_timeout },
	{ "test_conn_peer_gone", test_conn_peer_gone },
	{ "test_conn_closed", test_conn_closed },
	{ "test_conn_connect", test_conn_connect },
	{ "test_conn_connect_timeout", test_conn_connect_timeout },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("conn", tests);
}
