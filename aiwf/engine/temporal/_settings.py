"""How aiwf reaches Temporal and how it sizes the work it gives it.

Every value comes from the command line first, then from Temporal's own environment
variables (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``,
``TEMPORAL_TLS``, ``TEMPORAL_TLS_CERT_PATH`` ...), then from the project config's
``[engine]`` table, then from the defaults below. This module imports nothing of temporalio.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from aiwf._errors import AiwfError

#: The task queue aiwf's workers poll unless told otherwise.
DEFAULT_TASK_QUEUE = "aiwf"
#: Temporal's environment variables, by setting.
ENVIRONMENT = {
    "address": "TEMPORAL_ADDRESS",
    "namespace": "TEMPORAL_NAMESPACE",
    "api_key": "TEMPORAL_API_KEY",
    "tls": "TEMPORAL_TLS",
    "tls_cert_path": "TEMPORAL_TLS_CERT_PATH",
    "tls_key_path": "TEMPORAL_TLS_KEY_PATH",
    "tls_ca_path": "TEMPORAL_TLS_CA_PATH",
    "tls_server_name": "TEMPORAL_TLS_SERVER_NAME",
}
#: Config keys holding paths (relative to the config file's directory).
_PATHS = ("tls_cert_path", "tls_key_path", "tls_ca_path")


@dataclass(frozen=True)
class TemporalSettings:
    """The Temporal connection, the task queue, and the limits aiwf keeps to.

    Attributes:
        address: the frontend, ``HOST:PORT``.
        namespace: the Temporal namespace.
        task_queue: the task queue workers poll and runs are started on.
        tls: connect with TLS (implied by a client certificate or an API key).
        tls_cert_path, tls_key_path: the client certificate and key (mTLS).
        tls_ca_path: a CA certificate to trust for the server.
        tls_server_name: the server name to check the certificate against.
        api_key: the Temporal API key (Temporal Cloud); never written anywhere.
        heartbeat_timeout: seconds without a heartbeat after which a model call counts as
            lost (its worker died) and is retried on another worker.
        payload_threshold: bytes above which a payload travels as a reference into the
            artifact store instead of inside Temporal's history.
        scatter_inline_items: a scatter with more items to call than this runs in child
            workflows instead of the run's own history.
        scatter_batch_items: items one child workflow's history holds before it continues
            as new.
        sticky_timeout: seconds a workflow task waits for the worker that cached the run
            before another worker takes it (a worker's failover time).
        max_concurrent_activities: model calls one worker makes at once.
        sandbox: run the interpreter in Temporal's workflow sandbox, which refuses
            non-deterministic calls (for work on the interpreter; it costs about 1.7 times
            the worker's CPU per call).
    """

    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    tls: bool = False
    tls_cert_path: str | None = None
    tls_key_path: str | None = None
    tls_ca_path: str | None = None
    tls_server_name: str | None = None
    api_key: str | None = field(default=None, repr=False)
    heartbeat_timeout: float = 30.0
    payload_threshold: int = 16 * 1024
    scatter_inline_items: int = 500
    scatter_batch_items: int = 1000
    sticky_timeout: float = 10.0
    max_concurrent_activities: int = 200
    sandbox: bool = False

    @property
    def uses_tls(self) -> bool:
        """Whether the connection uses TLS."""
        return bool(self.tls or self.tls_cert_path or self.api_key)

    def public(self) -> dict[str, Any]:
        """The settings a run's manifest records (no key)."""
        return {"address": self.address, "namespace": self.namespace, "task_queue": self.task_queue}

    @classmethod
    def resolve(
        cls,
        given: Mapping[str, Any],
        config: Mapping[str, Any],
        *,
        root: Path,
        environ: Mapping[str, str] | None = None,
    ) -> TemporalSettings:
        """Settings from the command line (``given``, ``None`` meaning not given), the
        environment and the project config's ``[engine]`` table (paths relative to ``root``)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        names = {f.name for f in fields(cls)}
        for name in names:
            if given.get(name) is not None:
                values[name] = given[name]
            elif name in ENVIRONMENT and env.get(ENVIRONMENT[name]):
                values[name] = env[ENVIRONMENT[name]]
            elif name in config:
                value = config[name]
                values[name] = str(root / value) if name in _PATHS else value
        if "api_key" not in values and config.get("api_key_env"):
            key = env.get(str(config["api_key_env"]))
            if not key:
                raise AiwfError(
                    f"no Temporal API key: set ${config['api_key_env']}",
                    code="E520",
                    hint="[engine] api_key_env names the variable holding the key",
                )
            values["api_key"] = key
        for flag in ("tls", "sandbox"):
            if isinstance(values.get(flag), str):
                values[flag] = values[flag].strip().lower() in ("1", "true", "yes", "on")
        settings = replace(cls(), **values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`AiwfError` for settings that cannot work."""
        host, _, port = self.address.rpartition(":")
        if not host or not port.isdigit():
            raise AiwfError(
                f"the Temporal address {self.address!r} is not HOST:PORT",
                code="E520",
                hint="for example --temporal 127.0.0.1:7233",
                exit_code=2,
            )
        for name in ("heartbeat_timeout", "sticky_timeout"):
            if float(getattr(self, name)) <= 0:
                raise AiwfError(f"{name} must be positive", code="E520", exit_code=2)
        for name in (
            "payload_threshold",
            "scatter_inline_items",
            "scatter_batch_items",
            "max_concurrent_activities",
        ):
            if int(getattr(self, name)) < 1:
                raise AiwfError(f"{name} must be at least 1", code="E520", exit_code=2)
