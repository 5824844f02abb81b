/* SQL text without a parse tree (see lex.h). */
#include "sql/lex.h"

#include <ctype.h>
#include <string.h>

static bool ident_byte(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

size_t sql_lex_skip_quoted(const char *t, size_t i, size_t end)
{
	if (i >= end)
		return i;
	if (t[i] == '\'' || t[i] == '"') {
		char q = t[i];
		bool esc = q == '\'' && i > 0 && (t[i - 1] == 'E' || t[i - 1] == 'e');
		for (i++; i < end; i++) {
			if (esc && t[i] == '\\') {
				i++;
				continue;
			}
			if (t[i] == q) {
				if (i + 1 < end && t[i + 1] == q) {
					i++;
					continue;
				}
				return i + 1;
			}
		}
		return end;
	}
	if (t[i] == '-' && i + 1 < end && t[i + 1] == '-') {
		while (i < end && t[i] != '\n')
			i++;
		return i;
	}
	if (t[i] == '/' && i + 1 < end && t[i + 1] == '*') {
		int depth = 0;
		while (i + 1 < end) {
			if (t[i] == '/' && t[i + 1] == '*') {
				depth++;
				i += 2;
			} else if (t[i] == '*' && t[i + 1] == '/') {
				i += 2;
				if (--depth == 0)
					return i;
			} else {
				i++;
			}
		}
		return end;
	}
	if (t[i] == '$' && !(i > 0 && ident_byte((unsigned char)t[i - 1]))) {
		size_t j = i + 1;
		while (j < end && (isalnum((unsigned char)t[j]) || t[j] == '_'))
			j++;
		if (j < end && t[j] == '$' && !(j > i + 1 && isdigit((unsigned char)t[i + 1]))) {
			size_t tl = j - i + 1;
			for (size_t k = j + 1; k + tl <= end; k++)
				if (t[k] == '$' && !memcmp(t + k, t + i, tl))
					return k + tl;
			return end;
		}
	}
	return i;
}

size_t sql_lex_skip_blank(const char *t, size_t i, size_t end)
{
	for (;;) {
		while (i < end && isspace((unsigned char)t[i]))
			i++;
		if (i < end && (t[i] == '-' || t[i] == '/')) {
			size_t j = sql_lex_skip_quoted(t, i, end);
			if (j != i) {
				i = j;
				continue;
			}
		}
		return i;
	}
}

size_t sql_lex_skip_name(const char *t, size_t i, size_t end)
{
	for (;;) {
		i = sql_lex_skip_blank(t, i, end);
		if (i < end && t[i] == '"')
			i = sql_lex_skip_quoted(t, i, end);
		else
			while (i < end && ident_byte((unsigned char)t[i]))
				i++;
		size_t j = sql_lex_skip_blank(t, i, end);
		if (j < end && t[j] == '.') {
			i = j + 1;
			continue;
		}
		if (j < end && t[j] == '*')
			j = sql_lex_skip_blank(t, j + 1, end);
		return j;
	}
}

bool sql_lex_next_ident(const char *t, size_t *pos, size_t end, struct sql_ident *out)
{
	size_t i = *pos;
	while (i < end) {
		if (t[i] == '"') {
			size_t e = sql_lex_skip_quoted(t, i, end);
			size_t stop = e > i + 1 && t[e - 1] == '"' ? e - 1 : e;
			size_t bytes = 0;
			for (size_t k = i + 1; k < stop; k++) {
				bytes++;
				if (t[k] == '"' && k + 1 < stop && t[k + 1] == '"')
					k++; /* "" is one quote */
			}
			*out = (struct sql_ident){i, e, bytes, true};
			*pos = e;
			return true;
		}
		size_t j = sql_lex_skip_quoted(t, i, end);
		if (j != i) {
			i = j;
			continue;
		}
		unsigned char c = (unsigned char)t[i];
		if (ident_byte(c) && !isdigit(c) && c != '$') {
			size_t s = i;
			while (i < end && ident_byte((unsigned char)t[i]))
				i++;
			*out = (struct sql_ident){s, i, i - s, false};
			*pos = i;
			return true;
		}
		if (isdigit(c) || c == '$') {
			/* a number or a parameter: not a name */
			while (i < end && ident_byte((unsigned char)t[i]))
				i++;
			continue;
		}
		i++;
	}
	*pos = end;
	return false;
}
