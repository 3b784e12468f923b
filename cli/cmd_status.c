/* capctl status: ask the running daemon over its control socket. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "capctl.h"

#define STATUS_SOCKET "/run/captured/control"
#define STATUS_TIMEOUT_MS 5000
#define STATUS_MAX_REPLY (16u << 20)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void group_name(gid_t gid, char *buf, size_t len)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "%u", (unsigned)gid);
}

/* Who may get through sb: "as root or as a member of group G" when the
 * group has the permission bit grp_bit, else "as root or as user U". */
static void who_may(const struct stat *sb, unsigned grp_bit, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(sb->st_uid);
	char g[64];

	group_name(sb->st_gid, g, sizeof(g));
	if (sb->st_mode & grp_bit)
		snprintf(buf, len, "group %s; run capctl as root or as a member of group %s", g, g);
	else if (pw)
		snprintf(buf, len, "group %s; run capctl as root or as user %s", g, pw->pw_name);
	else
		snprintf(buf, len, "group %s; run capctl as root or as uid %u", g,
			 (unsigned)sb->st_uid);
}

/* Permission denied: say which file or directory keeps us out, and how. */
static void explain_denied(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], who[256];
	struct passwd *pw;
	struct stat sb;
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	for (p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (access(dir, X_OK) < 0 && stat(dir, &sb) == 0) {
			who_may(&sb, S_IXGRP, who, sizeof(who));
			capctl_err("permission denied: cannot reach %s: directory %s has mode %04o, "
				   "%s", path, dir, (unsigned)sb.st_mode & 07777, who);
			return;
		}
		*p = '/';
	}
	if (stat(path, &sb) < 0) {
		capctl_err("permission denied: cannot connect to %s", path);
		return;
	}
	who_may(&sb, S_IWGRP, who, sizeof(who));
	pw = getpwuid(sb.st_uid);
	capctl_err("permission denied: cannot connect to %s (owner %s, mode %04o, %s; "
		   "control_group and control_mode in captured.conf set them)", path,
		   pw ? pw->pw_name : "?", (unsigned)sb.st_mode & 07777, who);
}

/* Connects, sends "status\n" and reads the reply up to the daemon's close,
 * all within STATUS_TIMEOUT_MS.  The reply is malloc'd and NUL-terminated.
 * Returns 0, or 1 after saying why. */
static int query(const char *path, char **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { STATUS_TIMEOUT_MS / 1000, 0 };
	int64_t deadline = now_ms() + STATUS_TIMEOUT_MS;
	size_t n = 0, cap = 0;
	char *buf = NULL, *nb;
	int fd = -1, rc = 1, e;
	ssize_t r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		capctl_err("control socket path too long (at most %zu bytes): %s",
			   sizeof(sa.sun_path) - 1, path);
		goto out;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* a full backlog makes connect wait, up to SO_SNDTIMEO */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		capctl_err("socket: %s", strerror(errno));
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		if (e == ENOENT || e == ECONNREFUSED)
			capctl_err("captured is not running: cannot connect to %s: %s", path,
				   strerror(e));
		else if (e == EACCES || e == EPERM)
			explain_denied(path);
		else if (e == EAGAIN || e == ETIMEDOUT)
			capctl_err("captured does not answer on %s: it is too busy to accept "
				   "(%d s)", path, STATUS_TIMEOUT_MS / 1000);
		else
			capctl_err("cannot connect to %s: %s", path, strerror(e));
		goto out;
	}
	if (send(fd, "status\n", 7, MSG_NOSIGNAL) != 7) {
		capctl_err("%s: cannot send the request: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();

		if (left <= 0 || (r = poll(&pfd, 1, (int)left)) == 0) {
			capctl_err("%s: no whole reply within %d s", path, STATUS_TIMEOUT_MS / 1000);
			goto out;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			capctl_err("poll: %s", strerror(errno));
			goto out;
		}
		if (n + 4096 + 1 > cap) {
			if (cap >= STATUS_MAX_REPLY) {
				capctl_err("%s: reply longer than %u bytes", path, STATUS_MAX_REPLY);
				goto out;
			}
			cap = cap ? cap * 2 : 16384;
			if (!(nb = realloc(buf, cap))) {
				capctl_err("out of memory");
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		/* a reset after the reply: the daemon closed with our bytes unread */
		if (r == 0 || (r < 0 && errno == ECONNRESET && n))
			break;
		if (r < 0 && errno != EINTR) {
			capctl_err("%s: cannot read the reply: %s", path, strerror(errno));
			goto out;
		}
		n += r > 0 ? (size_t)r : 0;
	}
	buf[n] = '\0';
	if (n == 0) {
		capctl_err("%s: captured closed the connection without a reply", path);
		goto out;
	}
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- human output: a missing or mistyped field prints "-" ---- */

static json_t *field(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_object_get(o, key) : NULL;
}

static int num(const json_t *o, const char *key, double *v)
{
	json_t *j = field(o, key);

	if (!json_is_number(j))
		return -1;
	*v = json_number_value(j);
	return 0;
}

/* s, or "-" when missing or empty, with control characters replaced */
static const char *clean(const char *s, char *buf, size_t len)
{
	size_t i;

	if (!s || !*s)
		return "-";
	snprintf(buf, len, "%s", s);
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

static const char *str(const json_t *o, const char *key, char *buf, size_t len)
{
	return clean(json_string_value(field(o, key)), buf, len);
}

static const char *count(const json_t *o, const char *key, char *buf, size_t len)
{
	json_t *j = field(o, key);

	if (json_is_integer(j))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	else if (json_is_real(j))
		snprintf(buf, len, "%.0f", json_real_value(j));
	else
		snprintf(buf, len, "-");
	return buf;
}

/* 123 pps, 45.6 kpps, 1.2 Mpps; base 1000 with "b/s" too, 1024 for bytes. */
static const char *scaled(const json_t *o, const char *key, const char *unit, double base,
			  char *buf, size_t len)
{
	static const char *const si[] = { "", "k", "M", "G", "T", "P" };
	static const char *const iec[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi" };
	double v;
	int i = 0;

	if (num(o, key, &v) < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	while ((v >= base || v <= -base) && i < 5) {
		v /= base;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s%s" : "%.0f %s%s", v, base == 1024 ? iec[i] : si[i], unit);
	return buf;
}

static const char *uptime(const json_t *o, char *buf, size_t len)
{
	double v;
	long s;

	/* a number a long cannot hold (a daemon does not run 30 million years) */
	if (num(o, "uptime_s", &v) < 0 || !(v >= 0 && v < 1e15))
		return "-";
	s = (long)v;
	if (v < 60)
		snprintf(buf, len, "%.1fs", v);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%ldd%02ldh", s / 86400, s / 3600 % 24);
	return buf;
}

/* b[i], sizeof(b[i]): one scratch buffer of a char b[N][64] per field */
#define BUF(i) b[i], sizeof(b[i])
#define ROW_FMT "%-5s %3s  %-18s %-8s %12s %10s %10s %7s %7s %7s %7s"

/* A queue's row, or the totals' (total: no cpu, mode, source or file). */
static void print_row(const char *label, const json_t *q, bool total)
{
	const json_t *d = field(q, "drops");
	char b[11][64], file[4096];
	const char *f = str(q, "file", file, sizeof(file)), *slash = strrchr(f, '/');

	printf(ROW_FMT, label, total ? "" : count(q, "cpu", BUF(1)),
	       total ? "" : str(q, "mode", BUF(2)), total ? "" : str(q, "timestamps", BUF(3)),
	       count(q, "packets", BUF(4)),
	       scaled(q, "pps", "pps", 1000, BUF(5)), scaled(q, "bps", "b/s", 1000, BUF(6)),
	       count(d, "kernel", BUF(7)), count(d, "bypass", BUF(8)), count(d, "writer", BUF(9)),
	       count(d, "lost", BUF(10)));
	if (total)
		putchar('\n');
	else
		printf("  %s\n", slash && slash[1] ? slash + 1 : f);
}

/* "12.3s", "4m05s", or "-" */
static const char *secs(const json_t *o, const char *key, char *buf, size_t len)
{
	double v;

	if (num(o, key, &v) < 0 || !(v >= 0 && v < 1e15))
		return "-";
	if (v < 60)
		snprintf(buf, len, "%.1fs", v);
	else
		snprintf(buf, len, "%ldm%02lds", (long)v / 60, (long)v % 60);
	return buf;
}

static void print_clock(const json_t *c)
{
	const json_t *p = field(c, "ptp4l"), *sys = field(c, "system");
	char b[16][64];
	double v;

	printf("clock %s (error bound %s%s) for %s", str(c, "state", BUF(0)),
	       count(c, "bound_ns", BUF(1)), num(c, "bound_ns", &v) < 0 ? "" : " ns",
	       secs(c, "state_for_s", BUF(2)));
	if (strcmp(b[0], "locked"))
		printf(", %s", num(c, "since_lock_s", &v) < 0 ? "never locked" :
		       (snprintf(b[3], sizeof(b[3]), "last locked %s ago",
				 secs(c, "since_lock_s", BUF(4))), b[3]));
	printf("; timestamps %s, source %s\n", str(c, "timestamps", BUF(5)),
	       str(c, "source", BUF(6)));
	if (json_is_object(p)) {
		printf("ptp4l %s domain %s: ", str(p, "socket", BUF(0)), count(p, "domain", BUF(1)));
		if (!json_is_true(field(p, "reachable")))
			printf("NOT ANSWERING (last answer %s ago); ", secs(p, "last_answer_s", BUF(2)));
		printf("port %s, offset %s ns, path delay %s ns, grandmaster %s (class %s%s), "
		       "%s timescale, UTC offset %s s%s, leap %s\n", str(p, "port_state", BUF(3)),
		       count(p, "master_offset_ns", BUF(4)), count(p, "path_delay_ns", BUF(5)),
		       str(p, "grandmaster", BUF(6)), count(p, "gm_clock_class", BUF(7)),
		       json_is_false(field(p, "gm_present")) ? ", not present" : "",
		       str(p, "timescale", BUF(8)), count(p, "utc_offset", BUF(9)),
		       json_is_false(field(p, "utc_offset_valid")) ? " (not valid)" : "",
		       str(p, "leap", BUF(10)));
	}
	if (json_is_object(sys))
		printf("system clock: %s by the kernel's NTP state, estimated error %s us\n",
		       json_is_true(field(sys, "synchronized")) ? "synchronized" :
		       "NOT synchronized", count(sys, "esterror_us", BUF(0)));
}

static void print_human(const json_t *st)
{
	const json_t *store = field(st, "store"), *clock = field(st, "clock");
	const json_t *queues = field(st, "queues"), *tot = field(st, "totals"), *q;
	const json_t *warn = field(st, "warnings");
	char b[12][64], path[4096], line[1024];
	double retain;
	size_t i;

	printf("captured %s, pid %s, up %s: interface %s, backend %s\n",
	       str(st, "version", BUF(0)), count(st, "pid", BUF(1)), uptime(st, BUF(2)),
	       str(st, "interface", BUF(3)), str(st, "backend", BUF(4)));
	if (num(store, "retain_size", &retain) < 0)
		snprintf(b[5], sizeof(b[5]), "-");
	else if (retain <= 0)
		snprintf(b[5], sizeof(b[5]), "no limit");
	else
		scaled(store, "retain_size", "B", 1024, BUF(5));
	printf("store %s: %s files, %s (retain_size %s); filesystem %s free of %s\n",
	       str(store, "path", path, sizeof(path)), count(store, "files", BUF(6)),
	       scaled(store, "bytes", "B", 1024, BUF(7)), b[5],
	       scaled(store, "fs_free", "B", 1024, BUF(8)),
	       scaled(store, "fs_size", "B", 1024, BUF(9)));
	if (json_is_object(clock))
		print_clock(clock);
	q = field(st, "nic");
	if (json_is_object(q))
		printf("nic since start: %s packets received; dropped before any ring: missed %s, "
		       "fifo %s, over %s\n", count(q, "packets", BUF(0)), count(q, "missed", BUF(2)),
		       count(q, "fifo", BUF(3)), count(q, "over", BUF(4)));
	printf("\n" ROW_FMT "  %s\n", "QUEUE", "CPU", "MODE", "TS", "PACKETS", "RATE", "BITRATE", "KERNEL",
	       "BYPASS", "WRITER", "LOST", "FILE");
	json_array_foreach(queues, i, q)
		print_row(count(q, "queue", BUF(0)), q, false);
	if (!json_array_size(queues))
		printf("(no queues)\n");
	print_row("total", tot, true);
	q = field(tot, "stored");
	printf("\nstored: %s packets (%s) in %s files, %s on disk\n", count(q, "packets", BUF(1)),
	       scaled(q, "bytes", "B", 1024, BUF(2)), count(q, "files", BUF(3)),
	       scaled(q, "disk_bytes", "B", 1024, BUF(4)));
	if (json_array_size(warn))
		printf("\nwarnings:\n");
	json_array_foreach(warn, i, q)
		printf("  %s\n", clean(json_string_value(q), line, sizeof(line)));
}

int capctl_status(const struct capctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 'S' },
		{ 0 }
	};
	const char *path = getenv("CAPTURED_CONTROL");
	char *reply = NULL;
	json_t *st = NULL;
	json_error_t jerr;
	bool json = false;
	size_t n;
	int ch, rc = 1;

	(void)ctx;
	if (!path || !*path)
		path = STATUS_SOCKET;
	while ((ch = getopt_long(argc, argv, "jS:", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'S': path = optarg; break;
		default:
			capctl_err("usage: status [--json] [--socket PATH]");
			return 2;
		}
	}
	if (optind < argc) {
		capctl_err("status: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (query(path, &reply))
		goto out;
	n = strlen(reply);
	while (n && (reply[n - 1] == '\n' || reply[n - 1] == '\r'))
		reply[--n] = '\0';
	if (!strncmp(reply, "error:", 6)) {
		capctl_err("captured at %s answered: %s", path, reply);
		goto out;
	}
	st = json_loadb(reply, n, 0, &jerr);
	if (!st) {
		capctl_err("malformed reply from %s: not JSON (%s at byte %d)", path, jerr.text,
			   jerr.position);
		goto out;
	}
	if (!json_is_object(st) || !json_is_array(json_object_get(st, "queues"))) {
		capctl_err("malformed reply from %s: no \"queues\" list", path);
		goto out;
	}
	if (json)
		printf("%s\n", reply);
	else
		print_human(st);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	json_decref(st);
	free(reply);
	return rc;
}
