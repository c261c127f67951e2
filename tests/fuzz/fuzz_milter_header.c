/*
 * NAME
 *	fuzz_milter_header - libFuzzer target: the routing-header test of
 *	slimrelay-milter's header callback against the transport's
 * DESCRIPTION
 *	slimrelay-milter's mlfi_header() gets each header field as a name
 *	and a value from the MTA and counts the routing headers with
 *	route_header_name_is(), to delete them all at end of message; the
 *	transport finds them in the message text with
 *	route_header_line_match() while msg_stream_filter_headers() walks
 *	the header. Both must see the same fields, or a forged header
 *	would survive one of them.
 *
 *	Input: NUL-separated pairs name, value. A name is used as the MTA
 *	would give it: not empty, no colon, CR, LF or NUL, not starting
 *	with a blank (other names are left out); CR and LF in a value
 *	become spaces. The fields are counted the milter's way and written
 *	as a message ("name:value" lines, then a body), which the
 *	transport's filter reads. Invariants, any violation abort()s:
 *	- the milter counts exactly the fields that the transport removes;
 *	- route_header_line_match() of "name:value" is the length of
 *	  "name:" or 0, and never past the line;
 *	- a name route_header_name_is() takes is "X-Slimrelay-Route" in
 *	  some case, then only blanks.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "msg_stream.h"
#include "route_header.h"

#define FIELDS_MAX	64

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_milter_header: %s\n", what);
		abort();
	}
}

/* take - the transport's test (routing.c's take()), counted */
static bool
take(const char *field, size_t len, void *arg)
{
	size_t n = route_header_line_match(field, len);

	check(n <= len, "a match past the field");
	if (n > 0)
		(*(size_t *)arg)++;
	return n > 0;
}

/* usable - a name as an MTA hands it to a milter */
static bool
usable(const char *name)
{
	return name[0] != '\0' && name[0] != ' ' && name[0] != '\t' &&
	    strpbrk(name, ":\r\n") == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_result why;
	struct msg_stream *ms;
	char *buf, *p, *end, *name, *value, *msg, *line;
	size_t milter = 0, transport = 0, len = 0, nl, n, i, nf = 0;
	size_t rn = strlen(ROUTE_HEADER_NAME);
	int fd;

	if (size > 32 * 1024)
		return 0;
	if ((buf = malloc(size + 2)) == NULL ||
	    (msg = malloc(size + 3 * FIELDS_MAX + 16)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	end = buf + size;
	for (p = buf; p < end && nf < FIELDS_MAX; nf++) {
		name = p;
		value = p + strlen(p) + 1;
		p = value <= end ? value + strlen(value) + 1 : end + 1;
		if (!usable(name))
			continue;
		for (i = 0; value[i] != '\0'; i++)
			if (value[i] == '\r' || value[i] == '\n')
				value[i] = ' ';
		/* The milter's count (mlfi_header). */
		if (route_header_name_is(name)) {
			milter++;
			check(strncasecmp(name, ROUTE_HEADER_NAME, rn) == 0 &&
			    strspn(name + rn, " \t") == strlen(name + rn),
			    "name_is took another name");
		}
		/* The line the transport will read. */
		line = msg + len;
		nl = strlen(name);
		memcpy(msg + len, name, nl);
		msg[len + nl] = ':';
		n = strlen(value);
		memcpy(msg + len + nl + 1, value, n);
		n = route_header_line_match(line, nl + 1 + n);
		check(n == 0 || n == nl + 1, "line_match not at the colon");
		len += nl + 1 + strlen(value);
		msg[len++] = '\n';
	}
	memcpy(msg + len, "\nbody\n", 6);
	len += 6;

	relay_result_init(&why);
	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0 ||
	    write(fd, msg, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0 ||
	    (ms = msg_stream_new(fd, 0, NULL, &why)) == NULL)
		abort();
	check(msg_stream_peek(ms, &why) == 0, "peek failed");
	check(msg_stream_filter_headers(ms, take, &transport, &why) == 0,
	    "the header did not fit the read-ahead");
	check(milter == transport,
	    "milter and transport disagree on the routing headers");
	msg_stream_free(ms);
	close(fd);
	free(msg);
	free(buf);
	return 0;
}
