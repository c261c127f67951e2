/*
 * NAME
 *	test_macro - unit tests for lib/macro.c
 * DESCRIPTION
 *	The values of each macro for awkward addresses, argv splitting and
 *	expansion (a table of templates and the argv they give), the
 *	refusal of arguments that begin with '-' (5.1.3 / 5.1.7), and the
 *	configuration mistakes (4.3.5).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "unit.h"

/* mkaddr - an address as address.c would make it, without its checks */
static void
mkaddr(struct address *a, const char *text)
{
	const char *at = strrchr(text, '@');
	size_t i;

	memset(a, 0, sizeof(*a));
	snprintf(a->addr, sizeof(a->addr), "%s", text);
	a->is_null = *text == '\0';
	a->local_len = at != NULL ? (size_t)(at - text) : strlen(text);
	if (at != NULL)
		snprintf(a->domain, sizeof(a->domain), "%s", at + 1);
	for (i = 0; a->domain[i] != '\0'; i++)
		if (a->domain[i] >= 'A' && a->domain[i] <= 'Z')
			a->domain[i] += 'a' - 'A';
}

/*
 * values - macro values for sender and recipient text (built by hand:
 * address.c already refuses a leading '-', macro.c must not rely on it)
 */
static void
values(struct macro_values *v, const char *sender, const char *rcpt,
    const char *queue_id)
{
	struct address s, r;

	mkaddr(&s, sender);
	mkaddr(&r, rcpt);
	macro_values_set(v, &s, &r, queue_id);
}

/* joined - argv as one string, words in [] */
static void
joined(const struct macro_argv *av, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < av->argc && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "[%s]", av->argv[i]);
}

/* test_macro_values - each macro for one recipient */
static void
test_macro_values(void)
{
	struct macro_values v;

	values(&v, "alice@sender.test", "Bob+Lists+x@Example.ORG", "3F1A2B");
	UNIT_ASSERT_STR_EQ(v.sender, "alice@sender.test");
	UNIT_ASSERT_STR_EQ(v.recipient, "Bob+Lists+x@Example.ORG");
	UNIT_ASSERT_STR_EQ(v.mailbox, "Bob+Lists+x");
	UNIT_ASSERT_STR_EQ(v.user, "bob");
	UNIT_ASSERT_STR_EQ(v.extension, "Lists+x");
	UNIT_ASSERT_STR_EQ(v.domain, "example.org");
	UNIT_ASSERT_STR_EQ(v.queue_id, "3F1A2B");

	values(&v, "", "carol@example.org", NULL);
	UNIT_ASSERT_STR_EQ(v.sender, "");
	UNIT_ASSERT_STR_EQ(v.user, "carol");
	UNIT_ASSERT_STR_EQ(v.extension, "");
	UNIT_ASSERT_STR_EQ(v.queue_id, "");
}

/* test_macro_expand_table - templates and the argv they give */
static void
test_macro_expand_table(void)
{
	static const struct {
		const char *program, *args, *want;
	} cases[] = {
		{ "/usr/bin/maildrop", "-f ${sender} -d ${user}",
		    "[/usr/bin/maildrop][-f][alice@sender.test][-d][bob]" },
		{ "/usr/bin/maildrop", "-f ${sender} -d ${recipient}",
		    "[/usr/bin/maildrop][-f][alice@sender.test][-d]"
		    "[Bob+ext@example.org]" },
		{ NULL, "/bin/deliver  ${domain}\t${extension} q=${queue_id}",
		    "[/bin/deliver][example.org][ext][q=QID1]" },
		{ NULL, "/bin/x ${mailbox}@local pre-${user}-post $$HOME",
		    "[/bin/x][Bob+ext@local][pre-bob-post][$HOME]" },
		{ NULL, "/bin/x --to=${recipient}",
		    "[/bin/x][--to=Bob+ext@example.org]" },
		{ "/p", "", "[/p]" },
		{ "/p", "   ", "[/p]" },
	};
	struct macro_values v;
	struct macro_argv av;
	struct relay_result why;
	char got[1024];
	size_t i;

	values(&v, "alice@sender.test", "Bob+ext@example.org", "QID1");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		relay_result_init(&why);
		if (macro_expand(&av, cases[i].program, cases[i].args, &v,
		    &why) != 0) {
			unit_fail(__FILE__, __LINE__, "\"%s\": %s %s",
			    cases[i].args, why.status, why.text);
			continue;
		}
		joined(&av, got, sizeof(got));
		UNIT_ASSERT_STR_EQ(got, cases[i].want);
		UNIT_ASSERT_INT_EQ(av.argv[av.argc] == NULL, 1);
	}
}

/* test_macro_null_sender - the null sender is an empty argument */
static void
test_macro_null_sender(void)
{
	struct macro_values v;
	struct macro_argv av;
	struct relay_result why;
	char got[256];

	values(&v, "", "bob@example.org", NULL);
	UNIT_ASSERT_INT_EQ(macro_expand(&av, "/md", "-f ${sender} -d ${user}",
	    &v, &why), 0);
	joined(&av, got, sizeof(got));
	UNIT_ASSERT_STR_EQ(got, "[/md][-f][][-d][bob]");
	UNIT_ASSERT_INT_EQ(av.argc, 5);
}

/* test_macro_no_shell - blanks and shell characters stay one word */
static void
test_macro_no_shell(void)
{
	struct macro_values v;
	struct macro_argv av;
	struct relay_result why;
	char got[256];

	values(&v, "\"a b;$(id)\"@sender.test", "\"x y\"@example.org", NULL);
	UNIT_ASSERT_INT_EQ(macro_expand(&av, "/p", "${sender} ${recipient}",
	    &v, &why), 0);
	joined(&av, got, sizeof(got));
	UNIT_ASSERT_STR_EQ(got, "[/p][\"a b;$(id)\"@sender.test]"
	    "[\"x y\"@example.org]");
}

/* test_macro_dash_refused - an argument that looks like an option */
static void
test_macro_dash_refused(void)
{
	static const struct {
		const char *sender, *rcpt, *args, *status;
	} cases[] = {
		{ "-x@sender.test", "bob@example.org", "-f ${sender}",
		    "5.1.7" },
		{ "a@sender.test", "-bob@example.org", "-d ${recipient}",
		    "5.1.3" },
		{ "a@sender.test", "-bob@example.org", "-d ${user}", "5.1.3" },
		{ "a@sender.test", "-bob@example.org", "-d ${mailbox}",
		    "5.1.3" },
		{ "a@sender.test", "bob+-x@example.org", "${extension}",
		    "5.1.3" },
		/* Inside a word it cannot be an option: accepted. */
		{ "-x@sender.test", "-bob@example.org",
		    "--from=${sender} u=${user}", NULL },
	};
	struct macro_values v;
	struct macro_argv av;
	struct relay_result why;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		values(&v, cases[i].sender, cases[i].rcpt, NULL);
		relay_result_init(&why);
		rc = macro_expand(&av, "/p", cases[i].args, &v, &why);
		if (cases[i].status == NULL) {
			UNIT_ASSERT_INT_EQ(rc, 0);
			continue;
		}
		UNIT_ASSERT_INT_EQ(rc, -1);
		UNIT_ASSERT_STR_EQ(why.status, cases[i].status);
		if (strstr(why.text, "begins with '-'") == NULL)
			unit_fail(__FILE__, __LINE__, "text: %s", why.text);
	}
}

/* test_macro_config_errors - mistakes in the template: 4.3.5 */
static void
test_macro_config_errors(void)
{
	static const struct {
		const char *args, *text;
	} cases[] = {
		{ "-d ${nosuch}", "unknown macro ${nosuch}" },
		{ "-d ${user", "unterminated" },
		{ "-d $user", "'$' without a macro name" },
		{ "-d $", "'$' without a macro name" },
		{ "", "empty command" },
		{ " \t ", "empty command" },
	};
	struct macro_values v;
	struct macro_argv av;
	struct relay_result why;
	size_t i;

	values(&v, "a@sender.test", "bob@example.org", NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(macro_expand(&av, NULL, cases[i].args, &v,
		    &why), -1);
		UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
		if (strstr(why.text, cases[i].text) == NULL)
			unit_fail(__FILE__, __LINE__, "\"%s\": text \"%s\" "
			    "lacks \"%s\"", cases[i].args, why.text,
			    cases[i].text);
		relay_result_init(&why);
		UNIT_ASSERT_INT_EQ(macro_check(cases[i].args, &why), -1);
		UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	}
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(macro_check("-f ${sender} -d ${user} $$", &why), 0);
}

/* test_macro_limits - too many words, too many bytes */
static void
test_macro_limits(void)
{
	struct macro_values v;
	struct macro_argv av;
	struct relay_result why;
	char *args;
	size_t i, n;

	values(&v, "a@sender.test", "bob@example.org", NULL);
	args = malloc(MACRO_BUF_MAX * 2);
	/* Exactly MACRO_ARGV_MAX words: fine; one more: refused. */
	for (i = 0, n = 0; i < MACRO_ARGV_MAX; i++)
		n += (size_t)sprintf(args + n, "w ");
	UNIT_ASSERT_INT_EQ(macro_expand(&av, NULL, args, &v, &why), 0);
	UNIT_ASSERT_INT_EQ(av.argc, MACRO_ARGV_MAX);
	sprintf(args + n, "w");
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(macro_expand(&av, NULL, args, &v, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	/* Long words that expand past the buffer. */
	for (i = 0, n = 0; i < 40; i++)
		n += (size_t)sprintf(args + n, "${recipient}${recipient}"
		    "${recipient}${recipient}${recipient}${recipient} ");
	values(&v, "a@sender.test", "bobbobbobbobbobbobbobbobbobbobbobbob"
	    "bobbobbob@example.org", NULL);
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(macro_expand(&av, NULL, args, &v, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	free(args);
}

static CU_TestInfo tests[] = {
	{ "test_macro_values", test_macro_values },
	{ "test_macro_expand_table", test_macro_expand_table },
	{ "test_macro_null_sender", test_macro_null_sender },
	{ "test_macro_no_shell", test_macro_no_shell },
	{ "test_macro_dash_refused", test_macro_dash_refused },
	{ "test_macro_config_errors", test_macro_config_errors },
	{ "test_macro_limits", test_macro_limits },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("macro", tests);
}
