#!/usr/bin/env node
/*
 * tests/lib/pglite-server.mjs - PGlite (PostgreSQL 17 compiled to WASM) with
 * pgvector, served over the PostgreSQL wire protocol by pglite-socket, for
 * the tests that apply the example project (Debian's PostgreSQL has no
 * pgvector). Start it through tests/lib/pglite.bash (pglite_start).
 *
 *   node tests/lib/pglite-server.mjs [--socket-dir DIR] [--host H] [--port N]
 *                                    [--db memory://|PATH] [--max-connections N]
 *                                    [--keep-concurrently]
 *
 * With --socket-dir it listens on DIR/.s.PGSQL.<port>, where libpq looks for
 * host=DIR port=<port>; otherwise on TCP host:port (default 127.0.0.1, port 0
 * picks a free one). When it listens it prints one line to stdout:
 *
 *   pglite-server ready host=<DIR or H> port=<N>
 *
 * --keep-concurrently passes CONCURRENTLY statements to PGlite unchanged
 * (see the limitations below).
 *
 * SIGTERM or SIGINT stops the server, closes the database and exits 0. So
 * does the death of the process that started it (checked every second), so
 * a test run that is killed leaves no server behind.
 * Packages: @electric-sql/pglite 0.3.16, @electric-sql/pglite-socket 0.0.22
 * (package.json at the repository root; run `npm ci` once).
 *
 * Measured with libpq (psql 15 and a small PQexecParams/PQprepare program)
 * against this server.
 *
 * What works:
 * - server_version 17.5; CREATE EXTENSION vector gives pgvector 0.8.0 (HNSW,
 *   vector_cosine_ops); gen_random_uuid() and the rest of core.
 * - Authentication: the server asks for a password and accepts any; the
 *   user and database names in the startup packet are ignored (every
 *   connection is user "postgres" in database "template1"). On the unix
 *   socket sslmode does not matter; over TCP use sslmode=disable.
 * - Simple query protocol, multi-statement strings (one implicit
 *   transaction as on a real server: an error rolls the whole string back;
 *   CREATE INDEX CONCURRENTLY in a multi-statement string is refused with
 *   25001 as on a real server), psql -f with ON_ERROR_STOP=1 and -1,
 *   BEGIN/COMMIT/ROLLBACK/SAVEPOINT, SQLSTATE and position in errors,
 *   NOTICEs, LISTEN/NOTIFY, COPY ... TO STDOUT.
 * - Extended protocol: PQexecParams, PQprepare/PQexecPrepared,
 *   PQdescribePrepared, psql \gdesc, SQL PREPARE/EXECUTE.
 * - CREATE [UNIQUE] INDEX / DROP INDEX / REINDEX ... CONCURRENTLY, alone
 *   and outside a transaction block, through the rewrite described below;
 *   inside a transaction block or a multi-statement string they fail with
 *   25001 as on a real server.
 * - Up to --max-connections (default here 8) client connections at once;
 *   the next one is dropped without an error message ("server closed the
 *   connection unexpectedly"). The upstream CLI's default is 1.
 *
 * Limitations the applier and the tests must respect:
 * - PGlite itself cannot do CONCURRENTLY: CREATE/DROP INDEX CONCURRENTLY
 *   fail with XX000 "tuple concurrently updated" and leave an INVALID
 *   index. This server therefore rewrites such a statement to its plain
 *   form (same schema; there are no concurrent writers to protect). So an
 *   INVALID index left by a failed concurrent build cannot be reproduced
 *   here; --keep-concurrently turns the rewrite off to see PGlite's own
 *   behaviour.
 * - ONE BACKEND SESSION FOR ALL CONNECTIONS. pglite-socket multiplexes the
 *   client connections onto the single PGlite session, so session state is
 *   shared and outlives the connection that made it: SET values, temp
 *   tables, prepared statement names (a second connection's PQprepare of
 *   the same name fails with 42P05), and session advisory locks:
 *   pg_try_advisory_lock(k) held by connection A returns true on connection
 *   B too, and the lock stays held after A disconnects. pg_backend_pid() is
 *   0 and pg_stat_activity is empty. Lock contention, lock holders and
 *   concurrent runs can only be tested on the real server (pg.bash).
 * - While one connection is inside a transaction block, every other
 *   connection's queries wait until it commits or rolls back (measured: a
 *   second psql waited for the first's COMMIT). A client that waits on one
 *   connection for another it drives itself deadlocks. A connection that
 *   closes inside a transaction is rolled back.
 * - COPY ... FROM STDIN breaks the server: the connection is lost and every
 *   later connection is closed at once. Use INSERT; restart after a crash.
 * - A cancel request (PQcancel, ^C in psql) leaves the cancelling client
 *   waiting for ever (the server stays usable for other connections).
 * - statement_timeout never fires (pg_sleep(2) under a 300 ms timeout
 *   completes); lock_timeout is accepted but has nothing to wait for.
 * - Many errors (in a transaction block, a multi-statement string) come
 *   with an extra "WARNING: # 1743: aborting transaction N" before the
 *   ERROR; tests must not expect an exact stderr.
 * - PGlite starts with client_min_messages = debug3 (clients get DEBUG
 *   notices); this server sets it to notice for the shared session, so a
 *   client's RESET ALL brings the DEBUG messages back.
 * - CREATE DATABASE succeeds but the new database cannot be connected to.
 * - Start-up takes about 2 s (WASM instantiation); memory:// data vanishes
 *   when the server stops.
 */

import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { parseArgs } from 'node:util';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const usage =
	'usage: pglite-server.mjs [--socket-dir DIR] [--host H] [--port N] ' +
	'[--db memory://|PATH] [--max-connections N] [--keep-concurrently]';

let args;
try {
	args = parseArgs({
		options: {
			'socket-dir': { type: 'string' },
			host: { type: 'string', default: '127.0.0.1' },
			port: { type: 'string', default: '0' },
			db: { type: 'string', default: 'memory://' },
			'max-connections': { type: 'string', default: '8' },
			'keep-concurrently': { type: 'boolean', default: false },
			help: { type: 'boolean', default: false },
		},
		strict: true,
	}).values;
} catch (e) {
	console.error(`pglite-server: ${e.message}\n${usage}`);
	process.exit(2);
}
if (args.help) {
	console.log(usage);
	process.exit(0);
}

const port = Number.parseInt(args.port, 10);
const maxConnections = Number.parseInt(args['max-connections'], 10);
if (!Number.isInteger(port) || port < 0 || port > 65535 ||
    !Number.isInteger(maxConnections) || maxConnections < 1) {
	console.error(`pglite-server: bad --port or --max-connections\n${usage}`);
	process.exit(2);
}
if (args['socket-dir'] && port === 0) {
	console.error('pglite-server: --socket-dir needs an explicit --port');
	process.exit(2);
}

const socketPath = args['socket-dir']
	? join(args['socket-dir'], `.s.PGSQL.${port}`)
	: undefined;

/*
 * PGlite 0.3.16 cannot build or drop an index CONCURRENTLY: the statement
 * fails with "tuple concurrently updated" (XX000) and leaves an INVALID
 * index behind (its one backend cannot wait for itself). With one session
 * there are no concurrent writers, so the plain statement has the same
 * effect. This rewrites a single CREATE [UNIQUE] INDEX / DROP INDEX /
 * REINDEX ... CONCURRENTLY statement, sent as a simple Query or a Parse
 * message outside a transaction block, to the plain form. Inside a
 * transaction block or in a multi-statement string it is passed on
 * unchanged, so PGlite still refuses it with 25001 as a real server does.
 */
const leadingComments = /(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/.source;
const indexVerb =
	/(?:create\s+(?:unique\s+)?index|drop\s+index|reindex\s+(?:\([^)]*\)\s*)?(?:index|table|schema|database|system))/
		.source;
const concurrentlyRe = new RegExp(`^(${leadingComments}${indexVerb})\\s+concurrently\\b`, 'i');

function rewriteConcurrently(sql) {
	const m = concurrentlyRe.exec(sql);
	if (!m) return null;
	const body = sql.replace(/[\s;]+$/, '');
	if (body.includes(';')) return null;
	return m[1] + sql.slice(m[0].length);
}

function cstringAt(buf, off) {
	const end = buf.indexOf(0, off);
	return [buf.toString('utf8', off, end), end + 1];
}

function message(type, parts) {
	const body = Buffer.concat(parts);
	const head = Buffer.alloc(5);
	head.write(type, 0, 'latin1');
	head.writeInt32BE(body.length + 4, 1);
	return new Uint8Array(Buffer.concat([head, body]));
}

function shimConcurrently(db) {
	const raw = db.execProtocolRaw.bind(db);
	db.execProtocolRaw = (msg, opts) => {
		const type = msg.length > 5 ? String.fromCharCode(msg[0]) : '';
		if ((type !== 'Q' && type !== 'P') || db.isInTransaction())
			return raw(msg, opts);
		const buf = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
		if (type === 'Q') {
			const [sql] = cstringAt(buf, 5);
			const out = rewriteConcurrently(sql);
			if (out === null) return raw(msg, opts);
			return raw(message('Q', [Buffer.from(out + '\0')]), opts);
		}
		const [name, off] = cstringAt(buf, 5);
		const [sql, rest] = cstringAt(buf, off);
		const out = rewriteConcurrently(sql);
		if (out === null) return raw(msg, opts);
		return raw(message('P', [Buffer.from(name + '\0'), Buffer.from(out + '\0'),
			buf.subarray(rest)]), opts);
	};
}

let db;
let server;
let stopping = false;

async function shutdown(code) {
	if (stopping) return;
	stopping = true;
	try {
		if (server) await server.stop();
		if (db) await db.close();
	} catch (e) {
		console.error(`pglite-server: shutdown: ${e.message}`);
		code = code || 1;
	}
	if (socketPath) rmSync(socketPath, { force: true });
	process.exit(code);
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));

/* process.ppid is read afresh on each access: an orphan is re-parented. */
const parent = process.ppid;
setInterval(() => {
	if (process.ppid !== parent) shutdown(0);
}, 1000).unref();

try {
	db = await PGlite.create(args.db, { extensions: { vector } });
	/*
	 * PGlite starts with client_min_messages = debug3 and log_min_messages =
	 * debug1: every client would get DEBUG notices. There is one session
	 * for all connections, so setting it once here holds for all of them
	 * (until a client runs RESET ALL).
	 */
	await db.exec('SET client_min_messages TO notice; SET log_min_messages TO warning');
	if (!args['keep-concurrently']) shimConcurrently(db);
	/* A stale socket file from a killed run would make listen() fail. */
	if (socketPath) rmSync(socketPath, { force: true });
	server = new PGLiteSocketServer(
		socketPath
			? { db, path: socketPath, maxConnections }
			: { db, host: args.host, port, maxConnections },
	);
	server.addEventListener('error', (ev) => {
		console.error(`pglite-server: ${ev.detail?.message ?? ev.detail}`);
	});
	await server.start();
} catch (e) {
	console.error(`pglite-server: cannot start: ${e.message}`);
	await shutdown(1);
}

if (socketPath) {
	console.log(`pglite-server ready host=${args['socket-dir']} port=${port}`);
} else {
	/* Port 0: report the port the OS picked. */
	const conn = server.getServerConn();
	const actual = server.server?.address()?.port ?? conn.split(':').pop();
	console.log(`pglite-server ready host=${args.host} port=${actual}`);
}
