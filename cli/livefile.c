#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "capfile.h"
#include "livefile.h"

bool livefile_locked(const char *path)
{
	size_t n = strlen(path), k = strlen(CAPFILE_PART_SUFFIX);
	bool locked;
	int fd;

	if (n <= k || strcmp(path + n - k, CAPFILE_PART_SUFFIX))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* the writer holds LOCK_EX for the file's whole life */
	locked = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return locked;
}
