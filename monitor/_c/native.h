/* The compiled extension ``monitor._native`` (see monitor/lexicon/native.py and
 * monitor/text.py, which use it, and hatch_build.py, which builds it from these files):
 * the loops of a tally and of an ingest that Python runs slowly.
 *
 * forms.c     Folder.fold: a text's folded forms and ASCII view from its UTF-8, one pass
 * literals.c  Literals: Hyperscan literal scans whose hits are gathered and counted in C
 * text.c      word counts, word CRC-32s and whitespace folding of a str
 * minhash.c   a text's MinHash signature from its word CRC-32s
 */
#ifndef MONITOR_NATIVE_H
#define MONITOR_NATIVE_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>

extern PyTypeObject FolderType;
extern PyTypeObject LiteralsType;
extern PyObject *HyperscanError;
int literals_module_init(PyObject *module);
int text_module_init(PyObject *module);

PyObject *native_count_words(PyObject *module, PyObject *args);
PyObject *native_word_crcs(PyObject *module, PyObject *args);
PyObject *native_fold_spaces(PyObject *module, PyObject *arg);
PyObject *native_minhash(PyObject *module, PyObject *args);

#endif
