/*
 * NAME
 *	smtp_peer.h - a scripted SMTP server for the fuzz targets that
 *	drive a real smtp_client session (fuzz_smtp_session, fuzz_ehlo)
 * DESCRIPTION
 *	Header only (static functions), so that each target stays one .c
 *	file for `make fuzz`.
 *
 *	The peer is a thread on the other end of an AF_UNIX stream
 *	socketpair. Its script is a byte string of lines (LF ends a line,
 *	one CR before it is dropped, as conn_read_line() does). The lines
 *	are cut into units with smtp_reply_add_line(), the client's own
 *	reply assembler: a unit is the lines of one reply, up to the line
 *	that completes it (or that it refuses). A script line that starts
 *	with '+' at a unit boundary is stray input: its bytes after the '+'
 *	go out right after the unit before it (or before the greeting),
 *	although no reply is owed.
 *
 *	The first unit is the greeting, sent at once. Then the peer reads
 *	what the client writes; every command line is answered with the
 *	next unit (and the stray lines after it). After "DATA" answered by
 *	a unit with code 354 it reads the content up to the line ".", and
 *	answers that with the next unit: that is the reply to the final
 *	dot, recorded with whether any stray input went out before it. All
 *	answers to the lines of one read go out in one write, as a
 *	pipelining server answers a group, so the client finds the stray
 *	input of a group together with the group's replies: the run does
 *	not depend on timing. When the script runs out, the peer shuts
 *	its side down (the client sees EOF) and reads until the client
 *	closes.
 */
#ifndef SLIMRELAY_FUZZ_SMTP_PEER_H
#define SLIMRELAY_FUZZ_SMTP_PEER_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtp_reply.h"

#define PEER_DOTS_MAX	8		/* final dots recorded */
#define PEER_READS_MAX	64		/* reads recorded (offsets) */
#define PEER_RBUF	(64 * 1024)
#define PEER_WAIT_MS	10000		/* the client always closes */

/* The reply to one final dot. */
struct peer_dot {
	bool	stray_before;		/* stray input went out before it */
	bool	has_reply;		/* a whole reply (DONE) answered it */
	int	code;
	char	text[SMTP_REPLY_TEXT_MAX];
};

struct peer {
	int	fd;			/* the peer's end */
	int	client_fd;		/* the client's end, for the client */
	pthread_t thread;
	bool	is_joined;
	pthread_mutex_t lock;		/* the fields below */
	const char *script;
	size_t	script_len;
	size_t	spos;			/* next script byte */
	bool	is_exhausted;		/* no unit left: shut down */
	char	*got;			/* all the client sent, NUL-ended */
	size_t	got_len, got_cap;
	size_t	read_off[PEER_READS_MAX];	/* where each read began */
	size_t	nread;
	size_t	lpos;			/* next line to handle in got */
	bool	is_data;		/* reading the content */
	bool	stray_sent;
	size_t	ndot;
	struct peer_dot dot[PEER_DOTS_MAX];
	char	*out;			/* the answers of one read */
	size_t	out_len, out_cap;
	char	*rbuf;
};

/* peer_put - append bytes to the pending answer */
static void
peer_put(struct peer *p, const char *s, size_t n)
{
	if (p->out_len + n + 2 > p->out_cap) {
		p->out_cap = (p->out_len + n + 2) * 2;
		if ((p->out = realloc(p->out, p->out_cap)) == NULL)
			abort();
	}
	memcpy(p->out + p->out_len, s, n);
	p->out_len += n;
}

/* peer_script_line - the next script line: start, length with LF */
static bool
peer_script_line(const struct peer *p, const char **line, size_t *len)
{
	const char *s = p->script + p->spos, *nl;
	size_t left = p->script_len - p->spos;

	if (left == 0)
		return false;
	nl = memchr(s, '\n', left);
	*line = s;
	*len = nl != NULL ? (size_t)(nl - s) + 1 : left;
	return true;
}

/* peer_put_line - a script line on the wire; a last line gets CRLF */
static void
peer_put_line(struct peer *p, const char *line, size_t len)
{
	peer_put(p, line, len);
	if (len == 0 || line[len - 1] != '\n')
		peer_put(p, "\r\n", 2);
}

/* peer_strays - the '+' lines at the script's position */
static void
peer_strays(struct peer *p)
{
	const char *line;
	size_t len;

	while (peer_script_line(p, &line, &len) && line[0] == '+') {
		peer_put_line(p, line + 1, len - 1);
		p->stray_sent = true;
		p->spos += len;
	}
}

/*
 * peer_unit - the next unit into the pending answer, parsed into *r;
 * false when the script has none (then the peer is exhausted)
 */
static bool
peer_unit(struct peer *p, struct smtp_reply *r)
{
	enum smtp_reply_add st = SMTP_REPLY_MORE;
	const char *line;
	size_t len, n;

	smtp_reply_init(r);
	if (p->is_exhausted || !peer_script_line(p, &line, &len)) {
		p->is_exhausted = true;
		return false;
	}
	while (st == SMTP_REPLY_MORE && peer_script_line(p, &line, &len)) {
		peer_put_line(p, line, len);
		p->spos += len;
		/* The client's view: one CR before the LF is dropped; a
		 * last line without LF gets CRLF, whose CR is that one. */
		n = len;
		if (n > 0 && line[n - 1] == '\n' && --n > 0 &&
		    line[n - 1] == '\r')
			n--;
		st = smtp_reply_add_line(r, line, n);
	}
	if (st == SMTP_REPLY_MORE)
		p->is_exhausted = true;	/* cut short: the client waits */
	else
		peer_strays(p);
	return true;
}

/* peer_handle - one line the client sent */
static void
peer_handle(struct peer *p, const char *line, size_t len)
{
	struct smtp_reply r;
	struct peer_dot *d;
	bool is_data_cmd;

	if (p->is_data) {
		if (len != 3 || memcmp(line, ".\r\n", 3) != 0)
			return;
		p->is_data = false;
		d = p->ndot < PEER_DOTS_MAX ? &p->dot[p->ndot] : NULL;
		p->ndot++;
		if (d != NULL)
			d->stray_before = p->stray_sent;
		if (peer_unit(p, &r) && d != NULL && r.is_complete) {
			d->has_reply = true;
			d->code = r.code;
			memcpy(d->text, r.text, sizeof(d->text));
		}
		return;
	}
	is_data_cmd = len == 6 && memcmp(line, "DATA\r\n", 6) == 0;
	if (peer_unit(p, &r) && is_data_cmd && r.is_complete && r.code == 354)
		p->is_data = true;
}

/* peer_main - the thread: greet, then answer until the client closes */
static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	struct pollfd pfd;
	struct smtp_reply r;
	bool is_shut = false;
	char *lf;
	ssize_t n;

	pthread_mutex_lock(&p->lock);
	peer_strays(p);
	(void)peer_unit(p, &r);
	for (;;) {
		if (p->out_len > 0)
			(void)send(p->fd, p->out, p->out_len, MSG_NOSIGNAL);
		p->out_len = 0;
		if (p->is_exhausted && !is_shut) {
			(void)shutdown(p->fd, SHUT_WR);
			is_shut = true;
		}
		pthread_mutex_unlock(&p->lock);
		pfd.fd = p->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, PEER_WAIT_MS) <= 0 ||
		    (n = recv(p->fd, p->rbuf, PEER_RBUF, 0)) <= 0)
			return NULL;
		pthread_mutex_lock(&p->lock);
		if (p->got_len + (size_t)n + 1 > p->got_cap) {
			p->got_cap = (p->got_len + (size_t)n + 1) * 2;
			if ((p->got = realloc(p->got, p->got_cap)) == NULL)
				abort();
		}
		if (p->nread < PEER_READS_MAX)
			p->read_off[p->nread++] = p->got_len;
		memcpy(p->got + p->got_len, p->rbuf, (size_t)n);
		p->got_len += (size_t)n;
		p->got[p->got_len] = '\0';
		while ((lf = memchr(p->got + p->lpos, '\n',
		    p->got_len - p->lpos)) != NULL) {
			peer_handle(p, p->got + p->lpos,
			    (size_t)(lf - (p->got + p->lpos)) + 1);
			p->lpos = (size_t)(lf - p->got) + 1;
		}
	}
}

/* peer_start - a peer over a new socketpair, running script */
static void
peer_start(struct peer *p, const char *script, size_t len)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	p->script = script;
	p->script_len = len;
	p->got_cap = 4096;
	if ((p->got = calloc(1, p->got_cap)) == NULL ||
	    (p->rbuf = malloc(PEER_RBUF)) == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("smtp_peer");
		abort();
	}
	p->client_fd = sv[0];
	p->fd = sv[1];
	pthread_mutex_init(&p->lock, NULL);
	if (pthread_create(&p->thread, NULL, peer_main, p) != 0)
		abort();
}

/* peer_join - wait for the peer to end (the client must have closed) */
static void
peer_join(struct peer *p)
{
	if (!p->is_joined)
		pthread_join(p->thread, NULL);
	p->is_joined = true;
}

/* peer_finish - wait for the peer, free it */
static void
peer_finish(struct peer *p)
{
	peer_join(p);
	close(p->fd);
	pthread_mutex_destroy(&p->lock);
	free(p->rbuf);
	free(p->out);
	free(p->got);
}

#endif
