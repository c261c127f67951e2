/*
 * macro.h - command lines with ${sender}, ${recipient} and friends,
 * split into argv words, never through a shell. See macro.c.
 */
#ifndef SLIMRELAY_MACRO_H
#define SLIMRELAY_MACRO_H

#include <stddef.h>

#include "address.h"
#include "result.h"

#define MACRO_ARGV_MAX	64	/* words in one command */
#define MACRO_BUF_MAX	8192	/* bytes of all expanded words */
#define MACRO_QUEUE_ID_MAX 64	/* longest ${queue_id} */
#define MACRO_DELIMITER	'+'	/* user+extension */

/* The values of the macros for one recipient. */
struct macro_values {
	char	sender[ADDRESS_MAX + 1];	/* "" = null sender */
	char	recipient[ADDRESS_MAX + 1];
	char	mailbox[ADDRESS_MAX + 1];	/* local part */
	char	user[ADDRESS_MAX + 1];		/* before '+', lower case */
	char	extension[ADDRESS_MAX + 1];	/* after '+', or "" */
	char	domain[ADDRESS_DOMAIN_MAX + 1];	/* lower case */
	char	queue_id[MACRO_QUEUE_ID_MAX + 1];
};

struct macro_argv {
	char	*argv[MACRO_ARGV_MAX + 2];	/* NULL-terminated */
	size_t	argc;
	char	buf[MACRO_BUF_MAX];		/* argv[] points here */
};

void	macro_values_set(struct macro_values *, const struct address *sender,
	    const struct address *rcpt, const char *queue_id);
int	macro_expand(struct macro_argv *, const char *program,
	    const char *args, const struct macro_values *,
	    struct relay_result *why);
int	macro_check(const char *args, struct relay_result *why);

#endif
