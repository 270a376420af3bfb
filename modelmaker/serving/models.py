"""Provides `Models`: the served models by name, each a `ModelVersions` with its own reloads.

One model comes from --model_base_path; several from --model_config_file (config.py).
Both APIs (REST and gRPC) look models up here, so they serve the same loaded versions.
"""

import contextlib

from modelmaker.serving import versions as versions_lib
from modelmaker.serving.errors import BadRequest, NotFound


class Models:
    """The served models; thread-safe for lookups (the set of names is fixed at start).

    Args:
      served: `ModelVersions`, one per model name.
      labels: {model name: {version label: version}} from the config file.
    """

    def __init__(self, served, labels=None):
        self._by_name = {v.name: v for v in served}
        self.labels = {name: dict(found) for name, found in (labels or {}).items()}

    @classmethod
    def from_specs(cls, specs, *, max_load_retries=5, log=None):
        """`Models` for the `config.ModelSpec`s (nothing loaded until `poll`)."""
        served = [versions_lib.ModelVersions(
            name=s.name, base_path=s.base_path, num_versions=s.num_versions,
            specific=s.versions, max_load_retries=max_load_retries, log=log) for s in specs]
        return cls(served, {s.name: s.labels for s in specs})

    def __iter__(self):
        return iter(self._by_name.values())

    @property
    def names(self):
        return sorted(self._by_name)

    def resolve(self, name, version=None, label=None):
        """(ModelVersions, version or None) for a request's model spec.

        Raises:
          NotFound: no model of that name ("Servable not found", as TF Serving).
          BadRequest: an unknown version label.
        """
        versions = self._by_name.get(name)
        if versions is None:
            wanted = f"Specific({name}, {version})" if version is not None else f"Latest({name})"
            raise NotFound(f"Servable not found for request: {wanted}")
        if label:
            found = self.labels.get(name, {}).get(label)
            if found is None:
                raise BadRequest(f"Unrecognized servable version label: {label}")
            version = found
        return versions, version

    @contextlib.contextmanager
    def lease(self, name, version=None, label=None):
        """Yields the `LoadedModel` a request names (see `ModelVersions.lease`)."""
        versions, version = self.resolve(name, version, label)
        with versions.lease(version) as model:
            yield model

    def states(self, name, version=None):
        """The `VersionState`s of model `name` (GetModelStatus).

        Raises:
          NotFound: unknown model or version (TF Serving's texts).
        """
        versions = self._by_name.get(name)
        if versions is None:
            if version is not None:
                raise NotFound(f"Could not find version {version} of model {name}")
            raise NotFound(f"Could not find any versions of model {name}")
        return versions.states(version)

    def poll(self):
        """Polls every model once; returns {name: served versions}."""
        return {v.name: v.poll() for v in self}

    def close(self):
        """Unloads every version of every model."""
        for versions in self:
            versions.close()
