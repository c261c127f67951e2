/*
 * NAME
 *	fuzz_local_status - libFuzzer target: a local delivery agent's
 *	output and exit, relay_local_map() in lib/relay_local.c
 * DESCRIPTION
 *	Input: one byte (bits 0-1: maildrop, dovecot, pipe or an SMTP
 *	route, which has no local kind; bit 2: killed at the deadline;
 *	bit 3: died of a signal), one byte of exit status or signal, then
 *	the output (at most CHILD_OUTPUT_MAX bytes, as child.c keeps).
 *	Invariants, any violation abort()s:
 *	- the result is a valid RFC 3463 status of its own class, with one
 *	  printable line of text;
 *	- a timeout is 4.4.2, a signal 4.3.0; exit 0 is 2.0.0; any other
 *	  exit is never a success;
 *	- a failed command whose output starts with a valid RFC 3463 code
 *	  and then white space or the end (for maildrop: unless it starts
 *	  with courier-authlib's noise, not modelled here) gets that
 *	  status, "5.0.0" for a 2.X.X one, and its text starts as the
 *	  output after it; else a sysexits code gets sysexits_map's status
 *	  and anything else 5.3.0.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "child.h"
#include "printable.h"
#include "relay_local.h"
#include "result.h"
#include "route.h"
#include "sysexits_map.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_local_status: %s\n", what);
		abort();
	}
}

/* output_code - the status the output starts with, or ""; *text is
 * where the output goes on after the blanks that follow it */
static void
output_code(const struct child_status *st, char *code, size_t len,
    const char **text)
{
	const char *p = st->output, *end = p + st->output_len;
	size_t n;

	code[0] = '\0';
	for (n = 0; p + n < end && !isspace((unsigned char)p[n]); n++)
		if (n + 1 >= len)
			return;
	if (n == 0)
		return;
	memcpy(code, p, n);
	code[n] = '\0';
	if (!relay_status_valid(code)) {
		code[0] = '\0';
		return;
	}
	for (p += n; p < end && isspace((unsigned char)*p); p++)
		;
	*text = p;
}

/* is_noise - does maildrop's output start with courier-authlib's? */
static bool
is_noise(const struct child_status *st)
{
	static const char noise[] = "ERR: authdaemon: ";
	size_t i = strspn(st->output, " \t\r\n");

	return st->output_len - i >= sizeof(noise) - 1 &&
	    memcmp(st->output + i, noise, sizeof(noise) - 1) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum route_transport kinds[] = { ROUTE_MAILDROP,
	    ROUTE_DOVECOT, ROUTE_PIPE, ROUTE_SMTP };
	static struct child_status st;
	struct relay_result r;
	enum route_transport t;
	char code[RELAY_STATUS_MAX], want[RELAY_TEXT_MAX];
	const char *p, *text;
	size_t n;

	if (size < 2 || size - 2 > CHILD_OUTPUT_MAX)
		return 0;
	t = kinds[data[0] & 3];
	memset(&st, 0, sizeof(st));
	st.timed_out = data[0] & 4;
	st.exited = !(data[0] & 8) && !st.timed_out;
	if (st.exited)
		st.exit_code = data[1];
	else
		st.signal = data[1] & 63;
	st.output_len = size - 2;
	memcpy(st.output, data + 2, size - 2);
	st.output[st.output_len] = '\0';

	relay_result_init(&r);
	relay_local_map(t, &st, 1500, &r);
	check(relay_status_valid(r.status), "invalid status");
	check(r.status[0] == (r.class == RELAY_OK ? '2' :
	    r.class == RELAY_TRANSIENT ? '4' : '5'), "class and status differ");
	check(memchr(r.text, '\0', sizeof(r.text)) != NULL, "text too long");
	for (p = r.text; *p != '\0'; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f,
		    "control character in the text");
	if (st.timed_out) {
		check(strcmp(r.status, "4.4.2") == 0, "a timeout, not 4.4.2");
		return 0;
	}
	if (!st.exited) {
		check(strcmp(r.status, "4.3.0") == 0, "a signal, not 4.3.0");
		return 0;
	}
	if (st.exit_code == 0) {
		check(strcmp(r.status, "2.0.0") == 0, "exit 0, not delivered");
		return 0;
	}
	check(r.class != RELAY_OK, "a failed command reported delivered");
	if (t == ROUTE_MAILDROP && is_noise(&st))
		return 0;	/* the code, if any, is after the noise */
	text = NULL;
	output_code(&st, code, sizeof(code), &text);
	if (code[0] != '\0') {
		check(strcmp(r.status, code[0] == '2' ? "5.0.0" : code) == 0,
		    "not the status the output gave");
		/* The text starts as the output after the code does,
		 * as a result shows text (printable.c). */
		n = (size_t)(st.output + st.output_len - text);
		if (n > 0) {
			if (n >= sizeof(want))
				n = sizeof(want) - 1;
			memcpy(want, text, n);
			/* Trailing white space is cut first (relay_local). */
			while (n > 0 && isspace((unsigned char)want[n - 1]))
				n--;
			want[n] = '\0';
			printable_fix(want);
			n = strcspn(want, " ");
			check(strncmp(r.text, want, n) == 0,
			    "text is not the output after the status");
		}
		return 0;
	}
	if (st.exit_code >= EX__BASE && st.exit_code <= EX__MAX)
		check(strcmp(r.status, sysexits_map_to_status(st.exit_code,
		    &text)) == 0, "not the sysexits status");
	else
		check(strcmp(r.status, "5.3.0") == 0,
		    "an unknown exit status, not 5.3.0");
	return 0;
}
