/* Literals.scan(data, exact, counts): a Hyperscan literal scan whose hits are gathered
 * here instead of calling a Python function per hit: the hits of literals below ``exact``
 * are added up into ``counts`` under their terms, the others come back as (id, end)
 * pairs. On a dense lexicon most of a scan's time was the binding's Python call per hit. */
#include "native.h"
#include <hs/hs.h>
#include <stdlib.h>

/* ---- Literals ---------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    hs_database_t *db;
    hs_scratch_t *scratch;
    unsigned ids;          /* literal ids are below this */
    unsigned *counts;      /* per id, during a scan */
    unsigned *touched;     /* ids counted in this scan */
    unsigned n_touched;
    unsigned exact;
    unsigned *rest;        /* (id, end) pairs of the other hits */
    size_t n_rest, rest_cap;
    int failed;
    unsigned n_exact;      /* ids with terms (set_terms), and the terms of each: */
    unsigned *offsets;     /* id k's terms are terms[offsets[k]:offsets[k + 1]] */
    unsigned *terms;
} Literals;

PyObject *HyperscanError;

static int Literals_ready(Literals *self, unsigned ids) {
    if (hs_alloc_scratch(self->db, &self->scratch) != HS_SUCCESS) {
        PyErr_SetString(HyperscanError, "could not allocate Hyperscan scratch space");
        return -1;
    }
    self->ids = ids;
    self->counts = calloc(ids ? ids : 1, sizeof(unsigned));
    self->touched = malloc((ids ? ids : 1) * sizeof(unsigned));
    if (self->counts == NULL || self->touched == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Literals(literals: list[bytes], ids: list[int]) */
static int Literals_init(Literals *self, PyObject *args, PyObject *kwds) {
    PyObject *literals, *ids;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &literals, &PyList_Type, &ids))
        return -1;
    if (self->db != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a Literals is compiled once");
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(literals);
    if (n == 0 || PyList_GET_SIZE(ids) != n) {
        PyErr_SetString(PyExc_ValueError, "as many ids as literals, at least one");
        return -1;
    }
    const char **exprs = malloc(n * sizeof(char *));
    size_t *lens = malloc(n * sizeof(size_t));
    unsigned *flags = calloc(n, sizeof(unsigned));
    unsigned *numbers = malloc(n * sizeof(unsigned));
    unsigned top = 0;
    int result = -1;
    if (exprs == NULL || lens == NULL || flags == NULL || numbers == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *lit = PyList_GET_ITEM(literals, k);
        if (!PyBytes_Check(lit)) {
            PyErr_SetString(PyExc_TypeError, "literals are bytes");
            goto done;
        }
        exprs[k] = PyBytes_AS_STRING(lit);
        lens[k] = (size_t)PyBytes_GET_SIZE(lit);
        unsigned long id = PyLong_AsUnsignedLong(PyList_GET_ITEM(ids, k));
        if (PyErr_Occurred())
            goto done;
        if (id >= 0x7FFFFFFFUL) {
            PyErr_SetString(PyExc_ValueError, "literal ids are below 2**31 - 1");
            goto done;
        }
        numbers[k] = (unsigned)id;
        if (id + 1 > top)
            top = (unsigned)id + 1;
    }
    hs_compile_error_t *error = NULL;
    if (hs_compile_lit_multi(exprs, flags, numbers, lens, (unsigned)n, HS_MODE_BLOCK, NULL,
                             &self->db, &error) != HS_SUCCESS) {
        PyErr_Format(HyperscanError, "Hyperscan could not compile the literals: %s",
                     error ? error->message : "unknown error");
        hs_free_compile_error(error);
        goto done;
    }
    result = Literals_ready(self, top);
done:
    free(exprs);
    free(lens);
    free(flags);
    free(numbers);
    return result;
}

static void Literals_dealloc(Literals *self) {
    if (self->scratch)
        hs_free_scratch(self->scratch);
    if (self->db)
        hs_free_database(self->db);
    free(self->counts);
    free(self->touched);
    free(self->rest);
    free(self->offsets);
    free(self->terms);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* An int that fits in 32 bits, or -1 with the error set. */
static int as_unsigned(PyObject *value, unsigned *out) {
    unsigned long v = PyLong_AsUnsignedLong(value);
    if (v == (unsigned long)-1 && PyErr_Occurred())
        return -1;
    if (v > 0xFFFFFFFFUL) {
        PyErr_SetString(PyExc_OverflowError, "a term or offset over 32 bits");
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* set_terms(offsets, terms): the terms each exact literal id counts for */
static PyObject *Literals_set_terms(Literals *self, PyObject *args) {
    PyObject *offsets, *terms;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &offsets, &PyList_Type, &terms))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(offsets), m = PyList_GET_SIZE(terms);
    unsigned *o = malloc((n ? n : 1) * sizeof(unsigned));
    unsigned *t = malloc((m ? m : 1) * sizeof(unsigned));
    if (o == NULL || t == NULL) {
        free(o);
        free(t);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t k = 0; k < n && !PyErr_Occurred(); k++) {
        if (as_unsigned(PyList_GET_ITEM(offsets, k), &o[k]) < 0)
            break;
        if ((k && o[k] < o[k - 1]) || o[k] > (unsigned)m) {
            PyErr_SetString(PyExc_ValueError, "offsets must rise and stay within terms");
            break;
        }
    }
    for (Py_ssize_t k = 0; k < m && !PyErr_Occurred(); k++)
        as_unsigned(PyList_GET_ITEM(terms, k), &t[k]);
    if (PyErr_Occurred()) {
        free(o);
        free(t);
        return NULL;
    }
    free(self->offsets);
    free(self->terms);
    self->offsets = o;
    self->terms = t;
    self->n_exact = n ? (unsigned)(n - 1) : 0;
    Py_RETURN_NONE;
}

static PyObject *Literals_dump(Literals *self, PyObject *unused) {
    char *bytes = NULL;
    size_t length = 0;
    if (hs_serialize_database(self->db, &bytes, &length) != HS_SUCCESS) {
        PyErr_SetString(HyperscanError, "could not serialize the database");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(bytes, (Py_ssize_t)length);
    free(bytes);
    return out;
}

/* Literals.load(data, ids): a database from dump(); ids as at compile time */
static PyObject *Literals_load(PyTypeObject *type, PyObject *args) {
    const char *data;
    Py_ssize_t length;
    unsigned int ids;
    if (!PyArg_ParseTuple(args, "y#I", &data, &length, &ids))
        return NULL;
    Literals *self = (Literals *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    if (hs_deserialize_database(data, (size_t)length, &self->db) != HS_SUCCESS) {
        Py_DECREF(self);
        PyErr_SetString(HyperscanError, "not a Hyperscan database of this version");
        return NULL;
    }
    if (Literals_ready(self, ids) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int on_hit(unsigned int id, unsigned long long from, unsigned long long to,
                  unsigned int flags, void *context) {
    Literals *self = context;
    if (id < self->exact) {
        if (self->counts[id]++ == 0)
            self->touched[self->n_touched++] = id;
        return 0;
    }
    if (self->n_rest == self->rest_cap) {
        size_t cap = self->rest_cap ? 2 * self->rest_cap : 1024;
        unsigned *grown = realloc(self->rest, 2 * cap * sizeof(unsigned));
        if (grown == NULL) {
            self->failed = 1;
            return 1;  /* stops the scan */
        }
        self->rest = grown;
        self->rest_cap = cap;
    }
    self->rest[2 * self->n_rest] = id;
    self->rest[2 * self->n_rest + 1] = (unsigned)to;
    self->n_rest++;
    return 0;
}

/* Adds ``n`` to counts[term] (a dict of ints). */
static int add_count(PyObject *counts, unsigned term, unsigned long n) {
    PyObject *key = PyLong_FromUnsignedLong(term);
    if (key == NULL)
        return -1;
    PyObject *old = PyDict_GetItemWithError(counts, key);
    unsigned long was = 0;
    if (old != NULL) {
        was = PyLong_AsUnsignedLong(old);
        if (was == (unsigned long)-1 && PyErr_Occurred()) {
            Py_DECREF(key);
            return -1;
        }
    } else if (PyErr_Occurred()) {
        Py_DECREF(key);
        return -1;
    }
    PyObject *value = PyLong_FromUnsignedLong(was + n);
    int status = value == NULL ? -1 : PyDict_SetItem(counts, key, value);
    Py_DECREF(key);
    Py_XDECREF(value);
    return status;
}

/* scan(data, exact, counts) -> [(id, end), ...]: the hits of ids below ``exact`` are
 * added to ``counts`` (term -> occurrences) under their terms (set_terms); the others
 * come back in the order Hyperscan reports them. */
static PyObject *Literals_scan(Literals *self, PyObject *args) {
    Py_buffer data;
    unsigned int exact;
    PyObject *counts;
    if (!PyArg_ParseTuple(args, "y*IO!", &data, &exact, &PyDict_Type, &counts))
        return NULL;
    if (data.len > 0xFFFFFFFFLL) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "texts over 4 GB cannot be scanned");
        return NULL;
    }
    self->exact = exact < self->n_exact ? exact : self->n_exact;
    if (self->exact > self->ids)
        self->exact = self->ids;
    self->n_touched = 0;
    self->n_rest = 0;
    self->failed = 0;
    hs_error_t status = hs_scan(self->db, data.buf, (unsigned)data.len, 0, self->scratch,
                                on_hit, self);
    PyBuffer_Release(&data);
    /* What the scan left in the object is moved to locals before any Python object is
     * made: making one may run Python code (the collector, a __del__), and with it a scan
     * of this same object from another thread or a callback. */
    unsigned n_touched = self->n_touched, *found = NULL;
    size_t n_rest = self->n_rest, rest_cap = self->rest_cap;
    unsigned *rest = self->rest;
    int failed = self->failed;
    self->rest = NULL;
    self->rest_cap = self->n_rest = 0;
    self->n_touched = 0;
    if (n_touched) {
        found = malloc(2 * n_touched * sizeof(unsigned));
        for (unsigned k = 0; k < n_touched; k++) {
            unsigned id = self->touched[k];
            if (found != NULL) {
                found[2 * k] = id;
                found[2 * k + 1] = self->counts[id];
            }
            self->counts[id] = 0;
        }
        if (found == NULL) {
            free(rest);
            return PyErr_NoMemory();
        }
    }
    PyObject *out = NULL;
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    if (status != HS_SUCCESS) {
        PyErr_Format(HyperscanError, "Hyperscan scan failed (error %d)", (int)status);
        goto done;
    }
    for (unsigned k = 0; k < n_touched; k++) {
        unsigned id = found[2 * k];
        for (unsigned j = self->offsets[id]; j < self->offsets[id + 1]; j++)
            if (add_count(counts, self->terms[j], found[2 * k + 1]) < 0)
                goto done;
    }
    out = PyList_New((Py_ssize_t)n_rest);
    for (size_t k = 0; out != NULL && k < n_rest; k++) {
        PyObject *pair = Py_BuildValue("(II)", rest[2 * k], rest[2 * k + 1]);
        if (pair == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, (Py_ssize_t)k, pair);
    }
done:
    free(found);
    if (self->rest == NULL && rest != NULL && rest_cap <= (1 << 20)) {
        self->rest = rest;  /* kept for the next scan, unless huge or replaced meanwhile */
        self->rest_cap = rest_cap;
    } else {
        free(rest);
    }
    return out;
}

static PyMethodDef Literals_methods[] = {
    {"scan", (PyCFunction)Literals_scan, METH_VARARGS,
     "scan(data, exact, counts) -> [(id, end), ...]: hits of ids below exact go to counts"},
    {"set_terms", (PyCFunction)Literals_set_terms, METH_VARARGS,
     "set_terms(offsets, terms): id k counts for terms[offsets[k]:offsets[k + 1]]"},
    {"dump", (PyCFunction)Literals_dump, METH_NOARGS, "dump() -> bytes for Literals.load"},
    {"load", (PyCFunction)Literals_load, METH_VARARGS | METH_CLASS,
     "load(data, ids) -> Literals from dump(); ids: one more than the largest id"},
    {NULL, NULL, 0, NULL},
};

PyTypeObject LiteralsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "monitor._native.Literals",
    .tp_doc = "Literals(literals, ids): a Hyperscan block-mode literal database (one"
              " scratch space: scans hold the GIL).",
    .tp_basicsize = sizeof(Literals),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Literals_init,
    .tp_dealloc = (destructor)Literals_dealloc,
    .tp_methods = Literals_methods,
};

int literals_module_init(PyObject *module) {
    if (hs_valid_platform() != HS_SUCCESS)
        return 0;  /* this CPU cannot run Hyperscan: no Literals, the rest of the module */
    HyperscanError = PyErr_NewException("monitor._native.HyperscanError",
                                        PyExc_RuntimeError, NULL);
    if (HyperscanError == NULL || PyType_Ready(&LiteralsType) < 0
        || PyModule_AddObjectRef(module, "HyperscanError", HyperscanError) < 0
        || PyModule_AddObjectRef(module, "Literals", (PyObject *)&LiteralsType) < 0)
        return -1;
    return 0;
}

PyObject *native_hs_version(PyObject *module, PyObject *unused) {
    return PyUnicode_FromString(hs_version());
}
