"""Provides the did-you-mean of parameter names, flags and verbs: `near_miss` (strict: a
name this close is refused as a typo) and `closest` (a hint)."""

import difflib


def edit_distance(a, b):
    """Damerau-Levenshtein distance (adjacent swaps count once) between two strings."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def near_miss(name, candidates):
    """The candidate `name` is probably a typo of, or None. Short names allow one edit, long two."""
    folded = name.lower().replace("-", "_")
    best = None
    for cand in candidates:
        if cand == name:
            return None
        dist = edit_distance(folded, cand)
        limit = 1 if len(cand) < 8 else 2
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, cand)
    return best[1] if best else None


def closest(name, candidates):
    """The candidate most like `name` for a "did you mean" hint, or None; more lenient than
    `near_miss` (`eval` suggests `evaluate`), so never used to refuse a name."""
    return near_miss(name, candidates) or next(iter(difflib.get_close_matches(name, candidates, n=1)), None)
