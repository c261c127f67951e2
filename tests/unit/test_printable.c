/*
 * NAME
 *	test_printable - unit tests for lib/printable.c
 * DESCRIPTION
 *	The one escaping rule of status and log lines: printable ASCII and
 *	valid UTF-8 kept; CR, LF, TAB as a space; other controls, DEL,
 *	invalid UTF-8 (stray, truncated, overlong, surrogate, too large)
 *	and display controls (C1, U+2028/9, bidirectional) as '?'. Every
 *	byte value, alone and after a UTF-8 lead byte, gives clean text.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <string.h>

#include "printable.h"
#include "unit.h"

/* test_printable_fix_cases - table of inputs and what is shown */
static void
test_printable_fix_cases(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "250 2.0.0 Ok: queued as X", "250 2.0.0 Ok: queued as X" },
		{ "~ !\"#\\", "~ !\"#\\" },
		/* Word separators become spaces: one line. */
		{ "a\r\nb\tc\n", "a  b c " },
		/* Other C0 controls and DEL. */
		{ "\x01\x1b[31mred\x7f", "??[31mred?" },
		{ "\x08\x0b\x0c\x1f", "????" },
		/* Valid UTF-8 stays: 2, 3 and 4 bytes, the range ends. */
		{ "j\xc3\xb6rg@b\xc3\xbc" "cher.example",
		    "j\xc3\xb6rg@b\xc3\xbc" "cher.example" },
		{ "\xc2\xa0\xe2\x82\xac\xf0\x9f\x93\xa7",
		    "\xc2\xa0\xe2\x82\xac\xf0\x9f\x93\xa7" },
		{ "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf",
		    "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf" },
		{ "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa",
		    "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa" },
		/* Not UTF-8: one '?' per byte. */
		{ "\x80\xbf\xfe\xff", "????" },
		{ "\xc3", "?" },			/* cut at the end */
		{ "\xc3(", "?(" },			/* no continuation */
		{ "\xe2\x82", "??" },
		{ "\xe2\x82(", "?" "?(" },
		{ "\xc0\xaf\xc1\xbf", "????" },		/* overlong */
		{ "\xe0\x9f\xbf", "???" },		/* overlong */
		{ "\xf0\x8f\xbf\xbf", "????" },		/* overlong */
		{ "\xed\xa0\x80", "???" },		/* surrogate */
		{ "\xf4\x90\x80\x80", "????" },		/* above U+10FFFF */
		{ "\xf5\x80\x80\x80", "????" },
		/* Valid, but display controls: one '?' per character. */
		{ "a\xc2\x80" "b\xc2\x85" "c\xc2\x9b" "d", "a?b?c?d" },
		{ "\xe2\x80\xa8\xe2\x80\xa9", "??" },
		{ "\xe2\x80\xaa\xe2\x80\xae", "??" },
		{ "\xe2\x81\xa6\xe2\x81\xa9", "??" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		if (printable_fix(buf) != buf)
			unit_fail(__FILE__, __LINE__, "case %zu: not in place",
			    i);
		if (strcmp(buf, cases[i].want) != 0)
			unit_fail(__FILE__, __LINE__, "case %zu: got \"%s\", "
			    "want \"%s\"", i, buf, cases[i].want);
		else
			CU_PASS(cases[i].want);
	}
}

/* clean - one line of printable ASCII or UTF-8 lead/continuation bytes */
static bool
clean(const unsigned char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/*
 * test_printable_fix_every_byte - each byte value, alone, after a
 * 2-, 3- and 4-byte lead, and before the end: never a control byte,
 * never longer than the input.
 */
static void
test_printable_fix_every_byte(void)
{
	static const char *const leads[] = { "", "\xc3", "\xe2\x80",
	    "\xf0\x9f\x93", "\xc2" };
	unsigned char buf[16];
	size_t i, len;
	int c;

	for (i = 0; i < sizeof(leads) / sizeof(leads[0]); i++) {
		for (c = 1; c < 256; c++) {
			len = (size_t)snprintf((char *)buf, sizeof(buf),
			    "%s%cz", leads[i], c);
			printable_fix((char *)buf);
			if (!clean(buf) || strlen((char *)buf) > len)
				unit_fail(__FILE__, __LINE__, "lead %zu, byte "
				    "0x%02x: not clean", i, c);
		}
	}
	CU_PASS("every byte");
}

static CU_TestInfo tests[] = {
	{ "test_printable_fix_cases", test_printable_fix_cases },
	{ "test_printable_fix_every_byte", test_printable_fix_every_byte },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("printable", tests);
}
