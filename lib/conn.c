/*
 * NAME
 *	conn - a non-blocking TCP connection with deadline-bound I/O
 * SYNOPSIS
 *	#include "conn.h"
#include "tls.h"
 *
 *	struct conn *conn_new(void);
 *	void conn_free(struct conn *c);
 *	enum conn_status conn_connect(struct conn *c,
 *	    const struct sockaddr *sa, socklen_t salen,
 *	    const struct sockaddr *src, socklen_t srclen,
 *	    const struct deadline *d);
 *	void conn_adopt_fd(struct conn *c, int fd);
 *	int conn_fd(const struct conn *c);
 *	int conn_errno(const struct conn *c);
 *	enum conn_status conn_read_line(struct conn *c, char *buf,
 *	    size_t max, size_t *len, const struct deadline *d);
 *	bool conn_has_input(struct conn *c);
 *	enum conn_status conn_write(struct conn *c, const void *data,
 *	    size_t len, const struct deadline *d);
 *	enum conn_status conn_flush(struct conn *c, const struct deadline *d);
 *	size_t conn_wbuf_space(const struct conn *c);
 *	char *conn_wbuf_tail(struct conn *c);
 *	void conn_wbuf_commit(struct conn *c, size_t n);
 *	void conn_close(struct conn *c);
 *	const char *conn_status_name(enum conn_status s);
 *	bool conn_has_buffered_input(const struct conn *c);
 *	enum conn_status conn_tls_start(struct conn *c,
 *	    struct tls_session *s, const struct deadline *d);
 *	struct tls_session *conn_tls(const struct conn *c);
 *	void conn_wipe_output(struct conn *c);
 *	int conn_swap_plain(struct conn *c, int fd);
 * DESCRIPTION
 *	conn_new() returns a connection without a socket (NULL when out of
 *	memory); conn_free() closes and frees it (NULL is a no-op). All
 *	memory is allocated here, once: a read buffer of CONN_RBUF_SIZE and
 *	a write buffer of CONN_WBUF_SIZE bytes, whatever is sent through.
 *
 *	conn_connect() opens a non-blocking, close-on-exec TCP socket with
 *	TCP_NODELAY, binds it to src when src is not NULL, and connects
 *	to sa, waiting for the connection with poll() until the deadline.
 *	It returns CONN_OK, CONN_TIMEOUT, or CONN_ERROR with the reason in
 *	conn_errno() (ECONNREFUSED, ENETUNREACH, ...). On failure there is
 *	no socket left open. conn_adopt_fd() takes an already connected
 *	socket instead (the connection owns it from then on) and makes it
 *	non-blocking; any previous socket is closed.
 *
 *	conn_read_line() returns the next line, without its LF and without
 *	one CR before it (a bare LF ends a line too; a CR elsewhere is
 *	kept), NUL-terminated in buf, which has room for max bytes: a line
 *	may have max - 1 bytes. *len is set to the line's length. A longer
 *	line gives CONN_TOOLONG; its remaining bytes are skipped by the
 *	next read, so that the stream stays in step. CONN_EOF means the
 *	peer closed the connection before a complete line (a partial last
 *	line is lost); CONN_TIMEOUT that the deadline passed; CONN_ERROR a
 *	socket error (conn_errno()). Output that is still buffered is
 *	flushed before waiting for input, so that a request is never left
 *	behind while its reply is awaited.
 *
 *	conn_has_input() tells whether a read would not block: data is
 *	buffered, has arrived, or the peer has closed the connection. The
 *	SMTP client uses it to notice a server that talks out of turn.
 *
 *	conn_write() copies data into the write buffer and writes only when
 *	the buffer is full; conn_flush() writes everything buffered. Both
 *	wait with poll() until the deadline when the socket cannot take
 *	more; a write error is CONN_ERROR with conn_errno() (EPIPE when the
 *	peer has gone: SIGPIPE is never raised), and drops the buffered
 *	output, which can never be delivered; after a timeout it is kept.
 *	conn_wbuf_tail() and conn_wbuf_space() expose the free part of the
 *	write buffer so that a producer can fill it directly, and
 *	conn_wbuf_commit() adds what it wrote there; committing more than
 *	the free space is a bug and aborts.
 *
 *	conn_close() closes the socket and empties both buffers; it may be
 *	called any number of times. conn_fd() is -1 without a socket.
 *
 *	Only raw_read() and raw_write() touch the socket's data; with TLS
 *	they go through the tls_session. conn_tls_start() flushes pending
 *	output, takes s over (conn_close() and conn_free() free it) and
 *	runs its non-blocking handshake on the socket until the deadline:
 *	CONN_OK, CONN_TIMEOUT, or CONN_ERROR with conn_errno() EPROTO (the
 *	reason is tls_session_error(conn_tls(c))) or the socket's error.
 *	From then on every read and write is encrypted, waiting for the
 *	direction TLS asks for. OpenSSL writes with write(2), so a peer
 *	that has gone raises SIGPIPE: a program that uses TLS ignores it
 *	(transport/main.c does; Postfix runs pipe(8) commands so anyway). conn_tls() is the session, or NULL.
 *	conn_has_buffered_input() tells whether bytes were read but not
 *	yet returned: after a reply to STARTTLS there must be none (RFC
 *	3207 section 6: such bytes were injected before TLS, and the caller
 *	refuses to go on). conn_wipe_output() overwrites the write buffer
 *	once a secret (AUTH) has been sent.
 *
 *	conn_swap_plain() carries the connection on in plaintext over fd,
 *	the end of a TLS pump that now holds the session (tls_pump.c): the
 *	TLS state is freed without a word to the peer, the socket closed.
 *	It is done only between replies: -1, and nothing changes, while
 *	bytes wait in either buffer.
 * SEE ALSO
 *	poll(2), send(2), deadline(3).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "tls.h"

struct conn {
	int	fd;			/* -1: not connected */
	int	err;			/* errno of the last CONN_ERROR */
	bool	is_skipping;		/* discarding the rest of a long line */
	size_t	rpos;			/* first unread byte in rbuf */
	size_t	rlen;			/* bytes in rbuf */
	size_t	wlen;			/* bytes waiting in wbuf */
	struct tls_session *tls;	/* NULL: plaintext */
	short	want;			/* poll event TLS waits for */
	char	rbuf[CONN_RBUF_SIZE];
	char	wbuf[CONN_WBUF_SIZE];
};

static ssize_t	raw_read(struct conn *, void *, size_t);
static ssize_t	raw_write(struct conn *, const void *, size_t);
static enum conn_status wait_fd(struct conn *, short,
		    const struct deadline *);
static enum conn_status fill(struct conn *, const struct deadline *);
static bool	skip_long_line(struct conn *);

/* conn_new - a connection without a socket yet */
struct conn *
conn_new(void)
{
	struct conn *c;

	if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	c->fd = -1;
	c->err = 0;
	c->is_skipping = false;
	c->rpos = c->rlen = c->wlen = 0;
	c->tls = NULL;
	c->want = 0;
	return c;
}

/* conn_free - close and free; NULL is a no-op */
void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	conn_close(c);
	free(c);
}

/* conn_close - close the socket and forget buffered data; idempotent */
void
conn_close(struct conn *c)
{
	tls_session_free(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		(void)close(c->fd);
	c->fd = -1;
	c->is_skipping = false;
	c->rpos = c->rlen = c->wlen = 0;
}

/* conn_fd - the socket, or -1 */
int
conn_fd(const struct conn *c)
{
	return c->fd;
}

/* conn_errno - errno of the last CONN_ERROR */
int
conn_errno(const struct conn *c)
{
	return c->err;
}

/* raw_read - one read from the socket; -1 with errno as recv(2) */
static ssize_t
raw_read(struct conn *c, void *buf, size_t len)
{
	if (c->tls != NULL)
		return tls_session_read(c->tls, buf, len, &c->want);
	c->want = POLLIN;
	return recv(c->fd, buf, len, 0);
}

/* raw_write - one write to the socket; -1 with errno as send(2) */
static ssize_t
raw_write(struct conn *c, const void *buf, size_t len)
{
	if (c->tls != NULL)
		return tls_session_write(c->tls, buf, len, &c->want);
	c->want = POLLOUT;
	return send(c->fd, buf, len, MSG_NOSIGNAL);
}

/* wait_fd - poll for events until the deadline */
static enum conn_status
wait_fd(struct conn *c, short events, const struct deadline *d)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, deadline_poll_ms(d));
		if (n > 0)
			return CONN_OK;	/* errors show in the next I/O */
		if (n == 0)
			return CONN_TIMEOUT;
		if (errno != EINTR) {
			c->err = errno;
			return CONN_ERROR;
		}
	}
}

/* set_socket_options - non-blocking, close-on-exec, no Nagle delay */
static void
set_socket_options(int fd)
{
	int flags, one = 1;

	if ((flags = fcntl(fd, F_GETFL)) >= 0 && !(flags & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if ((flags = fcntl(fd, F_GETFD)) >= 0 && !(flags & FD_CLOEXEC))
		(void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	/* Fails harmlessly on a socketpair (tests). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* conn_connect - connect to sa (from src if given) before the deadline */
enum conn_status
conn_connect(struct conn *c, const struct sockaddr *sa, socklen_t salen,
    const struct sockaddr *src, socklen_t srclen, const struct deadline *d)
{
	enum conn_status st;
	socklen_t len = sizeof(c->err);
	int one = 1;

	conn_close(c);
	c->err = 0;
	c->fd = socket(sa->sa_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->err = errno;
		return CONN_ERROR;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src != NULL && bind(c->fd, src, srclen) < 0) {
		c->err = errno;
		conn_close(c);
		return CONN_ERROR;
	}
	if (connect(c->fd, sa, salen) == 0)
		return CONN_OK;
	if (errno != EINPROGRESS && errno != EINTR) {
		c->err = errno;
		conn_close(c);
		return CONN_ERROR;
	}
	if ((st = wait_fd(c, POLLOUT, d)) != CONN_OK) {
		conn_close(c);
		return st;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &c->err, &len) < 0)
		c->err = errno;
	if (c->err != 0) {
		conn_close(c);
		return CONN_ERROR;
	}
	return CONN_OK;
}

/* conn_adopt_fd - take over a connected socket */
void
conn_adopt_fd(struct conn *c, int fd)
{
	conn_close(c);
	c->err = 0;
	c->fd = fd;
	set_socket_options(fd);
}

/*
 * conn_swap_plain - carry on in plaintext over fd, which now stands for
 * the session (a TLS pump's end, tls_pump.c): the TLS state is freed
 * without a word and the old socket closed. Only between replies:
 * -1 (nothing changed) while bytes are buffered either way.
 */
int
conn_swap_plain(struct conn *c, int fd)
{
	if (c->rpos < c->rlen || c->wlen > 0 || c->is_skipping)
		return -1;
	tls_session_abandon(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		(void)close(c->fd);
	c->fd = fd;
	c->rpos = c->rlen = 0;
	c->want = 0;
	set_socket_options(fd);
	return 0;
}

/* fill - read more into rbuf (which has room), waiting until the deadline */
static enum conn_status
fill(struct conn *c, const struct deadline *d)
{
	enum conn_status st;
	ssize_t n;

	if (c->wlen > 0 && (st = conn_flush(c, d)) != CONN_OK)
		return st;
	for (;;) {
		n = raw_read(c, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
		if (n > 0) {
			c->rlen += (size_t)n;
			return CONN_OK;
		}
		if (n == 0)
			return CONN_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->err = errno;
			return CONN_ERROR;
		}
		if ((st = wait_fd(c, c->want, d)) != CONN_OK)
			return st;
	}
}

/*
 * skip_long_line - drop buffered bytes of a line that was too long;
 * true once its LF was found.
 */
static bool
skip_long_line(struct conn *c)
{
	char *lf = memchr(c->rbuf + c->rpos, '\n', c->rlen - c->rpos);

	if (lf == NULL) {
		c->rpos = c->rlen = 0;
		return false;
	}
	c->rpos = (size_t)(lf - c->rbuf) + 1;
	c->is_skipping = false;
	return true;
}

/* conn_read_line - the next line without CR/LF, before the deadline */
enum conn_status
conn_read_line(struct conn *c, char *buf, size_t max, size_t *len,
    const struct deadline *d)
{
	enum conn_status st;
	size_t have, n;
	char *lf;

	*len = 0;
	if (max > 0)
		buf[0] = '\0';
	if (c->fd < 0) {
		c->err = EBADF;
		return CONN_ERROR;
	}
	for (;;) {
		if (c->is_skipping && !skip_long_line(c)) {
			if ((st = fill(c, d)) != CONN_OK)
				return st;
			continue;
		}
		have = c->rlen - c->rpos;
		lf = memchr(c->rbuf + c->rpos, '\n', have);
		n = lf != NULL ? (size_t)(lf - (c->rbuf + c->rpos)) : have;
		/* A CR that ends the data so far may be the CR of a CRLF. */
		if (n > 0 && c->rbuf[c->rpos + n - 1] == '\r')
			n--;
		if (max == 0 || n > max - 1) {
			c->is_skipping = true;
			return CONN_TOOLONG;
		}
		if (lf != NULL) {
			memcpy(buf, c->rbuf + c->rpos, n);
			buf[n] = '\0';
			*len = n;
			c->rpos = (size_t)(lf - c->rbuf) + 1;
			return CONN_OK;
		}
		/* Partial line: move it to the front and read more. */
		if (c->rpos > 0) {
			memmove(c->rbuf, c->rbuf + c->rpos, have);
			c->rpos = 0;
			c->rlen = have;
		}
		if (c->rlen == sizeof(c->rbuf)) {
			c->is_skipping = true;
			return CONN_TOOLONG;
		}
		if ((st = fill(c, d)) != CONN_OK)
			return st;
	}
}

/* conn_has_input - would a read return at once (data, EOF or error)? */
bool
conn_has_input(struct conn *c)
{
	struct pollfd pfd;
	ssize_t ssz;
	int n;

	if (c->fd < 0)
		return false;
	if (c->rpos < c->rlen)
		return true;
	if (c->tls != NULL && tls_session_pending(c->tls))
		return true;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	do
		n = poll(&pfd, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || c->tls == NULL)
		return n > 0;
	/* A TLS record may carry no data (a session ticket): look. */
	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	if (c->rlen == sizeof(c->rbuf))
		return true;
	ssz = raw_read(c, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	if (ssz > 0)
		c->rlen += (size_t)ssz;
	return !(ssz < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

/* conn_has_buffered_input - bytes read from the socket, not yet returned */
bool
conn_has_buffered_input(const struct conn *c)
{
	return c->rpos < c->rlen;
}

/* conn_tls - the TLS session, NULL for plaintext */
struct tls_session *
conn_tls(const struct conn *c)
{
	return c->tls;
}

/* conn_tls_start - take s over and run its handshake until the deadline */
enum conn_status
conn_tls_start(struct conn *c, struct tls_session *s,
    const struct deadline *d)
{
	enum conn_status st;
	short want = POLLOUT;
	int r;

	if (c->fd < 0) {
		tls_session_free(s);
		c->err = EBADF;
		return CONN_ERROR;
	}
	if (c->wlen > 0 && (st = conn_flush(c, d)) != CONN_OK) {
		tls_session_free(s);
		return st;
	}
	tls_session_free(c->tls);
	c->tls = s;
	while ((r = tls_session_handshake(s, c->fd, &want)) == 0)
		if ((st = wait_fd(c, want, d)) != CONN_OK)
			return st;
	if (r < 0) {
		c->err = EPROTO;
		return CONN_ERROR;
	}
	return CONN_OK;
}

/* conn_wipe_output - overwrite the write buffer (after a secret was sent) */
void
conn_wipe_output(struct conn *c)
{
	explicit_bzero(c->wbuf + c->wlen, sizeof(c->wbuf) - c->wlen);
}

/* conn_flush - write everything buffered, before the deadline */
enum conn_status
conn_flush(struct conn *c, const struct deadline *d)
{
	enum conn_status st;
	size_t done = 0;
	ssize_t n;

	if (c->fd < 0) {
		c->err = EBADF;
		return CONN_ERROR;
	}
	st = CONN_OK;
	while (done < c->wlen) {
		n = raw_write(c, c->wbuf + done, c->wlen - done);
		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->err = errno;
			st = CONN_ERROR;
			break;
		}
		if ((st = wait_fd(c, c->want, d)) != CONN_OK)
			break;
	}
	if (st == CONN_ERROR) {
		/* The rest can never be delivered. */
		c->wlen = 0;
		return st;
	}
	/* Keep what was not written, in order. */
	if (done > 0 && done < c->wlen)
		memmove(c->wbuf, c->wbuf + done, c->wlen - done);
	c->wlen -= done;
	return st;
}

/* conn_write - buffer data, writing whenever the buffer is full */
enum conn_status
conn_write(struct conn *c, const void *data, size_t len,
    const struct deadline *d)
{
	const char *p = data;
	enum conn_status st;
	size_t n;

	if (c->fd < 0) {
		c->err = EBADF;
		return CONN_ERROR;
	}
	while (len > 0) {
		if (c->wlen == sizeof(c->wbuf) &&
		    (st = conn_flush(c, d)) != CONN_OK)
			return st;
		n = sizeof(c->wbuf) - c->wlen;
		if (n > len)
			n = len;
		memcpy(c->wbuf + c->wlen, p, n);
		c->wlen += n;
		p += n;
		len -= n;
	}
	if (c->wlen == sizeof(c->wbuf))
		return conn_flush(c, d);
	return CONN_OK;
}

/* conn_wbuf_space - free bytes at conn_wbuf_tail() */
size_t
conn_wbuf_space(const struct conn *c)
{
	return sizeof(c->wbuf) - c->wlen;
}

/* conn_wbuf_tail - where the next buffered byte goes */
char *
conn_wbuf_tail(struct conn *c)
{
	return c->wbuf + c->wlen;
}

/* conn_wbuf_commit - n bytes were written at conn_wbuf_tail() */
void
conn_wbuf_commit(struct conn *c, size_t n)
{
	if (n > sizeof(c->wbuf) - c->wlen)
		abort();	/* the caller wrote past the buffer */
	c->wlen += n;
}

/* conn_status_name - a status for logs and tests */
const char *
conn_status_name(enum conn_status s)
{
	switch (s) {
	case CONN_OK:
		return "ok";
	case CONN_TIMEOUT:
		return "timeout";
	case CONN_EOF:
		return "eof";
	case CONN_ERROR:
		return "error";
	case CONN_TOOLONG:
		return "too long";
	}
	return "unknown";
}
