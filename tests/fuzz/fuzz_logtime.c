/*
 * fuzz_logtime - libFuzzer entry point for logtime_tzif().
 *
 * Any input must parse or be refused cleanly, at any moment asked
 * about. An answer must hold at that moment (from <= t < until) and
 * give an offset within RFC 8536's bounds. Any violation aborts, which
 * the fuzzer reports.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>

#include "logtime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* LLVMFuzzerTestOneInput - ask about moments from 1900 to 2100 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t when[] = { INT64_MIN + 1, -2208988800LL, -1, 0,
	    954550800, 1764042583, 2145916800LL, 4102444800LL,
	    INT64_MAX - 1 };
	struct logtime_span s;
	size_t i;

	if (size > LOGTIME_TZIF_MAX)
		return 0;
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		if (logtime_tzif(data, size, when[i], &s) != 0)
			continue;
		if (s.from > when[i] || s.until <= when[i] ||
		    s.utoff <= -89999 || s.utoff >= 93599)
			abort();
	}
	return 0;
}
