"""Keyness statistics for a term counted ``a`` times in a target of ``c`` words and ``b``
times in a reference of ``d`` words. Every function takes numbers or numpy arrays.

The 2x2 table is ``[[a, b], [c - a, d - b]]`` (the term and every other word, in each
corpus). All statistics are signed: positive when the term is relatively more frequent in
the target (``a / c > b / d``), negative when less.

* :func:`log_likelihood`: G2 = 2 * sum(O * ln(O / E)) over the **four** cells of the table,
  the form AntConc 4 and keyperm compute (Dunning 1993). Rayson's two-term "log-likelihood
  wizard" form sums only the two term cells and gives slightly smaller values.
* :func:`log_ratio`: Hardie's (2014) effect size, log2 of the ratio of relative
  frequencies; a zero frequency is taken as 0.5. 1 means twice as frequent.
* :func:`chi2_yates`: Pearson's chi2 with Yates' continuity correction as quanteda's
  ``textstat_keyness`` computes it by default: ``N (|ad' - bc'| - N/2)^2 / (row and column
  totals)``, the correction never capped (quanteda's test: [[3, 14], [2, 10]] -> 0.1851001).
* :func:`log_odds_dirichlet`: Monroe, Colaresi and Quinn's (2008) log-odds ratio with an
  informative Dirichlet prior, as a z-score; the prior is the pooled frequencies of both
  corpora scaled to ``prior`` pseudo-words.
"""

from __future__ import annotations

import math

import numpy as np


def _arrays(*values):
    return [np.asarray(v, dtype=float) for v in values]


def _sign(a, b, c, d):
    return np.where(a * d >= b * c, 1.0, -1.0)


def _xlogx_over(o, e):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(o > 0, o * np.log(np.where(o > 0, o, 1) / np.where(e > 0, e, 1)), 0.0)


def log_likelihood(a, b, c, d):
    """Signed G2 of the four-cell table (AntConc 4 / keyperm form)."""
    a, b, c, d = _arrays(a, b, c, d)
    n = c + d
    k = a + b
    cells = ((a, c * k / n), (b, d * k / n), (c - a, c * (n - k) / n), (d - b, d * (n - k) / n))
    g2 = 2 * sum(_xlogx_over(o, e) for o, e in cells)
    return _sign(a, b, c, d) * np.maximum(g2, 0.0)


def p_value(g2):
    """The chi2 (1 degree of freedom) tail probability of a G2 or chi2 statistic:
    erfc(sqrt(x / 2)), exact for one degree of freedom (scipy.stats is slow to import)."""
    x = np.abs(np.asarray(g2, dtype=float))
    tail = np.array([math.erfc(math.sqrt(v / 2)) for v in x.ravel()], dtype=float)
    return tail.reshape(x.shape) if x.ndim else tail[0]  # a number for a number


def log_ratio(a, b, c, d):
    """Hardie's Log Ratio: log2((a / c) / (b / d)), zero frequencies taken as 0.5."""
    a, b, c, d = _arrays(a, b, c, d)
    a = np.where(a > 0, a, 0.5)
    b = np.where(b > 0, b, 0.5)
    return np.log2((a / c) / (b / d))


def chi2_yates(a, b, c, d):
    """Signed chi2 with Yates' correction, as quanteda's textstat_keyness default."""
    a, b, c, d = _arrays(a, b, c, d)
    a2, b2 = c - a, d - b  # the other words in target and reference
    n = c + d
    denominator = (a + b) * (a2 + b2) * c * d
    with np.errstate(divide="ignore", invalid="ignore"):
        value = n * (np.abs(a * b2 - b * a2) - n / 2) ** 2 / denominator
    return _sign(a, b, c, d) * np.where(denominator > 0, value, 0.0)


def log_odds_dirichlet(a, b, c, d, prior: float = 1000.0):
    """Monroe et al.'s z-score of the log-odds ratio with an informative Dirichlet prior."""
    a, b, c, d = _arrays(a, b, c, d)
    alpha = prior * (a + b) / (c + d)
    delta = (np.log((a + alpha) / (c + prior - a - alpha))
             - np.log((b + alpha) / (d + prior - b - alpha)))
    variance = 1 / (a + alpha) + 1 / (b + alpha)
    return delta / np.sqrt(variance)
