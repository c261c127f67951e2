/*
 * NAME
 *	fuzz_header_filter - libFuzzer target: the message header scan and
 *	the removal of routing headers (routing_apply(), which runs
 *	msg_stream_filter_headers() the way the transport does)
 * DESCRIPTION
 *	Input: one byte of options (bit 0: MSG_STREAM_SKIP_FROM, bit 1: a
 *	routing_key_file is configured, so that headers are verified and
 *	maybe honoured), then the message. The message goes through
 *	msg_stream_peek() and routing_apply() and is read out in SMTP
 *	form. Invariants, any violation abort()s:
 *	- no field of the output's header (the lines before the first
 *	  empty line, continuation lines joined) is a routing header:
 *	  "X-Slimrelay-Route" in any case, blanks allowed before the colon;
 *	- the output is exactly the input without its routing header
 *	  fields (a reference written here: fields are a line and the
 *	  lines after it that start with a blank), converted to SMTP form
 *	  (CRLF, dot-stuffing) like msg_stream's own reference in
 *	  fuzz_msg_stream.c; so every other field and the body are kept;
 *	- routing_apply() succeeds (the key file is readable) and adds at
 *	  most ROUTING_HEADERS_MAX routes.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "msg_stream.h"
#include "route_header.h"
#include "routing.h"

#define FUZZ_KEY	"fuzz-key-0123456789abcdef\n"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_header_filter: %s\n", what);
		abort();
	}
}

/* is_routing - does a field (name up to its colon) name the header? */
static bool
is_routing(const uint8_t *f, size_t len)
{
	static const char name[] = "x-slimrelay-route";
	size_t n = sizeof(name) - 1, i;

	if (len <= n || strncasecmp((const char *)f, name, n) != 0)
		return false;
	for (i = n; i < len && (f[i] == ' ' || f[i] == '\t'); i++)
		;
	return i < len && f[i] == ':';
}

/* line_end - just past the LF that ends the line at p, or end */
static size_t
line_end(const uint8_t *m, size_t p, size_t len)
{
	const uint8_t *nl = memchr(m + p, '\n', len - p);

	return nl != NULL ? (size_t)(nl - m) + 1 : len;
}

/* reference - the message without routing fields, in out; its length */
static size_t
reference(const uint8_t *m, size_t len, bool skip_from, uint8_t *out)
{
	size_t p = 0, e, o = 0;

	if (skip_from && len >= 5 && memcmp(m, "From ", 5) == 0) {
		e = line_end(m, 0, len);
		memcpy(out, m, e);
		o = p = e;
	}
	while (p < len && m[p] != '\n' &&
	    !(m[p] == '\r' && p + 1 < len && m[p + 1] == '\n')) {
		for (e = line_end(m, p, len); e < len &&
		    (m[e] == ' ' || m[e] == '\t'); e = line_end(m, e, len))
			;
		if (!is_routing(m + p, e - p)) {
			memcpy(out + o, m + p, e - p);
			o += e - p;
		}
		p = e;
	}
	memcpy(out + o, m + p, len - p);
	return o + len - p;
}

/* smtp_form - CRLF line ends and dot-stuffing; out has 2 * len + 2 */
static size_t
smtp_form(const uint8_t *in, size_t len, bool skip_from, uint8_t *out)
{
	size_t i = 0, o = 0;
	bool bol = true;
	int prev = -1;

	if (skip_from && len >= 5 && memcmp(in, "From ", 5) == 0)
		i = line_end(in, 0, len);
	for (; i < len; i++) {
		if (bol && in[i] == '.')
			out[o++] = '.';
		if (in[i] == '\n') {
			if (prev != '\r')
				out[o++] = '\r';
			bol = true;
		} else
			bol = false;
		out[o++] = in[i];
		prev = in[i];
	}
	if (!bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

/* check_header - no routing field left in the SMTP-form output */
static void
check_header(const uint8_t *w, size_t len)
{
	size_t p = 0, e, s;

	while (p < len && !(len - p >= 2 && w[p] == '\r' && w[p + 1] == '\n')) {
		for (e = line_end(w, p, len); e < len &&
		    (w[e] == ' ' || w[e] == '\t'); e = line_end(w, e, len))
			;
		s = p + (w[p] == '.');	/* undo dot-stuffing */
		check(!is_routing(w + s, e - s),
		    "a routing header survived the filter");
		p = e;
	}
}

static char path[64];

/* remove_key - atexit(): no file left behind */
static void
remove_key(void)
{
	(void)unlink(path);
}

/* key_path - a private key file, made once */
static const char *
key_path(void)
{
	FILE *fp;
	int fd;

	if (path[0] != '\0')
		return path;
	snprintf(path, sizeof(path), "/tmp/fuzz_header_filter.XXXXXX");
	if ((fd = mkstemp(path)) < 0 || fchmod(fd, 0600) != 0 ||
	    (fp = fdopen(fd, "w")) == NULL || fputs(FUZZ_KEY, fp) == EOF ||
	    fclose(fp) != 0)
		abort();
	atexit(remove_key);
	return path;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rcpts[] = { "a@example.test",
	    "b@example.org" };
	struct relay_result why;
	struct msg_stream *ms = NULL;
	struct address rcpt[2];
	struct envelope env;
	struct config cfg;
	struct route_table routes;
	uint8_t *ref = NULL, *want = NULL, *got = NULL;
	size_t len, ref_len, want_len, got_len = 0, cap, i;
	const uint8_t *msg;
	bool skip_from;
	ssize_t n;
	int fd = -1;

	if (size < 1 || size > MSG_STREAM_PEEK_MAX / 2)
		return 0;
	skip_from = data[0] & 1;
	msg = data + 1;
	len = size - 1;
	cap = 2 * len + 3;
	if ((ref = malloc(len + 1)) == NULL ||
	    (want = malloc(cap)) == NULL || (got = malloc(cap)) == NULL)
		abort();
	ref_len = reference(msg, len, skip_from, ref);
	want_len = smtp_form(ref, ref_len, skip_from, want);

	config_defaults(&cfg);
	route_table_init(&routes);
	if (data[0] & 2)
		snprintf(cfg.routing_key_file, sizeof(cfg.routing_key_file),
		    "%s", key_path());
	memset(&env, 0, sizeof(env));
	memset(rcpt, 0, sizeof(rcpt));
	for (i = 0; i < 2; i++) {
		snprintf(rcpt[i].addr, sizeof(rcpt[i].addr), "%s", rcpts[i]);
		snprintf(rcpt[i].domain, sizeof(rcpt[i].domain), "%s",
		    strchr(rcpts[i], '@') + 1);
		rcpt[i].local_len = 1;
	}
	env.rcpt = rcpt;
	env.nrcpt = 2;
	env.size = -1;
	env.queue_id = "4FUZZ";

	relay_result_init(&why);
	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0 ||
	    (len > 0 && write(fd, msg, len) != (ssize_t)len) ||
	    lseek(fd, 0, SEEK_SET) != 0 ||
	    (ms = msg_stream_new(fd, skip_from ? MSG_STREAM_SKIP_FROM : 0,
	    NULL, &why)) == NULL)
		abort();
	check(msg_stream_peek(ms, &why) == 0, "peek failed");
	check(routing_apply(&cfg, ms, &env, &routes, &why) == 0,
	    "routing_apply failed");
	check(routes.count <= ROUTING_HEADERS_MAX, "too many routes added");
	while ((n = msg_stream_read(ms, (char *)got + got_len,
	    cap - got_len, &why)) > 0)
		got_len += (size_t)n;
	check(n == 0, "read error");
	check_header(got, got_len);
	check(got_len == want_len && memcmp(got, want, want_len) == 0,
	    "output is not the input without its routing headers");
	msg_stream_free(ms);
	close(fd);
	route_table_free(&routes);
	config_fini(&cfg);
	free(ref);
	free(want);
	free(got);
	return 0;
}
