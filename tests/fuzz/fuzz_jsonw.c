/*
 * The JSON writer's escaping: arbitrary bytes written as keys and values
 * must give a document json-c parses strictly, that is valid UTF-8, and
 * whose strings read back as written when the input was valid UTF-8.
 */
#include "fuzz_util.h"

#include "output/jsonw.h"

#include <json-c/json.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i], cp, need, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			need = 1, min = 0x80, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2, min = 0x800, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += need + 1;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char *buf = NULL;
	size_t blen = 0;
	FILE *fp = open_memstream(&buf, &blen);
	struct jsonw w;
	jsonw_init(&w, fp, size & 1);
	jsonw_obj_begin(&w);
	jsonw_kstr(&w, text, text); /* up to the first NUL, as every caller passes */
	jsonw_key(&w, "n");
	jsonw_strn(&w, text, size); /* every byte */
	jsonw_key(&w, "a");
	jsonw_arr_begin(&w);
	jsonw_int(&w, (long long)size);
	jsonw_null(&w);
	jsonw_bool(&w, true);
	jsonw_arr_end(&w);
	jsonw_obj_end(&w);
	jsonw_finish(&w);
	fclose(fp);

	FUZZ_ASSERT(valid_utf8((const unsigned char *)buf, blen));
	struct json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	struct json_object *doc = json_tokener_parse_ex(tok, buf, (int)blen);
	FUZZ_ASSERT(doc != NULL);
	if (valid_utf8(data, size)) {
		struct json_object *n = NULL;
		FUZZ_ASSERT(json_object_object_get_ex(doc, "n", &n));
		FUZZ_ASSERT((size_t)json_object_get_string_len(n) == size);
		FUZZ_ASSERT(!memcmp(json_object_get_string(n), data, size));
	}
	json_object_put(doc);
	json_tokener_free(tok);
	free(buf);
	free(text);
	return 0;
}
