/* The module: its functions and types (see native.h). */
#include "native.h"

PyObject *native_hs_version(PyObject *module, PyObject *unused);

static PyMethodDef module_methods[] = {
    {"version", native_hs_version, METH_NOARGS, "The Hyperscan library's version string."},
    {"count_words", native_count_words, METH_VARARGS,
     "count_words(text, table) -> monitor.text.count_words(text), or None (see text.c)"},
    {"word_crcs", native_word_crcs, METH_VARARGS,
     "word_crcs(lowered, table) -> bytes of uint32 CRC-32s of its words, or None"},
    {"minhash", native_minhash, METH_VARARGS,
     "minhash(crcs, a, b) -> (uint32 signature bytes, distinct shingles) (see minhash.c)"},
    {"fold_spaces", native_fold_spaces, METH_O,
     "fold_spaces(text) -> ' '.join(text.split()) as UTF-8, or None for a surrogate"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "_native", "Folding, literal scanning and word loops in C.", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void) {
    if (PyType_Ready(&FolderType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&native_module);
    if (module == NULL)
        return NULL;
    /* monitor.text.NATIVE_API: raise both when a function or its arguments change */
    if (PyModule_AddIntConstant(module, "API", 2) < 0
        || PyModule_AddObjectRef(module, "Folder", (PyObject *)&FolderType) < 0
        || literals_module_init(module) < 0 || text_module_init(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
