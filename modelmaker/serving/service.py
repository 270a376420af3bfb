"""Provides `Service`: the API's operations on the served models, independent of HTTP and gRPC.

Each REST method takes the parts of a request (model name, version or None, body) and
returns the JSON response body, or raises a `ServingError` whose `code` gives the HTTP
and gRPC status and whose message makes the `{"error": ...}` answer. The order of checks
follows TF Serving's handler: parse the body, then find the model and version, then the
signature, then convert the inputs. Every model run goes through `run`, which batches
concurrent requests when a `Batcher` is given.
"""

import threading

from modelmaker.serving import codec, examples, hooks as hooks_lib, models as models_lib
from modelmaker.serving import response, versions as versions_lib


class Service:
    """The operations of the serving APIs for the models in `models`.

    Args:
      models: the `Models` being served (or one `ModelVersions`).
      hooks: the `Hooks` for the raw endpoint; None: each version uses the hooks of the
        user module recorded with it (modelmaker_export.json).
      log: a callable taking one line of text.
      batcher: a `batching.Batcher` that runs concurrent requests as one batch; None:
        each request runs alone.
    """

    def __init__(self, models, hooks=None, log=None, batcher=None):
        if isinstance(models, versions_lib.ModelVersions):
            models = models_lib.Models([models])
        self.models = models
        self.hooks = hooks
        self.log = log
        self.batcher = batcher
        self._by_module = {}  # version folder -> Hooks
        self._lock = threading.Lock()

    def hooks_for(self, model):
        """The hooks for `model`: the explicit ones, else those of the user module kept with
        that version (imported once per version).

        Raises:
          UserModuleError: a hook of that module has the wrong arguments.
        """
        if self.hooks is not None:
            return self.hooks
        with self._lock:  # each version has its own copy of the module
            if model.path not in self._by_module:
                self._by_module[model.path] = hooks_lib.find(
                    marker=model.marker, version_dir=model.path, log=self.log)
            return self._by_module[model.path]

    def lease(self, name, version=None, label=None):
        """A context manager yielding the `LoadedModel` a request names.

        Raises:
          NotFound: no such model or version; BadRequest: an unknown version label.
        """
        return self.models.lease(name, version, label)

    def run(self, model, signature, inputs):
        """Runs `signature` of `model` on `inputs`, batched with other requests if enabled."""
        if self.batcher is None:
            return model.run(signature, inputs)
        return self.batcher.run(model, signature, inputs)

    def predict(self, name, version, body, tracked=None):
        """POST /v1/models/NAME[/versions/N]:predict; sets `tracked.signature` if given."""
        doc = codec.parse(body)
        key = codec.signature_key(doc)
        with self.lease(name, version) as model:
            signature = model.signature(key)
            if tracked is not None:
                tracked.signature = signature.key
            inputs, row = codec.predict_inputs(doc, signature.inputs)
            return response.predict_response(self.run(model, signature, inputs), row)

    def classify(self, name, version, body, tracked=None):
        """POST /v1/models/NAME[/versions/N]:classify."""
        return self._examples(name, version, body, "classify", tracked)

    def regress(self, name, version, body, tracked=None):
        """POST /v1/models/NAME[/versions/N]:regress."""
        return self._examples(name, version, body, "regress", tracked)

    def _examples(self, name, version, body, method, tracked):
        doc = codec.parse(body)
        key = codec.signature_key(doc)
        with self.lease(name, version) as model:
            signature = model.signature(key)
            if tracked is not None:
                tracked.signature = signature.key
            return examples.run(model, signature, doc, method, run=self.run)

    def status(self, name, version):
        """GET /v1/models/NAME[/versions/N]."""
        return response.status_body(self.models.states(name, version))

    def metadata(self, name, version):
        """GET /v1/models/NAME[/versions/N]/metadata."""
        with self.lease(name, version) as model:
            return response.metadata_body(name, model.version, model.signature_defs)

    def predict_raw(self, name, version, body, *, filename="", signature_name=""):
        """POST /modelmaker/v1/models/NAME[/versions/N]:predict with a raw file as the body.

        The body goes through the user's preprocess, the model, and postprocess; the answer
        is `{"predictions": [<postprocess result>]}`.
        """
        with self.lease(name, version) as model:
            signature = model.signature(signature_name)
            hooks = self.hooks_for(model)
            item = hooks_lib.instance(hooks, body, filename, signature)
            outputs = self.run(model, signature, hooks_lib.batch([item], signature))
            results = [hooks_lib.finish(hooks, p) for p in hooks_lib.split(outputs)]
        return response.dumps({"predictions": results})
