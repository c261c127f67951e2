/*
 * NAME
 *	fuzz_config - libFuzzer target for lib/config.c
 * DESCRIPTION
 *	The input is read as a configuration file. When it is accepted,
 *	its dump must read back without error to a configuration with the
 *	same dump; when it is refused, the result must be "4.3.5" naming
 *	the input, on one printable line, and the configuration unchanged.
 *	The first line also goes through config_set_option() and
 *	config_parse_time_ms(). Any broken invariant abort()s.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: %s\n", what);
		abort();
	}
}

/* dump - config_dump() into a string; the caller frees */
static char *
dump(const struct config *cfg, bool only_set)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		abort();
	config_dump(cfg, fp, only_set);
	fclose(fp);
	return buf;
}

/* read_text - config_read() over a buffer */
static int
read_text(struct config *cfg, char *text, size_t len,
    struct relay_result *why)
{
	FILE *fp;
	int ret;

	/* Never empty here: fmemopen() may refuse size 0. */
	if ((fp = fmemopen(text, len, "r")) == NULL)
		abort();
	ret = config_read(cfg, fp, "fuzz", why);
	fclose(fp);
	return ret;
}

/* check_text - a result text is one printable line */
static void
check_text(const char *text)
{
	for (; *text != '\0'; text++)
		check((unsigned char)*text >= 0x20 && *text != 0x7f,
		    "control character in a result");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, back;
	struct relay_result why;
	char *text, *d0, *d1, *d2, *line;
	size_t n;
	long ms;

	if (size == 0 || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	config_defaults(&cfg);
	d0 = dump(&cfg, false);
	relay_result_init(&why);
	if (read_text(&cfg, text, size, &why) == 0) {
		d1 = dump(&cfg, false);
		config_defaults(&back);
		check(read_text(&back, d1, strlen(d1), &why) == 0,
		    "a dump does not read back");
		d2 = dump(&back, false);
		check(strcmp(d1, d2) == 0, "a dump read back differs");
		free(d1);
		free(d2);
		config_fini(&back);
		d1 = dump(&cfg, true);
		free(d1);
	} else {
		check(strcmp(why.status, "4.3.5") == 0, "wrong status");
		check(strncmp(why.text, "fuzz:", 5) == 0, "error without name");
		check_text(why.text);
		/* Every parameter and route line as before. */
		d1 = dump(&cfg, false);
		check(strcmp(d0, d1) == 0 && cfg.set_mask[0] == 0 &&
		    cfg.set_mask[1] == 0,
		    "a failed read changed the configuration");
		free(d1);
	}
	free(d0);

	/* The first line as -o and as a time. */
	n = strcspn(text, "\n");
	if ((line = strndup(text, n)) != NULL) {
		relay_result_init(&why);
		if (config_set_option(&cfg, line, &why) < 0) {
			check(strcmp(why.status, "4.3.5") == 0, "-o status");
			check_text(why.text);
		}
		if (config_parse_time_ms(line, &ms) == 0)
			check(ms >= 0, "negative time");
		free(line);
	}
	config_fini(&cfg);
	free(text);
	return 0;
}
