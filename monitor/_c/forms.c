/* Folder.fold(data): a text's forms from its UTF-8 in one pass (the byte route of
 * monitor/lexicon/forms.py, which made them with five passes of bytes methods). */
#include "native.h"
#include <string.h>

/* ---- Folder ------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    unsigned char lower[128];  /* ASCII lowered */
    unsigned char view[128];   /* view byte of a lowered ASCII byte */
    PyObject *slow;            /* bytes: a bit per code point that sends a text back */
} Folder;

static int Folder_init(Folder *self, PyObject *args, PyObject *kwds) {
    const char *view;
    Py_ssize_t view_len;
    PyObject *slow;
    if (!PyArg_ParseTuple(args, "y#S", &view, &view_len, &slow))
        return -1;
    if (view_len < 128 || PyBytes_GET_SIZE(slow) < 0x110000 / 8) {
        PyErr_SetString(PyExc_ValueError, "a 128-byte view table and a 0x110000-bit map");
        return -1;
    }
    for (int b = 0; b < 128; b++) {
        self->lower[b] = (b >= 'A' && b <= 'Z') ? (unsigned char)(b + 32) : (unsigned char)b;
    }
    for (int b = 0; b < 128; b++)
        self->view[b] = (unsigned char)view[self->lower[b]];
    Py_XSETREF(self->slow, Py_NewRef(slow));
    return 0;
}

static void Folder_dealloc(Folder *self) {
    Py_XDECREF(self->slow);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The code point at s[i] and its length, or 0 if the bytes there are not UTF-8 that
 * Python's strict decoder accepts (no overlong forms, surrogates or code points past
 * U+10FFFF). */
static int utf8_char(const unsigned char *s, Py_ssize_t i, Py_ssize_t n, Py_UCS4 *cp) {
    unsigned char b = s[i];
    if (b >= 0xC2 && b <= 0xDF) {
        if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
            return 0;
        *cp = ((Py_UCS4)(b & 0x1F) << 6) | (s[i + 1] & 0x3F);
        return 2;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        if (i + 2 >= n)
            return 0;
        unsigned char c1 = s[i + 1], c2 = s[i + 2];
        if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 || (b == 0xE0 && c1 < 0xA0)
            || (b == 0xED && c1 >= 0xA0))
            return 0;
        *cp = ((Py_UCS4)(b & 0x0F) << 12) | ((Py_UCS4)(c1 & 0x3F) << 6) | (c2 & 0x3F);
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (i + 3 >= n)
            return 0;
        unsigned char c1 = s[i + 1], c2 = s[i + 2], c3 = s[i + 3];
        if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 || (c3 & 0xC0) != 0x80
            || (b == 0xF0 && c1 < 0x90) || (b == 0xF4 && c1 >= 0x90))
            return 0;
        *cp = ((Py_UCS4)(b & 0x07) << 18) | ((Py_UCS4)(c1 & 0x3F) << 12)
              | ((Py_UCS4)(c2 & 0x3F) << 6) | (c3 & 0x3F);
        return 4;
    }
    return 0;
}

/* (prepared, folded, view) of UTF-8 ``data``, or None for the str route: prepared is the
 * text with ’ as ', folded that with ASCII lowered, view the ASCII view of folded (one
 * byte per character, between two "\x01"). None if the text holds a character of the
 * slow map or is not UTF-8. */
static PyObject *Folder_fold(Folder *self, PyObject *arg) {
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "fold() takes bytes");
        return NULL;
    }
    if (self->slow == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Folder(view_table, slow_map) was not initialised");
        return NULL;
    }
    const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(arg);
    const unsigned char *slow = (const unsigned char *)PyBytes_AS_STRING(self->slow);
    Py_ssize_t n = PyBytes_GET_SIZE(arg), i = 0;
    PyObject *prepared = PyBytes_FromStringAndSize(NULL, n);
    PyObject *folded = PyBytes_FromStringAndSize(NULL, n);
    PyObject *view = PyBytes_FromStringAndSize(NULL, n + 2);
    if (prepared == NULL || folded == NULL || view == NULL)
        goto fail;
    unsigned char *p = (unsigned char *)PyBytes_AS_STRING(prepared);
    unsigned char *f = (unsigned char *)PyBytes_AS_STRING(folded);
    unsigned char *v = (unsigned char *)PyBytes_AS_STRING(view);
    unsigned char *p0 = p, *f0 = f, *v0 = v;
    *v++ = 1;
    while (i < n) {
        unsigned char b = s[i];
        if (b < 0x80) {
            *p++ = b;
            *f++ = self->lower[b];
            *v++ = self->view[b];
            i++;
            continue;
        }
        Py_UCS4 cp;
        int len = utf8_char(s, i, n, &cp);
        if (len == 0 || (slow[cp >> 3] >> (cp & 7)) & 1)
            goto route;
        if (cp == 0x2019) {  /* ’ */
            *p++ = '\'';
            *f++ = '\'';
            *v++ = self->view['\''];
        } else {
            memcpy(p, s + i, len);
            memcpy(f, s + i, len);
            p += len;
            f += len;
            *v++ = '?';
        }
        i += len;
    }
    *v++ = 1;
    if (_PyBytes_Resize(&prepared, p - p0) < 0 || _PyBytes_Resize(&folded, f - f0) < 0
        || _PyBytes_Resize(&view, v - v0) < 0)
        goto fail;
    return Py_BuildValue("(NNN)", prepared, folded, view);
route:
    Py_DECREF(prepared);
    Py_DECREF(folded);
    Py_DECREF(view);
    Py_RETURN_NONE;
fail:
    Py_XDECREF(prepared);
    Py_XDECREF(folded);
    Py_XDECREF(view);
    return NULL;
}

static PyMethodDef Folder_methods[] = {
    {"fold", (PyCFunction)Folder_fold, METH_O,
     "fold(data) -> (prepared, folded, view) or None: a text's forms from its UTF-8."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject FolderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "monitor._native.Folder",
    .tp_doc = "Folder(view_table, slow_map): folds UTF-8 texts (see Folder.fold).",
    .tp_basicsize = sizeof(Folder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Folder_init,
    .tp_dealloc = (destructor)Folder_dealloc,
    .tp_methods = Folder_methods,
};

