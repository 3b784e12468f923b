/* A linuxptp management client over ptp4l's UNIX datagram socket. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pmc.h"

struct pmc {
	int fd;
	struct sockaddr_un server;
	struct sockaddr_un client;
	dev_t client_dev;            /* what we bound, so that destroy unlinks only that */
	ino_t client_ino;
	uint8_t domain;
	uint16_t seq;
	struct pmc_port_id self;
	uint8_t buf[PMC_MSG_MAX];
};

static int set_path(struct sockaddr_un *sa, const char *path)
{
	size_t n;

	if (!path || !(n = strlen(path)) || n >= sizeof(sa->sun_path))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

/* Our sourcePortIdentity.  pmc -u uses clockIdentity 0 and portNumber =
 * its PID; ptp4l keys subscriptions by it, so it must differ between
 * clients.  We keep the PID (low 16 bits) in portNumber and put the whole
 * PID and a hash of the client path in clockIdentity: two clients of one
 * process (distinct paths) and PIDs beyond 65535 stay apart. */
static void make_identity(struct pmc_port_id *id, const char *client)
{
	uint32_t pid = (uint32_t)getpid(), h = 2166136261u;   /* FNV-1a */
	const unsigned char *s;

	for (s = (const unsigned char *)client; *s; s++)
		h = (h ^ *s) * 16777619u;
	id->clock.id[0] = pid >> 24;
	id->clock.id[1] = pid >> 16;
	id->clock.id[2] = pid >> 8;
	id->clock.id[3] = pid;
	id->clock.id[4] = h >> 24;
	id->clock.id[5] = h >> 16;
	id->clock.id[6] = h >> 8;
	id->clock.id[7] = h;
	id->port = pid & 0xffff;
	/* 0 is the clock itself, 0xffff means all ports */
	if (id->port == 0)
		id->port = 1;
	else if (id->port == 0xffff)
		id->port = 0xfffe;
}

struct pmc *pmc_create(const struct pmc_args *a)
{
	struct pmc *p = NULL;
	struct stat sb;
	int e;

	if (!a) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->fd = -1;
	if (set_path(&p->server, a->server) < 0 || set_path(&p->client, a->client) < 0) {
		e = EINVAL;
		goto out;
	}
	p->domain = a->domain;
	make_identity(&p->self, a->client);
	p->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		e = errno;
		goto out;
	}
	/* A socket left by an earlier client is replaced; anything else at
	 * the path is not ours to remove. */
	if (lstat(a->client, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			e = EEXIST;
			goto out;
		}
		if (unlink(a->client) < 0 && errno != ENOENT) {
			e = errno;
			goto out;
		}
	}
	if (bind(p->fd, (struct sockaddr *)&p->client, sizeof(p->client)) < 0) {
		e = errno;
		goto out;
	}
	if (stat(a->client, &sb) == 0) {
		p->client_dev = sb.st_dev;
		p->client_ino = sb.st_ino;
	}
	return p;
out:
	if (p->fd >= 0)
		close(p->fd);
	free(p);
	errno = e;
	return NULL;
}

void pmc_destroy(struct pmc *p)
{
	struct stat sb;

	if (!p)
		return;
	if (p->fd >= 0) {
		if (stat(p->client.sun_path, &sb) == 0 && sb.st_dev == p->client_dev &&
		    sb.st_ino == p->client_ino)
			unlink(p->client.sun_path);
		close(p->fd);
	}
	free(p);
}

int pmc_fd(const struct pmc *p)
{
	return p->fd;
}

static int send_msg(struct pmc *p, int len, uint16_t seq)
{
	ssize_t n;

	if (len < 0)
		return len;
	do
		n = sendto(p->fd, p->buf, (size_t)len, 0, (struct sockaddr *)&p->server,
			   sizeof(p->server));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != len)
		return -EMSGSIZE;
	return seq;
}

int pmc_send_get(struct pmc *p, uint16_t id)
{
	uint16_t seq = p->seq++;

	return send_msg(p, pmc_msg_get(p->buf, sizeof(p->buf), id, p->domain, seq, &p->self),
			seq);
}

int pmc_send_subscribe(struct pmc *p, uint16_t duration)
{
	uint16_t seq = p->seq++;

	return send_msg(p, pmc_msg_subscribe(p->buf, sizeof(p->buf), p->domain, seq, &p->self,
					     duration, 1u << PMC_NOTIFY_PORT_STATE |
					     1u << PMC_NOTIFY_TIME_SYNC), seq);
}

int pmc_recv(struct pmc *p, struct pmc_msg *m)
{
	struct sockaddr_un from;
	socklen_t flen = sizeof(from);
	size_t plen;
	ssize_t n;

	memset(m, 0, sizeof(*m));
	do
		n = recvfrom(p->fd, p->buf, sizeof(p->buf), MSG_TRUNC, (struct sockaddr *)&from,
			     &flen);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* Only the server may talk to us: whoever can write to our socket
	 * must not feed us clock state. */
	plen = strlen(p->server.sun_path);
	if (flen < offsetof(struct sockaddr_un, sun_path) + plen ||
	    memcmp(from.sun_path, p->server.sun_path, plen) != 0 ||
	    (flen > offsetof(struct sockaddr_un, sun_path) + plen &&
	     from.sun_path[plen] != '\0')) {
		m->why = "datagram not from the server's socket";
		return -EPROTONOSUPPORT;
	}
	if ((size_t)n > sizeof(p->buf)) {
		m->why = "datagram longer than PMC_MSG_MAX";
		return -EBADMSG;
	}
	return pmc_msg_parse(p->buf, (size_t)n, m);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to the deadline for a RESPONSE to (id, seq); the first one
 * found is in *m.  When only rejected messages came, their error (and
 * why) is returned at the deadline instead of -ETIMEDOUT. */
static int wait_reply(struct pmc *p, uint16_t id, int seq, struct pmc_msg *m, int64_t deadline)
{
	const char *why = NULL;
	int rc, rejected = 0;
	int64_t left;

	for (;;) {
		rc = pmc_recv(p, m);
		if (rc == 0) {
			/* A notification numbers by its subscription's own
			 * sequence: one of the same id and number would be
			 * taken for the answer, which is harmless (it is
			 * the same data set, as current). */
			if (m->sequence != (uint16_t)seq || m->id != id ||
			    (m->action != PMC_ACTION_RESPONSE &&
			     m->action != PMC_ACTION_ACKNOWLEDGE))
				continue;   /* a notification, a late answer */
			if (m->error)
				return -EPROTO;
			if (m->empty) {
				m->why = "RESPONSE without data";
				return -EBADMSG;
			}
			return 0;
		}
		if (rc == -EBADMSG || rc == -EPROTONOSUPPORT) {
			rejected = rc;
			why = m->why;
			continue;
		}
		if (rc != -EAGAIN)
			return rc;
		left = deadline - now_ms();
		if (left > 0) {
			struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

			rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
			if (rc >= 0 || errno == EINTR)
				continue;
			return -errno;
		}
		if (rejected) {
			memset(m, 0, sizeof(*m));
			m->why = why;
			return rejected;
		}
		return -ETIMEDOUT;
	}
}

int pmc_get(struct pmc *p, uint16_t id, struct pmc_msg *m, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int seq;

	memset(m, 0, sizeof(*m));
	seq = pmc_send_get(p, id);
	if (seq < 0)
		return seq;
	return wait_reply(p, id, seq, m, deadline);
}

int pmc_get_ports(struct pmc *p, uint16_t id, struct pmc_msg *m, size_t max, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	size_t n = 0;
	int seq, rc;

	if (!max)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	seq = pmc_send_get(p, id);
	if (seq < 0)
		return seq;
	rc = wait_reply(p, id, seq, &m[0], deadline);
	if (rc < 0)
		return rc;
	/* ptp4l answers for all its ports in one go: the other answers are
	 * queued already, or follow within a moment. */
	for (n = 1; n < max; n++) {
		int64_t until = now_ms() + PMC_PORTS_SETTLE_MS;

		if (until > deadline)
			until = deadline;
		rc = wait_reply(p, id, seq, &m[n], until);
		if (rc < 0)
			break;
	}
	return (int)n;
}
