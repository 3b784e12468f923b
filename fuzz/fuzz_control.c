/* The control socket's request path (captured/control.c): a real control
 * socket on a libevent loop in a private directory; the input is what a
 * client sends, and the handler must see exactly the request line the
 * protocol (control.h) says, or the client must get the protocol's error.
 *
 * The first byte picks how the rest is sent: bit 0, whether the client
 * half-closes after sending (without it, a request without "\n" is only
 * answered by the server's timeout, so such inputs are cut at the first
 * "\n"); bits 1-7, where the bytes are cut in two writes with the loop
 * run in between (0: one write). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "common.h"
#include "control.h"

static struct event_base *base;
static struct control *ctl;
static struct sockaddr_un sa = { .sun_family = AF_UNIX };
static char got[CONTROL_MAX_REQUEST + 1];
static int calls;

/* Like the daemon's: known requests, and an error for the rest. */
static char *handler(const char *req, void *arg)
{
	(void)arg;
	FUZZ_ASSERT(strlen(req) < CONTROL_MAX_REQUEST);
	snprintf(got, sizeof(got), "%s", req);
	calls++;
	if (!strcmp(req, "status"))
		return strdup("{\"queues\": []}\n");
	if (!strcmp(req, "rotate"))
		return strdup("ok\n");
	if (!strcmp(req, "empty"))
		return strdup("");
	if (!strcmp(req, "nomem"))
		return NULL;
	return strdup("error: unknown request (status, rotate)\n");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc, (void)argv;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock/control", fuzz_tmpdir());
	base = event_base_new();
	FUZZ_ASSERT(base);
	ctl = control_create(base, sa.sun_path, NULL, 0600, handler, NULL, err, sizeof(err));
	if (!ctl)
		fprintf(stderr, "control_create: %s\n", err);
	FUZZ_ASSERT(ctl);
	return 0;
}

/* Runs the loop until the server has closed the client's connection (and
 * the client has read everything), collecting the reply. */
static size_t exchange(int fd, char *reply, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	bool eof = false;

	for (int i = 0; i < 100000; i++) {
		r = -1;
		event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
		while (!eof && (r = recv(fd, reply + n, cap - n, MSG_DONTWAIT)) != 0) {
			if (r < 0) {
				FUZZ_ASSERT(errno == EAGAIN || errno == ECONNRESET);
				if (errno == ECONNRESET)
					eof = true;
				break;
			}
			n += (size_t)r;
			FUZZ_ASSERT(n < cap);
		}
		if (r == 0)
			eof = true;
		if (eof && control_clients(ctl) == 0)
			return n;
	}
	FUZZ_ASSERT(!"the server answers and closes");
	return 0;
}

/* What the server must answer to the bytes req[0..n) (all of them sent). */
static const char *expect(const uint8_t *req, size_t n, bool half_close, char *line)
{
	const uint8_t *nl = memchr(req, '\n', n);
	size_t len = nl ? (size_t)(nl - req) : n;

	if (len >= CONTROL_MAX_REQUEST || (!nl && !half_close))
		return NULL;   /* too long */
	if (!n)
		return "";     /* nothing sent: closed without a call */
	memcpy(line, req, len);
	line[len] = '\0';
	line[strcspn(line, "\r")] = '\0';
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reply[4096], line[CONTROL_MAX_REQUEST + 1], *want;
	const char *req;
	bool half_close;
	size_t cut, n, off;
	const uint8_t *nl;
	int fd;

	if (size < 1)
		return 0;
	half_close = data[0] & 1;
	cut = data[0] >> 1;
	data++, size--;
	nl = memchr(data, '\n', size);
	if (!half_close && !nl && size < CONTROL_MAX_REQUEST)
		return 0;   /* only the server's timeout would end it */
	req = expect(data, size, half_close, line);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_ASSERT(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	/* the server reads only as the loop runs: a long request must not block */
	FUZZ_ASSERT(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
	calls = 0;
	got[0] = '\0';
	for (off = 0; off < size;) {
		size_t chunk = off < cut && cut < size ? cut - off : size - off;
		ssize_t w = send(fd, data + off, chunk, MSG_NOSIGNAL);

		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			break;   /* answered "too long" and closed already */
		FUZZ_ASSERT(w >= 0 || errno == EAGAIN);
		if (w > 0)
			off += (size_t)w;
		/* the server sees the first part alone */
		for (int i = 0; i < (off == cut ? 4 : 1); i++)
			event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	n = exchange(fd, reply, sizeof(reply));
	close(fd);
	reply[n] = '\0';
	if (!size) {
		FUZZ_ASSERT(calls == 0 && n == 0);
		return 0;
	}
	if (!req) {
		FUZZ_ASSERT(calls == 0);
		/* a reset may come before the reply is read */
		FUZZ_ASSERT(!strncmp(reply, "error: request too long\n", n));
		return 0;
	}
	if (calls != 1 || strcmp(got, req))
		fprintf(stderr, "handler got '%s' (%d calls), expected '%s'\n", got, calls, req);
	FUZZ_ASSERT(calls == 1 && !strcmp(got, req));
	want = handler(req, NULL);
	if (strcmp(reply, want ? want : "error: out of memory\n"))
		fprintf(stderr, "reply '%s', expected '%s'\n", reply, want ? want : "(nomem)");
	FUZZ_ASSERT(!strcmp(reply, want ? want : "error: out of memory\n"));
	free(want);
	return 0;
}
