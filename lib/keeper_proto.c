/*
 * NAME
 *	keeper_proto - the keeper's paths, messages and their encoding
 * SYNOPSIS
 *	#include "keeper.h"
 *
 *	int keeper_paths(const char *state_dir, char *dir, size_t dirlen,
 *	    char *sock, size_t socklen, char *lock, size_t locklen);
 *	int keeper_dir_check(const char *dir, bool make);
 *	size_t keeper_encode(const char *in, char *out, size_t outlen);
 *	int keeper_decode(const char *in, size_t inlen, char *out,
 *	    size_t outlen);
 *	int keeper_parse_request(const char *msg, size_t len,
 *	    struct keeper_request *req);
 *	int keeper_parse_reply(const char *msg, size_t len, const char *key,
 *	    char *props, size_t propslen, char *word, size_t wordlen);
 *	int keeper_send(int sock, const char *msg, size_t len,
 *	    const int *fds, int nfd, long timeout_ms);
 *	long keeper_recv(int sock, char *buf, size_t len, int *fds,
 *	    int *nfd, long timeout_ms);
 *	bool keeper_peer_is_us(int sock);
 *	void keeper_close_fds(int *fds, int nfd);
 * DESCRIPTION
 *	The keeper lives in "<state_dir>/keeper/", a directory of mode
 *	0700 owned by the transport's user, as the unix socket "k1.sock"
 *	and the lock file "k1.lock" ("1" is KEEPER_VERSION: a keeper of
 *	another version has other names, so neither side ever meets the
 *	other). keeper_paths() writes the three names; -1 when they do not
 *	fit (a socket's name has at most 107 bytes). keeper_dir_check()
 *	makes the directory when asked and missing, and accepts it only
 *	when it is a directory (not a link) of our effective uid that
 *	nobody else can enter: 0, or -1.
 *
 *	A connection carries one request and its answer, each one
 *	SOCK_SEQPACKET record of text, KEEPER_MSG_MAX bytes at most, with
 *	up to two descriptors (the session's connection and its pool_size
 *	slot lock) passed as SCM_RIGHTS:
 *
 *	    HELLO 1 GET <key>
 *	    HELLO 1 PUT <ttl-ms> <max-per-key> <key> <props>   + fds
 *	    HELLO 1 <pid> FD <key> <props>                     + fds
 *	    HELLO 1 <pid> NONE | OK | FULL | ERR
 *
 *	Keys and properties travel encoded (keeper_encode(): bytes from
 *	'!' to '~' but '%' as they are, every other byte as %XX), so that
 *	a word never holds a space. keeper_decode() undoes it into out (a
 *	NUL-terminated text; a NUL byte is refused): 0, or -1 for a bad
 *	escape or no room. keeper_encode() returns the length written, or
 *	0 when out is too small (out is then "").
 *
 *	keeper_parse_request() reads a client's record (the keeper's side):
 *	0, or -1 for anything but the two forms above with version
 *	KEEPER_VERSION, a TTL from 1 ms to one day, a cap from 0 to 10000
 *	and a key of at most KEEPER_KEY_MAX - 1 bytes. The properties are
 *	kept encoded (they must decode). keeper_parse_reply() reads the keeper's answer (the
 *	client's side): word gets "FD", "NONE", "OK", "FULL" or "ERR"; for
 *	"FD" the key must be the key asked for and props gets the decoded
 *	properties. -1 for another version, another key, or anything
 *	malformed.
 *
 *	keeper_send() sends one record with its descriptors when the
 *	socket can take it within timeout_ms: 0, or -1. keeper_recv()
 *	waits up to timeout_ms for one record and returns its length
 *	(buf NUL-terminated) with the descriptors that came with it in
 *	fds[0..*nfd-1] (at most two, close-on-exec; any more are closed),
 *	or -1 (timeout, error, end of file, a cut record: any descriptors
 *	that came are closed). keeper_peer_is_us() tells whether the
 *	process at the other end of a unix socket runs under our
 *	effective uid (SO_PEERCRED). keeper_close_fds() closes the
 *	descriptors it is given.
 * SEE ALSO
 *	unix(7) (SCM_RIGHTS, SO_PEERCRED), Postfix scache(8).
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "deadline.h"
#include "keeper.h"
#include "printable.h"

#define KEEPER_TTL_MAX_MS	(24L * 3600 * 1000)
#define KEEPER_CAP_MAX		10000
#define KEEPER_FDS_MAX		2

/* keeper_paths - the directory, the socket and the lock file */
int
keeper_paths(const char *state_dir, char *dir, size_t dirlen, char *sock,
    size_t socklen, char *lock, size_t locklen)
{
	struct sockaddr_un sun;
	int n;

	if (state_dir == NULL || *state_dir == '\0')
		return -1;
	n = snprintf(dir, dirlen, "%s/keeper", state_dir);
	if (n < 0 || (size_t)n >= dirlen)
		return -1;
	n = snprintf(sock, socklen, "%s/k%d.sock", dir, KEEPER_VERSION);
	if (n < 0 || (size_t)n >= socklen || (size_t)n >= sizeof(sun.sun_path))
		return -1;
	n = snprintf(lock, locklen, "%s/k%d.lock", dir, KEEPER_VERSION);
	if (n < 0 || (size_t)n >= locklen)
		return -1;
	return 0;
}

/* keeper_dir_check - our own private directory, made when asked */
int
keeper_dir_check(const char *dir, bool make)
{
	struct stat st;

	if (make && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* keeper_encode - one word: '!'..'~' but '%' as is, else %XX */
size_t
keeper_encode(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	const unsigned char *p;

	if (outlen == 0)
		return 0;
	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '%') {
			if (o + 1 >= outlen)
				goto full;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= outlen)
				goto full;
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return o;
full:
	out[0] = '\0';
	return 0;
}

/* keeper_decode - undo keeper_encode(); 0, or -1 */
int
keeper_decode(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%') {
			if (i + 2 >= inlen)
				return -1;
			if ((hi = printable_hex_value((unsigned char)in[i + 1])) < 0 ||
			    (lo = printable_hex_value((unsigned char)in[i + 2])) < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			if (c == '\0')
				return -1;
			i += 2;
		} else if (c <= ' ' || c >= 0x7f) {
			return -1;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/*
 * next_word - the word at *pos (up to a space or the end) as [*w, *wl);
 * *pos moves past one space. -1 when there is none.
 */
static int
next_word(const char *msg, size_t len, size_t *pos, const char **w,
    size_t *wl)
{
	size_t s = *pos, e;

	if (s >= len)
		return -1;
	for (e = s; e < len && msg[e] != ' '; e++)
		if (msg[e] == '\0')
			return -1;
	/* A space must be followed by a word: none at the end. */
	if (e == s || e + 1 == len)
		return -1;
	*w = msg + s;
	*wl = e - s;
	*pos = e < len ? e + 1 : e;
	return 0;
}

/* is_word - the word is exactly text */
static bool
is_word(const char *w, size_t wl, const char *text)
{
	return wl == strlen(text) && memcmp(w, text, wl) == 0;
}

/* word_number - a decimal number from lo to hi; 0, or -1 */
static int
word_number(const char *w, size_t wl, long lo, long hi, long *val)
{
	long v = 0;
	size_t i;

	if (wl == 0 || wl > 12)
		return -1;
	for (i = 0; i < wl; i++) {
		if (w[i] < '0' || w[i] > '9')
			return -1;
		v = v * 10 + (w[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*val = v;
	return 0;
}

/* hello - "HELLO <KEEPER_VERSION>" at the start; 0, or -1 */
static int
hello(const char *msg, size_t len, size_t *pos)
{
	const char *w;
	size_t wl;
	long v;

	if (next_word(msg, len, pos, &w, &wl) != 0 ||
	    !is_word(w, wl, "HELLO") ||
	    next_word(msg, len, pos, &w, &wl) != 0 ||
	    word_number(w, wl, 0, INT_MAX, &v) != 0 || v != KEEPER_VERSION)
		return -1;
	return 0;
}

/* keeper_parse_request - a client's GET or PUT; 0, or -1 */
int
keeper_parse_request(const char *msg, size_t len, struct keeper_request *req)
{
	const char *w;
	size_t wl, pos = 0;
	long v;

	memset(req, 0, sizeof(*req));
	if (hello(msg, len, &pos) != 0 ||
	    next_word(msg, len, &pos, &w, &wl) != 0)
		return -1;
	if (is_word(w, wl, "GET")) {
		req->op = KEEPER_OP_GET;
	} else if (is_word(w, wl, "PUT")) {
		req->op = KEEPER_OP_PUT;
		if (next_word(msg, len, &pos, &w, &wl) != 0 ||
		    word_number(w, wl, 1, KEEPER_TTL_MAX_MS, &v) != 0)
			return -1;
		req->ttl_ms = v;
		if (next_word(msg, len, &pos, &w, &wl) != 0 ||
		    word_number(w, wl, 0, KEEPER_CAP_MAX, &v) != 0)
			return -1;
		req->max_per_key = (int)v;
	} else {
		return -1;
	}
	if (next_word(msg, len, &pos, &w, &wl) != 0 ||
	    keeper_decode(w, wl, req->key, sizeof(req->key)) != 0)
		return -1;
	if (req->op == KEEPER_OP_PUT) {
		/* Kept encoded, but only when it decodes. */
		if (next_word(msg, len, &pos, &w, &wl) != 0 ||
		    wl >= sizeof(req->props) ||
		    keeper_decode(w, wl, req->props, sizeof(req->props)) != 0)
			return -1;
		memcpy(req->props, w, wl);
		req->props[wl] = '\0';
	}
	return pos == len ? 0 : -1;
}

/* keeper_parse_reply - the keeper's answer; 0, or -1 */
int
keeper_parse_reply(const char *msg, size_t len, const char *key,
    char *props, size_t propslen, char *word, size_t wordlen)
{
	char got[KEEPER_KEY_MAX];
	const char *w;
	size_t wl, pos = 0;
	long v;

	if (wordlen > 0)
		word[0] = '\0';
	if (propslen > 0)
		props[0] = '\0';
	if (hello(msg, len, &pos) != 0 ||
	    next_word(msg, len, &pos, &w, &wl) != 0 ||
	    word_number(w, wl, 1, INT_MAX, &v) != 0 ||
	    next_word(msg, len, &pos, &w, &wl) != 0)
		return -1;
	if (is_word(w, wl, "FD")) {
		if (key == NULL ||
		    next_word(msg, len, &pos, &w, &wl) != 0 ||
		    keeper_decode(w, wl, got, sizeof(got)) != 0 ||
		    strcmp(got, key) != 0 ||
		    next_word(msg, len, &pos, &w, &wl) != 0 ||
		    keeper_decode(w, wl, props, propslen) != 0)
			return -1;
		w = "FD";
		wl = 2;
	} else if (!is_word(w, wl, "NONE") && !is_word(w, wl, "OK") &&
	    !is_word(w, wl, "FULL") && !is_word(w, wl, "ERR")) {
		return -1;
	}
	if (pos != len || wl >= wordlen)
		return -1;
	memcpy(word, w, wl);
	word[wl] = '\0';
	return 0;
}

/* wait_for - poll sock for events up to timeout_ms; 0, or -1 */
static int
wait_for(int sock, short events, long timeout_ms)
{
	struct deadline d;
	struct pollfd p;
	int n;

	deadline_in_ms(&d, timeout_ms);
	for (;;) {
		p.fd = sock;
		p.events = events;
		p.revents = 0;
		n = poll(&p, 1, deadline_poll_ms(&d));
		if (n > 0)
			return 0;
		if (n == 0 || errno != EINTR) {
			if (n == 0)
				errno = ETIMEDOUT;
			return -1;
		}
	}
}

/* keeper_send - one record with its descriptors; 0, or -1 */
int
keeper_send(int sock, const char *msg, size_t len, const int *fds, int nfd,
    long timeout_ms)
{
	union {
		struct cmsghdr h;
		char	buf[CMSG_SPACE(KEEPER_FDS_MAX * sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	if (nfd < 0 || nfd > KEEPER_FDS_MAX || len > KEEPER_MSG_MAX)
		return -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)msg;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfd > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		memcpy(CMSG_DATA(&cm.h), fds, (size_t)nfd * sizeof(int));
	}
	if (wait_for(sock, POLLOUT, timeout_ms) != 0)
		return -1;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* keeper_recv - one record and its descriptors; its length, or -1 */
long
keeper_recv(int sock, char *buf, size_t len, int *fds, int *nfd,
    long timeout_ms)
{
	union {
		struct cmsghdr h;
		char	buf[CMSG_SPACE(8 * sizeof(int))];
	} cm;
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;
	int got[8], ngot = 0, i;
	size_t k;

	*nfd = 0;
	if (len < 2 || wait_for(sock, POLLIN, timeout_ms) != 0)
		return -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len - 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (k = 0; CMSG_LEN((k + 1) * sizeof(int)) <= c->cmsg_len &&
		    ngot < 8; k++)
			memcpy(&got[ngot++], CMSG_DATA(c) + k * sizeof(int),
			    sizeof(int));
	}
	if (n == 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
	    ngot > KEEPER_FDS_MAX) {
		keeper_close_fds(got, ngot);
		return -1;
	}
	for (i = 0; i < ngot; i++)
		fds[i] = got[i];
	*nfd = ngot;
	buf[n] = '\0';
	return (long)n;
}

/* keeper_peer_is_us - the other end runs under our effective uid */
bool
keeper_peer_is_us(int sock)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    len != sizeof(cr))
		return false;
	return cr.uid == geteuid();
}

/* keeper_close_fds - close them all */
void
keeper_close_fds(int *fds, int nfd)
{
	int i;

	for (i = 0; i < nfd; i++)
		if (fds[i] >= 0) {
			(void)close(fds[i]);
			fds[i] = -1;
		}
}
