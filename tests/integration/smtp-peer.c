/*
 * NAME
 *	smtp-peer - a scripted SMTP server for faults no real server makes
 * SYNOPSIS
 *	smtp-peer ADDR PORT TRANSCRIPT STEP...
 * DESCRIPTION
 *	Listens on ADDR:PORT, writes "ready" to standard output, accepts
 *	one connection and runs the steps in order, then reads what the
 *	client still sends until it closes (at most 5 s) and exits 0; after
 *	60 s in all it is killed by SIGALRM, whatever it waits for. Every
 *	byte the client sent goes to TRANSCRIPT, followed by one line
 *	"# got N content bytes, dot: yes|no, eof: yes|no" (eof: the client
 *	closed the connection, rather than going quiet). Steps:
 *
 *	S:TEXT	send TEXT in one write; "|" ends a line (CRLF)
 *	L	read one command line
 *	B:N	read N bytes of message content (or up to the dot)
 *	D	read message content up to the lone dot line
 *	W:MS	sleep MS milliseconds
 *	C	close the connection at once
 *	N	the next transaction on the same connection: one line
 *		"# transaction: N content bytes, dot: yes|no" for the one
 *		so far goes to TRANSCRIPT, and D and B read a new message
 *
 *	Only the tests' own faults are scripted with it (replies out of
 *	turn); every other test talks to a real server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PEER_WAIT_MS	5000

struct peer {
	int	fd;
	FILE	*out;			/* the transcript */
	char	buf[65536];
	size_t	len;			/* bytes in buf not yet taken */
	unsigned long long content;	/* message content bytes taken */
	bool	saw_dot;
	bool	saw_eof;
	int	bol;			/* at the start of a content line */
};

/* fill - read more (waiting at most PEER_WAIT_MS); false at EOF/error */
static bool
fill(struct peer *p)
{
	struct pollfd pfd = { p->fd, POLLIN, 0 };
	ssize_t n;

	if (p->saw_eof || p->len == sizeof(p->buf))
		return false;
	if (poll(&pfd, 1, PEER_WAIT_MS) <= 0)
		return false;
	n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
	if (n <= 0) {
		p->saw_eof = true;
		return false;
	}
	fwrite(p->buf + p->len, 1, (size_t)n, p->out);
	p->len += (size_t)n;
	return true;
}

/* take - drop n bytes from the front of buf */
static void
take(struct peer *p, size_t n)
{
	memmove(p->buf, p->buf + n, p->len - n);
	p->len -= n;
}

/* read_line - one command line */
static void
read_line(struct peer *p)
{
	char *lf;

	while ((lf = memchr(p->buf, '\n', p->len)) == NULL)
		if (!fill(p))
			return;
	take(p, (size_t)(lf - p->buf) + 1);
}

/* read_content - up to max content bytes, stopping after the lone dot */
static void
read_content(struct peer *p, unsigned long long max)
{
	unsigned long long got = 0;
	size_t i;

	while (!p->saw_dot && got < max) {
		if (p->len == 0 && !fill(p))
			return;
		for (i = 0; i < p->len && got < max; i++, got++) {
			if (p->bol && p->len - i >= 3 &&
			    memcmp(p->buf + i, ".\r\n", 3) == 0) {
				p->saw_dot = true;
				i += 3;
				break;
			}
			if (p->bol && p->len - i < 3 && p->buf[i] == '.')
				break;	/* maybe the dot: read more */
			p->bol = p->buf[i] == '\n';
			p->content++;
		}
		take(p, i);
		if (i == 0 && !fill(p))
			return;
	}
}

/* send_text - one write, "|" becoming CRLF */
static void
send_text(struct peer *p, const char *text)
{
	char out[4096];
	size_t n = 0;

	for (; *text != '\0' && n + 2 < sizeof(out); text++) {
		if (*text == '|') {
			out[n++] = '\r';
			out[n++] = '\n';
		} else {
			out[n++] = *text;
		}
	}
	if (write(p->fd, out, n) < 0)
		perror("smtp-peer: write");
}

/* run - one step */
static void
run(struct peer *p, const char *step)
{
	struct timespec ts;
	long ms;

	switch (step[0]) {
	case 'S':
		send_text(p, step + 2);
		break;
	case 'L':
		read_line(p);
		break;
	case 'B':
		read_content(p, strtoull(step + 2, NULL, 10));
		break;
	case 'D':
		read_content(p, ~0ULL);
		break;
	case 'W':
		ms = strtol(step + 2, NULL, 10);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		break;
	case 'C':
		close(p->fd);
		p->fd = -1;
		break;
	case 'N':
		fprintf(p->out, "\n# transaction: %llu content bytes, dot: %s\n",
		    p->content, p->saw_dot ? "yes" : "no");
		p->content = 0;
		p->saw_dot = false;
		p->bol = 1;
		break;
	default:
		fprintf(stderr, "smtp-peer: bad step %s\n", step);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct peer p;
	int lfd, one = 1, i;

	if (argc < 4) {
		fprintf(stderr, "usage: smtp-peer ADDR PORT TRANSCRIPT STEP...\n");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	p.bol = 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1 ||
	    (p.out = fopen(argv[3], "w")) == NULL ||
	    (lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 1) < 0) {
		perror("smtp-peer");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	/* A client that never comes, or never stops: the test goes on. */
	alarm(60);
	if ((p.fd = accept(lfd, NULL, NULL)) < 0) {
		perror("smtp-peer: accept");
		return 2;
	}
	close(lfd);
	for (i = 4; i < argc && p.fd >= 0; i++)
		run(&p, argv[i]);
	if (p.fd >= 0)
		while (fill(&p))
			p.len = 0;
	fprintf(p.out, "\n# got %llu content bytes, dot: %s, eof: %s\n",
	    p.content, p.saw_dot ? "yes" : "no", p.saw_eof ? "yes" : "no");
	fclose(p.out);
	return 0;
}
