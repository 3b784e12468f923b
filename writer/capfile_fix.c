/* Repairing a torn store file: keep every whole frame, cut the rest, write
 * the seek table a clean close would have written, and give the file its
 * final name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "capfile.h"
#include "capfile_r.h"
#include "fileio.h"

/* Frames that decode: a crash can leave a record whose frame has the right
 * length but not the right bytes (pages never written back). */
static size_t whole_frames(struct capfile_r *r)
{
	struct obuf tmp = { 0 };
	size_t i;

	for (i = 0; i < r->n; i++)
		if (capfile_r_frame(r, i, &tmp))
			break;
	obuf_free(&tmp);
	return i;
}

/* path without its .part suffix, malloc'd */
static char *strip_part(const char *path)
{
	char *p = strdup(path);

	if (p)
		capfile_strip_suffix(p, CAPFILE_PART_SUFFIX);
	return p;
}

static int seal(struct capfile_r *r, size_t keep, uint64_t *cut)
{
	const struct capindex_entry *last = &r->ents[keep - 1];
	size_t tlen = capindex_table_size(keep);
	uint64_t data_end, at;
	uint8_t *table;
	int wfd = -1, ifd = -1, err;

	/* in a compressed file the header frame's record follows it */
	data_end = last->offset + last->csize;
	if (!r->plain && keep == 1)
		data_end += CAPINDEX_REC_SIZE + r->time_size;
	table = malloc(tlen);
	if (!table)
		return -ENOMEM;
	capindex_put_table(table, r->ents, keep);
	wfd = open(r->path, O_WRONLY | O_CLOEXEC);
	if (wfd < 0 || flock(wfd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out;
	}
	*cut = r->data_size - data_end;
	if (r->plain) {
		ifd = open(r->idx_path, O_WRONLY | O_CLOEXEC);
		at = capfile_r_record_at(r, keep - 1) + CAPINDEX_REC_SIZE;
		err = -EIO;
		if (ifd < 0 || ftruncate(wfd, (off_t)data_end) < 0 ||
		    ftruncate(ifd, (off_t)at) < 0)
			goto errno_out;
		err = fileio_pwrite(ifd, table, tlen, at);
		if (!err && (fsync(ifd) < 0 || fsync(wfd) < 0))
			goto errno_out;
	} else {
		if (ftruncate(wfd, (off_t)data_end) < 0)
			goto errno_out;
		err = fileio_pwrite(wfd, table, tlen, data_end);
		if (!err && fsync(wfd) < 0)
			goto errno_out;
	}
	goto out;
errno_out:
	err = -errno;
out:
	if (ifd >= 0)
		close(ifd);
	if (wfd >= 0)
		close(wfd);
	free(table);
	return err;
}

/* A closed file whose seek table and frames are whole but some record
 * beside a frame is not: write those records anew from the table. */
static int fix_records(struct capfile_r *r, size_t *fixed)
{
	uint8_t rec[CAPINDEX_REC_SIZE];
	int fd, err = 0;

	*fixed = 0;
	fd = open(r->plain ? r->idx_path : r->path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < r->n && !err; i++) {
		const struct capindex_entry *e = &r->ents[i];
		uint64_t at = capfile_r_record_at(r, i);

		if (!capfile_r_check_record(r, i))
			continue;
		capindex_put_record(rec, e);
		err = fileio_pwrite(fd, rec, sizeof(rec), at);
		*fixed += !err;
	}
	if (!err && *fixed && fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

int capfile_repair(const char *path, char **final, char *msg, size_t msglen)
{
	char err_txt[512];
	struct capfile_r *r = capfile_r_open(path, err_txt, sizeof(err_txt));
	char *dst = NULL, *idx_dst = NULL;
	uint64_t cut = 0, packets = 0;
	size_t keep;
	int err;

	if (!r) {
		snprintf(msg, msglen, "%s", err_txt);
		return -errno;
	}
	if (r->state == CAPFILE_WRITING) {
		snprintf(msg, msglen, "%s: being written by a live writer; not touched", path);
		err = -EBUSY;
		goto out;
	}
	keep = whole_frames(r);
	if (keep == 0) {
		snprintf(msg, msglen, "%s: not even the header frame is whole", path);
		err = -EBADMSG;
		goto out;
	}
	for (size_t i = 0; i < keep; i++)
		packets += r->ents[i].packets;
	if (r->state == CAPFILE_COMPLETE && keep == r->n) {
		size_t fixed;

		err = fix_records(r, &fixed);
		if (err)
			snprintf(msg, msglen, "%s: rewriting index records: %s", path,
				 strerror(-err));
		else if (fixed)
			snprintf(msg, msglen, "%s: rewrote %zu damaged index records from the "
				 "seek table", path, fixed);

		else
			snprintf(msg, msglen, "%s: whole; nothing to repair", path);
		goto done;
	}
	if (r->state == CAPFILE_COMPLETE) {
		/* cutting here would throw away the whole frames after the bad one */
		snprintf(msg, msglen, "%s: frame %zu of a closed file is damaged (%s); not cut, "
			 "the other frames stay readable", path, keep, r->errbuf);
		err = -EBADMSG;
		goto out;
	}
	err = seal(r, keep, &cut);
	if (err) {
		snprintf(msg, msglen, "%s: repair failed: %s", path,
			 err == -EBUSY ? "a writer holds the file" : strerror(-err));
		goto out;
	}
	dst = strip_part(path);
	err = -ENOMEM;
	if (!dst)
		goto out;
	if (r->plain && r->partial) {
		idx_dst = strip_part(r->idx_path);
		/* already final if the writer died between its two renames */
		if (!idx_dst || (strcmp(idx_dst, r->idx_path) && rename(r->idx_path, idx_dst) < 0))
			goto errno_out;
	}
	if (r->partial && rename(path, dst) < 0)
		goto errno_out;
	snprintf(msg, msglen, "%s: repaired as %s: kept %zu of %zu frames (%llu packets), cut %llu bytes",
		 path, dst, keep, r->n, (unsigned long long)packets, (unsigned long long)cut);
	err = 0;
done:
	if (final) {
		*final = dst ? dst : strdup(path);
		dst = NULL;
	}
	goto out;
errno_out:
	err = -errno;
	snprintf(msg, msglen, "%s: rename after repair: %s", path, strerror(errno));
out:
	free(dst);
	free(idx_dst);
	capfile_r_close(r);
	return err;
}
