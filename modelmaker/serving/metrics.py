"""Provides `Metrics`: the server's Prometheus metrics, served as TF Serving serves them.

Enabled by --monitoring_config_file with `prometheus_config { enable: true }`; the text
format is written by prometheus_client at the configured path (TF Serving's default
/monitoring/prometheus/metrics) on the REST port. Series:

  :tensorflow:serving:request_count{model_name,status}             TF Serving's name
  :tensorflow:serving:request_latency_*{model_name,API,entrypoint} TF Serving's, microseconds
  modelmaker_serving_requests_total{model_name,signature_name,api,entrypoint,status}
  modelmaker_serving_request_latency_seconds_*{model_name,signature_name,api,entrypoint,status}
  modelmaker_serving_batch_size_*{model_name,signature_name}       instances per batched run
  modelmaker_serving_model_versions{model_name,version,state}      1 per known version
"""

import contextlib
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from modelmaker.serving.errors import ServingError

CONTENT_TYPE = CONTENT_TYPE_LATEST
# TF Serving's request_latency buckets: 10 us * 1.8^i, 33 of them.
_TF_LATENCY_US = tuple(10 * 1.8 ** i for i in range(33))
_LATENCY_S = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)
_BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class Tracked:
    """One request being measured; the handler sets `signature` once it knows it."""

    __slots__ = ("signature",)

    def __init__(self):
        self.signature = ""


class Metrics:
    """The metrics of one server.

    Args:
      models: the `Models` whose version states are reported at each scrape.
    """

    def __init__(self, models):
        self.registry = CollectorRegistry()
        r = self.registry
        # A gauge keeps TF Serving's series name (prometheus_client appends _total to
        # counters), so dashboards written for TF Serving find it; it only ever grows.
        self._tf_count = Gauge(":tensorflow:serving:request_count",
                               "The total number of requests.", ["model_name", "status"],
                               registry=r)
        self._tf_latency = Histogram(":tensorflow:serving:request_latency",
                                     "Distribution of wall time (in microseconds) for "
                                     "Tensorflow Serving request.",
                                     ["model_name", "API", "entrypoint"],
                                     buckets=_TF_LATENCY_US, registry=r)
        labels = ["model_name", "signature_name", "api", "entrypoint", "status"]
        self._count = Counter("modelmaker_serving_requests", "Requests answered.", labels,
                              registry=r)
        self._latency = Histogram("modelmaker_serving_request_latency_seconds",
                                  "Wall time from request to answer.", labels,
                                  buckets=_LATENCY_S, registry=r)
        self._batch = Histogram("modelmaker_serving_batch_size",
                                "Instances per batched model run (padding included).",
                                ["model_name", "signature_name"], buckets=_BATCH_SIZES,
                                registry=r)
        r.register(_VersionsCollector(models))

    @contextlib.contextmanager
    def track(self, model_name, api, entrypoint):
        """Measures one request: yields a `Tracked`; the status comes from the exception.

        Args:
          api: TF Serving's API name: "predict", "classify", "regress", "GetModelMetadata",
            "GetModelStatus".
          entrypoint: "REST" or "GRPC".
        """
        tracked, start, status = Tracked(), time.perf_counter(), "OK"
        try:
            yield tracked
        except ServingError as e:
            status = e.code
            raise
        except BaseException:
            status = "INTERNAL"
            raise
        finally:
            seconds = time.perf_counter() - start
            self._tf_count.labels(model_name, status).inc()
            self._tf_latency.labels(model_name, api, entrypoint).observe(seconds * 1e6)
            labels = (model_name, tracked.signature, api, entrypoint, status)
            self._count.labels(*labels).inc()
            self._latency.labels(*labels).observe(seconds)

    def batch(self, model_name, signature_name, size):
        """Records one batched run of `size` instances."""
        self._batch.labels(model_name, signature_name).observe(size)

    def text(self):
        """The Prometheus text exposition (bytes)."""
        return generate_latest(self.registry)


class NoMetrics:
    """The stand-in when metrics are off: measuring costs nothing."""

    _NULL = contextlib.nullcontext(Tracked())

    def track(self, model_name, api, entrypoint):
        return self._NULL

    def batch(self, model_name, signature_name, size):
        pass


class _VersionsCollector:
    """modelmaker_serving_model_versions, read from the models at each scrape."""

    def __init__(self, models):
        self._models = models

    def collect(self):
        family = GaugeMetricFamily("modelmaker_serving_model_versions",
                                   "1 for each version of each model, by its state.",
                                   labels=["model_name", "version", "state"])
        for versions in self._models:
            try:
                states = versions.states()
            except ServingError:  # no version found yet
                states = []
            for s in states:
                family.add_metric([versions.name, str(s.version), s.state], 1)
        yield family
