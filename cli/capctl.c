/* Shared helpers of capctl's subcommands. */
#include <stdarg.h>
#include <stdio.h>

#include "capctl.h"

void capctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("capctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
