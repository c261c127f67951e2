/*
 * NAME
 *	keeper-peer - something at the keeper's socket that is no keeper
 * SYNOPSIS
 *	keeper-peer SOCKET MODE [LOG]
 * DESCRIPTION
 *	Binds a SOCK_SEQPACKET unix socket at SOCKET (replacing what is
 *	there, as a keeper does) and plays a keeper that is broken in the
 *	way MODE says, for tests/integration/keeper.sh: a run must take
 *	any of them for "no keeper", deliver directly, and lose at most
 *	its one-second keeper time limit per call. MODE is
 *
 *	stale	bind, never listen, exit 0 at once: a socket file that
 *		nobody listens on (a connect is refused)
 *	deaf	listen, never accept
 *	silent	accept, read the request, never answer
 *	version	answer "HELLO 2 <pid> NONE" (another protocol version)
 *	garbage	answer bytes that are no answer at all
 *	badfd	answer a GET with "FD": the key asked for, properties that
 *		fit it, and /dev/null as the session; answer a PUT "OK"
 *		(and close what came with it)
 *
 *	Every mode but stale writes "ready" to standard output once it
 *	listens, and then one line per request to LOG (when given), its
 *	first two words after HELLO ("1 GET", "1 PUT"), flushed at once.
 *	Descriptors that come with a request are closed. It runs until
 *	killed, at most 60 s (SIGALRM).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PEER_MSG_MAX	8192
#define PEER_KEY_MAX	(3 * 1024)	/* a key, encoded */

/* now_ms - CLOCK_MONOTONIC in milliseconds, as slimrelay counts */
static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* recv_request - one record into buf (NUL-terminated); its length, or -1 */
static long
recv_request(int s, char *buf, size_t len)
{
	union {
		struct cmsghdr h;
		char	buf[CMSG_SPACE(8 * sizeof(int))];
	} cm;
	struct msghdr mh;
	struct cmsghdr *c;
	struct iovec iov;
	struct pollfd p = { s, POLLIN, 0 };
	ssize_t n;
	size_t k;
	int fd;

	if (poll(&p, 1, 2000) <= 0)
		return -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len - 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	if ((n = recvmsg(s, &mh, 0)) < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (k = 0; CMSG_LEN((k + 1) * sizeof(int)) <=
			    c->cmsg_len; k++) {
				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int),
				    sizeof(int));
				(void)close(fd);
			}
	buf[n] = '\0';
	return (long)n;
}

/* send_fd - one record with fd (-1: none) */
static void
send_fd(int s, const char *msg, int fd)
{
	union {
		struct cmsghdr h;
		char	buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)msg;
	iov.iov_len = strlen(msg);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	}
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
		perror("keeper-peer: sendmsg");
}

/*
 * answer_badfd - "FD" with the key asked for (as it came, encoded),
 * properties that name the key's own relay, and /dev/null
 */
static void
answer_badfd(int s, const char *req)
{
	char key[PEER_KEY_MAX], relay[PEER_KEY_MAX], out[PEER_MSG_MAX];
	const char *k, *sp;
	char *pct;
	int null;

	if (strncmp(req, "HELLO 1 PUT ", 12) == 0) {
		snprintf(out, sizeof(out), "HELLO 1 %ld OK", (long)getpid());
		send_fd(s, out, -1);
		return;
	}
	if (strncmp(req, "HELLO 1 GET ", 12) != 0)
		return;
	k = req + 12;
	sp = strchr(k, ' ');
	snprintf(key, sizeof(key), "%.*s", sp != NULL ? (int)(sp - k) :
	    (int)strlen(k), k);
	/* The key's first word, "host[addr]:port", is the session's relay. */
	snprintf(relay, sizeof(relay), "%s", key);
	if ((pct = strstr(relay, "%20")) != NULL)
		*pct = '\0';
	snprintf(out, sizeof(out), "HELLO 1 %ld FD %s t=%ld%%20n=1%%20ext=0"
	    "%%20size=0%%20tls=0%%20auth=%%20mechs=%%20peer=127.0.0.1"
	    "%%20relay=%s%%20info=", (long)getpid(), key, now_ms(), relay);
	if ((null = open("/dev/null", O_RDWR)) < 0)
		return;
	send_fd(s, out, null);
	(void)close(null);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	char buf[PEER_MSG_MAX], out[256], word[16], op[16];
	const char *mode;
	FILE *log = NULL;
	int lfd, s;
	long n;

	if (argc < 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: keeper-peer SOCKET MODE [LOG]\n");
		return 2;
	}
	mode = argv[2];
	if (argc > 3 && (log = fopen(argv[3], "a")) == NULL) {
		perror(argv[3]);
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, argv[1], strlen(argv[1]) + 1);
	(void)unlink(argv[1]);
	if ((lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		perror("keeper-peer: bind");
		return 2;
	}
	if (strcmp(mode, "stale") == 0)
		return 0;
	if (listen(lfd, 16) != 0) {
		perror("keeper-peer: listen");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	alarm(60);
	if (strcmp(mode, "deaf") == 0)
		for (;;)
			pause();
	for (;;) {
		if ((s = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			perror("keeper-peer: accept");
			return 2;
		}
		if ((n = recv_request(s, buf, sizeof(buf))) < 0) {
			(void)close(s);
			continue;
		}
		if (log != NULL) {
			word[0] = op[0] = '\0';
			(void)sscanf(buf, "HELLO %15s %15s", word, op);
			fprintf(log, "%s %s\n", word, op);
			fflush(log);
		}
		if (strcmp(mode, "silent") == 0)
			continue;	/* s stays open, never answered */
		if (strcmp(mode, "version") == 0) {
			snprintf(out, sizeof(out), "HELLO 2 %ld NONE",
			    (long)getpid());
			send_fd(s, out, -1);
		} else if (strcmp(mode, "garbage") == 0) {
			send_fd(s, "\001\002 what? \377", -1);
		} else if (strcmp(mode, "badfd") == 0) {
			answer_badfd(s, buf);
		} else {
			fprintf(stderr, "keeper-peer: bad mode %s\n", mode);
			return 2;
		}
		(void)close(s);
	}
}
