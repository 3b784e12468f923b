/* captured's configuration (captured/config.h): the input as a config file
 * for config_load_file, and split at its first '=' as key and value for
 * config_set.  What loads must survive config_print and load again to the
 * same values; a value that sets must set again from config_value's text
 * to the same value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"

static void same_config(const struct config *a, const struct config *b)
{
	char va[512], vb[512];

	for (int o = 0; o < CONFIG_NOPTS; o++) {
		config_value(a, o, va, sizeof(va));
		config_value(b, o, vb, sizeof(vb));
		if (strcmp(va, vb) || config_int(a, o) != config_int(b, o)) {
			fprintf(stderr, "option %s: '%s' (%lld) became '%s' (%lld)\n", config_name(o),
				va, (long long)config_int(a, o), vb, (long long)config_int(b, o));
			FUZZ_ASSERT(!"config_print output loads to the same values");
		}
	}
}

static void load(const uint8_t *data, size_t size)
{
	char path[300], path2[300], err[512];
	struct config *c = config_create(), *c2 = config_create();
	FILE *f;
	int rc;

	FUZZ_ASSERT(c && c2);
	snprintf(path, sizeof(path), "%s/captured.conf", fuzz_tmpdir());
	snprintf(path2, sizeof(path2), "%s/printed.conf", fuzz_tmpdir());
	fuzz_write(path, data, size);
	err[0] = '\0';
	rc = config_load_file(c, path, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	FUZZ_ASSERT(rc == 0 || (err[0] && !strncmp(err, path, strlen(path))));
	if (rc == 0) {
		f = fopen(path2, "w");
		FUZZ_ASSERT(f);
		config_print(c, f);
		FUZZ_ASSERT(fclose(f) == 0);
		rc = config_load_file(c2, path2, err, sizeof(err));
		if (rc)
			fprintf(stderr, "reloading the printed config: %s\n", err);
		FUZZ_ASSERT(rc == 0);
		same_config(c, c2);
	}
	config_destroy(c);
	config_destroy(c2);
}

static void set(const uint8_t *data, size_t size)
{
	char *key = fuzz_strndup(data, size), *value = strchr(key, '='), err[512], v1[512], v2[512];
	struct config *c = config_create(), *c2 = config_create();
	int64_t x;
	bool b;
	int rc, o;

	FUZZ_ASSERT(c && c2);
	if (value)
		*value++ = '\0';
	else
		value = key + strlen(key);
	rc = config_set(c, key, value, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		for (o = 0; o < CONFIG_NOPTS && strcmp(config_name(o), key); o++)
			;
		FUZZ_ASSERT(o < CONFIG_NOPTS);
		config_value(c, o, v1, sizeof(v1));
		rc = config_set(c2, key, v1, err, sizeof(err));
		if (rc)
			fprintf(stderr, "%s = '%s' then '%s': %s\n", key, value, v1, err);
		FUZZ_ASSERT(rc == 0);
		config_value(c2, o, v2, sizeof(v2));
		FUZZ_ASSERT(!strcmp(v1, v2) && config_int(c, o) == config_int(c2, o));
	} else {
		FUZZ_ASSERT(err[0]);
	}
	/* the value parsers behind the table, on the whole text */
	(void)config_parse_size(value, &x);
	(void)config_parse_duration(value, &x);
	(void)config_parse_bool(value, &b);
	config_destroy(c);
	config_destroy(c2);
	free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(data, size);
	set(data, size);
	return 0;
}
