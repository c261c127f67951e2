/*
 * NAME
 *	test_msg_stream - unit tests for lib/msg_stream.c
 * DESCRIPTION
 *	Every conversion rule from a table, read with large and with tiny
 *	buffers (1..7 bytes must give the same bytes); the 64 KiB input
 *	buffer boundary; random inputs against a byte-at-a-time reference;
 *	peek (8-bit, wire size); replay from memory and from the spool
 *	file; drain; read and spool errors; non-blocking input; and a
 *	100 MiB message through a pipe checked on the fly, with the
 *	process's peak memory not growing.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "msg_stream.h"
#include "unit.h"

#define BIG	(MSG_STREAM_PEEK_MAX)

static char spool_dir[] = "/tmp/test_msg_stream.XXXXXX";

/* file_fd - an unlinked temporary file holding data, at offset 0 */
static int
file_fd(const void *data, size_t len)
{
	char path[] = "/tmp/test_msg_stream_in.XXXXXX";
	int fd;

	if ((fd = mkstemp(path)) < 0) {
		perror("mkstemp");
		exit(99);
	}
	unlink(path);
	if (len > 0 && write(fd, data, len) != (ssize_t)len) {
		perror("write");
		exit(99);
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* pipe_fd - a pipe a child process writes data into, chunk bytes a time */
static int
pipe_fd(const void *data, size_t len, size_t chunk, pid_t *pid)
{
	const char *p = data;
	int fds[2];
	ssize_t n;

	if (pipe(fds) < 0 || (*pid = fork()) < 0) {
		perror("pipe/fork");
		exit(99);
	}
	if (*pid == 0) {
		close(fds[0]);
		while (len > 0) {
			n = write(fds[1], p, len < chunk ? len : chunk);
			if (n < 0)
				_exit(1);
			p += n;
			len -= (size_t)n;
		}
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

/* child_status - wait for a writer child; its exit status */
static int
child_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/*
 * ref_convert - the rules, one byte at a time: drop a first "From "
 * line if asked; LF not after CR becomes CRLF; '.' at a line start is
 * doubled; an unfinished last line gets CRLF. out needs 2 * len + 2.
 */
static size_t
ref_convert(const char *in, size_t len, bool skip_from, char *out)
{
	size_t i = 0, o = 0;
	bool bol = true;
	int prev = -1;

	if (skip_from && len >= 5 && memcmp(in, "From ", 5) == 0) {
		while (i < len && in[i] != '\n')
			i++;
		if (i < len)
			i++;
	}
	for (; i < len; i++) {
		char c = in[i];

		if (bol && c == '.')
			out[o++] = '.';
		if (c == '\n') {
			if (prev != '\r')
				out[o++] = '\r';
			out[o++] = '\n';
			bol = true;
		} else {
			out[o++] = c;
			bol = false;
		}
		prev = (unsigned char)c;
	}
	if (!bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

/* read_all - the whole stream, chunk bytes per call; -1 on error */
static ssize_t
read_all(struct msg_stream *ms, size_t chunk, char *out, size_t cap,
    struct relay_result *why)
{
	size_t total = 0;
	ssize_t n;

	for (;;) {
		if (total + chunk > cap) {
			fprintf(stderr, "read_all: output over %zu bytes\n",
			    cap);
			return -1;
		}
		if ((n = msg_stream_read(ms, out + total, chunk, why)) < 0)
			return -1;
		if (n == 0)
			return (ssize_t)total;
		if ((size_t)n > chunk) {
			fprintf(stderr, "read_all: got %zd for %zu\n", n,
			    chunk);
			return -1;
		}
		total += (size_t)n;
	}
}

/* expect_bytes - compare got with want, saying where they differ */
static void
expect_bytes(const char *what, const char *got, size_t got_len,
    const char *want, size_t want_len)
{
	size_t i;

	for (i = 0; i < got_len && i < want_len && got[i] == want[i]; i++)
		;
	if (got_len == want_len && i == got_len) {
		CU_PASS(what);
		return;
	}
	unit_fail(__FILE__, __LINE__, "%s: got %zu bytes, want %zu; first "
	    "difference at byte %zu (got 0x%02x, want 0x%02x)", what, got_len,
	    want_len, i, i < got_len ? (unsigned char)got[i] : 0,
	    i < want_len ? (unsigned char)want[i] : 0);
}

#define S(x)	x, sizeof(x) - 1

static const struct conv_case {
	const char *name;
	const char *in;
	size_t	in_len;
	const char *want;
	size_t	want_len;
	unsigned flags;
	int	has_8bit;
} conv_cases[] = {
	{ "empty", S(""), S(""), 0, 0 },
	{ "lf", S("a\n"), S("a\r\n"), 0, 0 },
	{ "crlf", S("a\r\n"), S("a\r\n"), 0, 0 },
	{ "mixed", S("a\nb\r\nc\n\r\n\n"), S("a\r\nb\r\nc\r\n\r\n\r\n"), 0,
	    0 },
	{ "lone cr", S("a\rb\n"), S("a\rb\r\n"), 0, 0 },
	{ "cr cr lf", S("a\r\r\n"), S("a\r\r\n"), 0, 0 },
	{ "cr at end", S("a\r"), S("a\r\r\n"), 0, 0 },
	{ "only cr", S("\r"), S("\r\r\n"), 0, 0 },
	{ "only lf", S("\n"), S("\r\n"), 0, 0 },
	{ "blank lines", S("\n\n\r\n"), S("\r\n\r\n\r\n"), 0, 0 },
	{ "no final newline", S("abc"), S("abc\r\n"), 0, 0 },
	{ "dot line", S(".\n"), S("..\r\n"), 0, 0 },
	{ "dot dot line", S("..\n"), S("...\r\n"), 0, 0 },
	{ "dot crlf", S("a\r\n.\r\nb\r\n"), S("a\r\n..\r\nb\r\n"), 0, 0 },
	{ "dot start", S(".a\nb.\n.b.\n"), S("..a\r\nb.\r\n..b.\r\n"), 0, 0 },
	{ "dot alone", S("."), S("..\r\n"), 0, 0 },
	{ "dot no newline", S("x\n.y"), S("x\r\n..y\r\n"), 0, 0 },
	{ "dot inside", S("a.b\n .c\n"), S("a.b\r\n .c\r\n"), 0, 0 },
	{ "dot after lone cr", S("a\r.b\n"), S("a\r.b\r\n"), 0, 0 },
	{ "dot after cr lf", S("\r\n.\r\n"), S("\r\n..\r\n"), 0, 0 },
	{ "nul bytes", S("a\0b\n\0\n"), S("a\0b\r\n\0\r\n"), 0, 0 },
	{ "8bit", S("caf\xc3\xa9\n"), S("caf\xc3\xa9\r\n"), 0, 1 },
	{ "8bit binary", S("\xff\xfe\r\x80"), S("\xff\xfe\r\x80\r\n"), 0, 1 },
	{ "7bit high ascii", S("~\x7f\n"), S("~\x7f\r\n"), 0, 0 },
	{ "from kept", S("From a@b Mon\nX: y\n"), S("From a@b Mon\r\nX: y\r\n"),
	    0, 0 },
	{ "from skipped", S("From a@b Mon Jan  1\nX: y\n"), S("X: y\r\n"),
	    MSG_STREAM_SKIP_FROM, 0 },
	{ "from crlf skipped", S("From a@b\r\n.x\n"), S("..x\r\n"),
	    MSG_STREAM_SKIP_FROM, 0 },
	{ "from 8bit skipped", S("From \xc3\xa9@b\nX: y\n"), S("X: y\r\n"),
	    MSG_STREAM_SKIP_FROM, 0 },
	{ "from only first", S("From a\nFrom b\n"), S("From b\r\n"),
	    MSG_STREAM_SKIP_FROM, 0 },
	{ "from not first", S("X: y\nFrom a\n"), S("X: y\r\nFrom a\r\n"),
	    MSG_STREAM_SKIP_FROM, 0 },
	{ "fromage", S("Fromage: x\n"), S("Fromage: x\r\n"),
	    MSG_STREAM_SKIP_FROM, 0 },
	{ "from no newline", S("From x"), S(""), MSG_STREAM_SKIP_FROM, 0 },
	{ "from alone", S("From "), S(""), MSG_STREAM_SKIP_FROM, 0 },
	{ "from then empty", S("From x\n\n"), S("\r\n"),
	    MSG_STREAM_SKIP_FROM, 0 },
	{ "short not from", S("Fro"), S("Fro\r\n"), MSG_STREAM_SKIP_FROM, 0 },
	{ "empty skip from", S(""), S(""), MSG_STREAM_SKIP_FROM, 0 },
	{ "quoted from", S(">From x\n"), S(">From x\r\n"),
	    MSG_STREAM_SKIP_FROM, 0 },
	{ "lowercase from", S("from x\n"), S("from x\r\n"),
	    MSG_STREAM_SKIP_FROM, 0 },
};

static const size_t read_sizes[] = { 65536, 1, 2, 3, 4, 5, 6, 7, 13, 4096 };

/* test_msg_stream_conversions - the table, with every read size */
static void
test_msg_stream_conversions(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	char out[256], what[128];
	size_t i, k;
	ssize_t n;
	int fd;

	relay_result_init(&why);
	for (i = 0; i < sizeof(conv_cases) / sizeof(conv_cases[0]); i++) {
		const struct conv_case *c = &conv_cases[i];

		for (k = 0; k < sizeof(read_sizes) / sizeof(read_sizes[0]);
		    k++) {
			fd = file_fd(c->in, c->in_len);
			ms = msg_stream_new(fd, c->flags, NULL, &why);
			CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
			n = read_all(ms, read_sizes[k] > sizeof(out) / 2 ?
			    sizeof(out) / 2 : read_sizes[k], out, sizeof(out),
			    &why);
			snprintf(what, sizeof(what), "%s, reads of %zu",
			    c->name, read_sizes[k]);
			expect_bytes(what, out, n < 0 ? 0 : (size_t)n,
			    c->want, c->want_len);
			/* The end stays the end. */
			UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, 3, &why),
			    0);
			UNIT_ASSERT_INT_EQ(msg_stream_has_8bit(ms),
			    c->has_8bit);
			UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms),
			    c->want_len);
			msg_stream_free(ms);
			close(fd);
		}
		/* Peek before reading knows it all for a small message. */
		fd = file_fd(c->in, c->in_len);
		ms = msg_stream_new(fd, c->flags, NULL, &why);
		UNIT_ASSERT_INT_EQ(msg_stream_has_8bit(ms), -1);
		UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), -1);
		UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
		UNIT_ASSERT_INT_EQ(msg_stream_has_8bit(ms), c->has_8bit);
		UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), c->want_len);
		n = read_all(ms, 3, out, sizeof(out), &why);
		expect_bytes(c->name, out, n < 0 ? 0 : (size_t)n, c->want,
		    c->want_len);
		msg_stream_free(ms);
		close(fd);
	}
}

/* check_input - one input, through a file and a pipe, several sizes */
static void
check_input(const char *what, const char *in, size_t len, unsigned flags,
    const size_t *sizes, size_t nsizes)
{
	struct relay_result why;
	struct msg_stream *ms;
	char *want, *got, name[160];
	size_t want_len, k, cap = 2 * len + 16;
	ssize_t n;
	pid_t pid;
	int fd;

	want = malloc(cap);
	got = malloc(cap + 70000);
	want_len = ref_convert(in, len, (flags & MSG_STREAM_SKIP_FROM) != 0,
	    want);
	relay_result_init(&why);
	for (k = 0; k < nsizes; k++) {
		/* Odd k: a pipe written in odd-sized pieces. */
		if (k % 2 == 1)
			fd = pipe_fd(in, len, 1000 + 7 * k, &pid);
		else
			fd = file_fd(in, len);
		ms = msg_stream_new(fd, flags, NULL, &why);
		n = read_all(ms, sizes[k], got, cap + 70000, &why);
		snprintf(name, sizeof(name), "%s, %s, reads of %zu", what,
		    k % 2 ? "pipe" : "file", sizes[k]);
		expect_bytes(name, got, n < 0 ? 0 : (size_t)n, want, want_len);
		msg_stream_free(ms);
		close(fd);
		if (k % 2 == 1)
			UNIT_ASSERT_INT_EQ(child_status(pid), 0);
	}
	free(want);
	free(got);
}

/* test_msg_stream_buffer_boundary - CRLF and dots across 64 KiB reads */
static void
test_msg_stream_buffer_boundary(void)
{
	static const char *const tails[] = { "\r\n", "\n.", "\n..\n", "\r",
	    "\n.\r\n", "\r\r\n.", "\n" };
	static const size_t sizes[] = { 65536, 65536, 1, 7, 4093, 65535,
	    100000, 3 };
	size_t len = 3 * BIG, off, t, i;
	char *in = malloc(len), what[64];

	for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		for (off = BIG - 3; off <= BIG + 1; off++) {
			for (i = 0; i < len; i++)
				in[i] = i % 71 == 70 ? '\n' : 'x';
			/* The pattern right at the first buffer boundary. */
			memcpy(in + off, tails[t], strlen(tails[t]));
			/* And again near the second one (2 * BIG). */
			memcpy(in + BIG + off, tails[t], strlen(tails[t]));
			snprintf(what, sizeof(what), "tail %zu at %zu", t, off);
			check_input(what, in, 2 * BIG + 8, 0, sizes,
			    sizeof(sizes) / sizeof(sizes[0]));
		}
	}
	free(in);
}

/* xorshift - a small deterministic generator */
static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* test_msg_stream_random - random inputs against the reference */
static void
test_msg_stream_random(void)
{
	static const char alphabet[] = "ab.\r\n\n\n.From \x80\0";
	uint32_t seed = 12345;
	size_t iter, i, len;
	char *in = malloc(300000), what[64];
	size_t sizes[4];

	for (iter = 0; iter < 60; iter++) {
		len = iter < 50 ? xorshift(&seed) % 300 :
		    xorshift(&seed) % 300000;
		for (i = 0; i < len; i++)
			in[i] = alphabet[xorshift(&seed) %
			    (sizeof(alphabet) - 1)];
		if (iter % 3 == 0 && len >= 5)
			memcpy(in, "From ", 5);
		sizes[0] = 1 + xorshift(&seed) % 9;
		sizes[1] = 1 + xorshift(&seed) % 70000;
		sizes[2] = 65536;
		sizes[3] = 3;
		snprintf(what, sizeof(what), "random #%zu (%zu bytes)", iter,
		    len);
		check_input(what, in, len, iter % 2 ? MSG_STREAM_SKIP_FROM : 0,
		    sizes, len > 100000 ? 3 : 4);
	}
	free(in);
}

/* test_msg_stream_peek_large - what peek can and cannot know */
static void
test_msg_stream_peek_large(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	size_t len = 4 * BIG, want_len;
	char *in = malloc(len), *out = malloc(3 * len), *want = malloc(3 * len);
	ssize_t n;
	pid_t pid;
	int fd;

	relay_result_init(&why);
	for (size_t i = 0; i < len; i++)
		in[i] = i % 60 == 59 ? '\n' : i % 60 == 0 ? '.' : 'y';
	want_len = ref_convert(in, len, false, want);

	/* Larger than the buffer, 7-bit: neither is known after peek. */
	fd = pipe_fd(in, len, 5000, &pid);
	ms = msg_stream_new(fd, 0, NULL, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_has_8bit(ms), -1);
	UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), -1);
	/* Peek again (idempotent), read some, peek mid-way. */
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	n = msg_stream_read(ms, out, 1000, &why);
	UNIT_ASSERT_INT_EQ(n, 1000);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	n = read_all(ms, 777, out + 1000, 3 * len - 1000, &why);
	expect_bytes("peeked large", out, (size_t)n + 1000, want, want_len);
	/* A complete pass makes both known. */
	UNIT_ASSERT_INT_EQ(msg_stream_has_8bit(ms), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), want_len);
	msg_stream_free(ms);
	close(fd);
	UNIT_ASSERT_INT_EQ(child_status(pid), 0);

	/* 8-bit inside the first 64 KiB: known at once. */
	in[BIG - 10] = (char)0xe9;
	fd = file_fd(in, len);
	ms = msg_stream_new(fd, 0, NULL, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_has_8bit(ms), 1);
	UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), -1);
	msg_stream_free(ms);
	close(fd);

	/* 8-bit after the first 64 KiB: unknown, then known by reading. */
	in[BIG - 10] = 'y';
	in[BIG + 10] = (char)0xe9;
	fd = file_fd(in, len);
	ms = msg_stream_new(fd, 0, NULL, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_has_8bit(ms), -1);
	n = msg_stream_read(ms, out, 2 * BIG, &why);
	UNIT_ASSERT_INT_EQ(n > BIG + 10, 1);
	UNIT_ASSERT_INT_EQ(msg_stream_has_8bit(ms), 1);
	msg_stream_free(ms);
	close(fd);

	/* One byte less than the buffer: the whole message is seen. */
	fd = file_fd(in, BIG - 1);
	ms = msg_stream_new(fd, 0, NULL, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_has_8bit(ms), 0);
	want_len = ref_convert(in, BIG - 1, false, want);
	UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), want_len);
	n = read_all(ms, 65536, out, 3 * len, &why);
	expect_bytes("one less than the buffer", out, (size_t)n, want,
	    want_len);
	msg_stream_free(ms);
	close(fd);

	/* Peek after a small part was read still counts the whole. */
	fd = file_fd(in, 5000);
	ms = msg_stream_new(fd, 0, NULL, &why);
	want_len = ref_convert(in, 5000, false, want);
	n = msg_stream_read(ms, out, 10, &why);
	UNIT_ASSERT_INT_EQ(n, 10);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), want_len);
	n = read_all(ms, 99, out + 10, 3 * len, &why);
	expect_bytes("peek after a read", out, (size_t)n + 10, want, want_len);
	msg_stream_free(ms);
	close(fd);
	free(in);
	free(out);
	free(want);
}

/* spool_dir_empty - no file is left with a name in the spool dir */
static bool
spool_dir_empty(void)
{
	struct dirent *de;
	DIR *d = opendir(spool_dir);
	int count = 0;

	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			count++;
	closedir(d);
	return count == 0;
}

/* spool_size - bytes in this process's open spool file, -1 if none */
static long long
spool_size(void)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	struct stat st;
	long long size = -1;
	ssize_t n;
	DIR *d;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, spool_dir, strlen(spool_dir)) == 0 &&
		    stat(link, &st) == 0)
			size = (long long)st.st_size;
	}
	closedir(d);
	return size;
}

/* replay_case - read, rewind at various points, read again */
static void
replay_case(const char *what, const char *in, size_t len, unsigned flags,
    bool use_pipe)
{
	struct relay_result why;
	struct msg_stream *ms;
	size_t cap = 2 * len + 70000, want_len;
	char *want = malloc(cap), *got = malloc(cap), name[128];
	ssize_t n;
	pid_t pid = -1;
	int fd;

	relay_result_init(&why);
	want_len = ref_convert(in, len, (flags & MSG_STREAM_SKIP_FROM) != 0,
	    want);
	fd = use_pipe ? pipe_fd(in, len, 4096, &pid) : file_fd(in, len);
	ms = msg_stream_new(fd, flags | MSG_STREAM_REPLAY, spool_dir, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
	UNIT_ASSERT_INT_EQ(spool_dir_empty(), true);

	/* Rewind before reading anything. */
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	n = read_all(ms, 5000, got, cap, &why);
	snprintf(name, sizeof(name), "%s: first pass", what);
	expect_bytes(name, got, n < 0 ? 0 : (size_t)n, want, want_len);
	UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), want_len);

	/* Rewind at the end, read again with another size. */
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	n = read_all(ms, 3, got, cap, &why);
	snprintf(name, sizeof(name), "%s: second pass", what);
	expect_bytes(name, got, n < 0 ? 0 : (size_t)n, want, want_len);

	/* Rewind in the middle. */
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	n = msg_stream_read(ms, got, want_len / 2 + 1, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	n = read_all(ms, 65536, got, cap, &why);
	snprintf(name, sizeof(name), "%s: after a mid-way rewind", what);
	expect_bytes(name, got, n < 0 ? 0 : (size_t)n, want, want_len);
	UNIT_ASSERT_INT_EQ(spool_dir_empty(), true);
	/* Smaller than the buffer: replayed from memory, no spool file. */
	UNIT_ASSERT_INT_EQ(spool_size(), len < BIG ? -1 : (long long)len);
	msg_stream_free(ms);
	close(fd);
	if (pid > 0)
		UNIT_ASSERT_INT_EQ(child_status(pid), 0);

	/* A first pass cut short by a rewind, from a fresh stream. */
	fd = use_pipe ? pipe_fd(in, len, 999, &pid) : file_fd(in, len);
	ms = msg_stream_new(fd, flags | MSG_STREAM_REPLAY, spool_dir, &why);
	n = msg_stream_read(ms, got, 100, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	n = read_all(ms, 4096, got, cap, &why);
	snprintf(name, sizeof(name), "%s: rewind during the first pass",
	    what);
	expect_bytes(name, got, n < 0 ? 0 : (size_t)n, want, want_len);
	msg_stream_free(ms);
	close(fd);
	if (use_pipe)
		UNIT_ASSERT_INT_EQ(child_status(pid), 0);
	free(want);
	free(got);
}

/* test_msg_stream_replay - from memory and from the spool file */
static void
test_msg_stream_replay(void)
{
	static const char small[] = "From x\n.a\nb\r\nc";
	size_t len = 1024 * 1024 + 17, i;
	char *big = malloc(len);

	for (i = 0; i < len; i++)
		big[i] = i % 80 == 79 ? '\n' : i % 80 == 0 ? '.' :
		    (char)('a' + i % 26);
	replay_case("small", small, sizeof(small) - 1, 0, false);
	replay_case("small, skip from", small, sizeof(small) - 1,
	    MSG_STREAM_SKIP_FROM, true);
	replay_case("empty", "", 0, 0, true);
	replay_case("exactly the buffer", big, BIG, 0, true);
	replay_case("buffer plus one", big, BIG + 1, 0, false);
	replay_case("1 MiB, file", big, len, 0, false);
	replay_case("1 MiB, pipe", big, len, MSG_STREAM_SKIP_FROM, true);
	free(big);
}

/* test_msg_stream_no_replay - rewind needs MSG_STREAM_REPLAY */
static void
test_msg_stream_no_replay(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	int fd = file_fd("abc\n", 4);

	relay_result_init(&why);
	ms = msg_stream_new(fd, 0, NULL, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	UNIT_ASSERT_STR_EQ(why.text, "cannot send the message again: it was "
	    "not kept for replay");
	msg_stream_free(ms);
	close(fd);
}

/* test_msg_stream_bad_spool_dir - the error shows at once */
static void
test_msg_stream_bad_spool_dir(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	int fd = file_fd("abc\n", 4);
	char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;

	relay_result_init(&why);
	ms = msg_stream_new(fd, MSG_STREAM_REPLAY, "/nonexistent/spool", &why);
	UNIT_ASSERT_INT_EQ(ms == NULL, 1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	UNIT_ASSERT_STR_EQ(why.text, "cannot create spool file in "
	    "/nonexistent/spool: No such file or directory");
	/* NULL means $TMPDIR. */
	setenv("TMPDIR", "/nonexistent/tmp", 1);
	ms = msg_stream_new(fd, MSG_STREAM_REPLAY, NULL, &why);
	UNIT_ASSERT_INT_EQ(ms == NULL, 1);
	UNIT_ASSERT_STR_EQ(why.text, "cannot create spool file in "
	    "/nonexistent/tmp: No such file or directory");
	setenv("TMPDIR", spool_dir, 1);
	ms = msg_stream_new(fd, MSG_STREAM_REPLAY, NULL, &why);
	UNIT_ASSERT_INT_EQ(ms != NULL, 1);
	msg_stream_free(ms);
	if (old != NULL) {
		setenv("TMPDIR", old, 1);
		free(old);
	} else
		unsetenv("TMPDIR");
	/* Without REPLAY no spool is made, so the directory is not used. */
	ms = msg_stream_new(fd, 0, "/nonexistent/spool", &why);
	UNIT_ASSERT_INT_EQ(ms != NULL, 1);
	msg_stream_free(ms);
	msg_stream_free(NULL);
	UNIT_ASSERT_INT_EQ(msg_stream_new(-1, 0, NULL, &why) == NULL, 1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	close(fd);
}

/* test_msg_stream_drain - the writer gets rid of all its data */
static void
test_msg_stream_drain(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	size_t len = 2 * 1024 * 1024, want_len;
	char *in = malloc(len), *want = malloc(2 * len + 2), out[64];
	char *got = malloc(2 * len + 70000);
	ssize_t n;
	pid_t pid;
	int fd;

	relay_result_init(&why);
	memset(in, 'd', len);
	in[len / 2] = '\n';
	fd = pipe_fd(in, len, 65536, &pid);
	ms = msg_stream_new(fd, 0, NULL, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, sizeof(out), &why), 64);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), 0);
	/* The writer finished: it could write everything. */
	UNIT_ASSERT_INT_EQ(child_status(pid), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, sizeof(out), &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), -1);
	msg_stream_free(ms);
	close(fd);

	/* With REPLAY, a drained message can still be sent again. */
	want_len = ref_convert(in, len, false, want);
	fd = pipe_fd(in, len, 65536, &pid);
	ms = msg_stream_new(fd, MSG_STREAM_REPLAY, spool_dir, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, sizeof(out), &why), 64);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(child_status(pid), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	n = read_all(ms, 65536, got, 2 * len + 70000, &why);
	expect_bytes("replay after drain", got, n < 0 ? 0 : (size_t)n, want,
	    want_len);
	/* Drain while replaying: nothing more to read. */
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, sizeof(out), &why), 0);
	msg_stream_free(ms);
	close(fd);

	/* Drain before any read, small message in memory, with REPLAY. */
	fd = file_fd("x\n", 2);
	ms = msg_stream_new(fd, MSG_STREAM_REPLAY, spool_dir, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	n = read_all(ms, 10, out, sizeof(out), &why);
	expect_bytes("small drain, replay", out, n < 0 ? 0 : (size_t)n,
	    "x\r\n", 3);
	msg_stream_free(ms);
	close(fd);
	free(in);
	free(want);
	free(got);
}

/* test_msg_stream_read_error - 4.3.0, and it sticks */
static void
test_msg_stream_read_error(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	char out[16];
	int fd = open("/", O_RDONLY | O_DIRECTORY);

	relay_result_init(&why);
	ms = msg_stream_new(fd, 0, NULL, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, sizeof(out), &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	UNIT_ASSERT_STR_EQ(why.text, "error reading message: Is a directory");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, sizeof(out), &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "error reading message: Is a directory");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "error reading message: Is a directory");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	msg_stream_free(ms);

	/* Peek and drain see it first, too. */
	ms = msg_stream_new(fd, MSG_STREAM_REPLAY, spool_dir, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "error reading message: Is a directory");
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "error reading message: Is a directory");
	msg_stream_free(ms);
	close(fd);
}

/*
 * test_msg_stream_spool_gone - the spool file is made when the message
 * outgrows the buffer: a directory gone by then fails the stream then,
 * with 4.3.0, and every later call repeats the error
 */
static void
test_msg_stream_spool_gone(void)
{
	char dir[] = "/tmp/test_msg_stream_gone.XXXXXX", want[300];
	struct relay_result why;
	struct msg_stream *ms;
	size_t len = 2 * BIG;
	char *in = malloc(len), out[4096];
	ssize_t n;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	memset(in, 'g', len);
	fd = file_fd(in, len);
	relay_result_init(&why);
	ms = msg_stream_new(fd, MSG_STREAM_REPLAY, dir, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
	/* Within the buffer: no file, so removing the directory is fine. */
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(spool_size(), -1);
	UNIT_ASSERT_INT_EQ(rmdir(dir), 0);
	while ((n = msg_stream_read(ms, out, sizeof(out), &why)) > 0)
		;
	UNIT_ASSERT_INT_EQ(n, -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	snprintf(want, sizeof(want), "cannot create spool file in %s: No "
	    "such file or directory", dir);
	UNIT_ASSERT_STR_EQ(why.text, want);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, want);
	msg_stream_free(ms);
	close(fd);
	free(in);
}

/* test_msg_stream_spool_error - a full disk while spooling is 4.3.0 */
static void
test_msg_stream_spool_error(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	size_t len = 4 * BIG;
	char *in = malloc(len), out[4096];
	struct rlimit rl;
	ssize_t n = 0;
	pid_t pid;
	int status, fd;

	memset(in, 's', len);
	fd = file_fd(in, len);
	/* In a child: the file size limit would hurt other tests. */
	if ((pid = fork()) == 0) {
		signal(SIGXFSZ, SIG_IGN);
		rl.rlim_cur = rl.rlim_max = 100 * 1024;
		setrlimit(RLIMIT_FSIZE, &rl);
		relay_result_init(&why);
		ms = msg_stream_new(fd, MSG_STREAM_REPLAY, spool_dir, &why);
		if (ms == NULL)
			_exit(2);
		while ((n = msg_stream_read(ms, out, sizeof(out), &why)) > 0)
			;
		if (n != -1 || strcmp(why.status, "4.3.0") != 0 ||
		    strcmp(why.text, "error writing spool file: File too "
		    "large") != 0) {
			fprintf(stderr, "got %zd %s %s\n", n, why.status,
			    why.text);
			_exit(3);
		}
		/* Rewind cannot help now. */
		if (msg_stream_rewind(ms, &why) != -1)
			_exit(4);
		msg_stream_free(ms);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	UNIT_ASSERT_INT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	close(fd);
	free(in);
}

/* test_msg_stream_nonblocking - EAGAIN input is waited for */
static void
test_msg_stream_nonblocking(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	int fds[2];
	char out[64];
	ssize_t n;
	pid_t pid;

	relay_result_init(&why);
	if (pipe(fds) < 0 || (pid = fork()) < 0)
		exit(99);
	if (pid == 0) {
		struct timespec ts = { 0, 30 * 1000000L };

		close(fds[0]);
		if (write(fds[1], "ab", 2) != 2)
			_exit(1);
		nanosleep(&ts, NULL);
		if (write(fds[1], "c\n.d", 4) != 4)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	ms = msg_stream_new(fds[0], 0, NULL, &why);
	n = read_all(ms, 5, out, sizeof(out), &why);
	expect_bytes("non-blocking input", out, n < 0 ? 0 : (size_t)n,
	    "abc\r\n..d\r\n", 10);
	msg_stream_free(ms);
	close(fds[0]);
	UNIT_ASSERT_INT_EQ(child_status(pid), 0);
}

/* test_msg_stream_zero_len - len 0 reads nothing and loses nothing */
static void
test_msg_stream_zero_len(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	char out[16];
	ssize_t n;
	int fd = file_fd("a\n", 2);

	relay_result_init(&why);
	ms = msg_stream_new(fd, 0, NULL, &why);
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, 0, &why), 0);
	n = read_all(ms, 1, out, sizeof(out), &why);
	expect_bytes("after a zero read", out, n < 0 ? 0 : (size_t)n, "a\r\n",
	    3);
	msg_stream_free(ms);
	close(fd);
}

/*
 * gen_block - block number i of the 100 MiB message: lines of varying
 * length with LF or CRLF ends, dots at line starts, some 8-bit bytes.
 */
static void
gen_block(uint32_t i, char *buf, size_t len)
{
	uint32_t s = i * 2654435761u + 1;
	size_t k;

	for (k = 0; k < len; k++) {
		uint32_t r = xorshift(&s);

		switch (r % 61) {
		case 0:
			buf[k] = '\n';
			break;
		case 1:
			buf[k] = '\r';
			break;
		case 2:
		case 3:
			buf[k] = '.';
			break;
		case 4:
			buf[k] = (char)0xc3;
			break;
		default:
			buf[k] = (char)('A' + r % 50);
			break;
		}
	}
}

/* hash_bytes - FNV-1a over a chunk, continued from h */
static uint64_t
hash_bytes(uint64_t h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* max_rss_kb - the peak resident size of this process */
static long
max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* test_msg_stream_100mib - constant memory, right bytes, and speed */
static void
test_msg_stream_100mib(void)
{
	enum { BLOCK = 65536, NBLOCKS = 1600 };	/* 100 MiB */
	static char blk[BLOCK], out[BLOCK], ref[2 * BLOCK + 2];
	struct relay_result why;
	struct msg_stream *ms;
	uint64_t h_got = 14695981039346656037ULL, h_want = h_got;
	long long got_len = 0, want_len = 0;
	struct timespec t0, t1;
	long rss_before, rss_after;
	int fds[2], prev = -1;
	bool bol = true;
	uint32_t b;
	size_t k, o;
	ssize_t n;
	double secs;
	pid_t pid;

	relay_result_init(&why);
	if (pipe(fds) < 0 || (pid = fork()) < 0)
		exit(99);
	if (pid == 0) {
		close(fds[0]);
		for (b = 0; b < NBLOCKS; b++) {
			gen_block(b, blk, BLOCK);
			for (k = 0; k < BLOCK; k += (size_t)n)
				if ((n = write(fds[1], blk + k, BLOCK - k)) < 0)
					_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);

	/* Warm up, then note the peak memory before the big stream. */
	rss_before = max_rss_kb();
	ms = msg_stream_new(fds[0], 0, NULL, &why);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((n = msg_stream_read(ms, out, sizeof(out), &why)) > 0) {
		h_got = hash_bytes(h_got, out, (size_t)n);
		got_len += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	UNIT_ASSERT_INT_EQ(n, 0);
	rss_after = max_rss_kb();
	msg_stream_free(ms);
	close(fds[0]);
	UNIT_ASSERT_INT_EQ(child_status(pid), 0);

	/* The same stream through the reference, block by block. */
	for (b = 0; b < NBLOCKS; b++) {
		gen_block(b, blk, BLOCK);
		for (k = 0, o = 0; k < BLOCK; k++) {
			char c = blk[k];

			if (bol && c == '.')
				ref[o++] = '.';
			if (c == '\n') {
				if (prev != '\r')
					ref[o++] = '\r';
				ref[o++] = '\n';
				bol = true;
			} else {
				ref[o++] = c;
				bol = false;
			}
			prev = (unsigned char)c;
		}
		if (b == NBLOCKS - 1 && !bol) {
			ref[o++] = '\r';
			ref[o++] = '\n';
		}
		h_want = hash_bytes(h_want, ref, o);
		want_len += (long long)o;
	}
	UNIT_ASSERT_INT_EQ(got_len, want_len);
	if (h_got != h_want)
		unit_fail(__FILE__, __LINE__, "100 MiB stream: content hash "
		    "differs");
	else
		CU_PASS("hash");
	/* Memory must not grow with the message: allow 4 MiB of noise. */
	if (rss_after - rss_before > 4096)
		unit_fail(__FILE__, __LINE__, "peak memory grew by %ld KiB "
		    "while streaming 100 MiB", rss_after - rss_before);
	else
		CU_PASS("memory");
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "\n    100 MiB through a pipe: %.0f MB/s (with the "
	    "writer and the hash), peak memory +%ld KiB\n",
	    (double)got_len / secs / 1e6, rss_after - rss_before);
}

/* test_msg_stream_conversion_speed - the converter alone, from memory */
static void
test_msg_stream_conversion_speed(void)
{
	size_t len = 32 * 1024 * 1024, i;
	char *in = malloc(len), *out = malloc(BIG);
	struct relay_result why;
	struct msg_stream *ms;
	struct timespec t0, t1;
	long long total = 0;
	double secs;
	ssize_t n;
	int fd;

	/* Typical mail: 76-byte lines, LF ends, the odd dot. */
	for (i = 0; i < len; i++)
		in[i] = i % 77 == 76 ? '\n' : i % 7700 == 0 ? '.' :
		    (char)('a' + i % 26);
	fd = file_fd(in, len);
	relay_result_init(&why);
	ms = msg_stream_new(fd, 0, NULL, &why);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((n = msg_stream_read(ms, out, BIG, &why)) > 0)
		total += n;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* Each LF gains a CR, each dot line a dot; the end gets CRLF. */
	UNIT_ASSERT_INT_EQ(total, len + len / 77 + len / 7700 + 1 + 2);
	fprintf(stderr, "\n    conversion from a file: %.0f MB/s\n",
	    (double)len / secs / 1e6);
	msg_stream_free(ms);
	close(fd);
	free(in);
	free(out);
}

/* drop_x_route - filter callback: remove "X-Route:" fields, count all */
static bool
drop_x_route(const char *field, size_t len, void *arg)
{
	int *seen = arg;

	(*seen)++;
	return len >= 8 && strncasecmp(field, "x-route:", 8) == 0;
}

static void
test_msg_stream_filter_headers(void)
{
	static const struct {
		const char *what, *in, *want;
		unsigned flags;
		int	fields;
	} cases[] = {
		{ "plain", "A: 1\nX-Route: r\nB: 2\n\nX-Route: body\n",
		    "A: 1\r\nB: 2\r\n\r\nX-Route: body\r\n", 0, 3 },
		{ "folded, any case, several", "x-ROUTE: a\n\tcont\n b\n"
		    "S: 1\nX-Route : no\nX-Route:z\n\nbody\n",
		    "S: 1\r\nX-Route : no\r\n\r\nbody\r\n", 0, 4 },
		{ "CRLF", "X-Route: a\r\nA: 1\r\n\r\nb\r\n",
		    "A: 1\r\n\r\nb\r\n", 0, 2 },
		{ "From_ line", "From x Mon\nX-Route: a\nA: 1\n\nb\n",
		    "A: 1\r\n\r\nb\r\n", MSG_STREAM_SKIP_FROM, 2 },
		{ "no body", "A: 1\nX-Route: a", "A: 1\r\n", 0, 2 },
	};
	struct relay_result why;
	struct msg_stream *ms;
	char out[4096];
	ssize_t n;
	size_t i;
	int seen, pass;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		relay_result_init(&why);
		ms = msg_stream_new(file_fd(cases[i].in, strlen(cases[i].in)),
		    cases[i].flags | MSG_STREAM_REPLAY, NULL, &why);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
		CU_ASSERT_EQUAL(msg_stream_peek(ms, &why), 0);
		seen = 0;
		UNIT_ASSERT_INT_EQ(msg_stream_filter_headers(ms, drop_x_route,
		    &seen, &why), 0);
		UNIT_ASSERT_INT_EQ(seen, cases[i].fields);
		UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms),
		    strlen(cases[i].want));
		/* The fields stay removed when the message is replayed. */
		for (pass = 0; pass < 2; pass++) {
			if (pass > 0)
				CU_ASSERT_EQUAL(msg_stream_rewind(ms, &why), 0);
			n = read_all(ms, 7, out, sizeof(out), &why);
			CU_ASSERT_FATAL(n >= 0);
			out[n] = '\0';
			UNIT_ASSERT_STR_EQ(out, cases[i].want);
		}
		/* Too late once the message was read. */
		UNIT_ASSERT_INT_EQ(msg_stream_filter_headers(ms, drop_x_route,
		    &seen, &why), -1);
		msg_stream_free(ms);
	}
}

static void
test_msg_stream_filter_long_header(void)
{
	struct relay_result why;
	struct msg_stream *ms;
	char *in;
	size_t len = 3 * MSG_STREAM_PEEK_MAX, i;
	int seen = 0;

	/* 192 KiB of header fields: only the first 64 KiB are seen. */
	in = malloc(len + 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	for (i = 0; i + 10 <= len; i += 10)
		memcpy(in + i, "X-Route:a\n", 10);
	memcpy(in + i, "\nbody\n", 7);
	relay_result_init(&why);
	ms = msg_stream_new(file_fd(in, i + 7), MSG_STREAM_REPLAY, NULL, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
	CU_ASSERT_EQUAL(msg_stream_peek(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_filter_headers(ms, drop_x_route, &seen,
	    &why), 1);
	CU_ASSERT(seen > 0 && seen <= MSG_STREAM_PEEK_MAX / 10);
	msg_stream_free(ms);
	free(in);
}


/*
 * DATA mode: a source over memory that hands out at most chunk bytes
 * per peek (0: all), and stops short at split the first time, so that
 * every read boundary can be tried.
 */
struct mem_src {
	const char *buf;
	size_t	len;
	size_t	pos;
	size_t	chunk;
	size_t	split;		/* a peek never crosses this; 0 none */
	int	peeks;
	bool	fail;		/* peek fails (a timeout) at the end */
};

/* mem_peek - msg_stream_source peek over a mem_src */
static int
mem_peek(void *arg, const char **p, size_t *len, struct relay_result *why)
{
	struct mem_src *m = arg;
	size_t n = m->len - m->pos;

	m->peeks++;
	if (n == 0) {
		if (m->fail)
			return relay_result_set(why, "4.4.2", "timeout while "
			    "receiving the message");
		return 0;
	}
	if (m->chunk > 0 && n > m->chunk)
		n = m->chunk;
	if (m->split > m->pos && n > m->split - m->pos)
		n = m->split - m->pos;
	*p = m->buf + m->pos;
	*len = n;
	return 1;
}

/* mem_consume - msg_stream_source consume over a mem_src */
static void
mem_consume(void *arg, size_t n)
{
	struct mem_src *m = arg;

	CU_ASSERT_FATAL(n <= m->len - m->pos);
	m->pos += n;
}

/* data_stream - a DATA-mode stream over m */
static struct msg_stream *
data_stream(struct mem_src *m, unsigned flags, long long max_size)
{
	const struct msg_stream_source src = { mem_peek, mem_consume, m };
	struct relay_result why;
	struct msg_stream *ms;

	relay_result_init(&why);
	ms = msg_stream_new_data(&src, flags, spool_dir, max_size, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
	return ms;
}

static const struct data_case {
	const char *name;
	const char *in;		/* what the client sends after 354 */
	const char *want;	/* msg_stream_read() output */
	const char *rest;	/* left for the next command */
} data_cases[] = {
	{ "plain", "Subject: a\r\n\r\nbody\r\n.\r\nQUIT\r\n",
	    "Subject: a\r\n\r\nbody\r\n", "QUIT\r\n" },
	{ "empty", ".\r\n", "", "" },
	{ "empty line", "\r\n.\r\nX", "\r\n", "X" },
	{ "stuffed dot", "..dot\r\n.\r\n", "..dot\r\n", "" },
	{ "stuffed lone dot", "a\r\n..\r\n.\r\nRSET\r\n", "a\r\n..\r\n",
	    "RSET\r\n" },
	{ "unstuffed dot dropped", "a\r\n.x\r\n.\r\n", "a\r\nx\r\n", "" },
	{ "dot and space", ". \r\n.\r\n", " \r\n", "" },
	{ "dot CR text", ".\rx\r\n.\r\n", "\rx\r\n", "" },
	{ "dot mid-line", "a.\r\n.b.\r\n.\r\n", "a.\r\nb.\r\n", "" },
	{ "bare LF lines", "a\nb\n.\nX", "a\r\nb\r\n", "X" },
	{ "bare LF end after CRLF", "a\r\n.\nMAIL", "a\r\n", "MAIL" },
	{ "CR alone is content", "a\rb\r\n.\r\n", "a\rb\r\n", "" },
	{ "pipelined", "x\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n",
	    "x\r\n", "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n" },
	{ "8bit", "\xc3\xa9t\xc3\xa9\r\n.\r\n", "\xc3\xa9t\xc3\xa9\r\n", "" },
	{ "dot at line end", "abc.\r\n.\r\n", "abc.\r\n", "" },
};

/* read_data_case - read one case with the source's chunking */
static void
read_data_case(const struct data_case *c, struct mem_src *m, size_t rlen,
    unsigned flags)
{
	struct relay_result why;
	static char out[70000];
	struct msg_stream *ms;
	ssize_t n;

	ms = data_stream(m, flags, 0);
	relay_result_init(&why);
	n = read_all(ms, rlen, out, sizeof(out), &why);
	if (n < 0 || (size_t)n != strlen(c->want) ||
	    memcmp(out, c->want, strlen(c->want)) != 0)
		unit_fail(__FILE__, __LINE__, "%s: chunk %zu split %zu "
		    "read %zu: got %zd bytes \"%.*s\"", c->name, m->chunk,
		    m->split, rlen, n, n > 0 ? (int)n : 0, out);
	else
		CU_PASS(c->name);
	UNIT_ASSERT_STR_EQ(m->buf + m->pos, c->rest);
	/* Done: no more reads from the source. */
	m->peeks = 0;
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, sizeof(out), &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(m->peeks, 0);
	UNIT_ASSERT_STR_EQ(m->buf + m->pos, c->rest);
	msg_stream_free(ms);
}

/* test_msg_stream_data_cases - un-stuffing, the end line, the rest */
static void
test_msg_stream_data_cases(void)
{
	struct mem_src m;
	size_t i, k, r;

	for (i = 0; i < sizeof(data_cases) / sizeof(data_cases[0]); i++) {
		const struct data_case *c = &data_cases[i];

		for (k = 0; k <= 7; k++)
			for (r = 0; r < sizeof(read_sizes) /
			    sizeof(read_sizes[0]); r += 3) {
				memset(&m, 0, sizeof(m));
				m.buf = c->in;
				m.len = strlen(c->in);
				m.chunk = k;
				read_data_case(c, &m, read_sizes[r],
				    k % 2 ? MSG_STREAM_REPLAY : 0);
			}
	}
}

/* test_msg_stream_data_split - a read boundary at every position */
static void
test_msg_stream_data_split(void)
{
	struct mem_src m;
	size_t i, k;

	for (i = 0; i < sizeof(data_cases) / sizeof(data_cases[0]); i++)
		for (k = 1; k < strlen(data_cases[i].in); k++) {
			memset(&m, 0, sizeof(m));
			m.buf = data_cases[i].in;
			m.len = strlen(m.buf);
			m.split = k;
			read_data_case(&data_cases[i], &m, 65536, 0);
		}
}

/* stuff - the dot-stuffed form of content */
static size_t
stuff(const char *in, size_t len, char *out)
{
	size_t i, o = 0;
	bool bol = true;

	for (i = 0; i < len; i++) {
		if (bol && in[i] == '.')
			out[o++] = '.';
		out[o++] = in[i];
		bol = in[i] == '\n';
	}
	return o;
}

/* test_msg_stream_data_large - over the peek buffer: spool and replay */
static void
test_msg_stream_data_large(void)
{
	const size_t clen = 3 * BIG + 123;
	struct relay_result why;
	struct msg_stream *ms;
	struct mem_src m;
	char *content, *in, *out;
	size_t i, slen, pass;
	ssize_t n;

	content = malloc(clen);
	in = malloc(2 * clen + 16);
	out = malloc(2 * clen + 16);
	CU_ASSERT_FATAL(content != NULL && in != NULL && out != NULL);
	for (i = 0; i < clen; i++)
		content[i] = i % 61 == 59 ? '\r' : i % 61 == 60 ? '\n' :
		    i % 61 == 0 || i % 7 == 0 ? '.' : (char)('a' + i % 26);
	memcpy(content + clen - 2, "\r\n", 2);
	slen = stuff(content, clen, in);
	memcpy(in + slen, ".\r\nQUIT\r\n", 10);
	memset(&m, 0, sizeof(m));
	m.buf = in;
	m.len = slen + 9;
	m.chunk = 1000;
	ms = data_stream(&m, MSG_STREAM_REPLAY, 0);
	relay_result_init(&why);
	for (pass = 0; pass < 2; pass++) {
		n = read_all(ms, pass ? 7 : 4096, out, 2 * clen + 16, &why);
		UNIT_ASSERT_INT_EQ(n, slen);
		CU_ASSERT(n == (ssize_t)slen && memcmp(out, in, slen) == 0);
		UNIT_ASSERT_STR_EQ(m.buf + m.pos, "QUIT\r\n");
		UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), slen);
		UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	}
	/* It went through the spool file: more than the buffer. */
	CU_ASSERT(spool_size() >= (long long)clen);
	msg_stream_free(ms);

	/* Receive all first (rewind at once), as the LMTP server does. */
	memset(&m, 0, sizeof(m));
	m.buf = in;
	m.len = slen + 9;
	ms = data_stream(&m, MSG_STREAM_REPLAY, 0);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	UNIT_ASSERT_STR_EQ(m.buf + m.pos, "QUIT\r\n");
	n = read_all(ms, 65536, out, 2 * clen + 16, &why);
	CU_ASSERT(n == (ssize_t)slen && memcmp(out, in, slen) == 0);
	msg_stream_free(ms);
	free(content);
	free(in);
	free(out);
}

/* test_msg_stream_data_eof - the input ends before the end line */
static void
test_msg_stream_data_eof(void)
{
	static const char *const ins[] = {
		"", "abc", "abc\r\n", "abc\r\n.", "abc\r\n.\r", "abc\r\n..\r\n",
	};
	struct relay_result why;
	struct msg_stream *ms;
	struct mem_src m;
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.buf = ins[i];
		m.len = strlen(ins[i]);
		ms = data_stream(&m, i % 2 ? MSG_STREAM_REPLAY : 0, 0);
		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(read_all(ms, 5, out, sizeof(out), &why), -1);
		UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
		UNIT_ASSERT_STR_EQ(why.text, "error reading message: end of "
		    "input before the end of the message");
		UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), -1);
		UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), -1);
		msg_stream_free(ms);
	}
	/* A failing source: its own result. */
	memset(&m, 0, sizeof(m));
	m.buf = "abc\r\n";
	m.len = 5;
	m.fail = true;
	ms = data_stream(&m, MSG_STREAM_REPLAY, 0);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.4.2");
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), -1);
	msg_stream_free(ms);
}

/* test_msg_stream_data_drain - drain consumes to the end line */
static void
test_msg_stream_data_drain(void)
{
	static const char in[] = "line one\r\n..two\r\nthree\r\n.\r\nNOOP\r\n";
	struct relay_result why;
	struct msg_stream *ms;
	struct mem_src m;
	char out[64];
	ssize_t n;

	/* Without REPLAY: part read, the rest discarded. */
	memset(&m, 0, sizeof(m));
	m.buf = in;
	m.len = strlen(in);
	m.chunk = 3;
	ms = data_stream(&m, 0, 0);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, 4, &why), 4);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), 0);
	UNIT_ASSERT_STR_EQ(m.buf + m.pos, "NOOP\r\n");
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, sizeof(out), &why), 0);
	msg_stream_free(ms);

	/* With REPLAY: the drained rest is kept for the next pass. */
	memset(&m, 0, sizeof(m));
	m.buf = in;
	m.len = strlen(in);
	m.chunk = 3;
	ms = data_stream(&m, MSG_STREAM_REPLAY, 0);
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, 4, &why), 4);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), 0);
	UNIT_ASSERT_STR_EQ(m.buf + m.pos, "NOOP\r\n");
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	n = read_all(ms, 5, out, sizeof(out), &why);
	UNIT_ASSERT_INT_EQ(n, 24);
	CU_ASSERT(n == 24 && memcmp(out, "line one\r\n..two\r\nthree\r\n",
	    24) == 0);
	msg_stream_free(ms);
}

/* test_msg_stream_data_too_big - max_size: 5.3.4, drain keeps step */
static void
test_msg_stream_data_too_big(void)
{
	static const char in[] = "0123456789\r\n0123456789\r\n.\r\nQUIT\r\n";
	struct relay_result why;
	struct msg_stream *ms;
	struct mem_src m;
	char out[128];

	memset(&m, 0, sizeof(m));
	m.buf = in;
	m.len = strlen(in);
	m.chunk = 5;
	ms = data_stream(&m, MSG_STREAM_REPLAY, 20);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "5.3.4");
	UNIT_ASSERT_STR_EQ(why.text, "message size exceeds the limit of 20 "
	    "bytes");
	CU_ASSERT(m.pos < m.len - 6);
	UNIT_ASSERT_INT_EQ(msg_stream_drain(ms, &why), 0);
	UNIT_ASSERT_STR_EQ(m.buf + m.pos, "QUIT\r\n");
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, sizeof(out), &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "5.3.4");
	msg_stream_free(ms);

	/* Exactly at the limit is fine. */
	memset(&m, 0, sizeof(m));
	m.buf = in;
	m.len = strlen(in);
	ms = data_stream(&m, MSG_STREAM_REPLAY, 24);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(read_all(ms, 64, out, sizeof(out), &why), 24);
	UNIT_ASSERT_STR_EQ(m.buf + m.pos, "QUIT\r\n");
	msg_stream_free(ms);
}


/* drop_named - filter callback: remove the field named by arg */
static bool
drop_named(const char *field, size_t len, void *arg)
{
	const char *name = arg;

	return len >= strlen(name) && strncasecmp(field, name,
	    strlen(name)) == 0;
}

/*
 * filter_after_receive - a large message received whole first (rewind),
 * then filtered: the fields stay removed in every pass
 */
static void
filter_after_receive(struct msg_stream *ms, const char *body, size_t blen)
{
	struct relay_result why;
	const char *wh;
	char *out;
	size_t cap = blen + 8192;
	ssize_t n;
	int pass;

	out = malloc(cap);
	CU_ASSERT_FATAL(out != NULL);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
	CU_ASSERT(spool_size() > (long long)BIG);
	UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
	UNIT_ASSERT_INT_EQ(msg_stream_filter_headers(ms, drop_named,
	    "X-Drop:", &why), 0);
	for (pass = 0; pass < 3; pass++) {
		wh = pass == 0 ? "X-Other: 2\r\nSubject: s\r\n\r\n" :
		    "Subject: s\r\n\r\n";
		n = read_all(ms, pass == 1 ? 7 : 4096, out, cap, &why);
		UNIT_ASSERT_INT_EQ(n, strlen(wh) + blen);
		CU_ASSERT(n > 0 && memcmp(out, wh, strlen(wh)) == 0 &&
		    memcmp(out + strlen(wh), body, blen) == 0);
		UNIT_ASSERT_INT_EQ(msg_stream_wire_size(ms), n);
		UNIT_ASSERT_INT_EQ(msg_stream_rewind(ms, &why), 0);
		/* Filtering again after a rewind works on the result. */
		if (pass == 0) {
			UNIT_ASSERT_INT_EQ(msg_stream_peek(ms, &why), 0);
			UNIT_ASSERT_INT_EQ(msg_stream_filter_headers(ms,
			    drop_named, "X-Other:", &why), 0);
		}
	}
	/* After a read, filtering is refused. */
	UNIT_ASSERT_INT_EQ(msg_stream_read(ms, out, 10, &why), 10);
	UNIT_ASSERT_INT_EQ(msg_stream_filter_headers(ms, drop_named,
	    "Subject:", &why), -1);
	free(out);
}

/* test_msg_stream_filter_after_receive - spooled, then filtered */
static void
test_msg_stream_filter_after_receive(void)
{
	static const char head[] = "X-Drop: 1\r\nX-Other: 2\r\n"
	    "Subject: s\r\nX-Drop: 3\r\n\r\n";
	const size_t blen = 2 * BIG + 77;
	struct relay_result why;
	struct msg_stream *ms;
	struct mem_src m;
	char *body, *in;
	size_t i, n;

	body = malloc(blen);
	in = malloc(sizeof(head) + 2 * blen + 16);
	CU_ASSERT_FATAL(body != NULL && in != NULL);
	for (i = 0; i < blen; i++)
		body[i] = i % 50 == 49 ? '\n' : i % 50 == 48 ? '\r' :
		    (char)('a' + i % 26);
	memcpy(body + blen - 2, "\r\n", 2);

	/* DATA mode (the LMTP server's way). */
	memcpy(in, head, sizeof(head) - 1);
	n = sizeof(head) - 1 + stuff(body, blen, in + sizeof(head) - 1);
	memcpy(in + n, ".\r\n", 4);
	memset(&m, 0, sizeof(m));
	m.buf = in;
	m.len = n + 3;
	ms = data_stream(&m, MSG_STREAM_REPLAY, 0);
	filter_after_receive(ms, body, blen);
	msg_stream_free(ms);

	/* A message from a descriptor, received whole first. */
	memcpy(in, head, sizeof(head) - 1);
	memcpy(in + sizeof(head) - 1, body, blen);
	relay_result_init(&why);
	ms = msg_stream_new(file_fd(in, sizeof(head) - 1 + blen),
	    MSG_STREAM_REPLAY, spool_dir, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
	filter_after_receive(ms, body, blen);
	msg_stream_free(ms);
	free(body);
	free(in);
}

static CU_TestInfo tests[] = {
	/* First, so that the peak memory is not that of other tests. */
	{ "test_msg_stream_100mib", test_msg_stream_100mib },
	{ "test_msg_stream_conversions", test_msg_stream_conversions },
	{ "test_msg_stream_filter_headers", test_msg_stream_filter_headers },
	{ "test_msg_stream_filter_long_header",
	    test_msg_stream_filter_long_header },
	{ "test_msg_stream_buffer_boundary",
	    test_msg_stream_buffer_boundary },
	{ "test_msg_stream_random", test_msg_stream_random },
	{ "test_msg_stream_peek_large", test_msg_stream_peek_large },
	{ "test_msg_stream_replay", test_msg_stream_replay },
	{ "test_msg_stream_no_replay", test_msg_stream_no_replay },
	{ "test_msg_stream_bad_spool_dir", test_msg_stream_bad_spool_dir },
	{ "test_msg_stream_drain", test_msg_stream_drain },
	{ "test_msg_stream_read_error", test_msg_stream_read_error },
	{ "test_msg_stream_spool_error", test_msg_stream_spool_error },
	{ "test_msg_stream_spool_gone", test_msg_stream_spool_gone },
	{ "test_msg_stream_nonblocking", test_msg_stream_nonblocking },
	{ "test_msg_stream_zero_len", test_msg_stream_zero_len },
	{ "test_msg_stream_data_cases", test_msg_stream_data_cases },
	{ "test_msg_stream_data_split", test_msg_stream_data_split },
	{ "test_msg_stream_data_large", test_msg_stream_data_large },
	{ "test_msg_stream_data_eof", test_msg_stream_data_eof },
	{ "test_msg_stream_data_drain", test_msg_stream_data_drain },
	{ "test_msg_stream_data_too_big", test_msg_stream_data_too_big },
	{ "test_msg_stream_filter_after_receive",
	    test_msg_stream_filter_after_receive },
	{ "test_msg_stream_conversion_speed",
	    test_msg_stream_conversion_speed },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	int ret;

	if (mkdtemp(spool_dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	ret = unit_run("msg_stream", tests);
	rmdir(spool_dir);
	return ret;
}
