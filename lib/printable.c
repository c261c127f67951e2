/*
 * NAME
 *	printable - untrusted text made fit for a status line or a log line
 * SYNOPSIS
 *	#include "printable.h"
 *
 *	char *printable_fix(char *s);
 *	size_t printable_utf8_len(const unsigned char *s, size_t n);
 *	int printable_hex_value(int c);
 * DESCRIPTION
 *	Status lines and log lines carry bytes from outside: configuration
 *	files, SMTP peers, local delivery agents, DNS. printable_fix()
 *	rewrites the NUL-terminated string s in place so that it is one
 *	line of clean text, and returns s:
 *
 *	- printable ASCII (0x20 to 0x7e) and valid UTF-8 characters stay
 *	  as they are;
 *	- CR, LF and TAB become a space: they separate words, and a folded
 *	  or multi-line text stays readable on one line;
 *	- every other byte becomes '?': the other C0 controls, DEL, and
 *	  bytes that are not part of a valid UTF-8 character (a stray
 *	  continuation byte, a truncated, overlong or surrogate sequence,
 *	  anything above U+10FFFF); so does, as one '?', a valid UTF-8
 *	  character that controls the display instead of showing something:
 *	  the C1 controls U+0080 to U+009F (some terminals take U+009B as
 *	  an escape sequence), the line and paragraph separators U+2028 and
 *	  U+2029, and the bidirectional embeddings, overrides and isolates
 *	  U+202A to U+202E and U+2066 to U+2069 (which can make a line read
 *	  differently from what it holds).
 *
 *	Why '?' and not an escape such as \ooo: it is the replacement
 *	Postfix's SMTP client uses for replies, so a Postfix system's logs
 *	read alike; the text never grows, so the bounded buffers it lives in
 *	(a result's text, a log line) need no second size; and no backslash
 *	becomes ambiguous. Why valid UTF-8 stays: SMTPUTF8 addresses (RFC
 *	6531), which address.c accepts, must stay readable in delivery
 *	records and bounces. A text cut inside a UTF-8 character (at a
 *	buffer's end) ends in '?' like any other invalid sequence, so the
 *	result is always valid UTF-8.
 *
 *	printable_utf8_len() is the one test of a valid UTF-8 character,
 *	for address.c as well.
 *
 *	printable_hex_value() is the value of a hex digit of either case,
 *	or -1: for the %XX and +XX escapes of address.c (xtext) and
 *	keeper_proto.c.
 *
 *	relay_result_set() and the log sink apply it to everything they
 *	take in, so each caller need not.
 * SEE ALSO
 *	RFC 3629 section 4 (valid UTF-8), Postfix printable(3).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stddef.h>

#include "printable.h"

static bool is_display_control(const unsigned char *, size_t);

/* printable_hex_value - the value of one hex digit (either case), or -1 */
int
printable_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* printable_fix - one line of printable text, in place */
char *
printable_fix(char *s)
{
	const unsigned char *r = (const unsigned char *)s;
	unsigned char *w = (unsigned char *)s;
	size_t k, i;

	/* w never passes r: the text only shrinks. */
	while (*r != '\0') {
		if (*r >= 0x20 && *r < 0x7f) {
			*w++ = *r++;
		} else if (*r == '\r' || *r == '\n' || *r == '\t') {
			*w++ = ' ';
			r++;
		} else if (*r >= 0x80 && (k = printable_utf8_len(r, 4)) > 0) {
			if (is_display_control(r, k)) {
				*w++ = '?';
				r += k;
			} else {
				for (i = 0; i < k; i++)
					*w++ = *r++;
			}
		} else {
			*w++ = '?';
			r++;
		}
	}
	*w = '\0';
	return s;
}

/*
 * printable_utf8_len - length of the valid UTF-8 character at s (2 to 4
 * bytes, of the n there are), or 0: no overlong forms, no surrogates,
 * nothing above U+10FFFF (RFC 3629 section 4). A NUL is never a
 * continuation byte, so nothing past one is read.
 */
size_t
printable_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* is_display_control - a valid character that must not be shown raw */
static bool
is_display_control(const unsigned char *s, size_t len)
{
	/* U+0080 to U+009F: C2 80 to C2 9F. */
	if (len == 2)
		return s[0] == 0xc2 && s[1] <= 0x9f;
	if (len != 3 || s[0] != 0xe2)
		return false;
	/* U+2028 to U+202E: E2 80 A8 to E2 80 AE. */
	if (s[1] == 0x80)
		return s[2] >= 0xa8 && s[2] <= 0xae;
	/* U+2066 to U+2069: E2 81 A6 to E2 81 A9. */
	if (s[1] == 0x81)
		return s[2] >= 0xa6 && s[2] <= 0xa9;
	return false;
}
