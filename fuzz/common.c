/* Helpers shared by the fuzz targets. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static char tmpdir[256];

/* A smaller quarantine than ASan's 256 MB: fresh pages on every malloc
 * made the targets that open files several times slow. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=32";
}

/* UBSan findings with their stack, like ASan's. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1";
}

static void remove_tmpdir(void)
{
	char cmd[300];

	/* only what fuzz_tmpdir made: a mkdtemp name of our own */
	if (tmpdir[0] && strstr(tmpdir, "/captured-fuzz.")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: cannot remove %s\n", tmpdir);
	}
}

/* A crash ends the process without atexit: the directories of fuzzers
 * that are gone (named with their pid) are removed by the next one. */
static void sweep(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *de;
	char cmd[600];
	int pid;

	while (d && (de = readdir(d))) {
		if (sscanf(de->d_name, "captured-fuzz.%d.", &pid) != 1 || pid <= 0 ||
		    kill(pid, 0) == 0 || errno != ESRCH || strchr(de->d_name, '\''))
			continue;
		snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", base, de->d_name);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: cannot remove %s/%s\n", base, de->d_name);
	}
	if (d)
		closedir(d);
}

const char *fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0])
		return tmpdir;
	if (access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (!base || !*base)
		base = "/tmp";
	sweep(base);
	snprintf(tmpdir, sizeof(tmpdir), "%s/captured-fuzz.%d.XXXXXX", base, (int)getpid());
	if (!mkdtemp(tmpdir)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(remove_tmpdir);
	return tmpdir;
}

void fuzz_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0) {
		fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
		abort();
	}
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w <= 0) {
			fprintf(stderr, "fuzz: write %s: %s\n", path, strerror(errno));
			abort();
		}
		p += w;
		len -= (size_t)w;
	}
	close(fd);
}

char *fuzz_strndup(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	if (len)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "fuzz: %s:%d: check failed: %s\n", file, line, what);
	abort();
}
