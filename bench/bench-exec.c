/*
 * NAME
 *	bench-exec - run a program COUNT times the way pipe(8) runs it
 * SYNOPSIS
 *	bench-exec -n COUNT -i INPUT -o OUTPUT -- PROGRAM [ARG...]
 * DESCRIPTION
 *	Runs PROGRAM COUNT times, one run after the other, and prints
 *	how long that took. Each run is started as Postfix's pipe(8)
 *	starts a delivery: fork(), then execv() of PROGRAM, with no shell
 *	in between and no PATH search (PROGRAM must be an absolute path).
 *	The child opens INPUT read-only as its standard input; its
 *	standard output and standard error are a pipe that the parent
 *	reads to the end, as pipe(8) reads a command's output for the
 *	delivery status (the first OUTPUT_MAX bytes are kept, the rest
 *	read and dropped). After the last run, or a failed one, what
 *	that run printed is written to OUTPUT (created or truncated,
 *	mode 0666 less the umask): writing a file per run would add a
 *	file system's cost that no MTA imposes. The environment is passed
 *	on unchanged. The parent waits for each run with wait4(2), which
 *	also yields the run's resource usage.
 *
 *	On success one line goes to standard output:
 *
 *		ELAPSED_US CPU_US
 *
 *	ELAPSED_US is the wall-clock time of all runs on CLOCK_MONOTONIC,
 *	from just before the first fork() to just after the last wait4();
 *	CPU_US is the user plus system CPU time of all the runs, both in
 *	microseconds. bench/run.sh uses it to time deliveries without the
 *	cost of a shell forking itself for every run, which belongs to
 *	neither of the programs it compares.
 *
 *	Exit status: 0 when every run exited 0; 1 at the first run that
 *	did not (it says on standard error "bench-exec: run K of N:
 *	PROGRAM exited S" or "... killed by signal S", and no more runs
 *	are started), or when a system call failed (INPUT or OUTPUT
 *	cannot be opened, fork() fails); 2 for a usage error. When
 *	execv() fails the child says why on bench-exec's standard error
 *	and exits 127, which ends the batch like any other failed run.
 * SEE ALSO
 *	bench/run.sh, bench/README.md, pipe(8), wait4(2).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COUNT_MAX	10000000L	/* far more than any benchmark needs */
#define EXIT_EXEC	127		/* the child could not exec, as sh(1) */
#define OUTPUT_MAX	4096		/* output kept per run */

struct bench {
	long	count;
	const char *input;
	const char *output;
	char  **argv;		/* PROGRAM [ARG...], NULL-terminated */
	int	err_fd;		/* our stderr, close-on-exec, for the child */
	char	out[OUTPUT_MAX];	/* what the current run printed */
	size_t	out_len;
	long long elapsed_us;
	long long cpu_us;
};

static void usage(void) __attribute__((noreturn));
static void warn_fd(int, const char *, const char *);
static bool parse_count(const char *, long *);
static int check_files(const struct bench *);
static void run_child(const struct bench *, int)
	    __attribute__((noreturn));
static int read_output(struct bench *, int);
static int write_output(const struct bench *);
static int run_one(struct bench *, long);
static long long timeval_us(const struct timeval *);
static long long timespec_us(const struct timespec *);

/* usage - the synopsis on stderr, exit 2 */
static void
usage(void)
{
	fprintf(stderr, "usage: bench-exec -n COUNT -i INPUT -o OUTPUT "
	    "-- PROGRAM [ARG...]\n");
	exit(2);
}

/*
 * warn_fd - "bench-exec: what: error" on fd, with write(2) only: the
 * child calls it between fork() and exec, where stdio is not ours
 */
static void
warn_fd(int fd, const char *what, const char *error)
{
	char	line[PATH_MAX + 256];
	int	len;

	len = snprintf(line, sizeof(line), "bench-exec: %s: %s\n", what,
	    error);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line)) {
		/* Truncated: still end the line. */
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	/* Nothing more to do when even this fails. */
	(void)!write(fd, line, (size_t)len);
}

/* parse_count - a decimal run count in 1..COUNT_MAX */
static bool
parse_count(const char *s, long *count)
{
	char   *end;
	long	n;

	if (*s < '0' || *s > '9')
		return false;	/* strtol would take " 5", "+5", "-5" */
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > COUNT_MAX)
		return false;
	*count = n;
	return true;
}

/*
 * check_files - open INPUT and OUTPUT once before the first run, so
 * that a wrong path is reported as such rather than as a failed run
 */
static int
check_files(const struct bench *b)
{
	int	fd;

	if ((fd = open(b->input, O_RDONLY | O_CLOEXEC)) < 0) {
		warn_fd(STDERR_FILENO, b->input, strerror(errno));
		return -1;
	}
	close(fd);
	fd = open(b->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		warn_fd(STDERR_FILENO, b->output, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * run_child - in the child: INPUT on 0, the pipe out_fd on 1 and 2,
 * exec PROGRAM. Only async-signal-safe calls from here on; errors go
 * to the parent's stderr, which the child holds as err_fd until exec.
 */
static void
run_child(const struct bench *b, int out_fd)
{
	int	fd;

	if ((fd = open(b->input, O_RDONLY)) < 0) {
		warn_fd(b->err_fd, b->input, strerror(errno));
		_exit(EXIT_EXEC);
	}
	if (fd != STDIN_FILENO) {
		if (dup2(fd, STDIN_FILENO) < 0) {
			warn_fd(b->err_fd, "dup2", strerror(errno));
			_exit(EXIT_EXEC);
		}
		close(fd);
	}
	/* dup2() leaves the copies without close-on-exec. */
	if (dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0) {
		warn_fd(b->err_fd, "dup2", strerror(errno));
		_exit(EXIT_EXEC);
	}
	execv(b->argv[0], b->argv);
	warn_fd(b->err_fd, b->argv[0], strerror(errno));
	_exit(EXIT_EXEC);
}

/* read_output - the run's output from fd up to its end; -1 on error */
static int
read_output(struct bench *b, int fd)
{
	char	drop[4096];
	ssize_t	n;

	b->out_len = 0;
	for (;;) {
		if (b->out_len < sizeof(b->out))
			n = read(fd, b->out + b->out_len,
			    sizeof(b->out) - b->out_len);
		else
			n = read(fd, drop, sizeof(drop));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warn_fd(STDERR_FILENO, "read", strerror(errno));
			return -1;
		}
		if (b->out_len < sizeof(b->out))
			b->out_len += (size_t)n;
	}
}

/* write_output - what the last run printed, into OUTPUT */
static int
write_output(const struct bench *b)
{
	size_t	done = 0;
	ssize_t	n;
	int	fd;

	fd = open(b->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		warn_fd(STDERR_FILENO, b->output, strerror(errno));
		return -1;
	}
	while (done < b->out_len) {
		if ((n = write(fd, b->out + done, b->out_len - done)) < 0) {
			if (errno == EINTR)
				continue;
			warn_fd(STDERR_FILENO, b->output, strerror(errno));
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0) {
		warn_fd(STDERR_FILENO, b->output, strerror(errno));
		return -1;
	}
	return 0;
}

/* run_one - run number k: fork, exec, read, wait; add its CPU time */
static int
run_one(struct bench *b, long k)
{
	struct rusage ru;
	pid_t	pid;
	int	status, out[2], rd;

	if (pipe2(out, O_CLOEXEC) < 0) {
		warn_fd(STDERR_FILENO, "pipe", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		warn_fd(STDERR_FILENO, "fork", strerror(errno));
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if (pid == 0)
		run_child(b, out[1]);
	close(out[1]);
	rd = read_output(b, out[0]);
	close(out[0]);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			warn_fd(STDERR_FILENO, "wait4", strerror(errno));
			return -1;
		}
	}
	b->cpu_us += timeval_us(&ru.ru_utime) + timeval_us(&ru.ru_stime);
	if (rd < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		fprintf(stderr, "bench-exec: run %ld of %ld: %s killed by "
		    "signal %d\n", k, b->count, b->argv[0], WTERMSIG(status));
	else
		fprintf(stderr, "bench-exec: run %ld of %ld: %s exited %d\n",
		    k, b->count, b->argv[0], WEXITSTATUS(status));
	return -1;
}

/* timeval_us - a struct timeval in microseconds */
static long long
timeval_us(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

/* timespec_us - a struct timespec in microseconds, rounded down */
static long long
timespec_us(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000 + ts->tv_nsec / 1000;
}

/* main - parse the arguments, run the batch, print the totals */
int
main(int argc, char **argv)
{
	struct bench b = { .count = 0, .err_fd = -1 };
	struct timespec t0, t1;
	long	k;
	int	ch, status = 1;

	/* '+': options end at the first operand, as POSIX says. */
	while ((ch = getopt(argc, argv, "+n:i:o:")) != -1) {
		switch (ch) {
		case 'n':
			if (!parse_count(optarg, &b.count)) {
				fprintf(stderr, "bench-exec: -n %s: not a "
				    "number from 1 to %ld\n", optarg,
				    COUNT_MAX);
				usage();
			}
			break;
		case 'i':
			b.input = optarg;
			break;
		case 'o':
			b.output = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (b.count == 0 || b.input == NULL || b.output == NULL) {
		fprintf(stderr, "bench-exec: -n, -i and -o are required\n");
		usage();
	}
	if (argc < 1) {
		fprintf(stderr, "bench-exec: no PROGRAM\n");
		usage();
	}
	if (argv[0][0] != '/') {
		fprintf(stderr, "bench-exec: %s: PROGRAM must be an absolute "
		    "path (no PATH search)\n", argv[0]);
		usage();
	}
	b.argv = argv;

	if (check_files(&b) < 0)
		goto out;
	/* Our stderr for the children's exec errors, closed by exec. */
	if ((b.err_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) < 0) {
		warn_fd(STDERR_FILENO, "fcntl", strerror(errno));
		goto out;
	}
	/* Nothing buffered may be copied into the children. */
	fflush(NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 1; k <= b.count; k++) {
		if (run_one(&b, k) < 0) {
			(void)write_output(&b);
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	b.elapsed_us = timespec_us(&t1) - timespec_us(&t0);
	if (write_output(&b) < 0)
		goto out;

	printf("%lld %lld\n", b.elapsed_us, b.cpu_us);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn_fd(STDERR_FILENO, "stdout", strerror(errno));
		goto out;
	}
	status = 0;
out:
	if (b.err_fd >= 0)
		close(b.err_fd);
	return status;
}
