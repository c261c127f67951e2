/*
 * NAME
 *	keeper - the process that holds idle SMTP sessions between runs
 * SYNOPSIS
 *	#include "keeper.h"
 *
 *	int keeper_main(const struct config *cfg, int lock_fd,
 *	    int listen_fd);
 * DESCRIPTION
 *	In pipe mode every message is a process of its own, and a session
 *	would die with it. The keeper (Postfix's scache(8) model) holds
 *	the sessions the runs hand it, idle, and hands each back to one
 *	later run of the same key. It holds idle connections only: the run
 *	that takes a session does the whole SMTP transaction itself, the
 *	keeper never sees a message, a reply or a TLS record, and a keeper
 *	that dies loses idle sessions, never mail. A TLS session reaches
 *	it as the plaintext end of the session's pump (tls_pump.c).
 *
 *	keeper_main() is "slimrelay --keeper", which keeper_start() runs
 *	with the lock file, flocked, as lock_fd and the listening unix
 *	socket as listen_fd. It serves one request per connection
 *	(keeper_proto.c), from processes of its own uid only:
 *
 *	- GET key: the newest session of the key leaves the cache and goes
 *	  to the client with its slot lock and properties; else NONE.
 *	- PUT: the session is kept for its TTL, unless keeper_max_sessions
 *	  are held, or the key's cap (the request's, else
 *	  keeper_max_sessions) is reached, or its descriptors would come
 *	  near RLIMIT_NOFILE: FULL, and the client says QUIT itself.
 *
 *	The keeper polls what it holds: a session that turns readable (a
 *	421, a close) or hangs up is closed at once, without a word; at the
 *	end of its TTL it is sent QUIT and closed. Closing a session's
 *	slot lock frees its pool_size slot. A request must arrive within
 *	250 ms of the connection. Times are CLOCK_MONOTONIC.
 *
 *	With nothing held and no request for keeper_idle, the keeper
 *	removes its socket (it still holds the lock, so no second keeper
 *	can bind meanwhile), answers whatever was already queued (NONE or
 *	FULL), and exits 0; so it does on SIGTERM or SIGINT, after saying
 *	QUIT to what it holds. It logs its start and its end, with the
 *	sessions taken, handed out and refused.
 * SEE ALSO
 *	keeper_client.c, keeper_proto.c, Postfix scache(8).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "keeper.h"
#include "log.h"

/*
 * From accept to the request: a client sends it right after connecting,
 * and one that does not must not hold up the others (whose own calls
 * wait a second at most).
 */
#define KEEPER_REQUEST_MS	250
#define KEEPER_FD_RESERVE	8	/* descriptors kept free */

struct entry {
	char	key[KEEPER_KEY_MAX];
	char	props[KEEPER_PROPS_MAX];	/* encoded */
	int	fd;
	int	slot_fd;		/* -1: none */
	long	expire_ms;
};

struct keeper {
	const struct config *cfg;
	int	lsock;
	struct entry **e;		/* max entries */
	size_t	n;
	size_t	max;
	long	fd_limit;		/* RLIMIT_NOFILE */
	long	last_ms;		/* last request or session */
	unsigned long kept, given, refused, dropped, expired;
};

static volatile sig_atomic_t is_stopping;

/* on_stop - SIGTERM, SIGINT: end after this round */
static void
on_stop(int sig)
{
	(void)sig;
	is_stopping = 1;
}

/* drop - close entry i (QUIT first when asked), keep the rest in order */
static void
drop(struct keeper *k, size_t i, bool say_quit)
{
	struct entry *e = k->e[i];

	if (say_quit)
		(void)send(e->fd, "QUIT\r\n", 6, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)close(e->fd);
	if (e->slot_fd >= 0)
		(void)close(e->slot_fd);
	free(e);
	memmove(&k->e[i], &k->e[i + 1], (k->n - i - 1) * sizeof(k->e[0]));
	k->n--;
}

/* reply - "HELLO 1 <pid> WORD" with what follows; 0, or -1 */
static int
reply(int s, const char *word, const char *rest, const int *fds, int nfd)
{
	char msg[KEEPER_MSG_MAX + 1];
	int n;

	n = snprintf(msg, sizeof(msg), "HELLO %d %ld %s%s%s", KEEPER_VERSION,
	    (long)getpid(), word, rest != NULL ? " " : "",
	    rest != NULL ? rest : "");
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	return keeper_send(s, msg, (size_t)n, fds, nfd, KEEPER_REQUEST_MS);
}

/* do_get - the newest session of the key, or NONE */
static void
do_get(struct keeper *k, int s, const struct keeper_request *req)
{
	char ekey[3 * KEEPER_KEY_MAX], rest[sizeof(ekey) + KEEPER_PROPS_MAX + 2];
	size_t i;
	int fds[2];
	struct entry *e;

	for (i = k->n; i-- > 0;) {
		e = k->e[i];
		if (strcmp(e->key, req->key) != 0)
			continue;
		if (keeper_encode(e->key, ekey, sizeof(ekey)) == 0)
			break;
		snprintf(rest, sizeof(rest), "%s %s", ekey, e->props);
		fds[0] = e->fd;
		fds[1] = e->slot_fd;
		if (reply(s, "FD", rest, fds, e->slot_fd >= 0 ? 2 : 1) != 0)
			return;		/* still ours: kept */
		k->given++;
		drop(k, i, false);
		return;
	}
	(void)reply(s, "NONE", NULL, NULL, 0);
}

/* do_put - keep the session, or FULL */
static void
do_put(struct keeper *k, int s, const struct keeper_request *req,
    int *fds, int nfd)
{
	struct entry *e;
	size_t i, same = 0;
	size_t cap = req->max_per_key > 0 ? (size_t)req->max_per_key : k->max;
	long in_use = 5 + 2 * (long)k->n;

	for (i = 0; i < k->n; i++)
		same += strcmp(k->e[i]->key, req->key) == 0;
	if (nfd < 1 || k->n >= k->max || same >= cap ||
	    in_use + nfd + KEEPER_FD_RESERVE > k->fd_limit ||
	    (e = calloc(1, sizeof(*e))) == NULL) {
		keeper_close_fds(fds, nfd);
		k->refused++;
		(void)reply(s, nfd < 1 ? "ERR" : "FULL", NULL, NULL, 0);
		return;
	}
	memcpy(e->key, req->key, sizeof(e->key));
	memcpy(e->props, req->props, sizeof(e->props));
	e->fd = fds[0];
	e->slot_fd = nfd > 1 ? fds[1] : -1;
	e->expire_ms = deadline_now_ms() + req->ttl_ms;
	k->e[k->n++] = e;
	k->kept++;
	(void)reply(s, "OK", NULL, NULL, 0);
}

/* serve - one connection: its request, our answer */
static void
serve(struct keeper *k, int s, bool is_closing)
{
	char msg[KEEPER_MSG_MAX + 1];
	struct keeper_request req;
	int fds[2], nfd = 0;
	long len;

	if (!keeper_peer_is_us(s))
		return;
	if ((len = keeper_recv(s, msg, sizeof(msg), fds, &nfd,
	    KEEPER_REQUEST_MS)) < 0)
		return;
	if (keeper_parse_request(msg, (size_t)len, &req) != 0) {
		keeper_close_fds(fds, nfd);
		(void)reply(s, "ERR", NULL, NULL, 0);
		return;
	}
	if (req.op == KEEPER_OP_GET) {
		keeper_close_fds(fds, nfd);
		if (is_closing)
			(void)reply(s, "NONE", NULL, NULL, 0);
		else
			do_get(k, s, &req);
	} else if (is_closing) {
		keeper_close_fds(fds, nfd);
		(void)reply(s, "FULL", NULL, NULL, 0);
	} else {
		do_put(k, s, &req, fds, nfd);
	}
}

/* accept_all - serve every connection waiting */
static void
accept_all(struct keeper *k, bool is_closing)
{
	int s;

	while ((s = accept4(k->lsock, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		serve(k, s, is_closing);
		(void)close(s);
		k->last_ms = deadline_now_ms();
	}
}

/* sweep - close what the server spoke to, QUIT what has idled its TTL */
static void
sweep(struct keeper *k, const struct pollfd *p)
{
	long now = deadline_now_ms();
	size_t i = 0, j = 0;

	/* p[1 + j] is the entry that was e[j] when the poll began. */
	while (i < k->n) {
		if (p != NULL && (p[1 + j].revents & (POLLIN | POLLHUP |
		    POLLERR | POLLNVAL)) != 0) {
			if (log_verbose())
				log_debug("keeper: session closed by the "
				    "server while idle");
			k->dropped++;
			drop(k, i, false);
		} else if (now >= k->e[i]->expire_ms) {
			k->expired++;
			drop(k, i, true);
		} else {
			i++;
		}
		j++;
	}
}

/* keeper_main - serve until idle (or told to stop); the exit status */
int
keeper_main(const struct config *cfg, int lock_fd, int listen_fd)
{
	struct keeper k;
	struct pollfd *p;
	struct rlimit rl;
	struct sigaction sa;
	struct timespec ts;
	sigset_t stop, waiting;
	char dir[1100], path[1100], lock[1100];
	long now, wait, idle_ms = cfg->keeper_idle_ms;
	size_t i;
	int n;

	memset(&k, 0, sizeof(k));
	k.cfg = cfg;
	k.lsock = listen_fd;
	k.max = (size_t)cfg->keeper_max_sessions;
	k.fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 1024;
	k.e = calloc(k.max + 1, sizeof(*k.e));
	p = calloc(k.max + 2, sizeof(*p));
	if (k.e == NULL || p == NULL) {
		log_err("keeper: out of memory");
		free(k.e);
		free(p);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	/* Delivered only inside ppoll(): never lost between test and wait. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &stop, &waiting);
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	(void)fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	if (keeper_paths(cfg->state_directory, dir, sizeof(dir), path,
	    sizeof(path), lock, sizeof(lock)) != 0)
		path[0] = '\0';
	log_info("keeper: started, socket %s, at most %zu sessions, "
	    "exit after %lds idle", path, k.max, idle_ms / 1000);
	k.last_ms = deadline_now_ms();
	while (!is_stopping) {
		now = deadline_now_ms();
		if (k.n == 0 && now - k.last_ms >= idle_ms)
			break;
		wait = k.n == 0 ? k.last_ms + idle_ms - now : 60000;
		for (i = 0; i < k.n; i++)
			if (k.e[i]->expire_ms - now < wait)
				wait = k.e[i]->expire_ms - now;
		if (wait < 0)
			wait = 0;
		p[0].fd = listen_fd;
		p[0].events = POLLIN;
		p[0].revents = 0;
		for (i = 0; i < k.n; i++) {
			p[1 + i].fd = k.e[i]->fd;
			p[1 + i].events = POLLIN;
			p[1 + i].revents = 0;
		}
		if (wait > 60000)
			wait = 60000;
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = wait % 1000 * 1000000L;
		n = ppoll(p, k.n + 1, &ts, &waiting);
		if (n < 0 && errno != EINTR) {
			log_err("keeper: poll: %s", strerror(errno));
			break;
		}
		/* Idle time counts from the last session's going. */
		if (k.n > 0)
			k.last_ms = deadline_now_ms();
		sweep(&k, n > 0 ? p : NULL);
		if (n > 0 && (p[0].revents & POLLIN) != 0)
			accept_all(&k, false);
	}
	/* Gone first, then the last ones queued get an answer. */
	if (path[0] != '\0')
		(void)unlink(path);
	accept_all(&k, true);
	log_info("keeper: exiting%s: sessions kept=%lu, reused=%lu, "
	    "refused=%lu, closed by server=%lu, expired=%lu, left=%zu",
	    is_stopping ? " on a signal" : " after idle", k.kept, k.given,
	    k.refused, k.dropped, k.expired, k.n);
	while (k.n > 0)
		drop(&k, k.n - 1, true);
	free(k.e);
	free(p);
	(void)close(listen_fd);
	(void)close(lock_fd);
	return 0;
}
