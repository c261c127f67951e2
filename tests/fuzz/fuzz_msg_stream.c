/*
 * NAME
 *	fuzz_msg_stream - libFuzzer target for lib/msg_stream.c
 * DESCRIPTION
 *	Input: one byte of options (bit 0 MSG_STREAM_SKIP_FROM, bit 1
 *	MSG_STREAM_REPLAY, bit 2 peek first, bit 3 drain half-way), one byte
 *	that seeds the read sizes, then the message. The message is put in
 *	a memory file and streamed with read sizes from 1 up; the output
 *	must equal a byte-at-a-time reference conversion, agree with what
 *	peek and the end of the pass report (wire size, 8-bit), and come
 *	out the same again after a rewind. Any difference abort()s.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "msg_stream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_msg_stream: %s\n", what);
		abort();
	}
}

/* ref_convert - the rules, one byte at a time; out has 2 * len + 2 */
static size_t
ref_convert(const uint8_t *in, size_t len, bool skip_from, uint8_t *out)
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
		if (bol && in[i] == '.')
			out[o++] = '.';
		if (in[i] == '\n') {
			if (prev != '\r')
				out[o++] = '\r';
			out[o++] = '\n';
			bol = true;
		} else {
			out[o++] = in[i];
			bol = false;
		}
		prev = in[i];
	}
	if (!bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

/* read_pass - read the whole stream with varying sizes */
static size_t
read_pass(struct msg_stream *ms, uint8_t *out, size_t cap, unsigned seed)
{
	struct relay_result why;
	size_t total = 0, len;
	ssize_t n;

	relay_result_init(&why);
	for (;;) {
		seed = seed * 1103515245u + 12345u;
		len = 1 + (seed >> 16) % (seed & 1 ? 9 : 70000);
		if (len > cap - total)
			len = cap - total;
		check(len > 0, "more output than the reference");
		n = msg_stream_read(ms, (char *)out + total, len, &why);
		check(n >= 0, "read error on a memory file");
		if (n == 0)
			return total;
		check((size_t)n <= len, "read past len");
		total += (size_t)n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_result why;
	struct msg_stream *ms = NULL;
	uint8_t *want = NULL, *got = NULL;
	size_t want_len, got_len, len, cap, i;
	unsigned opts, seed, flags = 0;
	const uint8_t *msg;
	bool high = false;
	int fd = -1;

	if (size < 2)
		return 0;
	opts = data[0];
	seed = data[1];
	msg = data + 2;
	len = size - 2;
	if (opts & 1)
		flags |= MSG_STREAM_SKIP_FROM;
	if (opts & 2)
		flags |= MSG_STREAM_REPLAY;
	cap = 2 * len + 2 + 1;	/* one spare byte to catch overruns */
	if ((want = malloc(cap)) == NULL || (got = malloc(cap)) == NULL)
		goto out;
	want_len = ref_convert(msg, len, (flags & MSG_STREAM_SKIP_FROM) != 0,
	    want);
	for (i = 0; i < want_len; i++)
		high |= want[i] >= 0x80;

	if ((fd = memfd_create("fuzz_msg_stream", MFD_CLOEXEC)) < 0 ||
	    (len > 0 && write(fd, msg, len) != (ssize_t)len) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		goto out;
	relay_result_init(&why);
	if ((ms = msg_stream_new(fd, flags, NULL, &why)) == NULL)
		goto out;
	if (opts & 4) {
		check(msg_stream_peek(ms, &why) == 0, "peek failed");
		check(msg_stream_peek(ms, &why) == 0, "second peek failed");
		if (msg_stream_wire_size(ms) >= 0)
			check((size_t)msg_stream_wire_size(ms) == want_len,
			    "peeked wire size is wrong");
		if (msg_stream_has_8bit(ms) >= 0)
			check(msg_stream_has_8bit(ms) == high,
			    "peeked 8-bit is wrong");
		if (len < MSG_STREAM_PEEK_MAX)
			check(msg_stream_wire_size(ms) >= 0,
			    "a small message's size is unknown after peek");
	}
	if (opts & 8) {
		/* Read part, drain, and (with REPLAY) start again. */
		(void)msg_stream_read(ms, (char *)got, want_len / 2 + 1, &why);
		check(msg_stream_drain(ms, &why) == 0, "drain failed");
		check(msg_stream_read(ms, (char *)got, 3, &why) == 0,
		    "data after drain");
		if ((flags & MSG_STREAM_REPLAY) == 0)
			goto out;
		check(msg_stream_rewind(ms, &why) == 0, "rewind failed");
	}
	got_len = read_pass(ms, got, cap, seed);
	check(got_len == want_len && memcmp(got, want, want_len) == 0,
	    "output differs from the reference");
	check(msg_stream_wire_size(ms) == (long long)want_len,
	    "wire size after a pass is wrong");
	check(msg_stream_has_8bit(ms) == high, "8-bit after a pass is wrong");
	if (flags & MSG_STREAM_REPLAY) {
		check(msg_stream_rewind(ms, &why) == 0, "rewind failed");
		got_len = read_pass(ms, got, cap, seed * 7 + 1);
		check(got_len == want_len && memcmp(got, want, want_len) == 0,
		    "replayed output differs");
	} else
		check(msg_stream_rewind(ms, &why) == -1,
		    "rewind without REPLAY");
out:
	msg_stream_free(ms);
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
	return 0;
}
