/*
 * NAME
 *	driver - run a libFuzzer entry point over files, without libFuzzer
 * SYNOPSIS
 *	fuzz_run_<target> PATH...
 * DESCRIPTION
 *	Calls LLVMFuzzerTestOneInput() once per file: each PATH is a file,
 *	or a directory whose files (and subdirectories) are run in name
 *	order, names starting with '.' left out. Each input is handed over
 *	in a heap buffer of exactly its size, so that AddressSanitizer sees
 *	any read past the end. make check runs it over the seed corpora
 *	(tests/fuzz/corpus.sh); `make fuzz` builds real fuzzers with clang
 *	and libFuzzer from the same entry points.
 *
 *	Exit status: 0 when every input ran, 1 when a path cannot be read
 *	or is larger than INPUT_MAX, 2 for a usage error. A crash or an
 *	abort() in the target is the target's verdict.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INPUT_MAX	(16 * 1024 * 1024)
#define DEPTH_MAX	8

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int run_path(const char *, int, unsigned *);

/* run_file - one input file */
static int
run_file(const char *path, int fd, const struct stat *st, unsigned *count)
{
	size_t size = (size_t)st->st_size, got = 0;
	uint8_t *data;
	ssize_t n;

	if (st->st_size > INPUT_MAX) {
		fprintf(stderr, "%s: larger than %d bytes\n", path, INPUT_MAX);
		return -1;
	}
	/* malloc(0) may return NULL: ask for one byte, pass size 0. */
	if ((data = malloc(size > 0 ? size : 1)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	while (got < size) {
		if ((n = read(fd, data + got, size - got)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: %s\n", path, n < 0 ?
			    strerror(errno) : "file shrank while read");
			free(data);
			return -1;
		}
		got += (size_t)n;
	}
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	(*count)++;
	return 0;
}

/* run_dir - every entry of a directory, in name order */
static int
run_dir(const char *path, int depth, unsigned *count)
{
	struct dirent **names;
	char sub[4096];
	int i, n, ret = 0;

	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && ret == 0) {
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
			    names[i]->d_name) >= sizeof(sub)) {
				fprintf(stderr, "%s/%s: name too long\n", path,
				    names[i]->d_name);
				ret = -1;
			} else if (run_path(sub, depth + 1, count) < 0)
				ret = -1;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

/* run_path - a file or a directory of files */
static int
run_path(const char *path, int depth, unsigned *count)
{
	struct stat st;
	int fd, ret = -1;

	if (depth > DEPTH_MAX) {
		fprintf(stderr, "%s: directories nested too deep\n", path);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	else if (S_ISDIR(st.st_mode))
		ret = run_dir(path, depth, count);
	else if (S_ISREG(st.st_mode))
		ret = run_file(path, fd, &st, count);
	else
		fprintf(stderr, "%s: not a file or directory\n", path);
	if (fd >= 0)
		close(fd);
	return ret;
}

int
main(int argc, char **argv)
{
	unsigned count = 0;
	int i, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (run_path(argv[i], 0, &count) < 0)
			ret = 1;
	fprintf(stderr, "%s: %u input%s\n", argv[0], count,
	    count == 1 ? "" : "s");
	return ret;
}
