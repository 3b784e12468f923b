#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"

static const char *prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: case LOG_INFO: return "info";
	default: return "debug";
	}
}

static void vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* under systemd, "<N>" lets journald file the line under its priority */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "%s: %s\n", prio_name(prio), line);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, fmt, ap);
	va_end(ap);
}

int64_t log_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void log_limited(struct log_limit *l, int prio, const char *fmt, ...)
{
	int64_t now = log_now_ns();
	va_list ap;

	if (now - l->last_ns < l->interval_ns) {
		l->suppressed++;
		return;
	}
	l->last_ns = now;
	va_start(ap, fmt);
	vlog(prio, fmt, ap);
	va_end(ap);
	if (l->suppressed)
		log_msg(prio, "(%llu similar messages suppressed)",
			(unsigned long long)l->suppressed);
	l->suppressed = 0;
}
