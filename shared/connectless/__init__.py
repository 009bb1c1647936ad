"""Connectless: Apache Kafka Connect's model, serverless on AWS."""

from connectless.connector import VERSION as __version__

__all__ = ["__version__"]
