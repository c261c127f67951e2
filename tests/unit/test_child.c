/*
 * NAME
 *	test_child - unit tests for lib/child.c
 * DESCRIPTION
 *	Real children (/bin/sh -c, used only here, never by slimrelay):
 *	exit codes, signals, output capture and its bound, a big message
 *	both ways without deadlock, the time limit killing the whole
 *	process group, a child that stops reading, a program that cannot
 *	be executed, a message that cannot be read, the environment, and
 *	child_first_line().
 */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "unit.h"

#define SH	"/bin/sh"

/* A message of size bytes of a repeating pattern; fails at fail_at. */
struct gen {
	long long size, pos;
	long long fail_at;	/* -1: never */
};

/* gen_read - child_input reader over a struct gen */
static ssize_t
gen_read(void *arg, char *buf, size_t len, struct relay_result *why)
{
	struct gen *g = arg;
	size_t i;

	if (g->fail_at >= 0 && g->pos >= g->fail_at)
		return relay_result_set(why, "4.3.0", "test read error");
	if ((long long)len > g->size - g->pos)
		len = (size_t)(g->size - g->pos);
	for (i = 0; i < len; i++)
		buf[i] = (char)('a' + (g->pos + (long long)i) % 26);
	g->pos += (long long)len;
	return (ssize_t)len;
}

/* run_sh - run "sh -c script" with a generated message of size bytes */
static int
run_sh(const char *script, long long size, long timeout_ms,
    struct child_status *st, struct relay_result *why)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct gen g = { size, 0, -1 };
	struct child_input in = { gen_read, &g };
	struct deadline dl;

	deadline_in_ms(&dl, timeout_ms);
	relay_result_init(why);
	return child_run(SH, argv, &in, &dl, st, why);
}

/* test_child_exit_codes - the exit status comes back as it was */
static void
test_child_exit_codes(void)
{
	static const int codes[] = { 0, 1, 64, 67, 75, 78, 100, 255 };
	struct child_status st;
	struct relay_result why;
	char script[64];
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(script, sizeof(script), "cat >/dev/null; exit %d",
		    codes[i]);
		UNIT_ASSERT_INT_EQ(run_sh(script, 1000, 5000, &st, &why), 0);
		UNIT_ASSERT_INT_EQ(st.exited, 1);
		UNIT_ASSERT_INT_EQ(st.exit_code, codes[i]);
		UNIT_ASSERT_INT_EQ(st.timed_out, 0);
		UNIT_ASSERT_INT_EQ(st.signal, 0);
	}
}

/* test_child_signal - a child killed by a signal says which */
static void
test_child_signal(void)
{
	struct child_status st;
	struct relay_result why;

	UNIT_ASSERT_INT_EQ(run_sh("kill -TERM $$", 0, 5000, &st, &why), 0);
	UNIT_ASSERT_INT_EQ(st.exited, 0);
	UNIT_ASSERT_INT_EQ(st.signal, SIGTERM);
	UNIT_ASSERT_INT_EQ(st.timed_out, 0);
}

/* test_child_output - stdout and stderr, in order, in one buffer */
static void
test_child_output(void)
{
	struct child_status st;
	struct relay_result why;
	char line[64];

	UNIT_ASSERT_INT_EQ(run_sh("echo one; echo two >&2; echo three", 0,
	    5000, &st, &why), 0);
	UNIT_ASSERT_STR_EQ(st.output, "one\ntwo\nthree\n");
	UNIT_ASSERT_INT_EQ(st.output_len, 14);
	UNIT_ASSERT_INT_EQ(st.output_truncated, 0);
	UNIT_ASSERT_INT_EQ(child_first_line(st.output, st.output_len, line,
	    sizeof(line)), 3);
	UNIT_ASSERT_STR_EQ(line, "one");
}

/* test_child_stdin - the child reads exactly the message */
static void
test_child_stdin(void)
{
	struct child_status st;
	struct relay_result why;

	/* 3 MB in, its size out: every byte arrived. */
	UNIT_ASSERT_INT_EQ(run_sh("wc -c", 3000000, 10000, &st, &why), 0);
	UNIT_ASSERT_INT_EQ(atol(st.output), 3000000);
	UNIT_ASSERT_INT_EQ(st.exit_code, 0);
	UNIT_ASSERT_INT_EQ(st.input_closed, 0);
	/* The bytes themselves, on a small message. */
	UNIT_ASSERT_INT_EQ(run_sh("cat", 30, 5000, &st, &why), 0);
	UNIT_ASSERT_STR_EQ(st.output, "abcdefghijklmnopqrstuvwxyzabcd");
}

/* test_child_big_both_ways - 20 MB in, 20 MB out: no deadlock, bounded */
static void
test_child_big_both_ways(void)
{
	struct child_status st;
	struct relay_result why;

	/* cat echoes as it reads: both pipes are full at once. */
	UNIT_ASSERT_INT_EQ(run_sh("cat", 20000000, 20000, &st, &why), 0);
	UNIT_ASSERT_INT_EQ(st.exited, 1);
	UNIT_ASSERT_INT_EQ(st.exit_code, 0);
	UNIT_ASSERT_INT_EQ(st.timed_out, 0);
	UNIT_ASSERT_INT_EQ(st.output_len, CHILD_OUTPUT_MAX);
	UNIT_ASSERT_INT_EQ(st.output_truncated, 1);
	UNIT_ASSERT_INT_EQ(strlen(st.output), CHILD_OUTPUT_MAX);
	/* Writes 5 MB before it reads anything. */
	UNIT_ASSERT_INT_EQ(run_sh("head -c 5000000 /dev/zero | tr '\\0' x; "
	    "wc -c >&2", 5000000, 20000, &st, &why), 0);
	UNIT_ASSERT_INT_EQ(st.exit_code, 0);
	UNIT_ASSERT_INT_EQ(st.output_truncated, 1);
}

/* gone - true once pid has exited (gone, or a zombie waiting for init) */
static int
gone(long pid)
{
	char path[64], buf[512], *p;
	FILE *fp;
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((fp = fopen(path, "r")) == NULL)
			return 1;
		p = fgets(buf, sizeof(buf), fp);
		fclose(fp);
		if (p != NULL && (p = strrchr(buf, ')')) != NULL &&
		    (p[2] == 'Z' || p[2] == 'X'))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* test_child_timeout_kills_group - the deadline kills every process */
static void
test_child_timeout_kills_group(void)
{
	struct child_status st;
	struct relay_result why;
	long t0, bg;

	t0 = deadline_now_ms();
	/* A background sleep in the same group, and a foreground one. */
	UNIT_ASSERT_INT_EQ(run_sh("sleep 30 & echo $!; sleep 30", 0, 300,
	    &st, &why), 0);
	UNIT_ASSERT_INT_EQ(st.timed_out, 1);
	UNIT_ASSERT_INT_EQ(st.exited, 0);
	UNIT_ASSERT_INT_EQ(st.signal, SIGKILL);
	if (deadline_now_ms() - t0 > 3000)
		unit_fail(__FILE__, __LINE__, "took %ld ms, want about 300",
		    deadline_now_ms() - t0);
	bg = atol(st.output);
	if (bg <= 1)
		unit_fail(__FILE__, __LINE__, "no background pid in \"%s\"",
		    st.output);
	else
		UNIT_ASSERT_INT_EQ(gone(bg), 1);
}

/* test_child_timeout_open_output - a grandchild holding the output */
static void
test_child_timeout_open_output(void)
{
	struct child_status st;
	struct relay_result why;

	/* The shell exits at once; its child keeps stdout open. */
	UNIT_ASSERT_INT_EQ(run_sh("sleep 30 & exit 0", 0, 300, &st, &why), 0);
	UNIT_ASSERT_INT_EQ(st.timed_out, 1);
}

/* test_child_timeout_while_writing - a child that never reads */
static void
test_child_timeout_while_writing(void)
{
	struct child_status st;
	struct relay_result why;

	UNIT_ASSERT_INT_EQ(run_sh("exec sleep 30", 10000000, 300, &st, &why),
	    0);
	UNIT_ASSERT_INT_EQ(st.timed_out, 1);
}

/* test_child_stops_reading - exit without reading: not an error */
static void
test_child_stops_reading(void)
{
	struct child_status st;
	struct relay_result why;

	UNIT_ASSERT_INT_EQ(run_sh("head -c 10 >/dev/null; echo done; exit 3",
	    10000000, 10000, &st, &why), 0);
	UNIT_ASSERT_INT_EQ(st.exit_code, 3);
	UNIT_ASSERT_INT_EQ(st.input_closed, 1);
	UNIT_ASSERT_STR_EQ(st.output, "done\n");
}

/* test_child_exec_failure - a missing program is a configuration error */
static void
test_child_exec_failure(void)
{
	char *argv[] = { "nope", NULL };
	struct gen g = { 10, 0, -1 };
	struct child_input in = { gen_read, &g };
	struct child_status st;
	struct relay_result why;
	struct deadline dl;

	deadline_in_ms(&dl, 5000);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(child_run("/nonexistent/program", argv, &in, &dl,
	    &st, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	if (strstr(why.text, "/nonexistent/program") == NULL)
		unit_fail(__FILE__, __LINE__, "text \"%s\" lacks the path",
		    why.text);
}

/* test_child_read_error - the message fails: child killed, -1 */
static void
test_child_read_error(void)
{
	char *argv[] = { "sh", "-c", "cat >/dev/null; sleep 30", NULL };
	struct gen g = { 10000000, 0, 100000 };
	struct child_input in = { gen_read, &g };
	struct child_status st;
	struct relay_result why;
	struct deadline dl;
	long t0 = deadline_now_ms();

	deadline_in_ms(&dl, 10000);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(child_run(SH, argv, &in, &dl, &st, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	UNIT_ASSERT_STR_EQ(why.text, "test read error");
	if (deadline_now_ms() - t0 > 3000)
		unit_fail(__FILE__, __LINE__, "took %ld ms: child not killed",
		    deadline_now_ms() - t0);
}

/* test_child_environment - PATH only, plus TZ/LANG/LC_ALL when set */
static void
test_child_environment(void)
{
	struct child_status st;
	struct relay_result why;

	setenv("HOME", "/root-of-test", 1);
	setenv("SECRET_TEST_VAR", "x", 1);
	setenv("TZ", "UTC", 1);
	UNIT_ASSERT_INT_EQ(run_sh("echo \"$PATH|${HOME-}|${SECRET_TEST_VAR-}"
	    "|$TZ\"", 0, 5000, &st, &why), 0);
	UNIT_ASSERT_STR_EQ(st.output, "/usr/bin:/bin|||UTC\n");
	unsetenv("SECRET_TEST_VAR");
}

/* test_child_process_group - the child leads its own process group */
static void
test_child_process_group(void)
{
	struct child_status st;
	struct relay_result why;
	char want[64];

	UNIT_ASSERT_INT_EQ(run_sh("echo $$; ps -o pgid= -p $$", 0, 5000,
	    &st, &why), 0);
	snprintf(want, sizeof(want), "%ld", atol(st.output));
	/* Second line: the pgid, which must be the shell's pid. */
	if (strchr(st.output, '\n') == NULL ||
	    atol(strchr(st.output, '\n') + 1) != atol(want))
		unit_fail(__FILE__, __LINE__, "pid and pgid differ: \"%s\"",
		    st.output);
	else
		CU_PASS("own group");
	if (atol(want) == (long)getpgrp())
		unit_fail(__FILE__, __LINE__, "child in our group");
}

/* test_child_first_line - the line shown in results */
static void
test_child_first_line(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "one line", "one line" },
		{ "first\nsecond\n", "first" },
		{ "\n\n  \t\r\nthird\r\n", "third" },
		{ "tabs\tand\001ctl  \n", "tabs and ctl" },
		{ "  lead\n", "  lead" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		child_first_line(cases[i].in, strlen(cases[i].in), buf,
		    sizeof(buf));
		UNIT_ASSERT_STR_EQ(buf, cases[i].want);
	}
	/* Bounded by the buffer. */
	UNIT_ASSERT_INT_EQ(child_first_line("abcdefgh", 8, buf, 4), 3);
	UNIT_ASSERT_STR_EQ(buf, "abc");
}

static CU_TestInfo tests[] = {
	{ "test_child_exit_codes", test_child_exit_codes },
	{ "test_child_signal", test_child_signal },
	{ "test_child_output", test_child_output },
	{ "test_child_stdin", test_child_stdin },
	{ "test_child_big_both_ways", test_child_big_both_ways },
	{ "test_child_timeout_kills_group", test_child_timeout_kills_group },
	{ "test_child_timeout_open_output", test_child_timeout_open_output },
	{ "test_child_timeout_while_writing",
	    test_child_timeout_while_writing },
	{ "test_child_stops_reading", test_child_stops_reading },
	{ "test_child_exec_failure", test_child_exec_failure },
	{ "test_child_read_error", test_child_read_error },
	{ "test_child_environment", test_child_environment },
	{ "test_child_process_group", test_child_process_group },
	{ "test_child_first_line", test_child_first_line },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("child", tests);
}
