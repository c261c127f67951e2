#ifndef SLIMRELAY_LOGTIME_H
#define SLIMRELAY_LOGTIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LOGTIME_STAMP_MAX	16	/* "Nov 05 03:49:43" and its NUL */
#define LOGTIME_TZIF_MAX	(64 * 1024)	/* bigger files: use libc */

/* What a time zone file says about one moment. */
struct logtime_span {
	long	utoff;			/* seconds east of UTC */
	int64_t	from;			/* the offset holds in [from, until) */
	int64_t	until;
};

size_t	logtime_stamp(time_t, char *, size_t);
void	logtime_zone_file(const char *);
int	logtime_tzif(const unsigned char *, size_t, int64_t,
	    struct logtime_span *);

#endif
