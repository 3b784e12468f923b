/* Store file names (writer/store.h): store_parse_name on the input, as
 * capctl does on every name in a store directory.  A name that parses is
 * made again by store_name and must parse back to the same fields.
 *
 * Not in "make fuzz-run" yet (FUZZ_PENDING in fuzz.mk): a name dated
 * after 2262 overflows int64 nanoseconds in store_parse_name
 * (crash-store-year-9999 in its corpus directory). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = fuzz_strndup(data, size), buf[512], clean[STORE_IFACE_MAX];
	struct store_file f, g;
	int rc = store_parse_name(name, &f);
	size_t i;

	FUZZ_ASSERT(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		FUZZ_ASSERT(f.iface[0] && strlen(f.iface) < STORE_IFACE_MAX && f.queue >= 0);
		FUZZ_ASSERT(store_name(buf, sizeof(buf), f.start_ns, f.iface, f.queue, 0,
				       f.plain) == 0);
		FUZZ_ASSERT(store_parse_name(buf, &g) == 0);
		/* store_name makes the interface [A-Za-z0-9.-] */
		for (i = 0; f.iface[i]; i++)
			clean[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789.-", f.iface[i]) ? f.iface[i] : '-';
		clean[i] = '\0';
		FUZZ_ASSERT(g.start_ns == f.start_ns && !strcmp(g.iface, clean) &&
			    g.queue == f.queue && g.plain == f.plain && !g.partial);
	}
	free(name);
	return 0;
}
