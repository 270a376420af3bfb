"""Provides `Service`: the REST API's operations on one model, independent of HTTP.

Each method takes the parts of a request (model name, version or None, body) and returns
the JSON response body, or raises a `ServingError` whose `http_status` and message make
the `{"error": ...}` answer. The order of checks follows TF Serving's handler: parse the
body, then find the model and version, then the signature, then convert the inputs.
"""

import threading

from modelmaker.serving import codec, examples, hooks as hooks_lib, response
from modelmaker.serving.errors import NotFound


class Service:
    """The operations of the REST API for the model held by `versions`.

    Args:
      versions: the `ModelVersions` being served.
      hooks: the `Hooks` for the raw endpoint; None: each version uses the hooks of the
        user module recorded with it (modelmaker_export.json).
      log: a callable taking one line of text.
    """

    def __init__(self, versions, hooks=None, log=None):
        self.versions = versions
        self.hooks = hooks
        self.log = log
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

    def _lease(self, name, version):
        if name != self.versions.name:
            wanted = f"Specific({name}, {version})" if version is not None else f"Latest({name})"
            raise NotFound(f"Servable not found for request: {wanted}")
        return self.versions.lease(version)

    def predict(self, name, version, body):
        """POST /v1/models/NAME[/versions/N]:predict."""
        doc = codec.parse(body)
        key = codec.signature_key(doc)
        with self._lease(name, version) as model:
            signature = model.signature(key)
            inputs, row = codec.predict_inputs(doc, signature.inputs)
            return response.predict_response(model.run(signature, inputs), row)

    def classify(self, name, version, body):
        """POST /v1/models/NAME[/versions/N]:classify."""
        return self._examples(name, version, body, "classify")

    def regress(self, name, version, body):
        """POST /v1/models/NAME[/versions/N]:regress."""
        return self._examples(name, version, body, "regress")

    def _examples(self, name, version, body, method):
        doc = codec.parse(body)
        key = codec.signature_key(doc)
        with self._lease(name, version) as model:
            return examples.run(model, model.signature(key), doc, method)

    def status(self, name, version):
        """GET /v1/models/NAME[/versions/N]."""
        if name != self.versions.name:
            if version is not None:
                raise NotFound(f"Could not find version {version} of model {name}")
            raise NotFound(f"Could not find any versions of model {name}")
        return response.status_body(self.versions.states(version))

    def metadata(self, name, version):
        """GET /v1/models/NAME[/versions/N]/metadata."""
        with self._lease(name, version) as model:
            return response.metadata_body(name, model.version, model.signature_defs)

    def predict_raw(self, name, version, body, *, filename="", signature_name=""):
        """POST /modelmaker/v1/models/NAME[/versions/N]:predict with a raw file as the body.

        The body goes through the user's preprocess, the model, and postprocess; the answer
        is `{"predictions": [<postprocess result>]}`.
        """
        with self._lease(name, version) as model:
            signature = model.signature(signature_name)
            hooks = self.hooks_for(model)
            item = hooks_lib.instance(hooks, body, filename, signature)
            outputs = model.run(signature, hooks_lib.batch([item], signature))
            results = [hooks_lib.finish(hooks, p) for p in hooks_lib.split(outputs)]
        return response.dumps({"predictions": results})
