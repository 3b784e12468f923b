/* See follow.h.  A series is the files of one interface and queue, one
 * after the other; it has one current file.  Files of the store change
 * under us in four ways, each handled here: a .part file grows (new
 * frames: read them), is renamed to its final name when closed
 * (capctl_open_file follows), is left torn by a writer that died (its lock
 * is free: done), or is deleted by retention (say so, go on). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpfset.h"
#include "capctl.h"
#include "capfile.h"
#include "cursor.h"
#include "follow.h"
#include "livefile.h"

struct series {
	char iface[STORE_IFACE_MAX];
	int queue;
	char name[256];             /* the current file as last seen */
	int64_t start_ns;           /* from its name */
	size_t next;                /* its next frame to look at */
	uint64_t size;              /* data + sidecar bytes when last read */
	bool skip;                  /* first read: take position at the end */
	bool known;                 /* its interfaces are declared */
	bool done;                  /* no longer written: closed, or torn */
	bool gone;                  /* deleted */
	int ifmap[CAPFILE_MAX_IF];
	const struct bpf_program *progs[CAPFILE_MAX_IF];
	size_t nidb;
};

struct follow {
	struct store *st;
	struct follow_opts o;
	struct bpfset *bpf;
	struct series *ser;
	size_t nser;
	struct store_file *list;    /* the last listing */
	size_t nlist;
	uint64_t packets, frames, files, damaged, skipped;
};

struct follow *follow_create(struct store *st, const struct follow_opts *o, const char *filter,
			     char *err, size_t errlen)
{
	struct follow *fw = calloc(1, sizeof(*fw));

	snprintf(err, errlen, "out of memory");
	if (!fw || !(fw->bpf = bpfset_create(filter))) {
		free(fw);
		errno = ENOMEM;
		return NULL;
	}
	fw->st = st;
	fw->o = *o;
	if (filter[0] && !bpfset_get(fw->bpf, 1, 262144, err, errlen)) {
		int e = errno;

		follow_destroy(fw);
		errno = e;
		return NULL;
	}
	return fw;
}

void follow_destroy(struct follow *fw)
{
	if (!fw)
		return;
	bpfset_destroy(fw->bpf);
	free(fw->ser);
	free(fw->list);
	free(fw);
}

/* Length of name without ".part": a file keeps its identity when closed. */
static size_t base_len(const char *name)
{
	size_t n = strlen(name), k = strlen(CAPFILE_PART_SUFFIX);

	return n > k && !strcmp(name + n - k, CAPFILE_PART_SUFFIX) ? n - k : n;
}

static int cmp_base(const char *a, const char *b)
{
	size_t la = base_len(a), lb = base_len(b);
	int c = strncmp(a, b, la < lb ? la : lb);

	return c ? c : (la > lb) - (la < lb);
}

static bool in_series(const struct series *s, const struct store_file *f)
{
	return f->queue == s->queue && !strcmp(f->iface, s->iface);
}

/* The file after the current one in the series, in the last listing. */
static const struct store_file *successor(const struct follow *fw, const struct series *s)
{
	for (size_t i = 0; i < fw->nlist; i++) {
		const struct store_file *f = &fw->list[i];

		if (in_series(s, f) && (f->start_ns > s->start_ns ||
					(f->start_ns == s->start_ns && cmp_base(f->name, s->name) > 0)))
			return f;
	}
	return NULL;
}

static void take_file(struct series *s, const struct store_file *f, bool skip)
{
	snprintf(s->name, sizeof(s->name), "%s", f->name);
	s->start_ns = f->start_ns;
	s->next = 1;                /* frame 0 is the header */
	s->size = UINT64_MAX;
	s->skip = skip;
	s->known = s->done = s->gone = false;
}

static void lost_file(struct follow *fw, struct series *s)
{
	/* a file read to its end that goes is no news */
	if (!s->done)
		fprintf(stderr, "capctl: %s/%s was deleted (retention) while it was followed; "
			"its packets from then on are missing; going on with the next file\n",
			store_dir(fw->st), s->name);
	s->gone = s->done = true;
}

/* Lists the store; positions new series (initial: at the end of their
 * newest file, or at their first with --from; later: at their first). */
static int relist(struct follow *fw, bool initial, char *err, size_t errlen)
{
	struct store_file *list = NULL;
	size_t n = 0;
	int rc = store_list(fw->st, &list, &n);

	if (rc == -ENOENT || rc == -ENOTDIR) {
		snprintf(err, errlen, "the store directory %s disappeared (deleted or moved); "
			 "stopping", store_dir(fw->st));
		return -ENOENT;
	}
	if (rc) {
		snprintf(err, errlen, "%s: %s", store_dir(fw->st), strerror(-rc));
		return rc;
	}
	free(fw->list);
	fw->list = list;
	fw->nlist = n;
	for (size_t i = 0; i < fw->nser; i++) {
		struct series *s = &fw->ser[i];
		bool found = false;

		for (size_t j = 0; j < n && !found; j++) {
			if (in_series(s, &list[j]) && !cmp_base(list[j].name, s->name)) {
				found = true;
				snprintf(s->name, sizeof(s->name), "%s", list[j].name);
			}
		}
		if (!found && !s->gone)
			lost_file(fw, s);
	}
	for (size_t j = 0; j < n; j++) {
		struct series *s = NULL, *v;

		for (size_t i = 0; i < fw->nser && !s; i++)
			if (in_series(&fw->ser[i], &list[j]))
				s = &fw->ser[i];
		if (s) {
			/* initially without --from: the newest file wins */
			if (s->skip && !s->known)
				take_file(s, &list[j], true);
			continue;
		}
		v = realloc(fw->ser, (fw->nser + 1) * sizeof(*v));
		if (!v) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		fw->ser = v;
		s = &fw->ser[fw->nser++];
		memset(s, 0, sizeof(*s));
		snprintf(s->iface, sizeof(s->iface), "%s", list[j].iface);
		s->queue = list[j].queue;
		take_file(s, &list[j], initial && !fw->o.has_from);
	}
	return 0;
}

/* Bytes of a file and its sidecar now; UINT64_MAX when it is not there. */
static uint64_t disk_size(const char *dir, const char *name)
{
	char path[4096];
	size_t b = base_len(name);
	struct stat sb;
	uint64_t size;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &sb) < 0)
		return UINT64_MAX;
	size = (uint64_t)sb.st_size;
	if (b > 7 && !strncmp(name + b - 7, ".pcapng", 7)) {
		/* plain: the records are in the sidecar, which grows apart */
		snprintf(path, sizeof(path), "%s/%.*s%s%s", dir, (int)b, name, CAPFILE_IDX_SUFFIX,
			 b < strlen(name) ? CAPFILE_PART_SUFFIX : "");
		if (stat(path, &sb) == 0)
			size += (uint64_t)sb.st_size;
	}
	return size;
}

static int declare(struct follow *fw, struct pktout *out, struct series *s,
		   const struct capfile_r *r, char *err, size_t errlen)
{
	s->nidb = capfile_r_nidb(r) < CAPFILE_MAX_IF ? capfile_r_nidb(r) : CAPFILE_MAX_IF;
	for (size_t i = 0; i < s->nidb; i++) {
		const struct pcapng_idb *idb = capfile_r_idb(r, i);
		struct pcapng_idb ns = *idb;
		const uint8_t *blk;
		uint8_t *tmp = NULL;
		size_t len;

		blk = capfile_r_idb_block(r, i, &len);
		if (idb->tsresol != 9) {
			/* packets leave the cursor in ns: say so in the block */
			ns.tsresol = 9;
			tmp = malloc(len + 64);
			if (!tmp)
				return -ENOMEM;
			len = pcapng_put_idb(tmp, len + 64, &ns);
			blk = tmp;
			if (!len)
				snprintf(err, errlen, "%s: interface %zu: cannot write it anew with "
					 "nanosecond timestamps", s->name, i);
		}
		s->ifmap[i] = len ? pktout_add_if(out, blk, len, &ns, err, errlen) : -EINVAL;
		free(tmp);
		if (s->ifmap[i] < 0)
			return s->ifmap[i];
		s->progs[i] = bpfset_get(fw->bpf, idb->linktype, idb->snaplen, err, errlen);
		if (!s->progs[i] && errno)
			return -errno;
	}
	s->known = true;
	return 0;
}

/* Writes the packets of frames of the current file; flushed frame by
 * frame, so that a reader sees each as soon as it is whole. */
static int deliver(struct follow *fw, struct pktout *out, struct series *s, const size_t *frames,
		   size_t n, volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	char path[4096];
	struct cursor_pkt p;
	struct cursor *c;
	uint64_t last = 0;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", store_dir(fw->st), s->name);
	c = cursor_create(path, frames, n, fw->o.has_from ? fw->o.from : INT64_MIN, INT64_MAX,
			  bpfset_filter(fw->bpf)[0] ? s->progs : NULL, s->nidb, err, errlen);
	if (!c) {
		if (errno == ENOENT) {
			lost_file(fw, s);
			return 0;
		}
		return -errno;
	}
	while (!*stop && cursor_next(c, &p) == 1) {
		if (cursor_frames_read(c) != last) {
			rc = last ? pktout_flush(out) : 0;
			last = cursor_frames_read(c);
			if (rc)
				break;
		}
		if (p.ifid >= s->nidb)
			continue;
		rc = pktout_packet(out, (uint32_t)s->ifmap[p.ifid], p.ts, p.data, p.caplen,
				   p.origlen, p.flags, p.queue);
		if (rc)
			break;
		fw->packets++;
	}
	fw->frames += cursor_frames_read(c);
	fw->damaged += cursor_damaged(c);
	cursor_destroy(c);
	if (!rc)
		rc = pktout_flush(out);
	if (rc && rc != -EPIPE)
		snprintf(err, errlen, "writing: %s", strerror(-rc));
	return rc;
}

static bool wanted(const struct follow *fw, const struct capindex_entry *e)
{
	return e->packets && !(e->flags & (CAPINDEX_F_HEADER | CAPINDEX_F_STATS)) &&
	       (!fw->o.has_from || (int64_t)e->ts_max >= fw->o.from);
}

/* Re-reads the current file's index and writes its new frames. */
static int read_file(struct follow *fw, struct pktout *out, struct series *s,
		     volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	char path[4096];
	struct capfile_r *r;
	size_t *frames = NULL, n = 0, nf;
	const char *slash;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", store_dir(fw->st), s->name);
	r = capctl_open_file(path, err, errlen);
	if (!r) {
		if (errno == ENOMEM)
			return -ENOMEM;
		if (errno == ENOENT) {
			lost_file(fw, s);
		} else if (livefile_locked(path)) {
			/* just created, its header not whole yet: no frame can
			 * precede it, so all of it is new */
			s->size = UINT64_MAX;
			s->skip = false;
		} else {
			capctl_err("skipping %s", err);
			fw->skipped++;
			s->done = true;
			s->skip = false;
		}
		return 0;
	}
	/* closed meanwhile: known by its final name from now on */
	slash = strrchr(capfile_r_path(r), '/');
	snprintf(s->name, sizeof(s->name), "%s", slash ? slash + 1 : capfile_r_path(r));
	if (!s->known) {
		fw->files++;
		rc = declare(fw, out, s, r, err, errlen);
		if (rc)
			goto out;
	}
	nf = capfile_r_nframes(r);
	s->size = capfile_r_disk_size(r);
	s->done = capfile_r_state(r) != CAPFILE_WRITING;
	if (s->skip) {
		s->skip = false;
		s->next = nf;
		goto out;
	}
	frames = malloc((nf + 1) * sizeof(*frames));
	if (!frames) {
		rc = -ENOMEM;
		goto out;
	}
	for (; s->next < nf; s->next++)
		if (wanted(fw, capfile_r_entry(r, s->next)))
			frames[n++] = s->next;
	capfile_r_close(r);
	r = NULL;
	if (n)
		rc = deliver(fw, out, s, frames, n, stop, err, errlen);
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(frames);
	capfile_r_close(r);
	return rc;
}

/* Reads what is new in every series; 1 when a file vanished from under
 * its name (renamed or deleted): the store must be listed again. */
static int pump(struct follow *fw, struct pktout *out, volatile sig_atomic_t *stop, char *err,
		size_t errlen)
{
	bool relist_needed = false;

	for (size_t i = 0; i < fw->nser && !*stop; i++) {
		struct series *s = &fw->ser[i];

		for (;;) {
			const struct store_file *nx = successor(fw, s);

			if (!s->done) {
				uint64_t size = disk_size(store_dir(fw->st), s->name);
				int rc = 0;

				if (size == UINT64_MAX)
					relist_needed = true;
				/* with a successor, a file that does not grow may
				 * have been left torn: look at its state */
				else if (size != s->size || nx)
					rc = read_file(fw, out, s, stop, err, errlen);
				if (rc)
					return rc;
			}
			if (!s->done || !nx || *stop)
				break;
			take_file(s, nx, false);
		}
	}
	return relist_needed;
}

int follow_start(struct follow *fw, struct pktout *out, volatile sig_atomic_t *stop,
		 char *err, size_t errlen)
{
	int rc = relist(fw, true, err, errlen);

	if (!rc)
		rc = follow_step(fw, out, FOLLOW_WAKE_DATA, stop, err, errlen);
	/* the header and the interfaces go out now, so that a reader such as
	 * tshark -i - starts at once */
	if (!rc)
		rc = pktout_flush(out);
	return rc;
}

int follow_step(struct follow *fw, struct pktout *out, unsigned what,
		volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	int rc = 0;

	for (int round = 0; round < 2; round++) {
		if (what & FOLLOW_WAKE_LIST)
			rc = relist(fw, false, err, errlen);
		if (!rc)
			rc = pump(fw, out, stop, err, errlen);
		if (rc <= 0)
			return rc;
		what = FOLLOW_WAKE_LIST;
	}
	return 0;
}

int follow_finish(const struct follow *fw, int rc, bool summary)
{
	if (summary)
		fprintf(stderr, "capctl: %" PRIu64 " packets from %" PRIu64 " frames in %" PRIu64
			" files\n", fw->packets, fw->frames, fw->files);
	if (fw->skipped)
		capctl_err("incomplete: %" PRIu64 " files could not be read (see above)",
			   fw->skipped);
	if (fw->damaged)
		capctl_err("incomplete: %" PRIu64 " damaged frames were skipped (see above)",
			   fw->damaged);
	return rc || fw->skipped || fw->damaged ? 1 : 0;
}
