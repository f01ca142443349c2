"""The bridge over TLS with a self-signed certificate made for the test."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from quantlib.broker.bridge.cli import tls_context
from quantlib.broker.bridge.client import BridgeBroker
from quantlib.broker.errors import BrokerUnavailableError
from quantlib.broker.events import ConnectionState, EventQueue
from tests.integration.broker.harness import START_CASH
from tests.integration.broker.test_contract_bridge import BridgeHarness, venue_harness


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bridge test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "bridge.crt", directory / "bridge.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path)


@pytest.fixture
def harness(tmp_path: Path, certificate: tuple[Path, Path]) -> Iterator[BridgeHarness]:
    context: ssl.SSLContext = tls_context(*certificate)
    harness = BridgeHarness(venue_harness(tmp_path), ssl_context=context)
    yield harness
    harness.close()


def test_client_trusting_the_certificate_connects_and_queries_over_tls(
    harness: BridgeHarness, certificate: tuple[Path, Path]
) -> None:
    events = EventQueue()
    client = BridgeBroker(harness.config(ca_file=certificate[0]), events=events)
    client.connect()
    try:
        assert harness.url.startswith("https://")
        assert client.state is ConnectionState.CONNECTED
        account = client.query_account()
        assert account is not None and account.total_asset >= START_CASH
    finally:
        client.disconnect()


def test_client_refuses_a_certificate_it_does_not_trust(harness: BridgeHarness) -> None:
    client = BridgeBroker(harness.config(), events=EventQueue())
    with pytest.raises(BrokerUnavailableError, match=r"(?i)certificate"):
        client.connect()
    assert client.state is ConnectionState.FAILED


def test_plain_http_client_cannot_talk_to_a_tls_server(harness: BridgeHarness) -> None:
    client = BridgeBroker(
        harness.config(url=harness.url.replace("https", "http")), events=EventQueue()
    )
    with pytest.raises(BrokerUnavailableError):
        client.connect()
