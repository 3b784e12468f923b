/* The control socket: one request line in, one reply out, on the loop. */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "control.h"
#include "log.h"

struct conn {
	struct control *c;
	struct bufferevent *bev;
	struct event *timer;        /* the whole exchange must end before it fires */
	struct conn *prev, *next;
	bool answered;              /* the reply is queued: close once it is sent */
};

struct control {
	struct event_base *base;
	struct evconnlistener *lst;
	struct event *retry;        /* re-enables accepting after EMFILE */
	char *path;
	dev_t dev;                  /* of the socket file we made, to remove only it */
	ino_t ino;
	control_handler h;
	void *arg;
	int timeout_ms;
	unsigned nconn;
	struct conn *conns;
	struct log_limit lim;
};

static const char MSG_BUSY[] = "error: busy\n";
static const char MSG_TOO_LONG[] = "error: request too long\n";
static const char MSG_NOMEM[] = "error: out of memory\n";

static void conn_free(struct conn *k)
{
	struct control *c = k->c;

	if (k->prev)
		k->prev->next = k->next;
	else
		c->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	c->nconn--;
	event_free(k->timer);
	bufferevent_free(k->bev);   /* closes the socket */
	free(k);
}

/* Queues text as the reply; the write callback closes once it is out. */
static void conn_reply(struct conn *k, const char *text)
{
	k->answered = true;
	if (!*text) {               /* nothing to send: on_write would never come */
		conn_free(k);
	} else if (bufferevent_write(k->bev, text, strlen(text)) < 0) {
		log_limited(&k->c->lim, LOG_WARNING, "control socket: cannot queue a reply");
		conn_free(k);
	}
}

static void conn_request(struct conn *k, char *line)
{
	char *reply;

	line[strcspn(line, "\r")] = '\0';    /* "status\r\n" too */
	reply = k->c->h(line, k->c->arg);
	conn_reply(k, reply ? reply : MSG_NOMEM);
	free(reply);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *k = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char line[CONTROL_MAX_REQUEST];
	struct evbuffer_ptr eol;
	size_t eol_len = 0;

	if (k->answered) {          /* one request per connection: ignore the rest */
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos < 0 && evbuffer_get_length(in) < CONTROL_MAX_REQUEST)
		return;             /* not a whole line yet */
	if (eol.pos < 0 || eol.pos >= CONTROL_MAX_REQUEST) {
		evbuffer_drain(in, evbuffer_get_length(in));
		conn_reply(k, MSG_TOO_LONG);
		return;
	}
	evbuffer_remove(in, line, (size_t)eol.pos + 1);
	line[eol.pos] = '\0';
	evbuffer_drain(in, evbuffer_get_length(in));
	conn_request(k, line);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct conn *k = arg;

	if (k->answered && !evbuffer_get_length(bufferevent_get_output(bev)))
		conn_free(k);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *k = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char line[CONTROL_MAX_REQUEST];
	int n;

	if (what & BEV_EVENT_ERROR) {
		log_limited(&k->c->lim, LOG_WARNING, "control socket: client connection: %s",
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		conn_free(k);
	} else if ((what & BEV_EVENT_EOF) && !k->answered && evbuffer_get_length(in)) {
		/* a last line without "\n" before the client half-closed: on_read
		 * has seen it, so it is shorter than CONTROL_MAX_REQUEST */
		n = evbuffer_remove(in, line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
		conn_request(k, line);
	} else if ((what & BEV_EVENT_EOF) &&
		   (!k->answered || !evbuffer_get_length(bufferevent_get_output(bev)))) {
		conn_free(k);
	}
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *k = arg;

	(void)fd, (void)what;
	log_limited(&k->c->lim, LOG_INFO, "control socket: dropped a client after %d ms %s",
		    k->c->timeout_ms, k->answered ? "that did not take its reply" :
		    "without a whole request");
	conn_free(k);
}

static void busy(struct control *c, evutil_socket_t fd)
{
	char junk[CONTROL_MAX_REQUEST];
	ssize_t r = send(fd, MSG_BUSY, sizeof(MSG_BUSY) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);

	log_limited(&c->lim, LOG_WARNING, "control socket: %u clients already; refused one%s%s",
		    c->nconn, r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
	/* a request left unread would turn the client's end of file into a reset */
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 8 && recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; i++)
		;
	close(fd);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct control *c = arg;
	struct timeval tv = { c->timeout_ms / 1000, c->timeout_ms % 1000 * 1000 };
	struct conn *k;

	(void)l, (void)sa, (void)salen;
	if (c->nconn >= CONTROL_MAX_CLIENTS) {
		busy(c, fd);
		return;
	}
	k = calloc(1, sizeof(*k));
	if (k && (k->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE)))
		k->timer = evtimer_new(c->base, on_timeout, k);
	if (!k || !k->timer) {
		log_limited(&c->lim, LOG_WARNING, "control socket: out of memory for a client");
		if (k && k->bev)
			bufferevent_free(k->bev);   /* closes fd */
		else
			close(fd);
		free(k);
		return;
	}
	k->c = c;
	k->next = c->conns;
	if (c->conns)
		c->conns->prev = k;
	c->conns = k;
	c->nconn++;
	bufferevent_setcb(k->bev, on_read, on_write, on_event, k);
	if (evtimer_add(k->timer, &tv) < 0 || bufferevent_enable(k->bev, EV_READ) < 0) {
		log_limited(&c->lim, LOG_WARNING, "control socket: cannot set up a client");
		conn_free(k);
	}
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	evconnlistener_enable(((struct control *)arg)->lst);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct control *c = arg;
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 1, 0 };

	log_limited(&c->lim, LOG_WARNING, "control socket %s: accept: %s", c->path, strerror(e));
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		/* the pending connection stays pending: without a pause the loop
		 * would spin on it */
		evconnlistener_disable(l);
		evtimer_add(c->retry, &tv);
	}
}

/* mkdir -p of the directory part of path, mode 0755. */
static int make_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat sb;
	int rc;

	for (char *p = strchr(strcpy(dir, path) + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (stat(dir, &sb) < 0 &&
		    (errno != ENOENT || (mkdir(dir, 0755) < 0 && errno != EEXIST))) {
			rc = -errno;
			snprintf(err, errlen, "control socket %s: cannot create directory %s: %s",
				 path, dir, strerror(-rc));
			return rc;
		}
		*p = '/';
	}
	return 0;
}

/* Removes a stale socket at path; fails on a live one or on another file. */
static int clear_path(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	const char *what = "";
	struct stat sb;
	int fd = -1, rc = 0;

	if (lstat(path, &sb) < 0) {
		rc = errno == ENOENT ? 0 : -errno;
	} else if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen, "control socket %s: the path exists and is not a socket; "
			 "not touching it (remove it or set control_socket)", path);
		return -EEXIST;
	} else if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		rc = -errno;
		what = "socket: ";
	} else if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN) {
		snprintf(err, errlen, "another captured is running (control socket %s answers)",
			 path);
		rc = -EADDRINUSE;
	} else if (errno == ECONNREFUSED) {
		if (unlink(path) < 0 && errno != ENOENT)
			rc = -errno;
		what = "cannot remove the stale socket: ";
	} else if (errno != ENOENT) {
		rc = -errno;
		what = "cannot tell whether it is in use: ";
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0 && rc != -EADDRINUSE)
		snprintf(err, errlen, "control socket %s: %s%s", path, what, strerror(-rc));
	return rc;
}

struct control *control_create(struct event_base *base, const char *path, const char *group,
			       unsigned mode, control_handler h, void *arg, char *err,
			       size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *c = NULL;
	struct group gr, *grp = NULL;
	char grbuf[4096];
	struct stat sb;
	bool bound = false;
	int fd = -1, rc = 0;
	gid_t gid = (gid_t)-1;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket '%s': the path must have 1 to %zu bytes",
			 path ? path : "", sizeof(sa.sun_path) - 1);
		rc = -ENAMETOOLONG;
		goto out;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (group && *group) {
		rc = -getgrnam_r(group, &gr, grbuf, sizeof(grbuf), &grp);
		if (rc < 0 || !grp) {
			rc = rc < 0 ? rc : -ENOENT;
			snprintf(err, errlen, "control socket %s: %s group '%s'", path,
				 rc == -ENOENT ? "unknown" : strerror(-rc), group);
			goto out;
		}
		gid = gr.gr_gid;
	}
	if ((rc = make_parent(path, err, errlen)) < 0 || (rc = clear_path(path, &sa, err, errlen)) < 0)
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path)) ||
	    !(c->retry = evtimer_new(base, on_retry, c))) {
		snprintf(err, errlen, "control socket %s: out of memory", path);
		rc = -ENOMEM;
		goto out;
	}
	c->base = base;
	c->h = h;
	c->arg = arg;
	c->timeout_ms = CONTROL_TIMEOUT_MS;
	c->lim = (struct log_limit)LOG_LIMIT_INIT(10);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: %s: %s", path, fd < 0 ? "socket" : "bind",
			 strerror(-rc));
		goto out;
	}
	bound = true;
	/* listen only once mode and group are right: until then a connect is
	 * refused, whatever the umask let through */
	if (chmod(path, mode & 07777) < 0 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) || lstat(path, &sb) < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: cannot set mode %04o%s%s: %s", path,
			 mode & 07777, gid != (gid_t)-1 ? " and group " : "",
			 gid != (gid_t)-1 ? group : "", strerror(-rc));
		goto out;
	}
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	if (listen(fd, SOMAXCONN) < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: listen: %s", path, strerror(-rc));
		goto out;
	}
	/* backlog 0: listen() is done */
	c->lst = evconnlistener_new(base, on_accept, c,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!c->lst) {
		rc = -ENOMEM;
		snprintf(err, errlen, "control socket %s: cannot add it to the event loop", path);
		goto out;
	}
	evconnlistener_set_error_cb(c->lst, on_accept_error);
out:
	if (rc < 0) {
		if (bound)
			unlink(path);
		if (fd >= 0)
			close(fd);
		if (c) {
			if (c->retry)
				event_free(c->retry);
			free(c->path);
			free(c);
		}
		errno = -rc;
		return NULL;
	}
	return c;
}

void control_destroy(struct control *c)
{
	struct stat sb;

	if (!c)
		return;
	while (c->conns)
		conn_free(c->conns);
	evconnlistener_free(c->lst);
	event_free(c->retry);
	if (lstat(c->path, &sb) == 0 && sb.st_dev == c->dev && sb.st_ino == c->ino)
		unlink(c->path);
	free(c->path);
	free(c);
}

void control_set_timeout(struct control *c, int ms)
{
	if (ms > 0)
		c->timeout_ms = ms;
}

unsigned control_clients(const struct control *c)
{
	return c->nconn;
}
