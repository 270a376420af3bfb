"""Provides the report's PNG figures, drawn with matplotlib's object API on the Agg canvas.

No pyplot: figures are plain `Figure` objects, so nothing global (backend, open windows)
changes in the caller's process. Each function writes one PNG and returns its path, or
None when there is nothing to draw.
"""

import numpy as np
from matplotlib.figure import Figure

DPI = 100
MAX_BARS = 40          # classes shown in the per-class bars (the weakest by F1 beyond that)
MAX_ANNOTATED = 30     # confusion matrices up to this size show their counts
MAX_TICKS = 50         # ... and up to this size name their classes
WORST = 16             # images in the worst-confused grid
MAX_PANELS = 6         # training-curve panels
MAX_LABELLED = 20      # per-class charts up to this many classes label each bar with its value


def confusion_matrix(matrix, names, path):
    """Heatmap coloured by the share of each true class (rows), annotated with counts."""
    matrix = np.asarray(matrix)
    k = len(matrix)
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = min(4 + 0.45 * k, 22)
    fig = Figure(figsize=(size + 1.5, size), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    if k <= MAX_ANNOTATED:
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if share[i, j] > 0.5 else "black")
    if k <= MAX_TICKS:
        ax.set_xticks(range(k), names, rotation=90 if k > 10 else 0)
        ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"Confusion matrix ({int(matrix.sum())} samples)")
    return _save(fig, path)


def per_class(rows, path):
    """Grouped precision / recall / F1 bars per class, the support under each name.

    Each bar is labelled with its value, the legend sits above the bars, and when every
    value is high the value axis starts above 0 (`value_axis`), so 0.97 and 1.00 differ
    visibly; the title then says where the axis starts.
    """
    shown = rows if len(rows) <= MAX_BARS else sorted(rows, key=lambda r: r["f1"])[:MAX_BARS]
    keys = ("precision", "recall", "f1")
    x = np.arange(len(shown))
    low, high = value_axis([r[key] for r in shown for key in keys])
    digits = 3 if low >= 0.9 else 2  # 0.985 and 0.98 differ on a zoomed axis
    fig = Figure(figsize=(max(6, 0.5 * len(shown) + 2), 4.5), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    for offset, key in zip((-0.27, 0, 0.27), keys):
        values = [r[key] for r in shown]
        bars = ax.bar(x + offset, [v - low for v in values], width=0.27, bottom=low, label=key)
        if len(shown) <= MAX_LABELLED:
            ax.bar_label(bars, [f"{v:.{digits}f}" for v in values], fontsize=7, padding=1,
                         rotation=90 if len(shown) > 4 else 0)
    ax.set_xticks(x, [f"{r['name']}\nn={r['support']}" for r in shown],
                  rotation=90 if len(shown) > 12 else 0, fontsize=8)
    ax.set_ylim(low, high)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8, frameon=False)
    weakest = f" (the {MAX_BARS} lowest F1 of {len(rows)})" if len(shown) < len(rows) else ""
    start = f"; axis from {low:.2f}" if low > 0 else ""
    ax.set_title(f"Per-class precision, recall and F1{weakest}{start}", pad=18)
    return _save(fig, path)


def value_axis(values):
    """(low, high) of the per-class value axis: from 0, or, when every value is at least 0.5,
    from a round step below the lowest, so the spread of high scores fills the axis; with
    headroom above 1 for the value labels."""
    lowest = min(values, default=0.0)
    if lowest < 0.5:
        return 0.0, 1.12
    span = max(1.0 - lowest, 0.01)
    step = 10 ** np.floor(np.log10(span))  # 0.01 for a spread of 0.03, 0.1 for 0.3
    low = max(0.0, np.floor((lowest - span / 2) / step) * step)
    return float(low), 1.0 + 0.12 * (1.0 - low)


def curves(series, path):
    """One panel per scalar tag (loss first), training and evaluation runs overlaid.

    Args:
      series: {run: {tag: [(step, value), ...]}} as from `events.read_curves`.
    """
    tags = sorted({t for run in series.values() for t in run}, key=lambda t: (t != "loss", t))
    tags = tags[:MAX_PANELS]
    if not tags:
        return None
    cols = min(3, len(tags))
    rows = -(-len(tags) // cols)
    fig = Figure(figsize=(4.5 * cols, 3.3 * rows), dpi=DPI, layout="constrained")
    for index, tag in enumerate(tags):
        ax = fig.add_subplot(rows, cols, index + 1)
        for run, color in (("train", "tab:blue"), ("eval", "tab:orange")):
            points = series.get(run, {}).get(tag)
            if points:
                steps, values = zip(*points)
                ax.plot(steps, values, ".-", color=color, markersize=4, label=run)
        ax.set_title(tag)
        ax.set_xlabel("step")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return _save(fig, path)


def confidence(confidences, correct, path):
    """Histograms of the predicted class's probability for right and for wrong predictions,
    each as a share of its own group (so a few mistakes stay visible beside many hits)."""
    fig = Figure(figsize=(6, 4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    bins = np.linspace(0, 1, 21)
    for mask, label, color in ((correct, "right", "tab:green"), (~correct, "wrong", "tab:red")):
        if mask.any():
            ax.hist(confidences[mask], bins=bins, weights=np.full(mask.sum(), 1 / mask.sum()),
                    histtype="stepfilled", alpha=0.5, color=color, edgecolor=color,
                    label=f"{label} ({int(mask.sum())})")
    ax.set_xlabel("probability of the predicted class")
    ax.set_ylabel("share of the group")
    ax.legend(loc="upper left")
    ax.set_title("Confidence of right and wrong predictions")
    return _save(fig, path)


def worst_confused(images, labels, predictions, confidences, names, path, sample_names=None):
    """A grid of the wrong predictions made with the highest confidence.

    Args:
      images: [M, H, W] or [M, H, W, C] for the first M samples.
      labels, predictions: class ids [N] (N >= M); confidences: [N] or None.
      names: class names by id.
      sample_names: each sample's name ([N], e.g. its file), or None for `#index`.
    """
    m = len(images)
    wrong = np.flatnonzero(labels[:m] != predictions[:m])
    if wrong.size == 0:
        return None
    if confidences is not None:
        wrong = wrong[np.argsort(-confidences[wrong], kind="stable")]
    wrong = wrong[:WORST]
    tiles = [_displayable(images[i]) for i in wrong]
    if len({t.shape for t in tiles}) > 1:
        return None  # images of different sizes: no grid to draw
    cols = min(4, len(wrong))
    rows = -(-len(wrong) // cols)
    grid, cell = _mosaic(tiles, rows, cols)
    width = 2.4 * cols  # inches; the height follows the grid's aspect, plus the title
    fig = Figure(figsize=(width, width * grid.shape[0] / grid.shape[1] + 0.5), dpi=DPI,
                 layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    for index, sample in enumerate(wrong):
        conf = "" if confidences is None else f" ({confidences[sample]:.2f})"
        x = (index % cols) * cell[1] + tiles[0].shape[1] / 2  # under the tile's centre
        y = (index // cols) * cell[0] + tiles[0].shape[0]
        ax.text(x, y, f"{_caption(sample, sample_names)}\n{names[labels[sample]]} → "
                f"{names[predictions[sample]]}{conf}", ha="center", va="top", fontsize=7)
    ax.axis("off")
    ax.set_title("Most confident mistakes: true → predicted (probability)", fontsize=10)
    return _save(fig, path)


def _caption(index, sample_names, width=22):
    """A sample's file name (its last path part, shortened to `width`), or `#index`."""
    if sample_names is None:
        return f"#{index}"
    name = str(sample_names[index]).rstrip("/").rsplit("/", 1)[-1]
    return name if len(name) <= width else "…" + name[-(width - 1):]


def _mosaic(tiles, rows, cols):
    """The tiles on a white grid, each cell with a margin on the right and a caption band
    below; returns (grid, (cell height, cell width))."""
    height, width = tiles[0].shape[:2]
    cell = (height + max(4, height // 4), width + max(2, width // 10))
    grid = np.ones((rows * cell[0], cols * cell[1]) + tiles[0].shape[2:])
    for index, tile in enumerate(tiles):
        top, left = index // cols * cell[0], index % cols * cell[1]
        grid[top:top + height, left:left + width] = tile
    return grid, cell


def regression(labels, predictions, path):
    """Predicted against true values, and the histogram of the residuals."""
    labels, predictions = np.ravel(labels), np.ravel(predictions)
    fig = Figure(figsize=(11, 4.5), dpi=DPI, layout="constrained")
    scatter, hist = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    scatter.scatter(labels, predictions, s=6, alpha=0.5)
    low, high = float(min(labels.min(), predictions.min())), float(max(labels.max(), predictions.max()))
    scatter.plot([low, high], [low, high], "k--", linewidth=1, label="prediction = label")
    scatter.set_xlabel("label")
    scatter.set_ylabel("prediction")
    scatter.legend(fontsize=8)
    scatter.set_title("Predicted vs true")
    hist.hist(predictions - labels, bins=40, color="tab:purple")
    hist.set_xlabel("residual (prediction - label)")
    hist.set_ylabel("samples")
    hist.set_title("Residuals")
    return _save(fig, path)


def _displayable(image):
    """An image scaled to [0, 1]: [H, W] grey or [H, W, 3|4] colour."""
    image = np.asarray(image, np.float64)
    if image.ndim == 3 and image.shape[-1] not in (3, 4):
        image = image[..., 0]  # grey, or channels matplotlib cannot show: the first one
    low, high = image.min(), image.max()
    return (image - low) / (high - low) if high > low else np.zeros_like(image)


def _save(fig, path):
    fig.savefig(path, format="png")
    return path
