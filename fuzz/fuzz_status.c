/* capctl status's reply handling (cli/cmd_status.c): a fake daemon on a
 * UNIX socket in a private directory takes capctl's "status\n" and answers
 * with the input; capctl_status reads it, parses the JSON and prints it
 * (to /dev/null), human or --json as bit 0 of the first byte says.
 *
 * Not in "make fuzz-run" yet (FUZZ_PENDING in fuzz.mk): a number too big
 * for a long in uptime_s or in the clock's *_s fields is cast to long
 * (undefined; corpus/status/regress-*). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "capctl.h"
#include "common.h"

static int lfd = -1;
static char path[200];
static const uint8_t *reply;
static size_t reply_len;

/* capctl.c's, without the output. */
void capctl_err(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)argc, (void)argv;
	snprintf(path, sizeof(path), "%s/control", fuzz_tmpdir());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_ASSERT(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    listen(lfd, 4) == 0);
	FUZZ_ASSERT(freopen("/dev/null", "w", stdout));
	return 0;
}

/* The daemon's side of one exchange: read the request line, send the
 * reply, close. */
static void *serve(void *arg)
{
	char req[64];
	size_t n = 0, off = 0;
	ssize_t r;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	(void)arg;
	FUZZ_ASSERT(fd >= 0);
	while (n < sizeof(req) && (r = read(fd, req + n, sizeof(req) - n)) > 0) {
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	FUZZ_ASSERT(n == 7 && !memcmp(req, "status\n", 7));
	while (off < reply_len) {
		r = send(fd, reply + off, reply_len - off, MSG_NOSIGNAL);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a0[] = "status", a1[] = "--socket", a2[200], a3[] = "--json";
	char *argv[] = { a0, a1, a2, a3, NULL };
	struct capctl_ctx ctx = { .store = NULL };
	pthread_t t;
	int rc;

	if (size < 1)
		return 0;
	snprintf(a2, sizeof(a2), "%s", path);
	reply = data + 1;
	reply_len = size - 1;
	FUZZ_ASSERT(pthread_create(&t, NULL, serve, NULL) == 0);
	optind = 0;    /* getopt_long starts afresh */
	rc = capctl_status(&ctx, data[0] & 1 ? 4 : 3, argv);
	FUZZ_ASSERT(rc == 0 || rc == 1);
	pthread_join(t, NULL);
	return 0;
}
