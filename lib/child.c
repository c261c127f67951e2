/*
 * NAME
 *	child - run a delivery command under a deadline, without a shell
 * SYNOPSIS
 *	#include "child.h"
 *
 *	int child_run(const char *path, char *const argv[],
 *	    const struct child_input *in, const struct deadline *deadline,
 *	    struct child_status *st, struct relay_result *why);
 *	size_t child_first_line(const char *output, size_t len, char *buf,
 *	    size_t buflen);
 * DESCRIPTION
 *	child_run() runs the program path with argv (argv[0] first, NULL
 *	last) directly, with posix_spawn(3): no shell ever sees the
 *	arguments. The child leads a new process group, starts with every
 *	signal at its default action and none blocked, gets an environment
 *	of PATH=/usr/bin:/bin plus TZ, LANG and LC_ALL when we have them
 *	(like Postfix pipe(8): nothing else of ours leaks to it), and
 *	inherits the working directory and umask. Its standard input is a
 *	pipe fed from in->read() (the message); its standard output and
 *	standard error are one pipe, as with pipe(8).
 *
 *	Input and output move together in one poll(2) loop, so a child
 *	that writes a lot before it reads everything never deadlocks with
 *	us. The first CHILD_OUTPUT_MAX bytes of output are kept in
 *	st->output (NUL-terminated; the rest is read and thrown away, and
 *	st->output_truncated says so): memory does not grow with the
 *	message or with the output. A child that closes its input early
 *	is not an error: st->input_closed says so and what it made of
 *	the message is told by its exit status (pipe(8) does the same).
 *
 *	The loop ends when the output reaches end of file and the input
 *	is done; then the child is reaped, still under the deadline. When
 *	the deadline passes first, the whole process group gets SIGKILL
 *	(so nothing the command started lingers) and the child is reaped
 *	within CHILD_REAP_MS; st->timed_out is then true. A grandchild
 *	that made itself a new process group or session escapes the kill:
 *	that is the one limit of process-group control.
 *
 *	child_run() returns 0 when the child ran and was reaped: st tells
 *	how it ended (exited with exit_code, killed by signal, or
 *	timed_out). It returns -1 with *why set when it could not run the
 *	child: "4.3.5" when the program cannot be executed (missing, not
 *	executable: a configuration error to fix, not a reason to bounce),
 *	"4.3.0" when pipes or processes are short, and in->read()'s own
 *	result when reading the message failed; in that last case the
 *	child's group is killed and reaped first, so it never sees a
 *	partial message as a whole one.
 *
 *	SIGPIPE is ignored while child_run() runs (a child that exits
 *	without reading must not kill us) and restored afterwards.
 *
 *	child_first_line() copies into buf the first line of output that
 *	has something other than blanks in it, without its line end, and
 *	returns its length (0: none). Control characters become spaces.
 * SEE ALSO
 *	posix_spawn(3), Postfix pipe(8) and global/pipe_command.c.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

#define CHILD_PATH	"PATH=/usr/bin:/bin"
#define CHILD_ENV_MAX	8
#define CHILD_ENV_LEN	256	/* longest NAME=value passed on */
#define WRITE_BUF	(64 * 1024)

/* The state of the exchange with one child. */
struct io {
	int	in_fd;		/* our end of the child's stdin, or -1 */
	int	out_fd;		/* our end of its stdout+stderr, or -1 */
	bool	input_eof;	/* in->read() said 0 */
	size_t	wpos, wlen;	/* unwritten bytes are wbuf[wpos..wlen) */
	char	wbuf[WRITE_BUF];
};

static const char *const passed_env[] = { "TZ", "LANG", "LC_ALL" };

static int spawn(const char *, char *const[], int, int, pid_t *,
	    struct relay_result *);
static int exchange(struct io *, const struct child_input *,
	    const struct deadline *, struct child_status *,
	    struct relay_result *);
static int feed(struct io *, const struct child_input *,
	    struct child_status *, struct relay_result *);
static int drink(struct io *, struct child_status *);
static int reap(pid_t, const struct deadline *, int *);
static void kill_group(pid_t);
static void close_fd(int *);

/* child_run - run path with argv, message on stdin, under deadline */
int
child_run(const char *path, char *const argv[], const struct child_input *in,
    const struct deadline *deadline, struct child_status *st,
    struct relay_result *why)
{
	struct sigaction ign, old_pipe;
	struct deadline reap_dl;
	struct io *io = NULL;
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 };
	pid_t pid = -1;
	int status, rc = -1, ret = -1;

	memset(st, 0, sizeof(*st));
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);

	if ((io = malloc(sizeof(*io))) == NULL) {
		relay_result_set(why, "4.3.0", "out of memory");
		goto out;
	}
	io->in_fd = io->out_fd = -1;
	io->input_eof = false;
	io->wpos = io->wlen = 0;
	if (pipe2(in_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0) {
		relay_result_set(why, "4.3.0", "cannot make a pipe: %s",
		    strerror(errno));
		goto out;
	}
	if (spawn(path, argv, in_pipe[0], out_pipe[1], &pid, why) != 0)
		goto out;
	close_fd(&in_pipe[0]);
	close_fd(&out_pipe[1]);
	io->in_fd = in_pipe[1];
	io->out_fd = out_pipe[0];
	in_pipe[1] = out_pipe[0] = -1;
	if (fcntl(io->in_fd, F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(io->out_fd, F_SETFL, O_NONBLOCK) < 0) {
		relay_result_set(why, "4.3.0", "cannot set up the pipes: %s",
		    strerror(errno));
		kill_group(pid);
		goto reap;
	}

	rc = exchange(io, in, deadline, st, why);
	if (rc != 0)
		kill_group(pid);	/* timed out, or the message failed */
	close_fd(&io->in_fd);
	close_fd(&io->out_fd);
	if (rc == 0 && reap(pid, deadline, &status) == 0) {
		pid = -1;
		goto done;
	}
	if (rc == 0)
		kill_group(pid);	/* output closed, but no exit in time */
	st->timed_out = rc >= 0;
reap:
	/* SIGKILL cannot be caught: the child goes away at once. */
	deadline_in_ms(&reap_dl, CHILD_REAP_MS);
	if (reap(pid, &reap_dl, &status) != 0) {
		relay_result_set(why, "4.3.0", "process %ld did not go away "
		    "after SIGKILL", (long)pid);
		goto out;
	}
	pid = -1;
	if (rc < 0)
		goto out;	/* why was set by exchange() or above */
done:
	if (WIFEXITED(status)) {
		st->exited = true;
		st->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		st->signal = WTERMSIG(status);
	}
	ret = 0;
out:
	close_fd(&in_pipe[0]);
	close_fd(&in_pipe[1]);
	close_fd(&out_pipe[0]);
	close_fd(&out_pipe[1]);
	if (io != NULL) {
		close_fd(&io->in_fd);
		close_fd(&io->out_fd);
	}
	free(io);
	sigaction(SIGPIPE, &old_pipe, NULL);
	return ret;
}

/* spawn - start the child: own process group, default signals, clean env */
static int
spawn(const char *path, char *const argv[], int in_fd, int out_fd,
    pid_t *pid, struct relay_result *why)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char *env[CHILD_ENV_MAX];
	char path_env[] = CHILD_PATH;
	char kept[sizeof(passed_env) / sizeof(passed_env[0])][CHILD_ENV_LEN];
	const char *v;
	size_t i, n = 0;
	int err, len;

	env[n++] = path_env;
	for (i = 0; i < sizeof(passed_env) / sizeof(passed_env[0]); i++) {
		if ((v = getenv(passed_env[i])) == NULL)
			continue;
		len = snprintf(kept[i], sizeof(kept[i]), "%s=%s",
		    passed_env[i], v);
		if (len > 0 && (size_t)len < sizeof(kept[i]))
			env[n++] = kept[i];	/* too long: left out */
	}
	env[n] = NULL;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* dup2() clears close-on-exec on the copies, nothing else passes. */
	posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	err = posix_spawn(pid, path, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err == 0)
		return 0;
	if (err == EAGAIN || err == ENOMEM)
		return relay_result_set(why, "4.3.0", "cannot start %.200s: %s",
		    path, strerror(err));
	return relay_result_set(why, "4.3.5", "cannot execute %.200s: %s",
	    path, strerror(err));
}

/*
 * exchange - write the message and read the output until both are
 * done: 0, 1 when the deadline passed, -1 when the message could not
 * be read (why set).
 */
static int
exchange(struct io *io, const struct child_input *in,
    const struct deadline *deadline, struct child_status *st,
    struct relay_result *why)
{
	struct pollfd pfd[2];
	nfds_t n;
	int rc;

	while (io->in_fd >= 0 || io->out_fd >= 0) {
		if (io->in_fd >= 0 && io->wpos == io->wlen && !io->input_eof &&
		    feed(io, in, st, why) < 0)
			return -1;
		if (io->in_fd >= 0 && io->wpos == io->wlen && io->input_eof)
			close_fd(&io->in_fd);	/* the child sees EOF */
		n = 0;
		if (io->in_fd >= 0) {
			pfd[n].fd = io->in_fd;
			pfd[n++].events = POLLOUT;
		}
		if (io->out_fd >= 0) {
			pfd[n].fd = io->out_fd;
			pfd[n++].events = POLLIN;
		}
		if (n == 0)
			break;
		if (deadline_expired(deadline))
			return 1;
		rc = poll(pfd, n, deadline_poll_ms(deadline));
		if (rc < 0 && errno != EINTR)
			return relay_result_set(why, "4.3.0", "poll: %s",
			    strerror(errno));
		if (rc <= 0)
			continue;
		if (io->out_fd >= 0 && drink(io, st) < 0)
			return relay_result_set(why, "4.3.0", "error reading "
			    "command output: %s", strerror(errno));
		if (io->in_fd >= 0 && pfd[0].revents != 0 &&
		    feed(io, in, st, why) < 0)
			return -1;
	}
	return 0;
}

/* feed - get more of the message if needed, write what the pipe takes */
static int
feed(struct io *io, const struct child_input *in, struct child_status *st,
    struct relay_result *why)
{
	ssize_t n;

	if (io->wpos == io->wlen && !io->input_eof) {
		if ((n = in->read(in->arg, io->wbuf, sizeof(io->wbuf),
		    why)) < 0)
			return -1;
		io->wpos = 0;
		io->wlen = (size_t)n;
		io->input_eof = n == 0;
	}
	while (io->wpos < io->wlen) {
		n = write(io->in_fd, io->wbuf + io->wpos, io->wlen - io->wpos);
		if (n > 0) {
			io->wpos += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		/* EPIPE: the child stopped reading; its status decides. */
		st->input_closed = true;
		io->wpos = io->wlen = 0;
		io->input_eof = true;
		close_fd(&io->in_fd);
		return 0;
	}
	return 0;
}

/* drink - read what output there is; keep the first part; -1 on error */
static int
drink(struct io *io, struct child_status *st)
{
	char buf[8192];
	size_t room, take;
	ssize_t n;

	for (;;) {
		n = read(io->out_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -1;
		if (n == 0) {
			close_fd(&io->out_fd);
			return 0;
		}
		room = CHILD_OUTPUT_MAX - st->output_len;
		take = (size_t)n < room ? (size_t)n : room;
		memcpy(st->output + st->output_len, buf, take);
		st->output_len += take;
		st->output[st->output_len] = '\0';
		if (take < (size_t)n)
			st->output_truncated = true;
	}
}

/* reap - waitpid() for pid until deadline: 0 and *status, or -1 */
static int
reap(pid_t pid, const struct deadline *deadline, int *status)
{
	struct timespec nap = { 0, 1000000 };	/* 1 ms, growing to 50 */
	pid_t got;

	for (;;) {
		got = waitpid(pid, status, WNOHANG);
		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return -1;
		if (deadline_expired(deadline))
			return -1;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 50000000)
			nap.tv_nsec *= 2;
	}
}

/* kill_group - SIGKILL the child and everything in its process group */
static void
kill_group(pid_t pid)
{
	/* The child is not reaped yet, so its group id cannot be reused. */
	if (kill(-pid, SIGKILL) < 0)
		(void)kill(pid, SIGKILL);
}

/* close_fd - close *fd if open and mark it closed */
static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* child_first_line - the first non-blank line of output, one line */
size_t
child_first_line(const char *output, size_t len, char *buf, size_t buflen)
{
	const char *p = output, *end = output + len, *eol;
	size_t n = 0, i;

	if (buflen == 0)
		return 0;
	buf[0] = '\0';
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		for (i = 0; p + i < eol; i++)
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
				break;
		if (p + i < eol)
			break;		/* something in this line */
		p = eol < end ? eol + 1 : end;
	}
	while (p < end && *p != '\n' && n + 1 < buflen) {
		buf[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? ' ' : *p;
		p++;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return n;
}
