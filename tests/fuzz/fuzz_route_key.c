/*
 * NAME
 *	fuzz_route_key - libFuzzer target: the routing key file,
 *	route_header_key_load() in lib/route_header.c
 * DESCRIPTION
 *	Input: one byte of mode (0: 600, 1: 640, 2: 660, 3: 604), then the
 *	file. It is written to a private directory and loaded. Invariants,
 *	any violation abort()s:
 *	- a file that others may read or anyone but the owner may change
 *	  (modes 660 and 604 here) is refused with 4.3.5;
 *	- otherwise the key is the whole file without its trailing blanks
 *	  (SP, HT, CR, LF), accepted exactly when that is 16 to 1024
 *	  bytes long: never a part of the file;
 *	- a refusal leaves no key (len 0, data wiped), with 4.3.5 and a
 *	  one-line text.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "route_header.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_route_key: %s\n", what);
		abort();
	}
}

static char path[64];

/* remove_key - atexit(): no file left behind */
static void
remove_key(void)
{
	(void)unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mode_t modes[] = { 0600, 0640, 0660, 0604 };
	static struct route_header_key k;
	struct relay_result why;
	size_t want, i;
	mode_t mode;
	const char *p;
	int fd, rc;

	if (size < 1 || size > 8192)
		return 0;
	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz_route_key.XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
		atexit(remove_key);
	}
	mode = modes[data[0] & 3];
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0 ||
	    fchmod(fd, mode) != 0 ||
	    (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)size - 1) ||
	    close(fd) != 0)
		abort();
	want = size - 1;
	while (want > 0 && strchr(" \t\r\n", data[want]) != NULL &&
	    data[want] != '\0')
		want--;

	memset(&k, 0xa5, sizeof(k));
	relay_result_init(&why);
	rc = route_header_key_load(&k, path, &why);
	if ((mode & 077) != 0 && (mode & 077) != 040) {
		check(rc != 0, "a key others can read or change was loaded");
	} else if (want >= ROUTE_HEADER_KEY_MIN &&
	    want <= ROUTE_HEADER_KEY_MAX) {
		check(rc == 0, "a good key was refused");
		check(k.len == want && memcmp(k.data, data + 1, want) == 0,
		    "the key is not the file without its trailing blanks");
		return 0;
	} else
		check(rc != 0, "a key of the wrong length was loaded");
	check(rc == -1 && strcmp(why.status, "4.3.5") == 0,
	    "a refusal without 4.3.5");
	for (p = why.text; *p != '\0'; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f,
		    "control character in the text");
	check(k.len == 0, "a refused key has a length");
	for (i = 0; i < sizeof(k.data); i++)
		check(k.data[i] == 0, "a refused key was not wiped");
	return 0;
}
