/* Least privilege for the live daemon.
 *
 * captured -i starts as root (or, under captured.service, as user captured
 * with the unit's ambient capabilities), sets everything up -- sockets,
 * rings, the XDP program, the control socket, the store -- and then keeps
 * only what the data path and link-flap recovery still need:
 *
 *   - each RX worker thread, right after its source is set up and before
 *     it starts its writer thread, keeps in its permitted set only the
 *     capabilities its source names in source_info.recover_caps
 *     (AF_PACKET: CAP_NET_RAW to re-create its socket, and CAP_NET_ADMIN
 *     with hardware timestamps; AF_XDP: CAP_NET_RAW, CAP_NET_ADMIN and
 *     CAP_BPF to re-create its socket and re-attach the program); none of
 *     them effective except around a recovery (priv_raise, priv_lower);
 *   - the main thread (control socket, clock, status, reload) and the
 *     writer threads keep none;
 *   - with user (and group) set, the whole process then switches to that
 *     user: glibc applies setgroups, setresgid and setresuid to every
 *     thread, the worker threads keep their permitted set through it
 *     (PR_SET_KEEPCAPS, per thread), the others lose everything.
 *
 * Capabilities are per thread in Linux (capset(2) changes the calling
 * thread only), hence the work on each worker thread.  glibc's switch runs
 * the system call on every thread and aborts the process when one thread
 * refuses, so until the switch the worker and writer threads hold
 * CAP_SETUID and CAP_SETGID effective; the workers drop them (priv_sync, in
 * their run loops) within a step after it, and priv_drop waits for that.
 * Nothing is done when running as root without user: the default stays as
 * it was.
 */
#ifndef CAPTURED_PRIV_H
#define CAPTURED_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRIV_CAP(c) (1ULL << (c))

struct config;

/* Whether the daemon trims its capabilities after set-up: user is set, or
 * it runs as a user other than root (ambient or file capabilities). */
bool priv_wanted(const struct config *c);

/* Whether the process will switch to the configured user (root, user set). */
bool priv_switching(const struct config *c);
/* On a thread that needs nothing and starts threads that need nothing:
 * no capabilities at all, no new privileges. */
void priv_thread_none(void);
/* On a worker thread, after its source is set up and before its writer
 * thread starts: the thread's permitted set becomes keep (what it has of
 * it), its effective, inheritable and ambient sets empty, its bounding set
 * keep where that is allowed, and no_new_privs is set.  The writer thread
 * started next inherits that. */
void priv_thread_limit(const struct config *c, uint64_t keep);
/* On the same thread, once its writer thread runs: keep the permitted set
 * across the switch to the configured user (PR_SET_KEEPCAPS). */
void priv_thread_keep(void);
/* In the run loop of a limited thread, every step: once priv_drop is
 * done, drops what the switch needed.  A relaxed load otherwise. */
void priv_sync(void);
/* Around a recovery on a limited thread: the permitted capabilities become
 * effective, and no longer after.  No-ops on any other thread. */
void priv_raise(void);
void priv_lower(void);
/* Whether fn (returning 0 or negative errno) is refused without caps,
 * tried on this thread with them lowered for the call.  To measure what a
 * recovery needs on this kernel. */
bool priv_needed(uint64_t caps, int (*fn)(void *arg), void *arg);
/* Every capability some worker kept (the union of priv_thread_limit's). */
uint64_t priv_kept(void);
/* "cap_net_raw,cap_bpf", or "none". */
void priv_caps_text(uint64_t caps, char *buf, size_t len);

struct priv_args {
	const char *user, *group;       /* "" or NULL: unchanged */
	const char *store_dir;          /* must be writable by user afterwards */
	const char *control_socket;     /* given to user, and group unless control_group */
	bool control_group_set;
};

/* On the main thread, once set-up is done: checks the store, hands the
 * control socket to the user, switches user and group, drops every
 * capability of this thread, and says what it did in done (a log line).
 * 0, or negative errno with a message in err: an unknown user or group,
 * user set while running as another user who cannot switch (systemd's
 * User= naming someone else), a store the user could not write, a failed
 * switch. */
int priv_drop(const struct priv_args *a, char *done, size_t donelen, char *err, size_t errlen);

#endif
