/*
 * NAME
 *	test_stdfd - unit tests for lib/stdfd.c
 * DESCRIPTION
 *	In a child process (the runner's own standard output must stay):
 *	closed descriptors 0, 1 and 2 become /dev/null, in any mix, so the
 *	next file opened gets 3; open ones are left as they were.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stdfd.h"
#include "unit.h"

/* is_devnull - fd is open on /dev/null */
static bool
is_devnull(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 &&
	    S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev;
}

/*
 * in_child - close the descriptors in mask (bit n: fd n), with fd 0 on
 * a pipe when it stays open, call stdfd_ensure() and check the result.
 * The child's exit status: 0 good, else the number of the failed check.
 */
static int
in_child(unsigned mask)
{
	int p[2], fd, status;
	pid_t pid;
	struct stat st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			return -1;
		return WEXITSTATUS(status);
	}
	if (pipe(p) != 0 || dup2(p[0], 0) < 0)
		_exit(10);
	close(p[0]);
	close(p[1]);
	for (fd = 0; fd <= 2; fd++)
		if (mask & (1u << fd))
			close(fd);
	if (stdfd_ensure() != 0)
		_exit(11);
	for (fd = 0; fd <= 2; fd++) {
		if (!(mask & (1u << fd)))
			continue;
		if (!is_devnull(fd))
			_exit(20 + fd);
		/* 0 for reading, 1 and 2 for writing. */
		if ((fcntl(fd, F_GETFL) & O_ACCMODE) !=
		    (fd == 0 ? O_RDONLY : O_WRONLY))
			_exit(30 + fd);
	}
	/* An open fd 0 is still the pipe. */
	if (!(mask & 1u) && (fstat(0, &st) != 0 || !S_ISFIFO(st.st_mode)))
		_exit(40);
	/* The next file opened is not a standard descriptor. */
	if ((fd = open("/dev/null", O_RDONLY)) != 3)
		_exit(50);
	_exit(0);
}

/* test_stdfd_ensure_closed - every mix of closed descriptors */
static void
test_stdfd_ensure_closed(void)
{
	unsigned mask;
	int got;

	for (mask = 0; mask < 8; mask++) {
		got = in_child(mask);
		if (got != 0)
			unit_fail(__FILE__, __LINE__, "closed mask %u: got "
			    "child status %d, want 0", mask, got);
		else
			CU_PASS("mask");
	}
}

static CU_TestInfo tests[] = {
	{ "test_stdfd_ensure_closed", test_stdfd_ensure_closed },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("stdfd", tests);
}
