/* A linuxptp management client over ptp4l's UNIX socket (what `pmc -u`
 * does), for the daemon's event loop and for capctl.
 *
 * The client binds its own socket path (ptp4l answers to the sender's
 * address, so an unbound socket gets no replies), sends GETs and
 * SUBSCRIBE_EVENTS_NP to the server path, and reads replies without
 * blocking.  A ptp4l restart is survived: sends to a missing or refusing
 * server fail with -ECONNREFUSED/-ENOENT and the next send tries again.
 */
#ifndef CAPTURED_PMC_H
#define CAPTURED_PMC_H

#include <stdint.h>

#include "pmc_msg.h"

struct pmc;

struct pmc_args {
	const char *server;     /* ptp4l's uds_address, e.g. /var/run/ptp4l */
	const char *client;     /* path this client binds (a stale socket there is replaced) */
	uint8_t domain;         /* domainNumber of the ptp4l instance */
};

/* NULL and errno (EINVAL: a path too long for sun_path) on failure.  The
 * strings are copied. */
struct pmc *pmc_create(const struct pmc_args *a);
/* Closes the socket and unlinks the client path.  NULL is ignored. */
void pmc_destroy(struct pmc *p);
/* The datagram socket, non-blocking, for poll/libevent. */
int pmc_fd(const struct pmc *p);

/* Sends a GET of managementId id.  The sequence number used (>= 0), or
 * negative errno (-ENOENT/-ECONNREFUSED: no ptp4l listening). */
int pmc_send_get(struct pmc *p, uint16_t id);
/* Subscribes to port state and time sync notifications for duration
 * seconds; renew before it runs out.  Sequence number or negative errno. */
int pmc_send_subscribe(struct pmc *p, uint16_t duration);
/* Reads one message without blocking: 0 and *m; -EAGAIN when none is
 * waiting; -EBADMSG/-EPROTONOSUPPORT (m->why says why) for one that was
 * read and rejected; other negative errno from recv. */
int pmc_recv(struct pmc *p, struct pmc_msg *m);
/* Blocking convenience for capctl: GET id and wait up to timeout_ms for the
 * RESPONSE with that id and sequence (other messages are skipped).  0,
 * -ETIMEDOUT, -EPROTO (m->error set: ptp4l answered with an error status),
 * or negative errno. */
int pmc_get(struct pmc *p, uint16_t id, struct pmc_msg *m, int timeout_ms);
/* (pmc_get, continued: a RESPONSE of the right id and sequence without
 * data is -EBADMSG; when nothing matching came but datagrams were rejected,
 * the last rejection, -EBADMSG or -EPROTONOSUPPORT with m->why, is returned
 * at the deadline instead of -ETIMEDOUT.  Datagrams from any other address
 * than the server's are rejected, -EPROTONOSUPPORT.) */

/* pmc_get for a GET that every port answers (PORT_DATA_SET,
 * PORT_PROPERTIES_NP on a ptp4l with several interfaces): the first answer
 * within timeout_ms, then more with the same sequence as long as each
 * comes within PMC_PORTS_SETTLE_MS of the one before (ptp4l sends them
 * back to back), up to max, into m[0..max).  The number of answers (>= 1),
 * or what pmc_get returns for the first. */
#define PMC_PORTS_SETTLE_MS 20
int pmc_get_ports(struct pmc *p, uint16_t id, struct pmc_msg *m, size_t max, int timeout_ms);

#endif
