/* Word loops of an ingest over a str, with the values of the NumPy passes of
 * monitor/store/textscan.py (which the tests compare): one pass each instead of several.
 *
 * ``table`` holds a byte of flags per BMP code point, built in Python from the regular
 * expressions that define words (textscan._tables): WORD ([^\W_]), CJK, JOINER (' ’ -).
 * Texts these rules do not cover (CJK, characters beyond the BMP, lone surrogates) give
 * None: the caller then takes the regular expressions. */
#include "native.h"

#define WORD 1
#define CJK 2
#define JOINER 4

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[b] = c;
    }
}

/* The text's kind and data, or 0 when these loops do not cover it (beyond the BMP). */
static int bmp_text(PyObject *text, const void **data) {
    int kind = PyUnicode_KIND(text);
    *data = PyUnicode_DATA(text);
    return kind == PyUnicode_4BYTE_KIND ? 0 : kind;
}

static int parse(PyObject *args, PyObject **text, const unsigned char **table) {
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "Uy#", text, (const char **)table, &size))
        return -1;
    if (size < 0x10000) {
        PyErr_SetString(PyExc_ValueError, "the table has a byte per BMP code point");
        return -1;
    }
    return 0;
}

/* count_words(text, table): runs of word characters, a run linked to the next by one
 * joiner counting as one word (monitor.text.count_words) */
PyObject *native_count_words(PyObject *module, PyObject *args) {
    PyObject *text;
    const unsigned char *table;
    const void *data;
    if (parse(args, &text, &table) < 0)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = bmp_text(text, &data), ascii = PyUnicode_IS_ASCII(text);
    if (n == 0 || kind == 0)
        Py_RETURN_NONE;
    long runs = 0, links = 0;
    int w1 = 0, w2 = 0, j1 = 0; /* word? at i-1 and i-2; joiner? at i-1 */
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 0xD800 && c < 0xE000)
            Py_RETURN_NONE;
        unsigned char f = table[c];
        if (!ascii && (f & CJK))
            Py_RETURN_NONE;
        int w = f & WORD;
        runs += w && !w1;
        links += i >= 2 && j1 && w2 && w;
        w2 = w1;
        w1 = w;
        j1 = (f & JOINER) != 0;
    }
    return PyLong_FromLong(runs - links);
}

/* word_crcs(lowered, table): zlib.crc32 of each word's UTF-8 (a word: a run of word
 * characters), as native uint32s in text order; None without words */
PyObject *native_word_crcs(PyObject *module, PyObject *args) {
    PyObject *text;
    const unsigned char *table;
    const void *data;
    if (parse(args, &text, &table) < 0)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), words = 0;
    int kind = bmp_text(text, &data), ascii = PyUnicode_IS_ASCII(text);
    if (n == 0 || kind == 0)
        Py_RETURN_NONE;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (n / 2 + 1) * sizeof(uint32_t));
    if (out == NULL)
        return NULL;
    uint32_t *crcs = (uint32_t *)PyBytes_AS_STRING(out), crc = 0;
    int in_word = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        Py_UCS4 c = i < n ? PyUnicode_READ(kind, data, i) : 0;
        unsigned char f = i < n ? table[c] : 0;
        if ((c >= 0xD800 && c < 0xE000) || (!ascii && (f & CJK))) {
            Py_DECREF(out);
            Py_RETURN_NONE;
        }
        if (!(f & WORD)) {
            if (in_word)
                crcs[words++] = crc ^ 0xFFFFFFFFu;
            in_word = 0;
            continue;
        }
        if (!in_word) {
            crc = 0xFFFFFFFFu;
            in_word = 1;
        }
        unsigned char bytes[3];
        int len;
        if (c < 0x80) {
            bytes[0] = (unsigned char)c;
            len = 1;
        } else if (c < 0x800) {
            bytes[0] = (unsigned char)(0xC0 | (c >> 6));
            bytes[1] = (unsigned char)(0x80 | (c & 0x3F));
            len = 2;
        } else {
            bytes[0] = (unsigned char)(0xE0 | (c >> 12));
            bytes[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            bytes[2] = (unsigned char)(0x80 | (c & 0x3F));
            len = 3;
        }
        for (int k = 0; k < len; k++)
            crc = crc_table[(crc ^ bytes[k]) & 0xFF] ^ (crc >> 8);
    }
    if (words == 0) {
        Py_DECREF(out);
        Py_RETURN_NONE;
    }
    if (_PyBytes_Resize(&out, words * (Py_ssize_t)sizeof(uint32_t)) < 0)
        return NULL;
    return out;
}

/* fold_spaces(text): ' '.join(text.split()) as UTF-8, or None for a lone surrogate */
PyObject *native_fold_spaces(PyObject *module, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "fold_spaces() takes a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * (kind == 1 ? 2 : kind == 2 ? 3 : 4));
    if (out == NULL)
        return NULL;
    unsigned char *o = (unsigned char *)PyBytes_AS_STRING(out), *start = o;
    int pending = 0; /* a space to write before the next character */
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISSPACE(c)) {
            pending = o != start;
            continue;
        }
        if (pending) {
            *o++ = ' ';
            pending = 0;
        }
        if (c < 0x80) {
            *o++ = (unsigned char)c;
        } else if (c < 0x800) {
            *o++ = (unsigned char)(0xC0 | (c >> 6));
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            if (c >= 0xD800 && c < 0xE000) {
                Py_DECREF(out);
                Py_RETURN_NONE;
            }
            *o++ = (unsigned char)(0xE0 | (c >> 12));
            *o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (unsigned char)(0xF0 | (c >> 18));
            *o++ = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            *o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        }
    }
    if (_PyBytes_Resize(&out, o - start) < 0)
        return NULL;
    return out;
}

int text_module_init(PyObject *module) {
    crc_init();
    return 0;
}
