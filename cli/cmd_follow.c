/* capctl follow: packets as the daemon stores them, like tail -f.
 *
 * Each file series (interface and queue) is followed on its own: its
 * current file is re-read (a forward scan of a .part file finds whole
 * frames only) whenever it grows, and when it is no longer being written
 * (closed, or torn by a writer that died) the next file of the series
 * takes over.  New frames are read with a cursor (cursor.h), so the window
 * and the filter work as in capctl slice.  inotify on the store directory
 * says when to look; without it, a timer does. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capctl.h"
#include "follow.h"
#include "store.h"
#include "timearg.h"

#define POLL_MS 200          /* at most this long between looks at the files */
#define SETTLE_MS 50         /* after an event: let a burst of writes end */
#define RELIST_MS 1000       /* without inotify: list the directory this often */

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_opts(int argc, char **argv, struct follow_opts *o, char **filter)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "write", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, 'z' },
		{ 0 }
	};
	char err[512];
	int ch;

	while ((ch = getopt_long(argc, argv, "w:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (timearg_parse(optarg, now_ns(CLOCK_REALTIME), &o->from, err, sizeof(err))) {
				capctl_err("--from: %s", err);
				return 2;
			}
			o->has_from = true;
			break;
		case 'w': o->out = optarg; break;
		case 'F': o->force = true; break;
		case 'o':
			if (pktout_parse_format(optarg, &o->fmt)) {
				capctl_err("--format: '%s': want pcapng, pcap (or pcap-ns) or pcap-us",
					   optarg);
				return 2;
			}
			break;
		case 'z':
			if (strcmp(optarg, "zstd")) {
				capctl_err("--compress: '%s': only zstd", optarg);
				return 2;
			}
			o->zstd = true;
			break;
		default:
			capctl_err("usage: follow [--from T] [-w FILE|-] [--force] "
				   "[--format pcapng|pcap|pcap-us] [--compress zstd] [FILTER...]");
			return 2;
		}
	}
	if (o->out && strlen(o->out) > 4 && !strcmp(o->out + strlen(o->out) - 4, ".zst"))
		o->zstd = true;
	*filter = capctl_join_args(argc - optind, argv + optind);
	if (!*filter) {
		capctl_err("out of memory");
		return 1;
	}
	return 0;
}

/* inotify on the store directory: files created, renamed, deleted, and
 * written.  -1 when unavailable (the timer does the work then). */
static int watch_store(const char *dir)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	if (inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
			      IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what the watch says: FOLLOW_WAKE_* bits. */
static unsigned drain_watch(int fd)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	unsigned what = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_Q_OVERFLOW |
					IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE))
				what |= FOLLOW_WAKE_LIST;
			what |= FOLLOW_WAKE_DATA;
			p += sizeof(*ev) + ev->len;
		}
	}
	return what;
}

/* Waits for something to look at: 1 with *what set, 0 when the reader of
 * standard output went away, -EINTR on a signal. */
static int wait_for(int ino, bool watch_stdout, unsigned *what)
{
	struct pollfd p[2] = { { .fd = ino, .events = POLLIN },
			       { .fd = watch_stdout ? STDOUT_FILENO : -1, .events = 0 } };
	int n = poll(p, 2, POLL_MS);

	*what = 0;
	if (n < 0)
		return errno == EINTR ? -EINTR : -errno;
	/* a pipe whose reader closed reports POLLERR even while we are idle */
	if (p[1].revents & (POLLERR | POLLHUP))
		return 0;
	if (ino >= 0 && (p[0].revents & POLLIN)) {
		*what = drain_watch(ino);
		/* frames come in bursts of writes: look once they are done */
		poll(NULL, 0, SETTLE_MS);
		*what |= drain_watch(ino);
	}
	return 1;
}

int capctl_follow(const struct capctl_ctx *ctx, int argc, char **argv)
{
	struct follow_opts o = { .fmt = PKTOUT_PCAPNG };
	struct sigaction sa = { .sa_handler = on_signal };
	struct follow *fw = NULL;
	struct pktout *out = NULL;
	struct store *st = NULL;
	char *filter = NULL, err[1024];
	int64_t last_list = 0;
	bool to_stdout;
	int rc, ino = -1;

	rc = parse_opts(argc, argv, &o, &filter);
	if (rc)
		goto out;
	rc = 1;
	to_stdout = !o.out || !strcmp(o.out, "-");
	st = store_open(ctx->store, false, err, sizeof(err));
	if (!st) {
		capctl_err("%s", err);
		goto out;
	}
	/* a filter libpcap rejects is reported before any output exists */
	fw = follow_create(st, &o, filter, err, sizeof(err));
	if (!fw) {
		capctl_err("%s", err);
		goto out;
	}
	out = pktout_open(o.out, o.force, o.fmt, o.zstd, "capctl follow (captured)", err,
			  sizeof(err));
	if (!out) {
		capctl_err("%s", err);
		goto out;
	}
	/* pcap: files that come later may have a larger snaplen */
	pktout_min_snaplen(out, 262144);
	/* no SA_RESTART: the wait must end on a signal */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ino = watch_store(store_dir(st));
	rc = follow_start(fw, out, &stop_sig, err, sizeof(err));
	last_list = now_ns(CLOCK_MONOTONIC);
	while (!rc && !stop_sig) {
		unsigned what = 0;
		int w = wait_for(ino, to_stdout, &what);

		if (w == -EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? w : -EPIPE;
			snprintf(err, sizeof(err), "poll: %s", strerror(-rc));
			break;
		}
		if (ino < 0) {
			what = FOLLOW_WAKE_DATA;
			if (now_ns(CLOCK_MONOTONIC) - last_list >= RELIST_MS * 1000000ll) {
				what |= FOLLOW_WAKE_LIST;
				last_list = now_ns(CLOCK_MONOTONIC);
			}
		}
		rc = follow_step(fw, out, what, &stop_sig, err, sizeof(err));
	}
	if (rc == -EPIPE) {
		rc = 0;     /* the reader went away (| head): a normal end */
	} else if (rc) {
		capctl_err("%s", err);
	}
	{
		int cerr = pktout_close(out);

		out = NULL;
		if (!rc && cerr && cerr != -EPIPE) {
			capctl_err("writing %s: %s", to_stdout ? "stdout" : o.out, strerror(-cerr));
			rc = cerr;
		}
	}
	rc = follow_finish(fw, rc, !to_stdout);
out:
	if (out)
		pktout_close(out);
	if (ino >= 0)
		close(ino);
	follow_destroy(fw);
	store_destroy(st);
	free(filter);
	return rc;
}
