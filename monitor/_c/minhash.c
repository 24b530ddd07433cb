/* minhash(crcs, a, b): the MinHash of a text's word 5-grams, from its words' CRC-32s.
 *
 * The same values as monitor/store/clusters.py's NumPy route (shingle_hashes, then
 * _signature): each shingle mixes its words' CRCs in 64-bit arithmetic and folds to 32
 * bits; the distinct shingles are counted (a radix sort); each goes through the
 * MurmurHash3 finaliser, then a * h + b (mod 2**32) per permutation, the minimum kept
 * (duplicates change no minimum, so only the count needs them sorted out).
 */
#include "native.h"
#include <stdint.h>
#include <stdlib.h>

static const uint64_t MIX[5] = {0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL,
                                0x165667B19E3779F9ULL, 0xD6E8FEB86659FD93ULL,
                                0xFF51AFD7ED558CCDULL};
#define SHINGLE 5
#define FNV 0x100000001B3ULL

/* the minimum of a * h + b over the hashes: a loop the compiler vectorises */
__attribute__((optimize("O3"))) static uint32_t lowest(const uint32_t *restrict hashes,
                                                       Py_ssize_t n, uint32_t a, uint32_t b) {
    uint32_t low = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t v = a * hashes[i] + b;
        low = v < low ? v : low;
    }
    return low;
}

/* the number of distinct values: an LSD radix sort, a byte a pass, then one scan */
static Py_ssize_t distinct(uint32_t *values, uint32_t *spare, Py_ssize_t n) {
    for (int shift = 0; shift < 32; shift += 8) {
        Py_ssize_t count[257] = {0};
        for (Py_ssize_t i = 0; i < n; i++)
            count[((values[i] >> shift) & 0xFF) + 1]++;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (Py_ssize_t i = 0; i < n; i++)
            spare[count[(values[i] >> shift) & 0xFF]++] = values[i];
        uint32_t *swap = values;
        values = spare;
        spare = swap;
    }
    Py_ssize_t kept = 1; /* four passes: the sorted values are back in the first buffer */
    for (Py_ssize_t i = 1; i < n; i++)
        kept += values[i] != values[i - 1];
    return kept;
}

PyObject *native_minhash(PyObject *module, PyObject *args) {
    Py_buffer crcs, a, b;
    if (!PyArg_ParseTuple(args, "y*y*y*", &crcs, &a, &b))
        return NULL;
    PyObject *result = NULL, *signature = NULL;
    Py_ssize_t words = crcs.len / (Py_ssize_t)sizeof(uint32_t);
    Py_ssize_t perms = a.len / (Py_ssize_t)sizeof(uint32_t);
    if (words == 0 || perms == 0 || b.len != a.len) {
        PyErr_SetString(PyExc_ValueError, "minhash() needs words and equal permutations");
        goto done;
    }
    const uint32_t *crc = crcs.buf, *pa = a.buf, *pb = b.buf;
    Py_ssize_t n = words < SHINGLE ? words : SHINGLE, span = words - n + 1, kept = 0;
    uint32_t *buffer = malloc(3 * (size_t)span * sizeof(uint32_t));
    signature = PyBytes_FromStringAndSize(NULL, perms * (Py_ssize_t)sizeof(uint32_t));
    if (buffer == NULL || signature == NULL) {
        free(buffer);
        Py_CLEAR(signature);
        PyErr_NoMemory();
        goto done;
    }
    uint32_t *values = (uint32_t *)PyBytes_AS_STRING(signature);
    uint32_t *folded = buffer, *hashed = buffer + span, *spare = buffer + 2 * span;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < span; i++) {
        uint64_t mixed = 0;
        for (Py_ssize_t k = 0; k < n; k++)
            mixed = (mixed ^ ((uint64_t)crc[i + k] * MIX[k])) * FNV;
        uint32_t h = (uint32_t)(mixed >> 32) ^ (uint32_t)mixed;
        folded[i] = h;
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        hashed[i] = h;
    }
    for (Py_ssize_t p = 0; p < perms; p++)
        values[p] = lowest(hashed, span, pa[p], pb[p]);
    kept = distinct(folded, spare, span);
    Py_END_ALLOW_THREADS
    free(buffer);
    result = Py_BuildValue("(Nn)", signature, kept);
done:
    PyBuffer_Release(&crcs);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return result;
}
