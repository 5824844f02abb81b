/*
 * The libpg_query wrapper on arbitrary text: split, parse each statement,
 * classify it, scan tokens, build the token stream and check PL/pgSQL
 * bodies. Every offset the wrapper returns must stay inside the text.
 */
#include "fuzz_util.h"

#include "core/err.h"
#include "core/strbuf.h"
#include "sql/plpgsql.h"
#include "sql/sql.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	/* revgate never hands libpg_query a NUL: revision files with one are refused */
	size_t len = strlen(text);
	struct sql_script script = SQL_SCRIPT_INIT;
	struct sql_error err = {0};

	if (sql_split(text, 0, len, &script, &err) == 0) {
		for (size_t k = 0; k < script.n; k++) {
			const struct sql_stmt *st = &script.v[k];
			FUZZ_ASSERT(st->start <= len && st->start + st->len <= len);
			struct sql_tree *tree = NULL;
			if (sql_parse(text, st->start, st->len, &tree, &err) == 0) {
				for (size_t i = 0; i < tree->result->n_stmts; i++)
					(void)sql_stmt_needs_autocommit(tree->result->stmts[i]->stmt);
				sql_tree_free(tree);
			} else {
				FUZZ_ASSERT(err.offset <= len);
			}
			if (sql_check_plpgsql(text, st->start, st->len, &err) < 0)
				FUZZ_ASSERT(err.offset <= len);
		}
	} else {
		FUZZ_ASSERT(err.offset <= len);
	}

	struct sql_tokens toks = SQL_TOKENS_INIT;
	if (sql_scan(text, 0, len, &toks, &err) == 0)
		for (size_t k = 0; k < toks.n; k++)
			FUZZ_ASSERT(toks.v[k].start <= toks.v[k].end && toks.v[k].end <= len);
	struct strbuf sb = STRBUF_INIT;
	(void)sql_token_stream(text, 0, len, &sb, &err);

	strbuf_release(&sb);
	sql_tokens_release(&toks);
	sql_script_release(&script);
	sql_error_release(&err);
	free(text);
	err_clear();
	return 0;
}
