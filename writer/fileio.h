/* Whole-buffer positional I/O that retries short transfers and EINTR. */
#ifndef CAPTURED_FILEIO_H
#define CAPTURED_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* 0, negative errno, or -ENODATA when the file ends first. */
int fileio_pread(int fd, void *buf, size_t len, uint64_t off);
/* 0 or negative errno (-EIO for a write that makes no progress). */
int fileio_pwrite(int fd, const void *buf, size_t len, uint64_t off);

#endif
