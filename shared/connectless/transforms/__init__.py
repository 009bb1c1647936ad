"""Single message transforms (SMTs) and predicates, Kafka Connect's built-ins and the chain that runs them.

Importing this package registers every built-in under its Kafka class name
(`org.apache.kafka.connect.transforms.InsertField$Value`) and short alias (`InsertField$Value`).
"""

from connectless.transforms.base import (
    KeyOperand,
    OperandRewrite,
    OperandTransformation,
    Predicate,
    Transformation,
    ValueOperand,
)
from connectless.transforms.cast import Cast, CastKey, CastValue
from connectless.transforms.chain import ChainStage, Executor, TransformationChain
from connectless.transforms.drop_headers import DropHeaders
from connectless.transforms.extract_field import ExtractField, ExtractFieldKey, ExtractFieldValue
from connectless.transforms.field_path import FieldSyntaxVersion, SingleFieldPath
from connectless.transforms.filter import Filter
from connectless.transforms.flatten import Flatten, FlattenKey, FlattenValue
from connectless.transforms.header_from import HeaderFrom, HeaderFromKey, HeaderFromValue
from connectless.transforms.hoist_field import HoistField, HoistFieldKey, HoistFieldValue
from connectless.transforms.insert_field import InsertField, InsertFieldKey, InsertFieldValue
from connectless.transforms.insert_header import InsertHeader
from connectless.transforms.mask_field import MaskField, MaskFieldKey, MaskFieldValue
from connectless.transforms.predicates import HasHeaderKey, RecordIsTombstone, TopicNameMatches
from connectless.transforms.regex_router import RegexRouter
from connectless.transforms.replace_field import ReplaceField, ReplaceFieldKey, ReplaceFieldValue
from connectless.transforms.set_schema_metadata import (
    SetSchemaMetadata,
    SetSchemaMetadataKey,
    SetSchemaMetadataValue,
)
from connectless.transforms.timestamp_converter import (
    TimestampConverter,
    TimestampConverterKey,
    TimestampConverterValue,
)
from connectless.transforms.timestamp_router import TimestampRouter
from connectless.transforms.value_to_key import ValueToKey

__all__ = [
    "Cast",
    "CastKey",
    "CastValue",
    "ChainStage",
    "DropHeaders",
    "Executor",
    "ExtractField",
    "ExtractFieldKey",
    "ExtractFieldValue",
    "FieldSyntaxVersion",
    "Filter",
    "Flatten",
    "FlattenKey",
    "FlattenValue",
    "HasHeaderKey",
    "HeaderFrom",
    "HeaderFromKey",
    "HeaderFromValue",
    "HoistField",
    "HoistFieldKey",
    "HoistFieldValue",
    "InsertField",
    "InsertFieldKey",
    "InsertFieldValue",
    "InsertHeader",
    "KeyOperand",
    "MaskField",
    "MaskFieldKey",
    "MaskFieldValue",
    "OperandRewrite",
    "OperandTransformation",
    "Predicate",
    "RecordIsTombstone",
    "RegexRouter",
    "ReplaceField",
    "ReplaceFieldKey",
    "ReplaceFieldValue",
    "SetSchemaMetadata",
    "SetSchemaMetadataKey",
    "SetSchemaMetadataValue",
    "SingleFieldPath",
    "TimestampConverter",
    "TimestampConverterKey",
    "TimestampConverterValue",
    "TimestampRouter",
    "TopicNameMatches",
    "Transformation",
    "TransformationChain",
    "ValueOperand",
    "ValueToKey",
]
