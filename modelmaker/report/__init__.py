"""The evaluation report: `modelmaker evaluate` and `modelmaker train --report`.

Per split it writes, under `<train_url>/analysis/<split>/` (or `--output`):

    model_analysis_results.json   overall and per-class metrics, confusion matrix (ModelArts' name)
    all_samples.json              one record per sample: name, label, prediction, confidence
    tmp_model_analysis.npz        the raw arrays under ModelArts' names (pred_list, label_list, ...)
    *.png, report.html            figures and one self-contained page a person reads

Modules: `collect` runs the model (TensorFlow), `select` finds labels and predictions in
its outputs, `analysis` computes the numbers (NumPy only), `events` reads the TensorBoard
curves, `figures` draws them (matplotlib), `files` and `html` write them, and `evaluate`
ties the steps together. Nothing is imported here, so `modelmaker --help` stays fast.
"""
