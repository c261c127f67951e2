/*
 * NAME
 *	unit - shared CUnit runner for the unit tests
 * SYNOPSIS
 *	int unit_run(const char *suite, CU_TestInfo *tests);
 *	void unit_fail(const char *file, int line, const char *fmt, ...);
 * DESCRIPTION
 *	unit_run() registers one suite, runs it with the basic interface
 *	in verbose mode and returns the process exit status: 0 when every
 *	test passed, 1 otherwise, 99 (automake's hard error) when CUnit
 *	itself fails.
 *
 *	unit_fail() records a failed assertion with a formatted message.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>

#include <CUnit/Basic.h>

#include "unit.h"

/* unit_fail - record a failed assertion with a formatted message */
void
unit_fail(const char *file, int line, const char *fmt, ...)
{
	static char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	CU_assertImplementation(CU_FALSE, line, msg, file, "", CU_FALSE);
}

/* unit_run - run one suite and map the outcome to an exit status */
int
unit_run(const char *suite, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = {
		{ suite, NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 99;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 99;
	}
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
