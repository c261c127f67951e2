/*
 * NAME
 *	test_cmdline - unit tests for lib/cmdline.c
 * DESCRIPTION
 *	Real getopt_long() runs over argument vectors, with the transport's
 *	option table: each refusal (unknown short, in a cluster, after a
 *	long option, unknown and ambiguous long, missing argument, short or
 *	long, argument to a flag, short-and-long or long-only) is named,
 *	and a non-printable option byte is shown printable.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <string.h>

#include "cmdline.h"
#include "unit.h"

#define OPT_LONG_ONLY	256

static const char optstring[] = "+:c:o:vtq:f:hV";
static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "route", no_argument, NULL, OPT_LONG_ONLY },
	{ "rooted", no_argument, NULL, OPT_LONG_ONLY + 1 },
	{ "config", required_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 },
};

/* first_problem - parse argv; the first refusal in words, or "" */
static void
first_problem(char **argv, char *buf, size_t len)
{
	int argc, ch;

	for (argc = 0; argv[argc] != NULL; argc++)
		continue;
	buf[0] = '\0';
	optind = 0;	/* glibc: start afresh */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) !=
	    -1) {
		if (ch == '?' || ch == ':') {
			cmdline_problem(buf, len, ch, optstring, longopts,
			    argv);
			return;
		}
	}
}

/* test_cmdline_problem_named - every kind of refusal, in words */
static void
test_cmdline_problem_named(void)
{
	static const struct {
		const char *args[6];
		const char *want;
	} cases[] = {
		{ { "-x" }, "unknown option -x" },
		{ { "-vx" }, "unknown option -x" },
		{ { "-xv" }, "unknown option -x" },
		{ { "--route", "-xv" }, "unknown option -x" },
		{ { "-o", "--a=b", "-zv" }, "unknown option -z" },
		{ { "--bogus" }, "unknown option --bogus" },
		{ { "--bogus=1" }, "unknown option --bogus" },
		{ { "--ro" }, "unknown option --ro" },	/* ambiguous */
		{ { "-f" }, "option -f needs an argument" },
		{ { "-v", "-tf" }, "option -f needs an argument" },
		{ { "--route", "-c" }, "option -c needs an argument" },
		{ { "--config" }, "option --config needs an argument" },
		{ { "--version=2" }, "option --version takes no argument" },
		{ { "--help=x" }, "option --help takes no argument" },
		{ { "--route=1" }, "option --route takes no argument" },
		{ { "--rou=1" }, "option --route takes no argument" },
		{ { "-\x01" }, "unknown option byte 0x01" },
		{ { "-\xff" }, "unknown option byte 0xff" },
		{ { "--\x1b[2J" }, "unknown option --?[2J" },
		{ { "-v", "--", "-x" }, "" },
		{ { "-f", "a@b", "c@d", "-x" }, "" },	/* '+': in order */
	};
	char *argv[8], buf[CMDLINE_PROBLEM_MAX], want[CMDLINE_PROBLEM_MAX];
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		argv[0] = (char *)"prog";
		for (j = 0; cases[i].args[j] != NULL; j++)
			argv[j + 1] = (char *)cases[i].args[j];
		argv[j + 1] = NULL;
		first_problem(argv, buf, sizeof(buf));
		snprintf(want, sizeof(want), "%s%s", cases[i].want[0] != '\0' ?
		    "bad command line: " : "", cases[i].want);
		if (strcmp(buf, want) != 0)
			unit_fail(__FILE__, __LINE__, "case %zu (%s): got "
			    "\"%s\", want \"%s\"", i, cases[i].args[0], buf,
			    want);
		else
			CU_PASS(want);
	}
}

/* test_cmdline_problem_bounded - a long name is cut, buf never overrun */
static void
test_cmdline_problem_bounded(void)
{
	char arg[300], *argv[3], buf[CMDLINE_PROBLEM_MAX], small[20];

	memset(arg, 'a', sizeof(arg) - 1);
	memcpy(arg, "--", 2);
	arg[sizeof(arg) - 1] = '\0';
	argv[0] = (char *)"prog";
	argv[1] = arg;
	argv[2] = NULL;
	first_problem(argv, buf, sizeof(buf));
	UNIT_ASSERT_INT_EQ(strlen(buf), strlen("bad command line: unknown "
	    "option ") + 48);
	first_problem(argv, small, sizeof(small));
	UNIT_ASSERT_STR_EQ(small, "bad command line: u");
}

static CU_TestInfo tests[] = {
	{ "test_cmdline_problem_named", test_cmdline_problem_named },
	{ "test_cmdline_problem_bounded", test_cmdline_problem_bounded },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("cmdline", tests);
}
