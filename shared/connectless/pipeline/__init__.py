"""Record pipelines: converters, transforms and `errors.*` joined, one for each side of a connector."""

from connectless.pipeline.raw import RawRecord

__all__ = ["RawRecord"]
