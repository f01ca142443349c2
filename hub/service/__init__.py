"""The platform service: the REST API the hub runs under ``/services/quant/``."""
