/*
 * A throwaway PostgreSQL cluster for `revgate test` without a database:
 * initdb into a fresh temporary directory, a server on a unix socket in
 * it (no TCP), stopped and removed afterwards. PostgreSQL refuses to run
 * as root, so as root the server runs as the user "nobody".
 *
 * Ownership: a cluster owns its directory and strings until
 * pg_cluster_stop(), which also removes the directory.
 */
#ifndef REVGATE_DB_CLUSTER_H
#define REVGATE_DB_CLUSTER_H

#include <stdbool.h>

struct pg_cluster {
	char *dir;    /* the temporary directory (data/, the socket, the logs) */
	char *bindir; /* where initdb and pg_ctl are */
	char *url;    /* postgresql:///postgres?host=<dir>&port=<port>&user=postgres */
	int port;
	bool running;
};
#define PG_CLUSTER_INIT {0}

/* Creates and starts the cluster. ERR_CONFIG when no initdb is installed
 * ($PG_BIN, else /usr/lib/postgresql/<version>/bin), ERR_RUNTIME when it
 * does not start (with the server's last log line), ERR_INTERRUPTED after
 * SIGINT or SIGTERM during the start, with the cluster already removed:
 * a signal must not leave a server running that nobody will stop. */
int pg_cluster_start(struct pg_cluster *c);
/* Stops the server (immediate) and removes the directory; safe to call
 * on a cluster that never started. */
void pg_cluster_stop(struct pg_cluster *c);

#endif
