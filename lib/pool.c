/*
 * NAME
 *	pool - connection slots per destination, shared by all processes
 * SYNOPSIS
 *	#include "pool.h"
 *
 *	int pool_acquire(const char *state_dir, const char *destination,
 *	    int pool_size, const struct deadline *wait,
 *	    struct pool_slot **slot, struct relay_result *why);
 *	void pool_release(struct pool_slot *slot);
 *	int pool_slot_index(const struct pool_slot *slot);
 *	int pool_slot_fd(const struct pool_slot *slot);
 *	struct pool_slot *pool_slot_adopt(int fd);
 * DESCRIPTION
 *	python-slimta's pool_size caps the connections one relay keeps to
 *	one destination. slimrelay runs as one process per delivery, so
 *	the cap must hold across processes: each destination has
 *	pool_size lock files, "<state_dir>/pool/<name>.<i>" for i in
 *	0..pool_size-1, and holding an exclusive flock(2) on one of them is
 *	holding a slot. The kernel drops the lock when the process ends,
 *	however it ends, so a crashed delivery never leaks a slot. Lock
 *	files are never removed: removing a file that another process is
 *	about to lock would let two processes hold "the same" slot.
 *
 *	pool_acquire() with pool_size <= 0 means no limit: *slot = NULL
 *	and 0. Otherwise it takes the first free slot, lowest index first.
 *	When all are busy it sleeps and tries again (10 ms, doubling up to
 *	200 ms, plus up to a quarter of that at random so that waiting
 *	processes do not retry in step) until the deadline wait expires;
 *	then it returns -1 with 4.4.5 "all N connection slots to D are
 *	busy" (transient: the MTA retries later). wait == NULL tries once;
 *	a deadline that is not set waits as long as it takes.
 *
 *	The destination names the slots; use one text per physical
 *	destination, e.g. "[mx.example.com]:25". Its file name keeps
 *	[A-Za-z0-9._-] (letters folded to lower case: host names are not
 *	case-sensitive), writes every other byte and a leading '.' as %XX,
 *	and is replaced by a prefix plus a SHA-256 hash when longer than
 *	POOL_NAME_MAX, so no destination can name a file outside the pool
 *	directory. The directory is created with mode 0700 when missing;
 *	state_dir itself must exist. A state directory that cannot be used
 *	is a configuration problem: 4.3.5 "cannot use state directory".
 *	The holder's process id is written into the lock file, for people
 *	who wonder who holds a slot.
 *
 *	The returned slot is owned by the caller until pool_release(),
 *	which closes the lock file (ending the lock) and frees the slot;
 *	pool_release(NULL) does nothing. The descriptor is close-on-exec;
 *	a child that forks without exec shares the lock until it, too,
 *	closes it or exits.
 *
 *	pool_slot_index() returns the slot's i, or -1 for NULL.
 *
 *	A slot can move to another process with its session (keeper.c):
 *	pool_slot_fd() is the locked descriptor to pass (-1 for NULL), and
 *	pool_slot_adopt() makes a slot of a descriptor received (its index
 *	then unknown, -1; NULL for fd -1 or out of memory, fd closed).
 * SEE ALSO
 *	flock(2), python-slimta relay/pool.py.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dl_openssl.h"
#include "log.h"
#include "pool.h"

#define POOL_SIZE_MAX		1000	/* same limit as the config key */
#define POOL_NAME_MAX		200	/* encoded destination in a name */
#define POOL_NAME_PREFIX	100	/* kept before the hash */
#define POOL_FILE_MAX		(POOL_NAME_MAX + 16)
#define POOL_SLEEP_MIN_MS	10
#define POOL_SLEEP_MAX_MS	200

struct pool_slot {
	int	fd;		/* the locked file */
	int	index;		/* 0..pool_size-1 */
};

static int open_pool_dir(const char *, int *, struct relay_result *);
static void hash_hex(const char *, char *, size_t);
static void safe_name(const char *, char *, size_t);
static int try_slot(int, const char *, const char *, int, int *,
    struct relay_result *);
static void nap(const struct deadline *, long *, unsigned *);

/* open_pool_dir - state_dir/pool, created 0700 if missing */
static int
open_pool_dir(const char *state_dir, int *dirfd, struct relay_result *why)
{
	int sfd;

	if (state_dir == NULL || *state_dir == '\0')
		return relay_result_set(why, "4.3.5",
		    "cannot use state directory \"\": not set");
	sfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return relay_result_set(why, "4.3.5",
		    "cannot use state directory %s: %s", state_dir,
		    strerror(errno));
	if (mkdirat(sfd, "pool", 0700) < 0 && errno != EEXIST) {
		relay_result_set(why, "4.3.5",
		    "cannot use state directory %s: cannot create pool: %s",
		    state_dir, strerror(errno));
		close(sfd);
		return -1;
	}
	/* O_NOFOLLOW: a symbolic link planted as "pool" is refused. */
	*dirfd = openat(sfd, "pool", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (*dirfd < 0) {
		relay_result_set(why, "4.3.5",
		    "cannot use state directory %s: pool: %s", state_dir,
		    strerror(errno));
		close(sfd);
		return -1;
	}
	close(sfd);
	return 0;
}

/* hash_hex - SHA-256 of the case-folded destination, in hex */
static void
hash_hex(const char *dest, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, k;
	struct relay_result r;
	EVP_MD_CTX *ctx;
	const char *p;
	size_t n = 0;
	char c;

	/* Only names this long need libcrypto (dl.c). */
	relay_result_init(&r);
	if (dl_load(DL_CRYPTO, &r) != 0) {
		log_info("pool: %s", r.text);
		out[0] = '\0';
		return;
	}
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		for (p = dest; *p != '\0'; p++) {
			c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') :
			    *p;
			if (EVP_DigestUpdate(ctx, &c, 1) != 1)
				break;
		}
		if (*p != '\0' || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
			mdlen = 0;
	}
	EVP_MD_CTX_free(ctx);
	/* Without a hash (no memory, no libcrypto), long names share slots:
	 * stricter than asked, never looser. */
	for (k = 0; k < mdlen && n + 3 <= len; k++) {
		out[n++] = hex[md[k] >> 4];
		out[n++] = hex[md[k] & 15];
	}
	out[n] = '\0';
}

/* safe_name - a file name for a destination, see above */
static void
safe_name(const char *dest, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	unsigned char c;
	size_t n = 0;

	for (p = (const unsigned char *)dest; *p != '\0'; p++) {
		c = *p;
		/* Room for "%XX" and the NUL, within POOL_NAME_MAX. */
		if (n + 3 > POOL_NAME_MAX || n + 4 > len)
			break;
		if (c >= 'A' && c <= 'Z') {
			out[n++] = (char)(c - 'A' + 'a');
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' ||
		    (c == '.' && p != (const unsigned char *)dest)) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	if (*p == '\0')
		return;

	/* Too long: a readable prefix and a hash of the whole. '~' is
	 * always encoded above, so hashed names never meet plain ones. */
	n = POOL_NAME_PREFIX;
	out[n++] = '~';
	hash_hex(dest, out + n, len - n);
}

/* try_slot - 1: locked slot i into *fd, 0: busy, -1: error in why */
static int
try_slot(int dirfd, const char *state_dir, const char *base, int i,
    int *fd, struct relay_result *why)
{
	char file[POOL_FILE_MAX], pid[32];
	int len;

	snprintf(file, sizeof(file), "%s.%d", base, i);
	do {
		*fd = openat(dirfd, file, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	} while (*fd < 0 && errno == EINTR);
	if (*fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			return relay_result_set(why, "4.3.0",
			    "cannot open connection slot %s/pool/%s: %s",
			    state_dir, file, strerror(errno));
		return relay_result_set(why, "4.3.5",
		    "cannot use state directory %s: pool/%s: %s", state_dir,
		    file, strerror(errno));
	}
	while (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		if (err == EINTR)
			continue;
		close(*fd);
		*fd = -1;
		if (err == EWOULDBLOCK)
			return 0;
		return relay_result_set(why, "4.3.0",
		    "cannot lock connection slot %s/pool/%s: %s", state_dir,
		    file, strerror(err));
	}
	/* Best effort: a full disk must not stop the delivery. */
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(*fd, 0) == 0 && pwrite(*fd, pid, (size_t)len, 0) < 0) {
		/* Nothing to do: the lock, not the content, is the slot. */
	}
	return 1;
}

/* nap - sleep before the next round, backing off, within the wait */
static void
nap(const struct deadline *wait, long *sleep_ms, unsigned *rnd)
{
	struct timespec ts;
	long ms, left;

	/* xorshift32: jitter only, no need for good randomness. */
	*rnd ^= *rnd << 13;
	*rnd ^= *rnd >> 17;
	*rnd ^= *rnd << 5;
	ms = *sleep_ms + (long)(*rnd % (unsigned)(*sleep_ms / 4 + 1));
	left = deadline_remaining_ms(wait);
	if (left >= 0 && ms > left)
		ms = left;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	*sleep_ms *= 2;
	if (*sleep_ms > POOL_SLEEP_MAX_MS)
		*sleep_ms = POOL_SLEEP_MAX_MS;
}

/* pool_acquire - hold one of pool_size slots to destination */
int
pool_acquire(const char *state_dir, const char *destination, int pool_size,
    const struct deadline *wait, struct pool_slot **slotp,
    struct relay_result *why)
{
	char base[POOL_NAME_MAX + 1];
	struct pool_slot *slot;
	long sleep_ms = POOL_SLEEP_MIN_MS;
	unsigned rnd;
	int dirfd = -1, fd = -1, i, ret = -1;

	*slotp = NULL;
	if (pool_size <= 0)
		return 0;
	if (pool_size > POOL_SIZE_MAX)
		return relay_result_set(why, "4.3.5",
		    "pool_size %d is out of range 0..%d", pool_size,
		    POOL_SIZE_MAX);
	if (destination == NULL || *destination == '\0')
		return relay_result_set(why, "4.3.0",
		    "connection slot for an empty destination");
	if (open_pool_dir(state_dir, &dirfd, why) != 0)
		goto out;
	safe_name(destination, base, sizeof(base));
	rnd = (unsigned)getpid() * 2654435761U ^ (unsigned)deadline_now_ms();
	if (rnd == 0)
		rnd = 1;

	for (;;) {
		for (i = 0; i < pool_size; i++) {
			int got = try_slot(dirfd, state_dir, base, i, &fd,
			    why);

			if (got < 0)
				goto out;
			if (got > 0)
				goto found;
		}
		if (wait == NULL || deadline_expired(wait)) {
			relay_result_set(why, "4.4.5",
			    "all %d connection slots to %s are busy",
			    pool_size, destination);
			goto out;
		}
		nap(wait, &sleep_ms, &rnd);
	}

found:
	if ((slot = malloc(sizeof(*slot))) == NULL) {
		close(fd);
		relay_result_set(why, "4.3.0", "out of memory");
		goto out;
	}
	slot->fd = fd;
	slot->index = i;
	*slotp = slot;
	ret = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	return ret;
}

/* pool_release - give a slot back (closing ends the lock) */
void
pool_release(struct pool_slot *slot)
{
	if (slot == NULL)
		return;
	close(slot->fd);
	free(slot);
}

/* pool_slot_fd - the slot's locked descriptor (to pass along), or -1 */
int
pool_slot_fd(const struct pool_slot *slot)
{
	return slot != NULL ? slot->fd : -1;
}

/*
 * pool_slot_adopt - a slot whose locked descriptor came from another
 * process (keeper.c): the flock belongs to the open file, so holding the
 * descriptor is holding the slot. Its index is not known (-1). NULL
 * when out of memory (fd is then closed, and the slot freed).
 */
struct pool_slot *
pool_slot_adopt(int fd)
{
	struct pool_slot *slot;

	if (fd < 0)
		return NULL;
	if ((slot = malloc(sizeof(*slot))) == NULL) {
		close(fd);
		return NULL;
	}
	slot->fd = fd;
	slot->index = -1;
	return slot;
}

/* pool_slot_index - which of the pool_size slots this is */
int
pool_slot_index(const struct pool_slot *slot)
{
	return slot != NULL ? slot->index : -1;
}
