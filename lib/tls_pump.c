/*
 * NAME
 *	tls_pump - a TLS session carried on by a process of its own
 * SYNOPSIS
 *	#include "tls_pump.h"
 *
 *	int tls_pump_start(struct conn *c, long end_ms, const char *peer);
 * DESCRIPTION
 *	An open TLS session can be used only by the process that holds its
 *	state (keys, sequence numbers): a descriptor passed to another
 *	process carries the TCP connection but not the TLS session. To
 *	keep an idle TLS session for a later run (keeper.c), the session
 *	is handed to a pump: a detached process that holds the SSL object
 *	and the socket and relays plaintext over a socketpair, the model of
 *	Exim's TLS proxy process and Postfix's tlsproxy(8). The other end
 *	of the socketpair then stands for the session, and can be passed
 *	around like any connection.
 *
 *	tls_pump_start() is called between transactions, with nothing
 *	buffered either way (conn_swap_plain()). It forks; the child starts
 *	a session of its own (setsid) and forks the pump, then exits, and
 *	tls_pump_start() waits for that child only. The pump puts
 *	/dev/null on standard input, output and error (nothing holds the
 *	MTA's pipes), closes every descriptor but its two, takes the title
 *	"slimrelay: tls pump PEER" (proctitle.c: not the command line of
 *	the delivery that made it), sets its signal
 *	dispositions (SIGPIPE ignored, the rest default) and relays until
 *	either side reaches end of file or fails, or the CLOCK_MONOTONIC
 *	time end_ms (the session's reuse time limit plus the longest
 *	transaction) has come. On its way out it flushes what it holds for
 *	the other side, sends close_notify to a server that is still there
 *	(so a client's QUIT, then end of file, ends the session as cleanly
 *	as it would have ended in the client), and exits.
 *
 *	In the caller, c carries on in plaintext over the pump's end; its
 *	TLS state is freed without a word (conn_swap_plain()). Returns 0,
 *	or -1 when no pump could be started: c is then unchanged, TLS and
 *	all, and the caller ends the session as it would have anyway.
 *
 *	The pump is a copy of the caller's memory; the caller wipes its
 *	secrets (AUTH) before (relay_smtp.c does so right after the
 *	session's opening).
 * SEE ALSO
 *	keeper.c, conn.c, Exim transports/smtp.c (TLS proxy), Postfix
 *	tlsproxy(8).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deadline.h"
#include "proctitle.h"
#include "tls.h"
#include "tls_pump.h"

#define PUMP_BUF	(16 * 1024)

/* A direction: bytes read from one side, waiting for the other. */
struct pipe_buf {
	char	buf[PUMP_BUF];
	size_t	pos;
	size_t	len;
	bool	is_eof;		/* the source side is done */
};

/* close_all_but - every descriptor from 3 up but a and b */
static void
close_all_but(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a, fd;
	long max;

#ifdef SYS_close_range
	if ((lo <= 3 || syscall(SYS_close_range, 3U, (unsigned)lo - 1,
	    0) == 0) && (hi - lo <= 1 || syscall(SYS_close_range,
	    (unsigned)lo + 1, (unsigned)hi - 1, 0) == 0) &&
	    syscall(SYS_close_range, (unsigned)hi + 1, ~0U, 0) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		if (fd != a && fd != b)
			(void)close(fd);
}

/* detach - /dev/null for stdio, nothing else open, known signals */
static void
detach(int keep_a, int keep_b)
{
	sigset_t none;
	int sig, null;

	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		(void)dup2(null, 2);
		if (null > 2 && null != keep_a && null != keep_b)
			(void)close(null);
	}
	close_all_but(keep_a, keep_b);
	(void)!chdir("/");
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* pump - relay between s (TLS on fd) and the plaintext end p */
static void
pump(struct tls_session *s, int fd, int p, long end_ms)
{
	static struct pipe_buf up, down;	/* p -> TLS, TLS -> p */
	struct pollfd pf[2];
	short want_r = 0, want_w = 0;
	ssize_t n;
	long left;
	bool moved;

	(void)fcntl(p, F_SETFL, fcntl(p, F_GETFL) | O_NONBLOCK);
	for (;;) {
		moved = false;
		/* Client to server. */
		if (up.len == 0 && !up.is_eof) {
			n = read(p, up.buf, sizeof(up.buf));
			if (n > 0) {
				up.pos = 0;
				up.len = (size_t)n;
				moved = true;
			} else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				up.is_eof = true;
				moved = true;
			}
		}
		if (up.len > 0) {
			want_w = 0;
			n = tls_session_write(s, up.buf + up.pos, up.len,
			    &want_w);
			if (n > 0) {
				up.pos += (size_t)n;
				up.len -= (size_t)n;
				moved = true;
			} else if (errno != EAGAIN) {
				return;		/* the server is gone */
			}
		}
		/* Server to client. */
		if (down.len == 0 && !down.is_eof) {
			want_r = 0;
			n = tls_session_read(s, down.buf, sizeof(down.buf),
			    &want_r);
			if (n > 0) {
				down.pos = 0;
				down.len = (size_t)n;
				moved = true;
			} else if (n == 0 || errno != EAGAIN) {
				down.is_eof = true;
				moved = true;
			}
		}
		if (down.len > 0) {
			n = write(p, down.buf + down.pos, down.len);
			if (n > 0) {
				down.pos += (size_t)n;
				down.len -= (size_t)n;
				moved = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return;		/* the client end is gone */
			}
		}
		if (up.is_eof && up.len == 0)
			return;
		if (down.is_eof && down.len == 0)
			return;
		if (moved)
			continue;
		if ((left = end_ms - deadline_now_ms()) <= 0)
			return;
		pf[0].fd = p;
		pf[0].events = (short)((up.len == 0 ? POLLIN : 0) |
		    (down.len > 0 ? POLLOUT : 0));
		pf[1].fd = fd;
		pf[1].events = (short)((up.len > 0 ? want_w : 0) |
		    (down.len == 0 ? (want_r != 0 ? want_r : POLLIN) : 0));
		pf[0].revents = pf[1].revents = 0;
		if (poll(pf, 2, left > 60000 ? 60000 : (int)left) < 0 &&
		    errno != EINTR)
			return;
	}
}

/* tls_pump_start - hand c's TLS session to a pump; 0, or -1 */
int
tls_pump_start(struct conn *c, long end_ms, const char *peer)
{
	struct tls_session *s = conn_tls(c);
	int sv[2], fd = conn_fd(c), status = 1;
	pid_t pid;

	if (s == NULL || fd < 0 || conn_has_buffered_input(c))
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		(void)setsid();
		if ((pid = fork()) != 0)
			_exit(pid < 0 ? 1 : 0);
		detach(fd, sv[1]);
		proctitle_set("slimrelay: tls pump %s", peer);
		pump(s, fd, sv[1], end_ms);
		/* close_notify when the server is still there. */
		tls_session_free(s);
		_exit(0);
	}
	(void)close(sv[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			break;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    conn_swap_plain(c, sv[0]) != 0) {
		/*
		 * No pump (or one that must not be used: then it sees end
		 * of file on its end and goes).
		 */
		(void)close(sv[0]);
		return -1;
	}
	return 0;
}
