"""A TensorFlow-Serving-compatible REST server and an in-process predict command.

    modelmaker serve --model_base_path <train_url>/export/model
    modelmaker predict --model <train_url>/export/model --input two.png

Modules: versions (discovery, hot reload), model (one version in a v1 Session), codec
(request JSON -> arrays), response (answers in TF Serving's JSON), examples
(:classify/:regress), hooks (preprocess/postprocess), service (the API's operations),
app (HTTP), server (`modelmaker serve`), rawinput + predict (`modelmaker predict`),
command (argv). See docs/serving.md.
"""
