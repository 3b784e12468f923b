/* The daemon's control socket: a UNIX stream socket served on the main
 * thread's libevent loop, through which capctl(1) asks for status.
 *
 * Protocol: a client connects and sends one request line, at most
 * CONTROL_MAX_REQUEST bytes with its "\n" (a client that half-closes its
 * end may leave the "\n" out).  The server replies with the handler's
 * text and closes the connection once the reply is sent.  A longer line
 * gets "error: request too long\n"; a client beyond CONTROL_MAX_CLIENTS
 * connected at once gets "error: busy\n"; a client that has not received
 * its whole reply after the timeout (CONTROL_TIMEOUT_MS) is dropped.
 * Nothing on that path blocks the loop or stops the daemon: errors are
 * logged rate-limited and the connection is closed.
 *
 *	struct control *ctl = control_create(base, config_str(c, CONFIG_CONTROL_SOCKET),
 *					     config_str(c, CONFIG_CONTROL_GROUP),
 *					     (unsigned)config_int(c, CONFIG_CONTROL_MODE),
 *					     status_handler, daemon, err, sizeof(err));
 *	if (!ctl)
 *		die(err);
 *	event_base_dispatch(base);
 *	control_destroy(ctl);
 *
 * The daemon must ignore SIGPIPE: bufferevents write with writev(2), and
 * a client that goes away before its reply is sent would kill it. */
#ifndef CAPTURED_CONTROL_H
#define CAPTURED_CONTROL_H

#include <stddef.h>

#define CONTROL_MAX_REQUEST 256     /* bytes of a request line, "\n" included */
#define CONTROL_MAX_CLIENTS 64      /* connections served at once */
#define CONTROL_TIMEOUT_MS 5000     /* from accept to the last byte of the reply */

struct event_base;
struct control;

/* Called on the loop thread with the request line, without its "\n" (or
 * "\r\n"): "status".  Returns the reply, malloc'd, ending in "\n"; the
 * control socket frees it.  NULL sends "error: out of memory\n". */
typedef char *(*control_handler)(const char *request, void *arg);

/* Listens on a UNIX stream socket at path, served on base.  The parent
 * directory is created (mode 0755) when missing.  A socket file that no
 * one answers (a stale one from a daemon that died) is replaced; one that
 * answers is an error ("another captured is running"), and so is any file
 * at path that is not a socket, which is left as it is.  The socket gets
 * mode and, unless group is NULL or "", that group.  Returns NULL with
 * errno set and the reason in err on failure. */
struct control *control_create(struct event_base *base, const char *path, const char *group,
			       unsigned mode, control_handler h, void *arg, char *err,
			       size_t errlen);

/* Closes every connection and the socket, and removes the socket file
 * (unless something else has replaced it since).  NULL is a no-op. */
void control_destroy(struct control *c);

/* The per-connection timeout for connections accepted from now on, in
 * milliseconds (> 0); CONTROL_TIMEOUT_MS by default.  For tests. */
void control_set_timeout(struct control *c, int ms);

/* Connections open now. */
unsigned control_clients(const struct control *c);

#endif
