"""Provides the URL scheme table and the one reader of the storage environment.

`--data_url` / `--train_url` are local paths or `s3://`, `obs://`, `ks3://` (S3-compatible)
or `gs://` URLs. Endpoints and credentials come from the standard AWS places (environment,
`~/.aws/credentials`, `~/.aws/config`, `AWS_PROFILE`), which botocore reads itself, plus
per-scheme overrides (`OBS_ENDPOINT_URL`, `KS3_ACCESS_KEY_ID`, ...) read here, once.
"""

import dataclasses
import os
import re
import tempfile
from typing import Mapping, Optional

from modelmaker.errors import DataError


@dataclasses.dataclass(frozen=True)
class Scheme:
    """How one URL scheme is reached."""

    backend: str                    # "s3fs" (S3 API through fsspec) or "gfile" (TensorFlow's own)
    prefix: Optional[str] = None    # per-scheme variables: <PREFIX>_ENDPOINT_URL, _ACCESS_KEY_ID, ...
    needs_endpoint: bool = False    # no public default endpoint: one must be configured
    example_endpoint: str = ""


# Literal table: these keys are the schemes named in every error message.
SCHEMES = {
    "s3": Scheme("s3fs", prefix="S3"),
    "obs": Scheme("s3fs", prefix="OBS", needs_endpoint=True,
                  example_endpoint="https://obs.cn-north-4.myhuaweicloud.com"),
    "ks3": Scheme("s3fs", prefix="KS3", needs_endpoint=True,
                  example_endpoint="https://ks3-cn-beijing.ksyuncs.com"),
    # gcsfs needs protobuf >= 6 (TensorFlow 2.15 needs < 5): gs:// goes through tf.io.gfile.
    "gs": Scheme("gfile"),
}

# botocore >= 1.36 sends CRC checksums that OBS, MinIO and other S3-compatible stores reject.
CHECKSUM_VARS = {"AWS_REQUEST_CHECKSUM_CALCULATION": "request_checksum_calculation",
                 "AWS_RESPONSE_CHECKSUM_VALIDATION": "response_checksum_validation"}
_STANDARD_ENDPOINT_VARS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")


@dataclasses.dataclass(frozen=True)
class Location:
    """A parsed remote URL: `scheme://bucket/key` (key without leading or trailing '/')."""

    scheme: str
    bucket: str
    key: str

    @property
    def url(self):
        return f"{self.scheme}://{self.bucket}/{self.key}".rstrip("/")

    @property
    def path(self):
        """`bucket/key`: the scheme-less path the S3 filesystem takes."""
        return f"{self.bucket}/{self.key}".rstrip("/")

    def join(self, *parts):
        """The Location of `parts` below this one."""
        key = "/".join(p.strip("/") for p in (self.key, *parts) if p.strip("/"))
        return Location(self.scheme, self.bucket, key)


@dataclasses.dataclass(frozen=True)
class Access:
    """How to reach one scheme: endpoint, credentials and client options. Never printed."""

    endpoint_url: Optional[str]
    endpoint_source: str
    key: Optional[str] = dataclasses.field(default=None, repr=False)
    secret: Optional[str] = dataclasses.field(default=None, repr=False)
    token: Optional[str] = dataclasses.field(default=None, repr=False)
    credentials_source: str = "the standard AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " \
                              "AWS_PROFILE, ~/.aws/credentials)"
    region: Optional[str] = None
    client_config: Mapping = dataclasses.field(default_factory=dict)


def is_remote(url):
    """True for `scheme://` URLs; local paths and None are not remote."""
    return url is not None and "://" in os.fspath(url)


def parse(url, *, flag):
    """Parses a remote URL into a Location.

    Args:
      url: `scheme://bucket/key`.
      flag: the flag it came from (`--data_url`), for messages.

    Raises:
      DataError: unknown scheme, missing or malformed bucket, or credentials in the URL.
    """
    scheme, _, rest = os.fspath(url).partition("://")
    if scheme not in SCHEMES:
        raise DataError(f"{flag} {url!r} uses the unknown scheme {scheme!r}. Use a local path or "
                        f"one of {', '.join(s + '://' for s in SCHEMES)}.")
    bucket, _, key = rest.partition("/")
    if "@" in bucket:
        raise DataError(f"{flag} {scheme}://<hidden>@... holds credentials in the URL. Remove them "
                        "and set them in the environment or ~/.aws/credentials instead.")
    if not _BUCKET.match(bucket) or (scheme != "gs" and "_" in bucket):
        raise DataError(f"{flag} {url!r} has no valid bucket name ({bucket!r}): bucket names are "
                        f"3-63 lowercase letters, digits, '.' or '-'. Example: {scheme}://my-bucket/mnist.")
    return Location(scheme, bucket, key.strip("/"))


@dataclasses.dataclass(frozen=True)
class Settings:
    """The storage-related environment (`from_environ`, called by `modelmaker.environment`)."""

    env: Mapping = dataclasses.field(repr=False)

    def access(self, scheme):
        """The Access for `scheme`: per-scheme overrides, else the standard AWS chain.

        Raises:
          DataError: a scheme without a public endpoint (obs, ks3) and none configured.
        """
        spec = SCHEMES[scheme]
        env = self.env
        own = f"{spec.prefix}_ENDPOINT_URL" if spec.prefix else None
        source = next((var for var in ((own,) if own else ()) + _STANDARD_ENDPOINT_VARS
                       if env.get(var)), None)
        # Only the scheme's own variable is passed on; botocore reads AWS_* itself.
        endpoint = env[own] if source == own and own else None
        if spec.needs_endpoint and source is None:
            raise DataError(
                f"{scheme}:// needs an endpoint and none is set. Set {own} (e.g. "
                f"{own}={spec.example_endpoint}) or AWS_ENDPOINT_URL.")
        key, secret = (env.get(f"{spec.prefix}_ACCESS_KEY_ID"),
                       env.get(f"{spec.prefix}_SECRET_ACCESS_KEY")) if spec.prefix else (None, None)
        kwargs = {}
        if key and secret:
            kwargs = {"key": key, "secret": secret, "token": env.get(f"{spec.prefix}_SESSION_TOKEN"),
                      "credentials_source": f"{spec.prefix}_ACCESS_KEY_ID/{spec.prefix}_SECRET_ACCESS_KEY"}
        elif key or secret:
            raise DataError(f"only one of {spec.prefix}_ACCESS_KEY_ID and {spec.prefix}_SECRET_ACCESS_KEY "
                            "is set. Set both, or neither to use the standard AWS credentials.")
        region = env.get(f"{spec.prefix}_REGION") if spec.prefix else None
        # An empty checksum variable is an error in botocore: treat it as unset.
        config = {name: "when_required" for var, name in CHECKSUM_VARS.items() if not env.get(var)}
        return Access(endpoint_url=endpoint, endpoint_source=source or "botocore's default (AWS)",
                      region=region, client_config=config, **kwargs)

    def cache_root(self, cache_dir=None):
        """The cache folder, created if needed: `cache_dir`, else MODELMAKER_CACHE_DIR, else
        /cache/modelmaker when /cache is writable (as on ModelArts), else `<tmp>/modelmaker-cache`.

        Raises:
          DataError: the folder cannot be created or written.
        """
        chosen = cache_dir or self.env.get("MODELMAKER_CACHE_DIR")
        if chosen:
            root, source = os.path.abspath(os.fspath(chosen)), ("--cache_dir" if cache_dir
                                                               else "MODELMAKER_CACHE_DIR")
        elif os.path.isdir("/cache") and os.access("/cache", os.W_OK):
            root, source = "/cache/modelmaker", "the default"
        else:
            root, source = os.path.join(tempfile.gettempdir(), "modelmaker-cache"), "the default"
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as e:
            raise DataError(f"the cache folder {root!r} (from {source}) cannot be created "
                            f"({e.strerror}). Set --cache_dir or MODELMAKER_CACHE_DIR to a "
                            "writable folder.") from None
        if not os.access(root, os.W_OK):
            raise DataError(f"the cache folder {root!r} (from {source}) is not writable. Set "
                            "--cache_dir or MODELMAKER_CACHE_DIR to a writable folder.")
        return root


def _wanted(name):
    return (name.startswith(("AWS_", "MODELMAKER_CACHE_DIR"))
            or any(spec.prefix and name.startswith(spec.prefix + "_") for spec in SCHEMES.values()))


def from_environ(environ):
    """The storage Settings from the mapping `environ` (`modelmaker.environment` reads it)."""
    return Settings({k: v for k, v in environ.items() if _wanted(k)})
