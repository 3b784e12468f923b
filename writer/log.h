/* Logging to stderr (journald picks it up under systemd), with syslog-style
 * priorities and caller-owned rate limiters for data-path messages. */
#ifndef CAPTURED_LOG_H
#define CAPTURED_LOG_H

#include <stdint.h>
#include <syslog.h>

/* A limiter lets one message through per interval and counts the rest;
 * the next message that passes says how many were suppressed. */
struct log_limit {
	int64_t interval_ns;
	int64_t last_ns;
	uint64_t suppressed;
};
#define LOG_LIMIT_INIT(sec) { (int64_t)(sec) * 1000000000, INT64_MIN / 2, 0 }

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_limited(struct log_limit *l, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int64_t log_now_ns(void);   /* CLOCK_MONOTONIC */

#endif
