"""Provides `write`: one self-contained report.html (figures inlined as base64 data URIs).

The page opens from anywhere (a browser, an object-store console, a mail attachment)
because it loads nothing else: no scripts, no external styles, no image files.
"""

import base64
import html
import os

PAGE = "report.html"
MAX_ROWS = 200  # per-class table rows; the JSON file has them all

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.key{display:flex;flex-wrap:wrap;gap:1em}.key div{border:1px solid #ccc;border-radius:6px;
padding:.6em 1em}.key b{display:block;font-size:1.6em}img{max-width:100%;margin:.5em 0 1.5em}
.low{background:#fde2e2}"""

# Headline numbers by task: (results key under `overall`, label shown).
_KEY_NUMBERS = {
    "classification": (("accuracy", "accuracy"), ("macro_f1", "macro F1"),
                       ("weighted_f1", "weighted F1"), ("top_5_accuracy", "top-5 accuracy"),
                       ("mean_confidence", "mean confidence")),
    "regression": (("mae", "MAE"), ("rmse", "RMSE"), ("r2", "R²"), ("mse", "MSE")),
}


def write(folder, *, results, figures, files):
    """Writes `<folder>/report.html`.

    Args:
      folder: the split's output folder.
      results: the dict written to model_analysis_results.json (analysis + `run` facts).
      figures: [(title, png path)] to show, in order.
      files: names of the other files in `folder`, linked at the end.

    Returns:
      The page's path.
    """
    run = results.get("run", {})
    title = f"Evaluation report: {run.get('split', '')} split"
    parts = [f"<h1>{_e(title)}</h1>", _facts(run, results), _key_numbers(results)]
    parts += [f"<h2>{_e(name)}</h2>\n<img alt='{_e(name)}' src='{_data_uri(path)}'>"
              for name, path in figures]
    if results["task"] == "classification":
        parts += [_per_class(results["per_class"]), _confused(results["most_confused"])]
    else:
        parts.append(_table("Residuals (prediction - label)", ("statistic", "value"),
                            [(k, _fmt(v)) for k, v in results["residuals"].items()]))
    parts.append("<h2>Files</h2><ul>" + "".join(
        f"<li><a href='{_e(name)}'>{_e(name)}</a></li>" for name in files) + "</ul>")
    page = (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{_e(title)}"
            f"</title><style>{_STYLE}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
    path = os.path.join(folder, PAGE)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def _facts(run, results):
    rows = [("task", results["task"]), ("samples", results["num_samples"])]
    rows += [(key.replace("_", " "), run[key]) for key in
             ("model_dir", "checkpoint", "global_step", "user_module", "prediction_key",
              "probability_key", "created") if run.get(key) is not None]
    if run.get("capped"):
        rows.append(("note", "reading stopped at report_max_samples; the input has more samples"))
    return _table(None, ("", ""), rows, header=False)


def _key_numbers(results):
    overall = results["overall"]
    cells = [f"<div>{_e(label)}<b>{_fmt(overall[key])}</b></div>"
             for key, label in _KEY_NUMBERS[results["task"]] if overall.get(key) is not None]
    return "<div class='key'>" + "".join(cells) + "</div>"


def _per_class(rows):
    shown = rows[:MAX_ROWS]
    body = []
    for r in shown:
        low = " class='low'" if r["support"] and r["f1"] < 0.5 else ""
        body.append(f"<tr{low}><td>{_e(r['name'])}</td><td>{_fmt(r['precision'])}</td>"
                    f"<td>{_fmt(r['recall'])}</td><td>{_fmt(r['f1'])}</td>"
                    f"<td>{r['support']}</td><td>{r['predicted']}</td></tr>")
    more = (f"<p>{len(rows) - MAX_ROWS} more classes in model_analysis_results.json.</p>"
            if len(rows) > MAX_ROWS else "")
    return ("<h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th>"
            "<th>F1</th><th>support</th><th>predicted</th></tr>" + "".join(body) + "</table>" + more)


def _confused(cells):
    if not cells:
        return "<h2>Most confused</h2><p>No mistakes.</p>"
    return _table("Most confused", ("true class", "predicted as", "count"),
                  [(c["label"], c["prediction"], c["count"]) for c in cells])


def _table(heading, columns, rows, header=True):
    head = f"<h2>{_e(heading)}</h2>" if heading else ""
    top = "<tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"{head}<table>{top}{body}</table>"


def _data_uri(path):
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")


def _fmt(value):
    if value is None:
        return "n/a"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _e(value):
    return html.escape(str(value), quote=True)
