"""Settings of the ``qmt-bridge`` broker (the client side of the bridge)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from quantlib.core.config import BaseConfig


class BridgeConfig(BaseConfig):
    """Where the bridge server is and how to reach it.

    Attributes
    ----------
    url
        The server's base URL, ``http://host:port`` or ``https://host:port``.
    token
        The bearer token the server was started with (never shown in ``repr`` or logs).
    ca_file
        PEM file of the certificate authority (or the self-signed certificate) to trust
        for ``https``; none: the system's trust store.
    verify
        Check the server's TLS certificate (turn off only on a trusted network).
    reconnect_interval
        Seconds between attempts to reconnect after the link drops.
    request_timeout
        Seconds to wait for an answer to a request.
    heartbeat
        Seconds between pings on the event stream; a silent server is taken as gone.

    Examples
    --------
    >>> config = BridgeConfig(url="http://10.0.0.5:8765/", token="t" * 32)
    >>> config.url, config.token
    ('http://10.0.0.5:8765', SecretStr('**********'))
    """

    url: str = Field(min_length=8)
    token: SecretStr = Field(min_length=16)
    ca_file: Path | None = None
    verify: bool = True
    reconnect_interval: float = Field(default=1.0, gt=0, le=300)
    request_timeout: float = Field(default=10.0, gt=0, le=600)
    heartbeat: float = Field(default=10.0, gt=0, le=600)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"bridge url must start with http:// or https://, got {value!r}")
        return value.rstrip("/")


__all__ = ["BridgeConfig"]
