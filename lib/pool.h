/*
 * pool.h - at most pool_size connections per destination across all
 * slimrelay processes, through lock files in the state directory.
 * See pool.c.
 */
#ifndef SLIMRELAY_POOL_H
#define SLIMRELAY_POOL_H

#include "deadline.h"
#include "result.h"

struct pool_slot;

int	pool_acquire(const char *state_dir, const char *destination,
	    int pool_size, const struct deadline *wait,
	    struct pool_slot **slot, struct relay_result *why);
void	pool_release(struct pool_slot *);
int	pool_slot_index(const struct pool_slot *);
int	pool_slot_fd(const struct pool_slot *);
struct pool_slot *pool_slot_adopt(int fd);

#endif
