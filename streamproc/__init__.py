"""streamproc: Watchman Monitoring alerts → HaloPSA tickets, as a Kafka stream processor."""

__version__ = "0.1.0"
