"""Brokers: one interface over the paper broker, QMT (in-process and bridged) and PTrade.

:class:`~quantlib.broker.protocol.Broker` is what every broker offers; they are opened
by name (``paper``, ``qmt``, ``qmt-bridge``, ``ptrade``) with
:func:`~quantlib.broker.registry.open_broker` and report through typed events
(:mod:`quantlib.broker.events`).
"""
