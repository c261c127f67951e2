/*
 * NAME
 *	cmdline - what is wrong with a command line, in words
 * SYNOPSIS
 *	#include "cmdline.h"
 *
 *	void cmdline_problem(char *buf, size_t len, int ch,
 *	    const char *optstring, const struct option *longopts,
 *	    char *const argv[]);
 * DESCRIPTION
 *	Both programs parse their arguments with getopt_long(3) with
 *	opterr = 0 and an optstring whose first option character is ':'
 *	(after a leading '+', if any), so that getopt prints nothing and
 *	returns ':' for a missing option argument and '?' for anything
 *	else it refuses. cmdline_problem() is called right after such a
 *	return ch, with the same optstring and longopts (NULL: none) and
 *	argv, and writes into buf (len bytes, CMDLINE_PROBLEM_MAX always
 *	suffices) what was wrong, starting "bad command line: ":
 *
 *	    unknown option -x
 *	    unknown option --bogus         (also an ambiguous abbreviation)
 *	    option -c needs an argument
 *	    option --version takes no argument
 *
 *	How the cases are told apart from getopt's state: optopt is 0 only
 *	for an unknown (or ambiguous) long option, and then argv[optind - 1]
 *	is that argument, because getopt steps over a long option whatever
 *	is wrong with it. A missing argument is always at the end, so
 *	argv[optind - 1] is the option itself, long ("--") or short (optopt).
 *	Otherwise optopt is an unknown short option's character or the val
 *	of a long option given an argument it does not take; it is taken
 *	for a long option when it is that option's val and cannot be an
 *	unknown short option: it is in optstring, or above 255. Long-only
 *	options therefore use values above 255.
 *
 *	The argument quoted is cut at 48 bytes and made printable with
 *	printable_fix(): the text is one clean line, whatever was typed.
 * SEE ALSO
 *	getopt(3), sysexits(3).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "printable.h"

#define SHOWN_MAX	48	/* bytes of an argument quoted */

static const struct option *long_by_val(const struct option *, int,
	    const char *);

/* cmdline_problem - getopt's refusal, in words */
void
cmdline_problem(char *buf, size_t len, int ch, const char *optstring,
    const struct option *longopts, char *const argv[])
{
	const struct option *lo;
	const char *arg;
	int n;

	if (len == 0)
		return;
	arg = optind > 0 ? argv[optind - 1] : "";
	n = (int)strcspn(arg, "=");
	if (n > SHOWN_MAX)
		n = SHOWN_MAX;
	if (optopt == 0)
		snprintf(buf, len, "bad command line: unknown option %.*s", n,
		    arg);
	else if (ch == ':' && strncmp(arg, "--", 2) == 0)
		snprintf(buf, len, "bad command line: option %.*s needs an "
		    "argument", n, arg);
	else if (ch == ':')
		snprintf(buf, len, "bad command line: option -%c needs an "
		    "argument", optopt);
	else if ((lo = long_by_val(longopts, optopt, optstring)) != NULL)
		snprintf(buf, len, "bad command line: option --%s takes no "
		    "argument", lo->name);
	else if (optopt > 0x20 && optopt < 0x7f)
		snprintf(buf, len, "bad command line: unknown option -%c",
		    optopt);
	else
		snprintf(buf, len, "bad command line: unknown option byte "
		    "0x%02x", (unsigned)optopt & 0xff);
	printable_fix(buf);
}

/*
 * long_by_val - the long option whose val is c, when c cannot be a
 * short option getopt refused (it is one of optstring's, or above 255)
 */
static const struct option *
long_by_val(const struct option *lo, int c, const char *optstring)
{
	if (lo == NULL || (c <= 255 && (c == ':' || c == '+' ||
	    strchr(optstring, c) == NULL)))
		return NULL;
	for (; lo->name != NULL; lo++)
		if (lo->flag == NULL && lo->val == c)
			return lo;
	return NULL;
}
