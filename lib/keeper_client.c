/*
 * NAME
 *	keeper_client - take idle sessions from the keeper, give them back
 * SYNOPSIS
 *	#include "keeper.h"
 *
 *	int keeper_get(const struct keeper_client_options *opt,
 *	    const char *key, struct keeper_session *ks);
 *	int keeper_put(const struct keeper_client_options *opt,
 *	    const char *key, long ttl_ms, int max_per_key,
 *	    const char *props, int fd, int slot_fd);
 *	int keeper_start(const struct keeper_client_options *opt);
 * DESCRIPTION
 *	The client side of the keeper (keeper.c). Every call connects to
 *	the keeper's socket, checks that the keeper runs under our own uid,
 *	sends one request and reads one answer, each within opt->timeout_ms
 *	(KEEPER_TIMEOUT_MS when 0): a keeper that is absent, stale, slow,
 *	of another version or of another user is no keeper, and the caller
 *	connects directly. Nothing here changes a delivery result.
 *
 *	keeper_get() asks for an idle session of the key: 1 with ks->fd (the
 *	connection), ks->slot_fd (its pool_size slot lock, or -1) and
 *	ks->props (what the session's holder said of it), which are then
 *	the caller's; 0 when the keeper has none; -1 when there is no
 *	keeper to ask; -2 when the keeper did not answer in time (a
 *	stopped or overloaded keeper: the caller had better not ask it
 *	again, nor hand it a session). It never starts a keeper.
 *
 *	keeper_put() offers the session fd (and slot_fd, -1 for none) with
 *	its properties, to be kept idle for ttl_ms, at most max_per_key of
 *	the key (0: the keeper's own cap). It returns 1 when the keeper
 *	took it (the caller then closes its own descriptors, without
 *	QUIT), 0 when the keeper refused it or there is no keeper (the
 *	caller says QUIT and closes), and -2 when the request went out but
 *	no answer came (the keeper may hold the session: the caller closes
 *	without QUIT, and the keeper drops the session when the server
 *	answers nothing it asked). When no keeper listens (no socket, or a
 *	stale one) and opt->argv is set, keeper_put() starts one first
 *	(keeper_start()) and asks it; when another run is starting one at
 *	the same moment (it holds the lock), it tries to connect five times
 *	10 ms apart, then gives up.
 *
 *	keeper_start() makes the keeper's directory (mode 0700) when
 *	missing, and forks a child that takes the lock file (flock(2),
 *	LOCK_EX | LOCK_NB: a keeper alive, or another start under way, and
 *	the child gives up), binds a fresh socket under a temporary name,
 *	listens and renames it over the socket's name (a stale socket is
 *	replaced, never removed by a client), then forks the keeper and
 *	exits, after writing the keeper's process id into the lock file.
 *	The keeper has its own session (setsid), standard input,
 *	output and error on /dev/null, the lock and the listening socket as
 *	descriptors 3 and 4, no other descriptor, default signal
 *	dispositions, nothing blocked, and executes opt->program with
 *	opt->argv. keeper_start() waits only for the first
 *	child, which does not wait for the keeper: 0 when a socket is
 *	listening, else -1. The listening socket exists before the keeper
 *	runs, so a request sent right away waits in its queue.
 * SEE ALSO
 *	keeper.c, keeper_proto.c, flock(2), unix(7).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper.h"
#include "log.h"

#define KEEPER_PATH_MAX		1100
#define KEEPER_START_TRIES	5	/* after another run started it */
#define KEEPER_START_NAP_US	10000

static long	timeout_of(const struct keeper_client_options *);
static int	connect_keeper(const struct keeper_client_options *);

/* timeout_of - each call's time limit */
static long
timeout_of(const struct keeper_client_options *opt)
{
	return opt->timeout_ms > 0 ? opt->timeout_ms : KEEPER_TIMEOUT_MS;
}

/*
 * connect_keeper - a connected socket to a keeper of our uid, or -1 with
 * errno (ENOENT or ECONNREFUSED: nobody listens)
 */
static int
connect_keeper(const struct keeper_client_options *opt)
{
	char dir[KEEPER_PATH_MAX], sock[KEEPER_PATH_MAX], lock[KEEPER_PATH_MAX];
	struct sockaddr_un sun;
	int s, err;

	if (opt == NULL || keeper_paths(opt->state_dir, dir, sizeof(dir),
	    sock, sizeof(sock), lock, sizeof(lock)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (keeper_dir_check(dir, false) != 0)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0)
		return -1;
	/* A unix socket connects at once, or fails (EAGAIN: queue full). */
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		err = errno;
		(void)close(s);
		errno = err;
		return -1;
	}
	if (!keeper_peer_is_us(s)) {
		(void)close(s);
		log_warn("keeper: %s: not ours: not used", sock);
		errno = EPERM;
		return -1;
	}
	return s;
}

/* keeper_get - an idle session of the key: 1, 0 (none) or -1 (no keeper) */
int
keeper_get(const struct keeper_client_options *opt, const char *key,
    struct keeper_session *ks)
{
	char msg[KEEPER_MSG_MAX + 1], enc[3 * KEEPER_KEY_MAX], word[8];
	int fds[2], nfd = 0, s, n;
	long len;

	ks->fd = ks->slot_fd = -1;
	ks->props[0] = '\0';
	if (keeper_encode(key, enc, sizeof(enc)) == 0)
		return 0;
	if ((s = connect_keeper(opt)) < 0)
		return -1;
	n = snprintf(msg, sizeof(msg), "HELLO %d GET %s", KEEPER_VERSION, enc);
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    keeper_send(s, msg, (size_t)n, NULL, 0, timeout_of(opt)) != 0 ||
	    (len = keeper_recv(s, msg, sizeof(msg), fds, &nfd,
	    timeout_of(opt))) < 0) {
		n = errno == ETIMEDOUT ? -2 : -1;
		(void)close(s);
		if (n == -2)
			log_warn("keeper: no answer within %ldms: not used",
			    timeout_of(opt));
		return n;
	}
	(void)close(s);
	if (keeper_parse_reply(msg, (size_t)len, key, ks->props,
	    sizeof(ks->props), word, sizeof(word)) != 0) {
		keeper_close_fds(fds, nfd);
		log_warn("keeper: unexpected answer to GET: not used");
		return -1;
	}
	if (strcmp(word, "FD") != 0 || nfd < 1) {
		keeper_close_fds(fds, nfd);
		return strcmp(word, "NONE") == 0 ? 0 : -1;
	}
	ks->fd = fds[0];
	ks->slot_fd = nfd > 1 ? fds[1] : -1;
	return 1;
}

/* keeper_put - offer an idle session: 1 kept, 0 not, -2 unknown */
int
keeper_put(const struct keeper_client_options *opt, const char *key,
    long ttl_ms, int max_per_key, const char *props, int fd, int slot_fd)
{
	char msg[KEEPER_MSG_MAX + 1], ekey[3 * KEEPER_KEY_MAX];
	char eprops[KEEPER_PROPS_MAX], word[8];
	int fds[2], nfd, s, n;
	long len;

	if (keeper_encode(key, ekey, sizeof(ekey)) == 0 ||
	    keeper_encode(props, eprops, sizeof(eprops)) == 0)
		return 0;
	if ((s = connect_keeper(opt)) < 0 && errno == ENAMETOOLONG) {
		log_warn("keeper: the socket's path in %s/keeper is too long "
		    "(at most 107 bytes): not used",
		    opt != NULL ? opt->state_dir : "?");
		return 0;
	}
	if (s < 0) {
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    opt->argv == NULL)
			return 0;
		if (keeper_start(opt) != 0) {
			/*
			 * Another run won the lock and is binding the
			 * socket this very moment: a few short tries.
			 */
			for (n = 0; n < KEEPER_START_TRIES &&
			    (s = connect_keeper(opt)) < 0; n++)
				(void)usleep(KEEPER_START_NAP_US);
		} else {
			s = connect_keeper(opt);
		}
		if (s < 0)
			return 0;
	}
	n = snprintf(msg, sizeof(msg), "HELLO %d PUT %ld %d %s %s",
	    KEEPER_VERSION, ttl_ms, max_per_key, ekey, eprops);
	fds[0] = fd;
	fds[1] = slot_fd;
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    keeper_send(s, msg, (size_t)n, fds, slot_fd >= 0 ? 2 : 1,
	    timeout_of(opt)) != 0) {
		(void)close(s);
		return 0;
	}
	len = keeper_recv(s, msg, sizeof(msg), fds, &nfd, timeout_of(opt));
	(void)close(s);
	if (len < 0)
		return -2;
	keeper_close_fds(fds, nfd);
	if (keeper_parse_reply(msg, (size_t)len, NULL, NULL, 0, word,
	    sizeof(word)) != 0)
		return -2;
	return strcmp(word, "OK") == 0 ? 1 : 0;
}

/* to_high - fd moved to a number of at least 10, close-on-exec; or -1 */
static int
to_high(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* close_from - close every descriptor from lo up */
static void
close_from(int lo)
{
	long max;
	int fd;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, ~0U, 0) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lo; fd < max; fd++)
		(void)close(fd);
}

/* become_keeper - the grandchild: a clean process, then exec */
static void
become_keeper(const struct keeper_client_options *opt, int lockfd,
    int lsock)
{
	sigset_t none;
	int sig, null;

	lockfd = to_high(lockfd);
	lsock = to_high(lsock);
	if (lockfd < 0 || lsock < 0)
		_exit(1);
	if ((null = open("/dev/null", O_RDWR)) < 0)
		_exit(1);
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
	    dup2(lockfd, 3) != 3 || dup2(lsock, 4) != 4)
		_exit(1);
	close_from(5);
	(void)!chdir("/");
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execv(opt->program, opt->argv);
	_exit(127);
}

/* start_child - the first child: lock, socket, keeper; exit status */
static int
start_child(const struct keeper_client_options *opt, const char *sock,
    const char *lock)
{
	char tmp[KEEPER_PATH_MAX];
	struct sockaddr_un sun;
	int lockfd, s, n;
	pid_t pid;

	(void)setsid();
	if ((lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		return 2;
	if (flock(lockfd, LOCK_EX | LOCK_NB) != 0)
		return 1;	/* a keeper lives, or is starting */
	n = snprintf(tmp, sizeof(tmp), "%s.%ld", sock, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return 2;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, tmp, (size_t)n + 1);
	(void)unlink(tmp);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(s, 128) != 0 || rename(tmp, sock) != 0) {
		(void)unlink(tmp);
		return 2;
	}
	if ((pid = fork()) < 0) {
		(void)unlink(sock);
		return 2;
	}
	if (pid == 0)
		become_keeper(opt, lockfd, s);
	/* For people (and tests) who wonder which process it is. */
	n = snprintf(tmp, sizeof(tmp), "%ld\n", (long)pid);
	if (n > 0 && ftruncate(lockfd, 0) == 0)
		(void)!pwrite(lockfd, tmp, (size_t)n, 0);
	return 0;
}

/* keeper_start - start a keeper now; 0 when one listens */
int
keeper_start(const struct keeper_client_options *opt)
{
	char dir[KEEPER_PATH_MAX], sock[KEEPER_PATH_MAX], lock[KEEPER_PATH_MAX];
	pid_t pid;
	int status;

	if (opt == NULL || opt->argv == NULL || opt->program == NULL ||
	    keeper_paths(opt->state_dir, dir, sizeof(dir), sock,
	    sizeof(sock), lock, sizeof(lock)) != 0)
		return -1;
	if (keeper_dir_check(dir, true) != 0) {
		log_warn("keeper: %s: %s: not used", dir, errno == EPERM ?
		    "not a private directory of ours" : strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0)
		_exit(start_child(opt, sock, lock));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	if (log_verbose())
		log_debug("keeper: started, socket %s", sock);
	return 0;
}
