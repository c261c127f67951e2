/*
 * NAME
 *	msg_stream - the message as SMTP wants it, streamed in constant memory
 * SYNOPSIS
 *	#include "msg_stream.h"
 *
 *	struct msg_stream *msg_stream_new(int fd, unsigned flags,
 *	    const char *spool_dir, struct relay_result *why);
 *	struct msg_stream *msg_stream_new_data(
 *	    const struct msg_stream_source *src, unsigned flags,
 *	    const char *spool_dir, long long max_size,
 *	    struct relay_result *why);
 *	void msg_stream_free(struct msg_stream *ms);
 *	int msg_stream_peek(struct msg_stream *ms, struct relay_result *why);
 *	int msg_stream_has_8bit(const struct msg_stream *ms);
 *	long long msg_stream_wire_size(const struct msg_stream *ms);
 *	ssize_t msg_stream_read(struct msg_stream *ms, char *buf, size_t len,
 *	    struct relay_result *why);
 *	int msg_stream_rewind(struct msg_stream *ms, struct relay_result *why);
 *	bool msg_stream_started(const struct msg_stream *ms);
 *	int msg_stream_filter_headers(struct msg_stream *ms,
 *	    bool (*remove)(const char *field, size_t len, void *arg),
 *	    void *arg, struct relay_result *why);
 *	int msg_stream_drain(struct msg_stream *ms, struct relay_result *why);
 * DESCRIPTION
 *	A msg_stream reads the message the MTA writes to fd (pipe(8) and
 *	Exim's pipe transport: standard input) and hands it out in the form
 *	of SMTP DATA content (RFC 5321 section 4.5.2, 2.3.8):
 *
 *	- every line ends in CRLF: a bare LF becomes CRLF, a CRLF stays; a
 *	  CR that is not followed by LF is content and passes unchanged, as
 *	  does every other byte (NUL included): nothing is ever dropped;
 *	- a line that starts with '.' gets one more '.' in front;
 *	- a message whose last line has no line end gets CRLF appended; an
 *	  empty message stays empty;
 *	- with MSG_STREAM_SKIP_FROM, a first line that starts with "From "
 *	  (the mbox separator Exim adds by default) is dropped.
 *
 *	The terminating ".\r\n" is not part of the stream: the SMTP client
 *	adds it. msg_stream_read() fills buf with up to len bytes (any len;
 *	a CRLF or a stuffed dot may be split across two calls) and returns
 *	how many, 0 at the end of the message, or -1 with *why set to a
 *	transient result ("4.3.0 error reading message: ...") when the
 *	input or the spool file fails; after an error every call fails the
 *	same way. len 0 returns 0 and changes nothing.
 *
 *	Memory does not grow with the message: the only allocation is made
 *	by msg_stream_new(), with an input buffer of MSG_STREAM_PEEK_MAX
 *	bytes. msg_stream_peek() reads ahead until that buffer is full or
 *	the input ends, and learns what it can: msg_stream_has_8bit() is 1
 *	when a byte >= 0x80 is in the content seen so far, 0 when the whole
 *	message has been seen without one, -1 when unknown;
 *	msg_stream_wire_size() is the exact number of bytes the whole
 *	message takes on the wire (what msg_stream_read() returns in
 *	total), or -1 when unknown. Both only report what the stream has
 *	seen (call msg_stream_peek() first); both stay known after the
 *	first complete pass. Peeking twice does no harm.
 *
 *	With MSG_STREAM_REPLAY the stream can be read more than once:
 *	msg_stream_rewind() starts again from the first byte. A message
 *	that fits in the buffer is replayed from memory; a larger one is
 *	copied, as it is read, into an unlinked temporary file in spool_dir
 *	(NULL: $TMPDIR, else /tmp), made when the message first outgrows
 *	the buffer, so that most messages never touch the disk; that the
 *	directory can take files is checked (access(2)) when the stream is
 *	created, so that a bad spool directory shows at once. A rewind in
 *	the middle
 *	first copies the rest of the input. Without MSG_STREAM_REPLAY,
 *	msg_stream_rewind() fails with "4.3.0". msg_stream_started() tells
 *	whether msg_stream_read() was called since the stream was made or
 *	last rewound, that is whether a rewind is needed before the next
 *	transaction.
 *
 *	msg_stream_filter_headers() shows each header field of the message
 *	(with its continuation lines, without the final line end) to
 *	remove(), and deletes from the message every field for which
 *	remove() returns true, in every pass. It must be called after
 *	msg_stream_peek() and before the first msg_stream_read() (since
 *	the stream was made, or, for a message that was spooled, since a
 *	rewind: so a message can be received whole with a rewind first,
 *	as the LMTP server does, and filtered after): it works on the
 *	read-ahead, so it sees the header fields in the first
 *	MSG_STREAM_PEEK_MAX bytes only. In a spooled message the filtered
 *	read-ahead is kept in a second buffer of that size and replaces
 *	the start of the spool in every later pass. It returns 0 when it
 *	saw the whole header, 1 when the header goes on beyond the
 *	read-ahead (the fields there are neither shown nor removed), -1
 *	on error. A leading "From " line (MSG_STREAM_SKIP_FROM) is not a
 *	header field.
 *
 *	msg_stream_drain() reads and discards the rest of the input (an MTA
 *	pipe must be read to its end before the program exits 0); after it
 *	msg_stream_read() returns 0.
 *
 *	msg_stream_free() closes the spool file but not fd; NULL is a
 *	no-op. msg_stream_new() returns NULL with *why set ("4.3.0") when
 *	memory or the spool file cannot be had.
 *
 *	DATA mode. msg_stream_new_data() makes a stream whose input is the
 *	content of an SMTP/LMTP DATA command as the client sends it:
 *	dot-stuffed lines, ended by a line that holds only ".". The bytes
 *	come from src (copied; src->arg must outlive the stream): peek()
 *	shows what the caller has buffered, reading more when nothing is,
 *	and consume() takes exactly the bytes used, so that everything
 *	after the end line stays with the caller (pipelined commands). The
 *	stream removes the dot a client added to a line that starts with
 *	'.' (RFC 5321 4.5.2) and stops after the end line; a line ends at
 *	LF, with or without CR before it, so ".\n" ends the data as
 *	".\r\n" does, and a CR alone is content. The content up to the
 *	end line (its last line end included) is then the message, handed
 *	out exactly as a message read from a descriptor: CRLF line ends,
 *	stuffed again for the next hop; replay and spooling, peek, header
 *	filtering and memory use are the same. There is no limit on the
 *	length of a content line (memory does not depend on it; the next
 *	hop's limits are its own).
 *
 *	The end of input before the end line is an error (4.3.0, "end of
 *	input before the end of the message"), as is an error of peek()
 *	(its own result). With max_size > 0, content longer than max_size
 *	bytes fails the stream with "5.3.4" (message too big) as soon as
 *	it is seen. msg_stream_drain() in DATA mode consumes the input up
 *	to and including the end line even after such a failure and then
 *	returns 0: the caller's session is in step again, though
 *	msg_stream_read() still reports the failure; it returns -1 only
 *	when the input itself broke (end of input, peek() error) before
 *	the end line. A DATA-mode stream does not use a descriptor.
 * SEE ALSO
 *	RFC 5321 sections 2.3.8 and 4.5.2, RFC 6152 (8BITMIME), RFC 1870
 *	(SIZE), RFC 2033 (LMTP).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg_stream.h"

#define SPOOL_TEMPLATE	"slimrelay-spool.XXXXXX"

enum from_state {
	FROM_NONE,		/* no "From " line to look for */
	FROM_CHECK,		/* first line not seen yet */
	FROM_SKIP,		/* dropping the "From " line */
};

/* The conversion state of one pass over the message. */
struct conv {
	enum from_state from;
	bool	bol;		/* next byte starts a line */
	bool	prev_cr;	/* the last content byte sent was CR */
	bool	crlf_half;	/* CR of a line end sent, LF still due */
	bool	done;		/* the whole message was sent */
	bool	has_8bit;	/* a byte >= 0x80 was sent */
	long long out_total;	/* bytes sent in this pass */
};

/* Where DATA mode is in the dot-stuffed input. */
enum dot_state {
	DOT_BOL,		/* at the start of a line */
	DOT_MID,		/* inside a line */
	DOT_DOT,		/* a '.' began the line */
	DOT_DOT_CR,		/* ".\r" began the line */
};

/* The DATA-mode input. */
struct data_in {
	struct msg_stream_source src;
	enum dot_state dot;
	bool	end;		/* the end line was consumed */
	bool	broken;		/* the input ended or failed before it */
	long long size;		/* content bytes so far */
	long long max_size;	/* 0: no limit */
};

struct msg_stream {
	int	fd;		/* the message, from the MTA; not ours */
	bool	is_data;	/* DATA mode: input from data, not fd */
	struct data_in data;
	unsigned flags;		/* MSG_STREAM_* */
	int	spool_fd;	/* the unlinked temporary file, or -1 */
	char   *spool_dir;	/* REPLAY: where it is made */
	bool	spooling;	/* the spool holds all input read so far */
	bool	replaying;	/* input comes from the spool, not fd */
	bool	input_eof;	/* the current input is at its end */
	bool	failed;		/* error holds the result to repeat */
	bool	started;	/* read from since creation or rewind */
	bool	head_in_buf;	/* replaying: ibuf holds the message start */
	char   *head;		/* replaying: the filtered header part */
	size_t	head_len;
	off_t	head_skip;	/* where the spool goes on after head */
	struct relay_result error;
	int	known_8bit;	/* -1 unknown, 0 no, 1 yes */
	long long known_wire;	/* -1 unknown */
	struct conv conv;
	size_t	ipos;		/* unconsumed input is ibuf[ipos..ilen) */
	size_t	ilen;
	char	ibuf[MSG_STREAM_PEEK_MAX];
};

static void conv_reset(struct conv *, unsigned);
static size_t convert(struct conv *, const char *, size_t, size_t *,
	    char *, size_t, bool);
static int fill(struct msg_stream *, struct relay_result *);
static int read_rest(struct msg_stream *, struct relay_result *);
static int start_spool(struct msg_stream *, struct relay_result *);
static int open_spool(const char *, struct relay_result *);
static int check_spool_dir(const char *, struct relay_result *);
static int fail(struct msg_stream *, struct relay_result *, const char *,
	    int);
static int repeat_error(const struct msg_stream *, struct relay_result *);
static struct msg_stream *stream_alloc(unsigned, const char *,
	    struct relay_result *);
static ssize_t read_data(struct msg_stream *, char *, size_t, bool,
	    struct relay_result *);
static int fail_result(struct msg_stream *, struct relay_result *);
static int keep_head(struct msg_stream *, struct relay_result *);

/* msg_stream_new - a stream over fd; NULL with why set on error */
struct msg_stream *
msg_stream_new(int fd, unsigned flags, const char *spool_dir,
    struct relay_result *why)
{
	struct msg_stream *ms;

	if (fd < 0) {
		relay_result_set(why, "4.3.0", "error reading message: %s",
		    strerror(EBADF));
		return NULL;
	}
	if ((ms = stream_alloc(flags, spool_dir, why)) == NULL)
		return NULL;
	ms->fd = fd;
	return ms;
}

/* msg_stream_new_data - a stream over DATA content from src */
struct msg_stream *
msg_stream_new_data(const struct msg_stream_source *src, unsigned flags,
    const char *spool_dir, long long max_size, struct relay_result *why)
{
	struct msg_stream *ms;

	if ((ms = stream_alloc(flags, spool_dir, why)) == NULL)
		return NULL;
	ms->is_data = true;
	ms->data.src = *src;
	ms->data.dot = DOT_BOL;
	ms->data.max_size = max_size > 0 ? max_size : 0;
	return ms;
}

/* stream_alloc - a stream without input yet; NULL with why set */
static struct msg_stream *
stream_alloc(unsigned flags, const char *spool_dir, struct relay_result *why)
{
	struct msg_stream *ms;

	if ((ms = malloc(sizeof(*ms))) == NULL) {
		relay_result_set(why, "4.3.0", "error reading message: %s",
		    strerror(errno));
		return NULL;
	}
	/* Not the buffer: bytes are only read where fill() wrote them,
	 * and 64 KiB of zeros cost 16 page faults per message. */
	memset(ms, 0, offsetof(struct msg_stream, ibuf));
	ms->fd = -1;
	ms->flags = flags;
	ms->spool_fd = -1;
	ms->known_8bit = -1;
	ms->known_wire = -1;
	relay_result_init(&ms->error);
	conv_reset(&ms->conv, flags);
	if ((flags & MSG_STREAM_REPLAY) != 0) {
		if (spool_dir == NULL && ((spool_dir = getenv("TMPDIR")) ==
		    NULL || *spool_dir == '\0'))
			spool_dir = "/tmp";
		if ((ms->spool_dir = strdup(spool_dir)) == NULL) {
			relay_result_set(why, "4.3.0", "error reading "
			    "message: %s", strerror(errno));
			free(ms);
			return NULL;
		}
		if (check_spool_dir(ms->spool_dir, why) < 0) {
			free(ms->spool_dir);
			free(ms);
			return NULL;
		}
	}
	return ms;
}

/* msg_stream_free - close the spool file and free; fd stays open */
void
msg_stream_free(struct msg_stream *ms)
{
	if (ms == NULL)
		return;
	if (ms->spool_fd >= 0)
		close(ms->spool_fd);
	free(ms->spool_dir);
	free(ms->head);
	free(ms);
}

/* msg_stream_read - up to len bytes of wire content; 0 at the end */
ssize_t
msg_stream_read(struct msg_stream *ms, char *buf, size_t len,
    struct relay_result *why)
{
	size_t total = 0, used;

	if (ms->failed)
		return repeat_error(ms, why);
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	ms->started = true;
	while (total < len && !ms->conv.done) {
		total += convert(&ms->conv, ms->ibuf + ms->ipos,
		    ms->ilen - ms->ipos, &used, buf + total, len - total,
		    ms->input_eof);
		ms->ipos += used;
		if (ms->conv.done) {
			/* A complete pass: now the facts are known. */
			ms->known_wire = ms->conv.out_total;
			ms->known_8bit = ms->conv.has_8bit;
			break;
		}
		if (total == len)
			break;
		/* convert() stopped short: it needs more input. */
		if (fill(ms, why) < 0)
			return -1;
	}
	return (ssize_t)total;
}

/* msg_stream_peek - read ahead to learn has_8bit and wire_size */
int
msg_stream_peek(struct msg_stream *ms, struct relay_result *why)
{
	char scratch[4096];
	struct conv sim;
	size_t pos, used, n;

	if (ms->failed)
		return repeat_error(ms, why);
	if (ms->conv.done)
		return 0;	/* already known, or drained */
	while (!ms->input_eof &&
	    !(ms->ipos == 0 && ms->ilen == sizeof(ms->ibuf)))
		if (fill(ms, why) < 0)
			return -1;

	/* Run the conversion on a copy of the state, output discarded. */
	sim = ms->conv;
	pos = ms->ipos;
	while (!sim.done) {
		n = convert(&sim, ms->ibuf + pos, ms->ilen - pos, &used,
		    scratch, sizeof(scratch), ms->input_eof);
		pos += used;
		if (n == 0 && used == 0)
			break;	/* the rest is not read yet */
	}
	if (sim.has_8bit)
		ms->known_8bit = 1;
	else if (sim.done)
		ms->known_8bit = 0;
	if (sim.done)
		ms->known_wire = sim.out_total;
	return 0;
}

/* msg_stream_has_8bit - 1 yes, 0 no, -1 not known (yet) */
int
msg_stream_has_8bit(const struct msg_stream *ms)
{
	if (ms->known_8bit < 0 && ms->conv.has_8bit)
		return 1;
	return ms->known_8bit;
}

/* msg_stream_wire_size - bytes msg_stream_read() gives in all; -1 unknown */
long long
msg_stream_wire_size(const struct msg_stream *ms)
{
	return ms->known_wire;
}

/* msg_stream_rewind - start again from the first byte (REPLAY only) */
int
msg_stream_rewind(struct msg_stream *ms, struct relay_result *why)
{
	if ((ms->flags & MSG_STREAM_REPLAY) == 0)
		return relay_result_set(why, "4.3.0", "cannot send the message "
		    "again: it was not kept for replay");
	if (ms->failed)
		return repeat_error(ms, why);
	if (!ms->replaying) {
		if (read_rest(ms, why) < 0)
			return -1;
		ms->replaying = ms->spooling;
	}
	if (ms->replaying) {
		/* The spool, with the header part that filtering changed. */
		if (lseek(ms->spool_fd, ms->head != NULL ? ms->head_skip : 0,
		    SEEK_SET) < 0)
			return fail(ms, why, "error reading spool file", errno);
		ms->ilen = 0;
		if (ms->head != NULL) {
			memcpy(ms->ibuf, ms->head, ms->head_len);
			ms->ilen = ms->head_len;
		}
		ms->ipos = 0;
		ms->input_eof = false;
		ms->head_in_buf = true;
	} else {
		/* Never spooled: the whole message is ibuf[0..ilen). */
		ms->ipos = 0;
	}
	conv_reset(&ms->conv, ms->flags);
	ms->started = false;
	return 0;
}

/* msg_stream_started - has the message been read since the start? */
bool
msg_stream_started(const struct msg_stream *ms)
{
	return ms->started;
}

/* field_end - the end of the header field at p: after its line end and
 * its continuation lines; NULL when it may go on past the buffer */
static const char *
field_end(const char *p, const char *end, bool eof)
{
	const char *nl;

	for (;;) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return eof ? end : NULL;
		p = nl + 1;
		if (p == end)
			return eof ? end : NULL;
		if (*p != ' ' && *p != '\t')
			return p;
	}
}

/* msg_stream_filter_headers - show header fields, remove some */
int
msg_stream_filter_headers(struct msg_stream *ms,
    bool (*remove)(const char *field, size_t len, void *arg), void *arg,
    struct relay_result *why)
{
	char *p, *end, *next;
	size_t len;
	bool removed = false;
	int ret = 0;

	if (ms->failed)
		return repeat_error(ms, why);
	/* The read-ahead must begin at the message's first byte: before
	 * the first read, and, in the spool, from a rewind on. */
	if (ms->started || ms->ipos != 0 || ((ms->spooling ||
	    ms->replaying) && !(ms->replaying && ms->head_in_buf)))
		return relay_result_set(why, "4.3.0", "message header "
		    "filtered after the message was read (bug)");
	p = ms->ibuf;
	end = ms->ibuf + ms->ilen;
	/* Exim's "From " line, when we drop it, is not a header field. */
	if ((ms->flags & MSG_STREAM_SKIP_FROM) != 0 &&
	    (size_t)(end - p) >= 5 && memcmp(p, "From ", 5) == 0) {
		if ((next = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return ms->input_eof ? 0 : 1;
		p = next + 1;
	}
	while (p < end) {
		/* An empty line (LF or CRLF) ends the header. */
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			break;
		if ((next = (char *)field_end(p, end, ms->input_eof)) == NULL) {
			ret = 1;	/* the header goes on past the buffer */
			break;
		}
		len = (size_t)(next - p);
		/* The field without its final line end. */
		if (!remove(p, len - (len > 0 && p[len - 1] == '\n') -
		    (len > 1 && p[len - 1] == '\n' && p[len - 2] == '\r'),
		    arg)) {
			p = next;
			continue;
		}
		memmove(p, next, (size_t)(end - next));
		end -= len;
		ms->ilen -= len;
		removed = true;
	}
	if (removed && ms->replaying && keep_head(ms, why) < 0)
		return -1;
	if (removed) {
		/* Sizes and 8-bit were learned with the fields still there. */
		ms->known_wire = -1;
		ms->known_8bit = -1;
		if (msg_stream_peek(ms, why) < 0)
			return -1;
	}
	return ret;
}

/*
 * keep_head - replaying from the spool, the filtered read-ahead stands
 * for the spool up to where it has been read: every rewind starts
 * with it and goes on in the spool from there
 */
static int
keep_head(struct msg_stream *ms, struct relay_result *why)
{
	off_t pos;

	if ((pos = lseek(ms->spool_fd, 0, SEEK_CUR)) < 0)
		return fail(ms, why, "error reading spool file", errno);
	if (ms->head == NULL && (ms->head = malloc(sizeof(ms->ibuf))) == NULL)
		return fail(ms, why, "error reading message", ENOMEM);
	memcpy(ms->head, ms->ibuf, ms->ilen);
	ms->head_len = ms->ilen;
	ms->head_skip = pos;
	return 0;
}

/* msg_stream_drain - read and discard the rest of the input */
int
msg_stream_drain(struct msg_stream *ms, struct relay_result *why)
{
	char scratch[1024];

	/* When replaying, the input was read to its end before the
	 * rewind; with REPLAY, read_rest() keeps the rest for the next. */
	if (!ms->failed && !ms->replaying && read_rest(ms, why) < 0 &&
	    !ms->is_data)
		return -1;
	if (ms->is_data) {
		/* Consume to the end line even after a failure, so that
		 * the caller's session stays in step. */
		if (ms->data.broken)
			return repeat_error(ms, why);
		while (!ms->data.end)
			if (read_data(ms, scratch, sizeof(scratch), false,
			    why) < 0)
				return fail_result(ms, why);
	} else if (ms->failed)
		return repeat_error(ms, why);
	ms->ipos = ms->ilen;
	ms->conv.done = true;
	return 0;
}

/* conv_reset - the state at the start of a pass */
static void
conv_reset(struct conv *c, unsigned flags)
{
	memset(c, 0, sizeof(*c));
	c->from = (flags & MSG_STREAM_SKIP_FROM) != 0 ? FROM_CHECK :
	    FROM_NONE;
	c->bol = true;
}

/* any_8bit - is a byte >= 0x80 among n bytes at p? */
static bool
any_8bit(const char *p, size_t n)
{
	uint64_t acc = 0, w;
	size_t i;

	for (i = 0; i + sizeof(w) <= n; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)p[i];
	return (acc & 0x8080808080808080ULL) != 0;
}

/*
 * convert - turn input into wire content: at most outlen bytes of it
 * into out, consuming *used bytes of in. It stops when out is full, the
 * message is done, or it needs more input (eof: there is none). Each
 * step writes at most one byte that does not come from a run of
 * content, so the output can be cut anywhere and nothing is lost.
 */
static size_t
convert(struct conv *c, const char *in, size_t inlen, size_t *used,
    char *out, size_t outlen, bool eof)
{
	const char *ip = in, *iend = in + inlen, *nl;
	char *op = out, *oend = out + outlen;
	size_t n;

	while (op < oend && !c->done) {
		if (c->from == FROM_CHECK) {
			if (iend - ip < 5 && !eof)
				break;
			c->from = iend - ip >= 5 &&
			    memcmp(ip, "From ", 5) == 0 ? FROM_SKIP : FROM_NONE;
			continue;
		}
		if (c->from == FROM_SKIP) {
			/* Drop the first line, up to and including its LF. */
			if ((nl = memchr(ip, '\n', (size_t)(iend - ip))) !=
			    NULL) {
				ip = nl + 1;
				c->from = FROM_NONE;
				continue;
			}
			ip = iend;
			if (!eof)
				break;
			c->from = FROM_NONE;
			continue;
		}
		if (ip == iend) {
			if (!eof)
				break;
			/* The end: close an unfinished last line. */
			if (c->bol) {
				c->done = true;
				break;
			}
			if (!c->crlf_half) {
				*op++ = '\r';
				c->crlf_half = true;
			} else {
				*op++ = '\n';
				c->crlf_half = false;
				c->bol = true;
			}
			continue;
		}
		if (c->bol && *ip == '.') {
			/* RFC 5321 4.5.2: transparency. */
			*op++ = '.';
			c->bol = false;
			continue;
		}
		c->bol = false;
		if (*ip == '\n') {
			if (c->prev_cr || c->crlf_half) {
				*op++ = '\n';
				ip++;
				c->bol = true;
				c->prev_cr = c->crlf_half = false;
			} else {
				/* A bare LF: send the CR first. */
				*op++ = '\r';
				c->crlf_half = true;
			}
			continue;
		}
		/* A run of content up to the next LF, copied as is. */
		n = (size_t)(iend - ip);
		if (n > (size_t)(oend - op))
			n = (size_t)(oend - op);
		if ((nl = memchr(ip, '\n', n)) != NULL)
			n = (size_t)(nl - ip);
		memcpy(op, ip, n);
		if (!c->has_8bit)
			c->has_8bit = any_8bit(ip, n);
		c->prev_cr = ip[n - 1] == '\r';
		ip += n;
		op += n;
	}
	*used = (size_t)(ip - in);
	c->out_total += op - out;
	return (size_t)(op - out);
}

/* read_input - read(2) that retries EINTR and waits out EAGAIN */
static ssize_t
read_input(int fd, char *buf, size_t len)
{
	struct pollfd pfd;
	ssize_t n;

	for (;;) {
		if ((n = read(fd, buf, len)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
}

/* write_all - write(2) all of buf, retrying EINTR and short writes */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * fill - read more input into the buffer: 1, 0 at the end of the
 * input, -1 on error. Consumed bytes are dropped to make room, except
 * while a REPLAY stream still holds the whole message in memory.
 */
static int
fill(struct msg_stream *ms, struct relay_result *why)
{
	const bool lazy = (ms->flags & MSG_STREAM_REPLAY) != 0 &&
	    !ms->spooling && !ms->replaying;
	int src = ms->replaying ? ms->spool_fd : ms->fd;
	ssize_t n;

	if (ms->input_eof)
		return 0;
	if (ms->ilen == sizeof(ms->ibuf) || ms->ipos == ms->ilen) {
		if (lazy && ms->ilen < sizeof(ms->ibuf))
			goto read;	/* room left: keep it all */
		if (lazy && start_spool(ms, why) < 0)
			return -1;
		if (ms->ilen > 0)
			ms->head_in_buf = false;	/* bytes dropped */
		if (ms->ipos == ms->ilen) {
			ms->ipos = ms->ilen = 0;
		} else if (ms->ipos > 0) {
			memmove(ms->ibuf, ms->ibuf + ms->ipos,
			    ms->ilen - ms->ipos);
			ms->ilen -= ms->ipos;
			ms->ipos = 0;
		} else {
			/* Callers never ask for more with a full buffer. */
			return fail(ms, why, "error reading message",
			    ENOBUFS);
		}
	}
read:
	if (ms->is_data && !ms->replaying) {
		n = read_data(ms, ms->ibuf + ms->ilen,
		    sizeof(ms->ibuf) - ms->ilen, true, why);
		if (n < 0)
			return fail_result(ms, why);
	} else
		n = read_input(src, ms->ibuf + ms->ilen,
		    sizeof(ms->ibuf) - ms->ilen);
	if (n < 0)
		return fail(ms, why, ms->replaying ?
		    "error reading spool file" : "error reading message",
		    errno);
	if (n == 0) {
		ms->input_eof = true;
		return 0;
	}
	if (ms->spooling && !ms->replaying &&
	    write_all(ms->spool_fd, ms->ibuf + ms->ilen, (size_t)n) < 0)
		return fail(ms, why, "error writing spool file", errno);
	ms->ilen += (size_t)n;
	return 1;
}

/* read_rest - read the input to its end, keeping it if REPLAY */
static int
read_rest(struct msg_stream *ms, struct relay_result *why)
{
	const bool keep = (ms->flags & MSG_STREAM_REPLAY) != 0 &&
	    !ms->replaying;

	while (!ms->input_eof) {
		if (keep && !ms->spooling && ms->ilen == sizeof(ms->ibuf) &&
		    start_spool(ms, why) < 0)
			return -1;
		if (!keep || ms->spooling)
			ms->ipos = ms->ilen;	/* spooled, or not needed */
		if (fill(ms, why) < 0)
			return -1;
	}
	return 0;
}

/* start_spool - the message outgrew the buffer: keep it on disk */
static int
start_spool(struct msg_stream *ms, struct relay_result *why)
{
	if (ms->spool_fd < 0 &&
	    (ms->spool_fd = open_spool(ms->spool_dir, why)) < 0) {
		relay_result_copy(&ms->error, why);
		ms->failed = true;
		return -1;
	}
	if (write_all(ms->spool_fd, ms->ibuf, ms->ilen) < 0)
		return fail(ms, why, "error writing spool file", errno);
	ms->spooling = true;
	return 0;
}

/*
 * check_spool_dir - whether files can be made in dir, before any is
 * needed: the usual mistakes (no such directory, no permission, a
 * read-only file system) show when the stream is created
 */
static int
check_spool_dir(const char *dir, struct relay_result *why)
{
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0)
		return 0;
	return relay_result_set(why, "4.3.0", "cannot create spool file in "
	    "%.200s: %s", dir, strerror(errno));
}

/* open_spool - an unlinked temporary file in dir */
static int
open_spool(const char *dir, struct relay_result *why)
{
	char path[PATH_MAX];
	int fd, len;

#ifdef O_TMPFILE
	/* Never has a name, so nothing is left behind after a crash. */
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC,
	    0600)) >= 0)
		return fd;
	/* Not all file systems have O_TMPFILE: fall back to mkstemp. */
#endif
	len = snprintf(path, sizeof(path), "%s/%s", dir, SPOOL_TEMPLATE);
	if (len < 0 || (size_t)len >= sizeof(path)) {
		relay_result_set(why, "4.3.0", "cannot create spool file in "
		    "%.200s: %s", dir, strerror(ENAMETOOLONG));
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0) {
		relay_result_set(why, "4.3.0", "cannot create spool file in "
		    "%.200s: %s", dir, strerror(errno));
		return -1;
	}
	(void)unlink(path);
	return fd;
}

/*
 * read_data - DATA mode: up to room bytes of content, without the dots
 * the client added, into buf. It returns at least one byte, or 0 once
 * the end line has been consumed, or -1 with why set. With count, the
 * content counts against max_size; drain skips without counting.
 */
static ssize_t
read_data(struct msg_stream *ms, char *buf, size_t room, bool count,
    struct relay_result *why)
{
	struct data_in *d = &ms->data;
	const char *p;
	size_t n, i, o = 0;
	int r;
	char c;

	while (o == 0 && !d->end) {
		if ((r = d->src.peek(d->src.arg, &p, &n, why)) <= 0) {
			if (r == 0)
				relay_result_set(why, "4.3.0", "error reading "
				    "message: end of input before the end of "
				    "the message");
			d->broken = true;
			return -1;
		}
		i = 0;
		while (i < n && o < room && !d->end) {
			c = p[i];
			switch (d->dot) {
			case DOT_BOL:
				if (c == '.') {
					d->dot = DOT_DOT;
					i++;
					continue;
				}
				break;
			case DOT_DOT:
				/* ".\r\n" or ".\n" ends the data; any other
				 * line loses its first dot (RFC 5321 4.5.2). */
				if (c == '\r') {
					d->dot = DOT_DOT_CR;
					i++;
					continue;
				}
				if (c == '\n') {
					d->end = true;
					i++;
					continue;
				}
				break;
			case DOT_DOT_CR:
				if (c == '\n') {
					d->end = true;
					i++;
					continue;
				}
				/* ".\r" and more: the CR is content; c is
				 * looked at again. */
				buf[o++] = '\r';
				d->dot = DOT_MID;
				continue;
			case DOT_MID:
				break;
			}
			buf[o++] = c;
			d->dot = c == '\n' ? DOT_BOL : DOT_MID;
			i++;
		}
		d->src.consume(d->src.arg, i);
	}
	if (count) {
		d->size += (long long)o;
		if (d->max_size > 0 && d->size > d->max_size)
			return relay_result_set(why, "5.3.4", "message size "
			    "exceeds the limit of %lld bytes", d->max_size);
	}
	return (ssize_t)o;
}

/* fail_result - record why; every later call repeats it */
static int
fail_result(struct msg_stream *ms, struct relay_result *why)
{
	relay_result_copy(&ms->error, why);
	ms->failed = true;
	return -1;
}

/* fail - record an I/O error; every later call repeats it */
static int
fail(struct msg_stream *ms, struct relay_result *why, const char *what,
    int err)
{
	relay_result_set(why, "4.3.0", "%s: %s", what, strerror(err));
	relay_result_copy(&ms->error, why);
	ms->failed = true;
	return -1;
}

/* repeat_error - the error that broke the stream, again */
static int
repeat_error(const struct msg_stream *ms, struct relay_result *why)
{
	relay_result_copy(why, &ms->error);
	return -1;
}
