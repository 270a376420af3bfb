"""Provides the request errors of the serving API and their TF-Serving HTTP status codes.

A `ServingError` is a problem with one request (or with the model it names). The server
answers it as `{"error": message}` with `http_status`; `modelmaker predict` prints the
message and exits 2, like every other `ModelmakerError`. The codes follow TF Serving's
`ToHTTPStatusCode` (tensorflow_serving/model_servers/http_server.cc).
"""

from modelmaker.errors import ModelmakerError

# TensorFlow error code name -> HTTP status, as TF Serving maps them.
HTTP_STATUS = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
}


class ServingError(ModelmakerError):
    """A request the model server cannot answer; `code` is the TensorFlow error code name."""

    code = "UNKNOWN"

    @property
    def http_status(self):
        return HTTP_STATUS[self.code]


class BadRequest(ServingError):
    """The request is malformed or does not fit the signature (HTTP 400)."""

    code = "INVALID_ARGUMENT"


class NotFound(ServingError):
    """The model or version the request names is not being served (HTTP 404)."""

    code = "NOT_FOUND"


class Unimplemented(ServingError):
    """The request needs a tensor type or signature kind the JSON API cannot carry (HTTP 501)."""

    code = "UNIMPLEMENTED"


class Unavailable(ServingError):
    """The server cannot take the request now: the batching queue is full (HTTP 503)."""

    code = "UNAVAILABLE"


class TooLarge(ServingError):
    """The request body is over the server's size limit (HTTP 413)."""

    code = "RESOURCE_EXHAUSTED"

    @property
    def http_status(self):
        return 413  # the HTTP layer's answer; TF Serving's own limit is its gRPC message size


class ModelError(ServingError):
    """TensorFlow failed while running the model; `code` is the TensorFlow error's code."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code if code in HTTP_STATUS else "UNKNOWN"


def from_tf_error(error):
    """The `ServingError` for a `tf.errors.OpError` raised by `Session.run`."""
    from tensorflow.core.protobuf import error_codes_pb2
    try:
        code = error_codes_pb2.Code.Name(error.error_code)
    except ValueError:
        code = "UNKNOWN"
    text = error.message.strip()
    return ModelError(text.splitlines()[0] if text else type(error).__name__, code)
