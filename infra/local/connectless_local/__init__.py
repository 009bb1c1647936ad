"""Local runtime glue of Connectless: the embedded Apache Kafka, moto wiring, the local runtime.

Nothing here ships in the Lambda layer; it is what tests, the demo and `connectless local` start.
"""

from __future__ import annotations
