/*
 * NAME
 *	fuzz_lmtp_server - libFuzzer target for lib/lmtp_server.c
 * DESCRIPTION
 *	Input: one byte of options (bits 0-1 pick max_rcpt 1..4, bit 2 a
 *	SIZE limit of 300 bytes, bit 3 a result text with UTF-8, control
 *	characters and more than 254 bytes), then the client's bytes. The
 *	server reads them from a memory file (then end of input) and
 *	writes to another; deliver() reads the whole message and checks
 *	that it never exceeds the limit. Afterwards the output must be
 *	bounded (at most 8 reply lines per input line, plus 2), every line
 *	at most LMTP_SERVER_REPLY_MAX bytes with its CRLF (and a multi-line
 *	reply within Exim's buffer), with no other CR
 *	or LF, starting with a 2xx-5xx code and ' ' or '-'. Any difference
 *	abort()s.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lmtp_server.h"

#define OUT_CAP	(4 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_state {
	unsigned opts;
	long long size_limit;
	unsigned ndeliver;
};

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_lmtp_server: %s\n", what);
		abort();
	}
}

/* fuzz_check_rcpt - refuse domains that start with 'x' */
static int
fuzz_check_rcpt(void *arg, const struct envelope *env,
    const struct address *rcpt, struct relay_result *why)
{
	(void)arg;
	(void)env;
	if (rcpt->domain[0] == 'x')
		return relay_result_set(why, rcpt->domain[1] == 'x' ? "5.1.2" :
		    "4.4.3", "refused %s", rcpt->addr);
	return 0;
}

/* fuzz_deliver - read the message; results of every class */
static void
fuzz_deliver(void *arg, const struct envelope *env, struct msg_stream *ms,
    struct relay_result *res)
{
	static const char *const status[] = { "2.0.0", "4.4.1", "5.1.1" };
	struct fuzz_state *st = arg;
	struct relay_result why;
	char buf[4096];
	long long total = 0;
	ssize_t n;
	size_t i;

	st->ndeliver++;
	relay_result_init(&why);
	while ((n = msg_stream_read(ms, buf, sizeof(buf), &why)) > 0)
		total += n;
	check(n == 0, "a received message cannot be read");
	/* Stuffing adds at most one byte per line; CRLF per bare LF. */
	if (st->size_limit > 0)
		check(total <= 3 * st->size_limit,
		    "a message over the size limit was delivered");
	for (i = 0; i < env->nrcpt; i++) {
		if (st->opts & 8)
			relay_result_set(&res[i], status[i % 3], "host "
			    "h[192.0.2.1] said: %0300d \xc3\xa9\r\n\x01 x",
			    (int)i);
		else
			relay_result_set(&res[i], status[i % 3], "r%zu", i);
		res[i].smtp_code = i % 3 == 2 ? 550 : i % 3 == 1 ? 421 : 0;
	}
}

/* check_output - the reply lines' invariants */
static void
check_output(const char *out, size_t len, size_t in_lines)
{
	const char *p = out, *end = out + len, *nl;
	size_t lines = 0, reply = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		check(nl != NULL, "output does not end in a line end");
		check(nl - p + 1 <= LMTP_SERVER_REPLY_MAX,
		    "reply line over 254 bytes");
		check(nl - p >= 4 && nl[-1] == '\r', "line without CRLF");
		check(memchr(p, '\r', (size_t)(nl - 1 - p)) == NULL,
		    "CR inside a reply line");
		check(p[0] >= '2' && p[0] <= '5' && p[1] >= '0' &&
		    p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
		    (p[3] == ' ' || p[3] == '-'), "not a reply line");
		/* Exim: the lines of one reply share 254 bytes, each
		 * costing its length plus one. */
		reply += (size_t)(nl - p) + 2;
		if (p[3] == ' ') {
			check(reply - 1 <= LMTP_SERVER_REPLY_MAX,
			    "multi-line reply over 254 bytes");
			reply = 0;
		}
		lines++;
		p = nl + 1;
	}
	check(lines <= 8 * in_lines + 2, "more output than the input asks");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmtp_server_options opt = {
		.hostname = "fuzz.test",
		.idle_timeout_ms = 1000,
		.command_timeout_ms = 1000,
	};
	struct fuzz_state st = { 0 };
	const struct lmtp_server_handler h = {
		fuzz_check_rcpt, fuzz_deliver, &st,
	};
	struct lmtp_server *s = NULL;
	char *out = NULL;
	size_t in_lines = 0, i;
	off_t out_len;
	int in = -1, outfd = -1;
	ssize_t n;

	if (size < 1)
		return 0;
	st.opts = data[0];
	opt.max_rcpt = 1 + (data[0] & 3);
	if (data[0] & 4)
		opt.size_limit = st.size_limit = 300;
	for (i = 1; i < size; i++)
		in_lines += data[i] == '\n';
	if ((in = memfd_create("fuzz_lmtp_in", MFD_CLOEXEC)) < 0 ||
	    (outfd = memfd_create("fuzz_lmtp_out", MFD_CLOEXEC)) < 0 ||
	    (size > 1 && write(in, data + 1, size - 1) !=
	    (ssize_t)(size - 1)) || lseek(in, 0, SEEK_SET) != 0)
		goto out;
	if ((s = lmtp_server_new(in, outfd, &opt, &h)) == NULL)
		goto out;
	(void)lmtp_server_run(s);
	check(lmtp_server_transactions(s) >= st.ndeliver,
	    "more deliveries than transactions");
	if ((out_len = lseek(outfd, 0, SEEK_END)) < 0)
		goto out;
	check(out_len <= OUT_CAP, "output too large");
	if ((out = malloc((size_t)out_len + 1)) == NULL)
		goto out;
	if (pread(outfd, out, (size_t)out_len, 0) != out_len)
		goto out;
	check_output(out, (size_t)out_len, in_lines);
	/* The greeting is always there. */
	n = (ssize_t)strlen("220 fuzz.test LMTP slimrelay\r\n");
	check(out_len >= n && memcmp(out, "220 fuzz.test LMTP slimrelay\r\n",
	    (size_t)n) == 0, "no greeting");
out:
	lmtp_server_free(s);
	free(out);
	if (in >= 0)
		close(in);
	if (outfd >= 0)
		close(outfd);
	return 0;
}
