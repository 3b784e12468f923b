/* A store: a directory of capture files, named so that ls(1) sorts them by
 * start time:  YYYYMMDDTHHMMSS.NNNNNNNNNZ_IFACE_qQUEUE[_N].pcapng[.zst][.part]
 * A marker file .captured-store identifies the directory as a store.
 */
#ifndef CAPTURED_STORE_H
#define CAPTURED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_MARKER ".captured-store"
#define STORE_IFACE_MAX 48

struct store;

struct store_file {
	char name[256];
	int64_t start_ns;          /* from the name */
	char iface[STORE_IFACE_MAX];
	int queue;
	bool partial;              /* .part: being written, or torn */
	bool plain;                /* .pcapng + .idx sidecar */
	uint64_t disk_bytes;       /* data and sidecar */
	int64_t mtime_ns;
};

/* Opens (create: and creates if missing) the store at dir.  NULL and errno
 * on failure with a message in err naming dir and the problem. */
struct store *store_open(const char *dir, bool create, char *err, size_t errlen);
void store_destroy(struct store *st);
const char *store_dir(const struct store *st);

/* Makes a file name; iface is sanitized ([A-Za-z0-9.-], others become '-').
 * seq > 0 adds "_seq" to tell apart files that start at the same ns. */
int store_name(char *buf, size_t len, int64_t start_ns, const char *iface, int queue,
	       int seq, bool plain);
/* Parses a store file name: 0, or -EINVAL when it is not one. */
int store_parse_name(const char *name, struct store_file *f);

/* Lists store files sorted by start time (then name).  *files is malloc'd. */
int store_list(const struct store *st, struct store_file **files, size_t *n);

/* Deletes the oldest files (with sidecars) until the store holds at most
 * max_bytes (0: no limit) and no file was last written more than max_age_ns
 * before now_ns (0: no limit).  Never deletes a file being written (a .part
 * file whose writer holds its lock); torn .part files of dead writers count
 * as any other.  Adds what it deleted to *files and *bytes. */
int store_retain(const struct store *st, uint64_t max_bytes, int64_t max_age_ns,
		 int64_t now_ns, uint64_t *files, uint64_t *bytes);

/* Seals the torn .part files of the store, those no live writer holds
 * (left by a writer that was killed or crashed, or whose close failed),
 * with capfile_repair: cut after the last whole frame, seek table, final
 * name.  Files of live writers are not touched.  Logs one line per file
 * it tried (capfile_repair's message: the file, frames and packets kept,
 * bytes cut; or why it was left as it is).  Returns the number of files
 * sealed, or negative errno when the store cannot be listed. */
int store_recover(const struct store *st);

/* Bytes free on the store's file system for an unprivileged writer
 * (statvfs f_bavail).  0 or negative errno. */
int store_space(const struct store *st, uint64_t *avail);

/* For a full file system under size-based retention: deletes the oldest
 * files, as store_retain does (never a file being written), until want
 * bytes are free (store_space) or none is left to delete.  A file that a
 * reader still holds open frees its space only when the reader closes it.
 * Adds what it deleted to *files and *bytes. */
int store_make_room(const struct store *st, uint64_t want, uint64_t *files, uint64_t *bytes);

#endif
