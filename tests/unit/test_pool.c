/*
 * test_pool - connection slots across processes: order, waiting,
 * time-out, crashed holders, bad state directories, safe file names.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deadline.h"
#include "pool.h"
#include "result.h"
#include "unit.h"

static char state_dir[256];

/* make_state_dir - a fresh empty state directory for one test */
static void
make_state_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(state_dir, sizeof(state_dir), "%s/test_pool.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(state_dir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
}

/* remove_state_dir - remove the state directory and its pool */
static void
remove_state_dir(void)
{
	char path[1024];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/pool", state_dir);
	if ((dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/pool/%s", state_dir,
			    de->d_name);
			unlink(path);
		}
		closedir(dir);
	}
	snprintf(path, sizeof(path), "%s/pool", state_dir);
	rmdir(path);
	unlink(path);
	rmdir(state_dir);
}

/* count_pool_files - entries in state_dir/pool */
static int
count_pool_files(void)
{
	char path[512];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "%s/pool", state_dir);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0))
			n++;
	closedir(dir);
	return n;
}

/* pool_file_exists - is state_dir/pool/name there? */
static bool
pool_file_exists(const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/pool/%s", state_dir, name);
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* test_pool_unlimited - pool_size <= 0 takes no slot and no files */
static void
test_pool_unlimited(void)
{
	struct relay_result why;
	struct pool_slot *slot = (struct pool_slot *)&why;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(pool_acquire("/nonexistent", "x", 0, NULL, &slot,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(slot == NULL, 1);
	UNIT_ASSERT_INT_EQ(pool_acquire("/nonexistent", "x", -3, NULL, &slot,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(slot == NULL, 1);
	UNIT_ASSERT_INT_EQ(pool_slot_index(NULL), -1);
	pool_release(NULL);
}

/* test_pool_in_order - slots go lowest first; a freed one is reused */
static void
test_pool_in_order(void)
{
	struct relay_result why;
	struct pool_slot *s[4];
	struct deadline none;
	struct stat st;
	char path[512];
	int i;

	make_state_dir();
	relay_result_init(&why);
	for (i = 0; i < 3; i++) {
		UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[mx.example]:25",
		    3, NULL, &s[i], &why), 0);
		UNIT_ASSERT_INT_EQ(pool_slot_index(s[i]), i);
	}
	/* All three held: a fourth attempt without waiting fails now. */
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[mx.example]:25", 3,
	    NULL, &s[3], &why), -1);
	UNIT_ASSERT_INT_EQ(s[3] == NULL, 1);
	UNIT_ASSERT_STR_EQ(why.status, "4.4.5");
	UNIT_ASSERT_STR_EQ(why.text,
	    "all 3 connection slots to [mx.example]:25 are busy");
	UNIT_ASSERT_INT_EQ(why.class, RELAY_TRANSIENT);

	/* Another destination has its own slots. */
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[mx2.example]:25", 3,
	    NULL, &s[3], &why), 0);
	UNIT_ASSERT_INT_EQ(pool_slot_index(s[3]), 0);
	pool_release(s[3]);

	/* Free the middle one: the next taker gets index 1. */
	pool_release(s[1]);
	deadline_none(&none);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[mx.example]:25", 3,
	    &none, &s[1], &why), 0);
	UNIT_ASSERT_INT_EQ(pool_slot_index(s[1]), 1);

	/* Files and modes: pool 0700, lock files 0600 with our pid. */
	snprintf(path, sizeof(path), "%s/pool", state_dir);
	UNIT_ASSERT_INT_EQ(stat(path, &st), 0);
	UNIT_ASSERT_INT_EQ(st.st_mode & 07777, 0700);
	UNIT_ASSERT_INT_EQ(pool_file_exists("%5Bmx.example%5D%3A25.0"), 1);
	UNIT_ASSERT_INT_EQ(pool_file_exists("%5Bmx.example%5D%3A25.2"), 1);
	snprintf(path, sizeof(path), "%s/pool/%%5Bmx.example%%5D%%3A25.1",
	    state_dir);
	UNIT_ASSERT_INT_EQ(stat(path, &st), 0);
	UNIT_ASSERT_INT_EQ(st.st_mode & 07777, 0600);
	{
		char buf[32], want[32];
		FILE *fp = fopen(path, "r");

		UNIT_ASSERT_INT_EQ(fp != NULL, 1);
		if (fp != NULL) {
			if (fgets(buf, sizeof(buf), fp) == NULL)
				buf[0] = '\0';
			fclose(fp);
			snprintf(want, sizeof(want), "%ld\n",
			    (long)getpid());
			UNIT_ASSERT_STR_EQ(buf, want);
		}
	}
	UNIT_ASSERT_INT_EQ(count_pool_files(), 4);
	for (i = 0; i < 3; i++)
		pool_release(s[i]);
	remove_state_dir();
}

/* hold_in_child - fork a child that takes a slot, reports its index on
 * the pipe, then holds it for hold_ms (or until killed) */
static pid_t
hold_in_child(const char *dest, int pool_size, long hold_ms, bool crash,
    int *index)
{
	struct relay_result why;
	struct pool_slot *slot;
	int fds[2];
	char c;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		if (pool_acquire(state_dir, dest, pool_size, NULL, &slot,
		    &why) != 0)
			_exit(1);
		c = (char)('0' + pool_slot_index(slot));
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		if (crash)
			pause();	/* killed by the parent */
		usleep((useconds_t)hold_ms * 1000);
		pool_release(slot);
		_exit(0);
	}
	close(fds[1]);
	*index = read(fds[0], &c, 1) == 1 ? c - '0' : -1;
	close(fds[0]);
	return pid;
}

/* child_status - reap a child, its exit status or -1 */
static int
child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status);
}

/* test_pool_waits_for_release - a third taker waits for a holder */
static void
test_pool_waits_for_release(void)
{
	struct relay_result why;
	struct pool_slot *mine, *third;
	struct deadline wait;
	long start, elapsed;
	int child_index;
	pid_t pid;

	make_state_dir();
	relay_result_init(&why);
	pid = hold_in_child("[relay.example]:587", 2, 400, false,
	    &child_index);
	UNIT_ASSERT_INT_EQ(pid > 0, 1);
	UNIT_ASSERT_INT_EQ(child_index, 0);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[relay.example]:587", 2,
	    NULL, &mine, &why), 0);
	UNIT_ASSERT_INT_EQ(pool_slot_index(mine), 1);

	/* Both held: the third waits until the child lets go. */
	start = deadline_now_ms();
	deadline_in_ms(&wait, 5000);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[relay.example]:587", 2,
	    &wait, &third, &why), 0);
	elapsed = deadline_now_ms() - start;
	UNIT_ASSERT_INT_EQ(pool_slot_index(third), 0);
	if (elapsed < 250 || elapsed > 2000)
		unit_fail(__FILE__, __LINE__, "waited %ld ms, want ~400",
		    elapsed);
	UNIT_ASSERT_INT_EQ(child_status(pid), 0);
	pool_release(third);
	pool_release(mine);
	remove_state_dir();
}

/* test_pool_crashed_holder - a killed holder's slot is free at once */
static void
test_pool_crashed_holder(void)
{
	struct relay_result why;
	struct pool_slot *slot;
	int child_index;
	pid_t pid;

	make_state_dir();
	relay_result_init(&why);
	pid = hold_in_child("mx.example:25", 1, 0, true, &child_index);
	UNIT_ASSERT_INT_EQ(child_index, 0);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "mx.example:25", 1, NULL,
	    &slot, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.4.5");
	kill(pid, SIGKILL);
	UNIT_ASSERT_INT_EQ(child_status(pid), 128 + SIGKILL);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "mx.example:25", 1, NULL,
	    &slot, &why), 0);
	UNIT_ASSERT_INT_EQ(pool_slot_index(slot), 0);
	pool_release(slot);
	remove_state_dir();
}

/* test_pool_timeout - all busy for longer than the wait: 4.4.5 */
static void
test_pool_timeout(void)
{
	struct relay_result why;
	struct pool_slot *held, *slot = NULL;
	struct deadline wait;
	long start, elapsed;

	make_state_dir();
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[smart.example]:25", 1,
	    NULL, &held, &why), 0);
	start = deadline_now_ms();
	deadline_in_ms(&wait, 300);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "[smart.example]:25", 1,
	    &wait, &slot, &why), -1);
	elapsed = deadline_now_ms() - start;
	UNIT_ASSERT_INT_EQ(slot == NULL, 1);
	UNIT_ASSERT_STR_EQ(why.status, "4.4.5");
	UNIT_ASSERT_STR_EQ(why.text,
	    "all 1 connection slots to [smart.example]:25 are busy");
	if (elapsed < 290 || elapsed > 1000)
		unit_fail(__FILE__, __LINE__, "gave up after %ld ms, want "
		    "~300", elapsed);
	pool_release(held);
	remove_state_dir();
}

/* test_pool_bad_state_dir - a state directory that cannot be used */
static void
test_pool_bad_state_dir(void)
{
	struct relay_result why;
	struct pool_slot *slot;
	char path[512], target[512];
	int fd;

	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(pool_acquire("/nonexistent/slimrelay", "d", 1,
	    NULL, &slot, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_STR_EQ(why.text, "cannot use state directory "
	    "/nonexistent/slimrelay: No such file or directory");
	UNIT_ASSERT_INT_EQ(slot == NULL, 1);

	UNIT_ASSERT_INT_EQ(pool_acquire("", "d", 1, NULL, &slot, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(pool_acquire(NULL, "d", 1, NULL, &slot, &why),
	    -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");

	/* The state directory is a file. */
	make_state_dir();
	snprintf(path, sizeof(path), "%s/file", state_dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	UNIT_ASSERT_INT_EQ(pool_acquire(path, "d", 1, NULL, &slot, &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	UNIT_ASSERT_INT_EQ(strstr(why.text, "Not a directory") != NULL, 1);
	unlink(path);

	/* "pool" is a file, then a symbolic link to elsewhere. */
	snprintf(path, sizeof(path), "%s/pool", state_dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "d", 1, NULL, &slot,
	    &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	snprintf(target, sizeof(target), "cannot use state directory %s: "
	    "pool: Not a directory", state_dir);
	UNIT_ASSERT_STR_EQ(why.text, target);
	unlink(path);
	UNIT_ASSERT_INT_EQ(symlink("/tmp", path), 0);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "d", 1, NULL, &slot,
	    &why), -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.5");
	unlink(path);

	/* Out of range pool_size and an empty destination. */
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "d", 1001, NULL, &slot,
	    &why), -1);
	UNIT_ASSERT_STR_EQ(why.text, "pool_size 1001 is out of range 0..1000");
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "", 1, NULL, &slot, &why),
	    -1);
	UNIT_ASSERT_STR_EQ(why.status, "4.3.0");
	remove_state_dir();
}

/* test_pool_safe_names - '/', "..", case and length cannot escape */
static void
test_pool_safe_names(void)
{
	struct relay_result why;
	struct pool_slot *a, *b;
	char longer[400], other[400];

	make_state_dir();
	relay_result_init(&why);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "../../etc/x", 1, NULL, &a,
	    &why), 0);
	UNIT_ASSERT_INT_EQ(pool_file_exists("%2E.%2F..%2Fetc%2Fx.0"), 1);
	pool_release(a);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "..", 1, NULL, &a, &why),
	    0);
	UNIT_ASSERT_INT_EQ(pool_file_exists("%2E..0"), 1);
	pool_release(a);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "a b\n\xff~%", 1, NULL,
	    &a, &why), 0);
	UNIT_ASSERT_INT_EQ(pool_file_exists("a%20b%0A%FF%7E%25.0"), 1);
	pool_release(a);

	/* Host names are not case-sensitive: one destination, one pool. */
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "MX.Example.COM:25", 1,
	    NULL, &a, &why), 0);
	UNIT_ASSERT_INT_EQ(pool_file_exists("mx.example.com%3A25.0"), 1);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, "mx.example.com:25", 1,
	    NULL, &b, &why), -1);
	pool_release(a);

	/* Long names are hashed; different ones stay apart. */
	memset(longer, 'l', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(other, longer, sizeof(other));
	other[sizeof(other) - 2] = 'm';
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, longer, 1, NULL, &a, &why),
	    0);
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, other, 1, NULL, &b, &why),
	    0);
	pool_release(b);
	/* The same long name again is the same slot. */
	UNIT_ASSERT_INT_EQ(pool_acquire(state_dir, longer, 1, NULL, &b, &why),
	    -1);
	pool_release(a);
	/* Only regular files directly in pool/: "../" never escaped. */
	UNIT_ASSERT_INT_EQ(count_pool_files(), 6);
	remove_state_dir();
}

static CU_TestInfo tests[] = {
	{ "test_pool_unlimited", test_pool_unlimited },
	{ "test_pool_in_order", test_pool_in_order },
	{ "test_pool_waits_for_release", test_pool_waits_for_release },
	{ "test_pool_crashed_holder", test_pool_crashed_holder },
	{ "test_pool_timeout", test_pool_timeout },
	{ "test_pool_bad_state_dir", test_pool_bad_state_dir },
	{ "test_pool_safe_names", test_pool_safe_names },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("pool", tests);
}
