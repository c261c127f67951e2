/*
 * fuzz_nexthop - libFuzzer entry point for nexthop_parse().
 *
 * Any input must parse or fail cleanly. What parses must format to
 * text that parses back to the same destination, and the formatted
 * text must fit NEXTHOP_FORMAT_MAX; a failure must leave a 4.3.5
 * result. Any violation aborts, which the fuzzer reports.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nexthop.h"
#include "result.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* LLVMFuzzerTestOneInput - parse, format, parse again, compare */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_result why;
	struct nexthop nh, again;
	char text[1024], buf[NEXTHOP_FORMAT_MAX + 1];

	/* A destination is one short line: longer input only repeats
	 * the too-long path. */
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';

	relay_result_init(&why);
	if (nexthop_parse(&nh, text, 25, &why) != 0) {
		if (strcmp(why.status, "4.3.5") != 0 || nh.host[0] != '\0')
			abort();
		return 0;
	}
	if (nh.port < 1 || nh.port > 65535 || nh.host[0] == '\0' ||
	    (nh.want_mx && nh.is_address))
		abort();
	memset(buf, 0, sizeof(buf));
	nexthop_format(&nh, buf, sizeof(buf));
	if (strlen(buf) >= NEXTHOP_FORMAT_MAX)
		abort();
	if (nexthop_parse(&again, buf, 1, &why) != 0 ||
	    strcmp(again.host, nh.host) != 0 || again.port != nh.port ||
	    again.want_mx != nh.want_mx || again.is_address != nh.is_address)
		abort();
	if (!nh.is_address && !nexthop_valid_hostname(nh.host))
		abort();
	return 0;
}
