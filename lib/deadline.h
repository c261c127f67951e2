/*
 * deadline.h - points in time on CLOCK_MONOTONIC. See deadline.c.
 */
#ifndef SLIMRELAY_DEADLINE_H
#define SLIMRELAY_DEADLINE_H

#include <stdbool.h>
#include <time.h>

struct deadline {
	bool	is_set;		/* false: never expires */
	struct timespec at;	/* CLOCK_MONOTONIC */
};

void	deadline_none(struct deadline *);
void	deadline_in_ms(struct deadline *, long ms);
struct deadline deadline_earliest(const struct deadline *,
	    const struct deadline *);
long	deadline_remaining_ms(const struct deadline *);
int	deadline_poll_ms(const struct deadline *);
bool	deadline_expired(const struct deadline *);
long	deadline_now_ms(void);

#endif
