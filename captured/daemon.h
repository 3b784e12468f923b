/* The capture daemon: RX workers on one interface, the control socket,
 * signals, statistics timers and systemd notification, on a libevent loop
 * that runs on the main thread.
 *
 *	struct daemon *d = daemon_create(&opts, err, sizeof(err));
 *	if (!d)
 *		die(err);              (startup: a message a user can act on)
 *	rc = daemon_run(d);            (until SIGTERM/SIGINT)
 *	daemon_destroy(d);
 *
 * SIGTERM and SIGINT stop the workers, which drain their rings and close
 * their files; SIGHUP closes every open file (a new one starts with the
 * next packet) and reloads the configuration file, applying the options
 * that are reloadable and logging those that would need a restart.
 */
#ifndef CAPTURED_DAEMON_H
#define CAPTURED_DAEMON_H

#include <stddef.h>

struct config;

struct daemon_opts {
	struct config *conf;            /* effective configuration; the daemon takes it */
	const struct config *cli;       /* command-line options, merged again on reload */
	const char *conf_path;          /* -c FILE, NULL if none */
	const char *version;
};

struct daemon;

/* Opens the store, starts a worker per RX queue (falling back from AF_XDP
 * to AF_PACKET under backend = auto), binds the control socket.  NULL and
 * errno with the reason in err; opts->conf is freed in every case. */
struct daemon *daemon_create(const struct daemon_opts *opts, char *err, size_t errlen);
/* Runs until asked to stop.  Returns the exit status: 0 after a clean stop,
 * 1 if a worker failed on the way. */
int daemon_run(struct daemon *d);
void daemon_destroy(struct daemon *d);

#endif
