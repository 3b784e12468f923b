/* Whether a store file has a live writer, for readers that met a .part
 * file they could not open: the writer makes it visible, locked, before
 * its header frame is whole, so for a moment it cannot be read and yet is
 * not damaged. */
#ifndef CAPTURED_LIVEFILE_H
#define CAPTURED_LIVEFILE_H

#include <stdbool.h>

/* true when path is a .part file whose writer holds its lock. */
bool livefile_locked(const char *path);

#endif
