/*
 * What the two ends of a fleet run share: the environment variable that
 * names the report descriptor, and the report's line format.
 *
 * Ownership: fleet_msg_parse appends to a caller-owned strbuf.
 */
#ifndef REVGATE_FLEET_INTERNAL_H
#define REVGATE_FLEET_INTERNAL_H

#include "fleet/fleet.h"

/* The descriptor a target's process reports on: set by the run, read by
 * the process (a number, 3). */
#define FLEET_FD_ENV "REVGATE_FLEET_FD"
#define FLEET_FD 3

/* One report line (without its newline): 0 and the message and its text,
 * or -1 for a line this revgate does not know (ignored: a newer child). */
int fleet_msg_parse(const char *line, size_t len, enum fleet_msg *m, struct strbuf *text);

#endif
