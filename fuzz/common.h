/* Helpers shared by the fuzz targets (fuzz/fuzz_*.c). */
#ifndef CAPTURED_FUZZ_COMMON_H
#define CAPTURED_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private directory for this process (in /dev/shm when there is one),
 * made on first use and removed at exit. */
const char *fuzz_tmpdir(void);
/* Writes len bytes to path (replacing it); aborts on failure. */
void fuzz_write(const char *path, const void *data, size_t len);
/* A NUL-terminated malloc'd copy of data (embedded NULs stay). */
char *fuzz_strndup(const uint8_t *data, size_t len);
/* A check that must hold: abort (a crash for libFuzzer) with a message. */
#define FUZZ_ASSERT(cond) \
	((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
