"""Medians, percentiles and paired ratios of benchmark results (pure functions, no TensorFlow)."""

import math
import statistics


def median(values):
    """The median of the values that are not None, or None when there are none."""
    kept = [v for v in values if v is not None]
    return statistics.median(kept) if kept else None


def percentile(sorted_values, q):
    """Nearest-rank percentile `q` (0-100) of an ascending list, or None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def paired_ratios(numerators, denominators):
    """numerators[i] / denominators[i] for each i where both are positive numbers."""
    return [n / d for n, d in zip(numerators, denominators) if n and d]


def col(results, key):
    """`key` of each result (None where missing)."""
    return [r.get(key) for r in results]
