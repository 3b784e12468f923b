/* capctl's time arguments (cli/timearg.h): timearg_parse on the input as
 * text, against several "now"s; every time that parses must format and
 * parse back to itself. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "timearg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t nows[] = { 0, 1700000000123456789LL, INT64_MAX, INT64_MIN, -1 };
	char *s = fuzz_strndup(data, size), err[512], text[64], err2[512];
	int64_t v, v2;
	size_t n;
	int rc;

	for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		err[0] = '\0';
		rc = timearg_parse(s, nows[i], &v, err, sizeof(err));
		FUZZ_ASSERT(rc == 0 || rc == -EINVAL);
		if (rc) {
			FUZZ_ASSERT(err[0]);
			continue;
		}
		n = timearg_format(v, text, sizeof(text));
		FUZZ_ASSERT(n == strlen(text) && n == 30);
		rc = timearg_parse(text, 0, &v2, err2, sizeof(err2));
		FUZZ_ASSERT(rc == 0 && v2 == v);
		/* a short buffer still gets the length and a terminated prefix */
		FUZZ_ASSERT(timearg_format(v, text, 5) == n && strlen(text) == 4);
	}
	/* no message wanted */
	(void)timearg_parse(s, 0, &v, err, 0);
	free(s);
	return 0;
}
