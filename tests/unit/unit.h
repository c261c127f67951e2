/*
 * unit.h - the CUnit runner every tests/unit/test_<module>.c uses.
 *
 * A test file defines a CU_TestInfo table and calls unit_run() from
 * main(). UNIT_ASSERT_STR_EQ and UNIT_ASSERT_INT_EQ print "got X, want
 * Y" so a failure says what happened.
 */
#ifndef SLIMRELAY_TESTS_UNIT_H
#define SLIMRELAY_TESTS_UNIT_H

#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

int	unit_run(const char *suite, CU_TestInfo *tests);
void	unit_fail(const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define UNIT_ASSERT_STR_EQ(got, want) do {				\
	const char *g_ = (got), *w_ = (want);				\
	if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0)	\
		unit_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", \
		    #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");	\
	else								\
		CU_PASS(#got);						\
} while (0)

#define UNIT_ASSERT_INT_EQ(got, want) do {				\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_)							\
		unit_fail(__FILE__, __LINE__, "%s: got %lld, want %lld", \
		    #got, g_, w_);					\
	else								\
		CU_PASS(#got);						\
} while (0)

#endif
