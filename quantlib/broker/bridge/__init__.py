"""The QMT bridge: a broker served over HTTP + WebSocket, and the broker that uses it.

MiniQMT and xtquant run only on Windows. The bridge server
(:mod:`quantlib.broker.bridge.server`) runs beside them and serves any broker opened
with :func:`~quantlib.broker.registry.open_broker` (normally ``qmt``); the ``qmt-bridge``
broker (:class:`~quantlib.broker.bridge.client.BridgeBroker`) speaks to it from another
host and behaves like the broker it fronts: the same events, and the same queries
(``None`` still means *unknown*). The wire format is in :mod:`quantlib.broker.bridge.wire`
and ``docs/bridge.md``.
"""
