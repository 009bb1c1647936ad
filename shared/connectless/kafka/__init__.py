"""Kafka client settings and admin helpers shared by every runtime."""

from connectless.kafka.admin import TopicSpec, ensure_topic
from connectless.kafka.settings import KafkaSettings

__all__ = ["KafkaSettings", "TopicSpec", "ensure_topic"]
