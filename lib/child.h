/*
 * child.h - run a delivery command without a shell: feed it the
 * message, collect its output, kill its process group on timeout.
 * See child.c.
 */
#ifndef SLIMRELAY_CHILD_H
#define SLIMRELAY_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "deadline.h"
#include "result.h"

#define CHILD_OUTPUT_MAX	4096	/* output kept, like Postfix's 4 KB */
#define CHILD_REAP_MS		5000	/* wait for a killed child */

/* Where the child's standard input comes from. */
struct child_input {
	/* Up to len bytes into buf; 0 at the end; -1 with why set. */
	ssize_t	(*read)(void *arg, char *buf, size_t len,
		    struct relay_result *why);
	void	*arg;
};

struct child_status {
	bool	timed_out;	/* killed (with its group) at the deadline */
	bool	exited;		/* exit_code is valid */
	int	exit_code;
	int	signal;		/* killed by this signal, else 0 */
	bool	input_closed;	/* the child closed stdin before the end */
	size_t	output_len;	/* bytes kept in output */
	bool	output_truncated; /* the child wrote more than that */
	char	output[CHILD_OUTPUT_MAX + 1];	/* NUL-terminated */
};

int	child_run(const char *path, char *const argv[],
	    const struct child_input *, const struct deadline *,
	    struct child_status *, struct relay_result *why);
size_t	child_first_line(const char *output, size_t len, char *buf,
	    size_t buflen);

#endif
