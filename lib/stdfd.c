/*
 * NAME
 *	stdfd - standard input, output and error are always open
 * SYNOPSIS
 *	#include "stdfd.h"
 *
 *	int stdfd_ensure(void);
 *	int stdfd_null(int fd);
 * DESCRIPTION
 *	stdfd_ensure() opens /dev/null onto each of descriptors 0, 1 and 2
 *	that is closed (standard input for reading, the others for
 *	writing), and leaves open ones alone. A program calls it first
 *	thing in main(), before it opens any file: otherwise the first
 *	file it opens (the log file, a configuration file, a socket) takes
 *	a closed standard descriptor's number, and what the program later
 *	writes to standard output or error (the transport's status line)
 *	lands in that file, or the file is read as the message.
 *
 *	It returns 0, or -1 with errno set when /dev/null cannot be
 *	opened; the caller then has nowhere safe to report and exits.
 *
 *	stdfd_null() puts /dev/null (for writing) onto fd whatever it was:
 *	in LMTP mode standard error is the protocol's socket (spawn(8),
 *	Exim), where no library message may ever go. 0, or -1.
 * SEE ALSO
 *	Postfix master.c, which does the same before it opens anything.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "stdfd.h"

/* stdfd_ensure - /dev/null onto closed descriptors 0, 1 and 2 */
int
stdfd_ensure(void)
{
	int fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lower ones are open: open(2) takes fd itself. */
		nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd < 0)
			return -1;
		if (nfd != fd) {
			if (dup2(nfd, fd) < 0) {
				close(nfd);
				return -1;
			}
			close(nfd);
		}
	}
	return 0;
}

/* stdfd_null - /dev/null onto fd, whatever it was */
int
stdfd_null(int fd)
{
	int nfd;

	if ((nfd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	if (nfd != fd && dup2(nfd, fd) < 0) {
		close(nfd);
		return -1;
	}
	if (nfd != fd)
		close(nfd);
	return 0;
}
