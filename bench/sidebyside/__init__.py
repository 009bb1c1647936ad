"""Apache Kafka Connect and Connectless side by side (issue 8); `bench/run.py` is the entry point."""
