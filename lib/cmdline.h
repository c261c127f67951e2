/*
 * cmdline.h - what is wrong with a command line, in words.
 * See cmdline.c.
 */
#ifndef SLIMRELAY_CMDLINE_H
#define SLIMRELAY_CMDLINE_H

#include <getopt.h>
#include <stddef.h>

#define CMDLINE_PROBLEM_MAX	128	/* a buffer that always suffices */

void	cmdline_problem(char *buf, size_t len, int ch, const char *optstring,
	    const struct option *longopts, char *const argv[]);

#endif
