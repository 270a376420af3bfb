"""A TensorFlow-Serving-compatible model server (REST and gRPC) and an in-process predict command.

    modelmaker serve --model_base_path <train_url>/export/model [--grpc_port 8500]
    modelmaker serve --model_config_file models.config --enable_batching
    modelmaker predict --model <train_url>/export/model --input two.png

Modules: versions (discovery, hot reload), models (several by name), config (TF Serving's
model, batching and monitoring files), model (one version in a v1 Session), codec
(request JSON -> arrays), response (answers in TF Serving's JSON), tensors + wire
(TensorProto <-> numpy, Predict's wire format), examples (:classify/:regress), hooks
(preprocess/postprocess), batching (request batching), metrics (Prometheus), service (the
APIs' operations), app (HTTP), grpc_api (gRPC), server (`modelmaker serve`), rawinput +
predict (`modelmaker predict`), command (argv). See docs/serving.md.
"""
