"""Lambda's Kafka event-source mappings, emulated with AWS's rules at the AWS endpoint `local up` serves.

moto's Lambda has mappings for SQS, DynamoDB and Kinesis only. `install_in_moto()` extends its backend so that
CreateEventSourceMapping, GetEventSourceMapping, ListEventSourceMappings, UpdateEventSourceMapping and
DeleteEventSourceMapping also take Kafka sources (Amazon MSK with EventSourceArn and
AmazonManagedKafkaEventSourceConfig; self-managed with SelfManagedEventSource and
SelfManagedKafkaEventSourceConfig); any client of that moto server sees them, botocore checks each request's
shape, and every error comes back in AWS's shape (InvalidParameterValueException, ResourceConflictException,
ResourceInUseException, ResourceNotFoundException). With an endpoint that is not ours (`attach_to_client`), the
same store answers the Lambda clients `local up` makes, before their requests leave the process.

The rules, from AWS's Lambda API reference and developer guide (msk-esm-parameters, kafka-scaling-modes,
kafka-retry-configurations, kafka-on-failure-destination, with-msk consumer group ids):
- Topics: exactly one; StartingPosition required (TRIM_HORIZON, LATEST or AT_TIMESTAMP, the last with a
  StartingPositionTimestamp not in the future); Topics, StartingPosition, the event source and the
  ConsumerGroupId are set only on create;
- ConsumerGroupId (1 to 200 of [a-zA-Z0-9-/*:_+=.@]) unique among all Kafka mappings of the account and region;
  without one, the mapping's UUID is its group;
- one mapping per (event source, function, topic);
- BatchSize 1 to 10,000 (default 100); MaximumBatchingWindowInSeconds 0 to 300;
- the function (or its version or alias) exists;
- the error-handling controls exist only in provisioned mode: MaximumRetryAttempts, MaximumRecordAgeInSeconds,
  BisectBatchOnFunctionError, FunctionResponseTypes, a kafka:// on-failure destination and a
  SchemaRegistryConfig are refused without ProvisionedPollerConfig (MinimumPollers 1-200, MaximumPollers
  1-2,000, not under MinimumPollers; `{}` turns provisioned mode off). Values equal to the defaults (-1, false,
  none) are accepted either way;
- a kafka:// destination topic differs from the source topic;
- states: Create answers Creating, Update answers Updating (Enabling or Disabling when only Enabled changes),
  Delete answers Deleting; the pollers (the local runtime) complete each transition (`complete`) to Enabled,
  Disabled or gone. A mapping in transition refuses Update and Delete (ResourceInUseException), as AWS does.
AWS documents the group-uniqueness rule but not its error code: a duplicate group answers
ResourceConflictException, like a duplicate mapping.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from connectless.standalone.esm_emulator import MappingConfig

    Resolver = Callable[[str], str]

TRANSITIONAL: Final = frozenset({"Creating", "Enabling", "Disabling", "Updating", "Deleting"})
_GROUP_ID = re.compile(r"[a-zA-Z0-9\-/*:_+=.@]{1,200}")
_KAFKA_ARN = re.compile(r"arn:aws[a-zA-Z-]*:kafka:")
_NOT_FOR_KAFKA = ("ParallelizationFactor", "TumblingWindowInSeconds", "Queues", "ScalingConfig",
                  "DocumentDBEventSourceConfig")  # fmt: skip
# Provisioned-mode-only settings, each with the value that means "not set".
_PROVISIONED_ONLY: Final = {
    "MaximumRetryAttempts": -1,
    "MaximumRecordAgeInSeconds": -1,
    "BisectBatchOnFunctionError": False,
    "FunctionResponseTypes": [],
}
_CREATE_ONLY = ("Topics", "StartingPosition", "StartingPositionTimestamp", "EventSourceArn", "SelfManagedEventSource")
_UPDATABLE = ("BatchSize", "MaximumBatchingWindowInSeconds", "DestinationConfig", "MaximumRecordAgeInSeconds",
              "BisectBatchOnFunctionError", "MaximumRetryAttempts", "SourceAccessConfigurations",
              "FunctionResponseTypes", "FilterCriteria", "KMSKeyArn", "MetricsConfig", "LoggingConfig",
              "ProvisionedPollerConfig")  # fmt: skip


class MappingApiError(Exception):
    """An error as the Lambda API answers it: its code (x-amzn-errortype), message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _invalid(message: str) -> MappingApiError:
    return MappingApiError("InvalidParameterValueException", message)


def _not_found(uuid_: str) -> MappingApiError:
    return MappingApiError("ResourceNotFoundException", f"The resource you requested does not exist. (UUID {uuid_})",
                           404)  # fmt: skip


def is_kafka_request(request: dict[str, Any]) -> bool:
    """A Create request for a Kafka source: self-managed, or an MSK cluster ARN."""
    arn = str(request.get("EventSourceArn") or "")
    return "SelfManagedEventSource" in request or bool(_KAFKA_ARN.match(arn))


def _group_config_key(mapping: dict[str, Any]) -> str:
    return "AmazonManagedKafkaEventSourceConfig" if "EventSourceArn" in mapping else "SelfManagedKafkaEventSourceConfig"


def consumer_group_id(mapping: dict[str, Any]) -> str:
    return str((mapping.get(_group_config_key(mapping)) or {}).get("ConsumerGroupId") or "")


@dataclass
class _Mapping:
    config: dict[str, Any]  # what Get answers
    target: str  # the stable state the current transition ends in: Enabled, Disabled or "" (deleted)
    revision: int = 0


@dataclass
class KafkaEventSourceMappings:
    """The mappings of one account and region. Thread-safe; `listeners` run after each change (outside the lock),
    so the local runtime can apply a change as soon as it is made."""

    region: str = "us-east-1"
    account_id: str = "123456789012"
    listeners: list[Callable[[], None]] = field(default_factory=list)
    _mappings: dict[str, _Mapping] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- the API --------------------------------------------------------------------------------------------
    def create(self, request: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
        request = copy.deepcopy(request)
        function_arn = resolve(str(request.get("FunctionName") or ""))
        _check_source(request)
        _check_create_fields(request)
        mapping_uuid = str(uuid.uuid4())
        group_key = _group_config_key(request)
        group_config = dict(request.get(group_key) or {})
        group = str(group_config.get("ConsumerGroupId") or mapping_uuid)
        if not _GROUP_ID.fullmatch(group):
            raise _invalid(f"ConsumerGroupId {group!r} must be 1 to 200 characters of [a-zA-Z0-9-/*:_+=.@]")
        group_config["ConsumerGroupId"] = group
        config: dict[str, Any] = {
            "UUID": mapping_uuid,
            "StartingPosition": request["StartingPosition"],
            "BatchSize": request.get("BatchSize", 100),
            "FunctionArn": function_arn,
            "LastModified": time.time(),
            "State": "Creating",
            "StateTransitionReason": "USER_INITIATED",
            "Topics": list(request["Topics"]),
            group_key: group_config,
            "EventSourceMappingArn": f"arn:aws:lambda:{self.region}:{self.account_id}:event-source-mapping:"
                                     f"{mapping_uuid}",
        }  # fmt: skip
        for key in ("EventSourceArn", "SelfManagedEventSource", "StartingPositionTimestamp", *_UPDATABLE):
            if key in request and key != "BatchSize":
                config[key] = request[key]
        _check_settings(config)
        with self._lock:
            self._check_unique(config)
            self._mappings[mapping_uuid] = _Mapping(config, "Enabled" if request.get("Enabled", True) else "Disabled")
            answer = copy.deepcopy(config)
        self._changed()
        return answer

    def get(self, mapping_uuid: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._require(mapping_uuid).config)

    def list(self, function_arn: str | None = None, event_source_arn: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(m.config) for m in self._mappings.values()
                    if function_arn in (None, m.config["FunctionArn"])
                    and event_source_arn in (None, m.config.get("EventSourceArn"))]  # fmt: skip

    def update(self, mapping_uuid: str, changes: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
        changes = copy.deepcopy(changes)
        changes.pop("UUID", None)
        with self._lock:
            mapping = self._require(mapping_uuid)
            self._require_stable(mapping, "update")
            fixed = [k for k in _CREATE_ONLY if k in changes]
            if fixed:
                raise _invalid(f"{', '.join(fixed)} can be set only when the event source mapping is created")
            config = copy.deepcopy(mapping.config)
            if "FunctionName" in changes:
                config["FunctionArn"] = resolve(str(changes.pop("FunctionName")))
            group_key = _group_config_key(config)
            for key in ("AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig"):
                if key not in changes:
                    continue
                if key != group_key:
                    raise _invalid(f"{key} does not apply to this event source mapping")
                new = dict(changes.pop(key) or {})
                if "ConsumerGroupId" in new and new["ConsumerGroupId"] != config[key]["ConsumerGroupId"]:
                    raise _invalid("ConsumerGroupId cannot be updated after the event source mapping is created")
                config[key] = {**config[key], **new}
            _refuse_not_for_kafka(changes)
            enabled = changes.pop("Enabled", None)
            unknown = [k for k in changes if k not in _UPDATABLE]
            if unknown:
                raise _invalid(f"{', '.join(sorted(unknown))} cannot be updated on a Kafka event source mapping")
            config.update(changes)
            if config.get("ProvisionedPollerConfig") == {}:
                config.pop("ProvisionedPollerConfig")  # `{}` turns provisioned mode off
            _check_settings(config)
            current = mapping.config["State"]
            target = current if enabled is None else ("Enabled" if enabled else "Disabled")
            if changes or config != mapping.config:
                state = "Updating"
            elif target != current:
                state = "Enabling" if target == "Enabled" else "Disabling"
            else:
                state = current
            config["State"] = state
            config["LastModified"] = time.time()
            mapping.config, mapping.target = config, target
            mapping.revision += 1
            answer = copy.deepcopy(config)
        self._changed()
        return answer

    def delete(self, mapping_uuid: str) -> dict[str, Any]:
        with self._lock:
            mapping = self._require(mapping_uuid)
            self._require_stable(mapping, "delete")
            mapping.config["State"] = "Deleting"
            mapping.config["LastModified"] = time.time()
            mapping.target = ""
            mapping.revision += 1
            answer = copy.deepcopy(mapping.config)
        self._changed()
        return answer

    # -- the pollers' side ----------------------------------------------------------------------------------
    def target(self, mapping_uuid: str) -> tuple[str, int] | None:
        """(the state a transition ends in, the mapping's revision); None for an unknown mapping."""
        with self._lock:
            mapping = self._mappings.get(mapping_uuid)
            return None if mapping is None else (mapping.target, mapping.revision)

    def complete(self, mapping_uuid: str, revision: int) -> None:
        """The pollers applied the mapping as of `revision`: its transition ends (a later change keeps its own)."""
        with self._lock:
            mapping = self._mappings.get(mapping_uuid)
            if mapping is None or mapping.revision != revision or mapping.config["State"] not in TRANSITIONAL:
                return
            if not mapping.target:
                del self._mappings[mapping_uuid]
            else:
                mapping.config["State"] = mapping.target
                mapping.config["LastModified"] = time.time()
        self._changed()

    # -- helpers --------------------------------------------------------------------------------------------
    def _require(self, mapping_uuid: str) -> _Mapping:
        mapping = self._mappings.get(mapping_uuid)
        if mapping is None:
            raise _not_found(mapping_uuid)
        return mapping

    @staticmethod
    def _require_stable(mapping: _Mapping, verb: str) -> None:
        state = mapping.config["State"]
        if state in TRANSITIONAL:
            raise MappingApiError("ResourceInUseException",
                                  f"Cannot {verb} the event source mapping {mapping.config['UUID']}: it is {state}. "
                                  "Please try again later.")  # fmt: skip

    def _check_unique(self, config: dict[str, Any]) -> None:
        group = consumer_group_id(config)
        source = _source_key(config)
        for other in self._mappings.values():
            if consumer_group_id(other.config) == group:
                raise MappingApiError("ResourceConflictException",
                                      f"The consumer group ID {group!r} is already used by the event source mapping "
                                      f"{other.config['UUID']}: it must be unique among all Kafka event sources.",
                                      409)  # fmt: skip
            if (_source_key(other.config), other.config["FunctionArn"], other.config["Topics"]) == (
                source, config["FunctionArn"], config["Topics"]):  # fmt: skip
                raise MappingApiError("ResourceConflictException",
                                      f"An event source mapping with event source {source}, function "
                                      f"{config['FunctionArn']} and topics {config['Topics']} already exists. Please "
                                      f"update or delete the existing mapping with UUID {other.config['UUID']}",
                                      409)  # fmt: skip

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()


def _source_key(config: dict[str, Any]) -> str:
    if "EventSourceArn" in config:
        return str(config["EventSourceArn"])
    return json.dumps(config.get("SelfManagedEventSource"), sort_keys=True)


def _check_source(request: dict[str, Any]) -> None:
    msk, self_managed = "EventSourceArn" in request, "SelfManagedEventSource" in request
    if msk and self_managed:
        raise _invalid("Specify either EventSourceArn (Amazon MSK) or SelfManagedEventSource, not both")
    if self_managed:
        servers = ((request["SelfManagedEventSource"] or {}).get("Endpoints") or {}).get("KAFKA_BOOTSTRAP_SERVERS")
        if not servers:
            raise _invalid("SelfManagedEventSource needs Endpoints.KAFKA_BOOTSTRAP_SERVERS")
        if "AmazonManagedKafkaEventSourceConfig" in request:
            raise _invalid("AmazonManagedKafkaEventSourceConfig applies to Amazon MSK event sources only")
    elif "SelfManagedKafkaEventSourceConfig" in request:
        raise _invalid("SelfManagedKafkaEventSourceConfig applies to self-managed Apache Kafka event sources only")


def _refuse_not_for_kafka(request: dict[str, Any]) -> None:
    wrong = [k for k in _NOT_FOR_KAFKA if request.get(k) is not None]
    if wrong:
        raise _invalid(f"{', '.join(wrong)} do(es) not apply to Kafka event sources")


def _check_create_fields(request: dict[str, Any]) -> None:
    _refuse_not_for_kafka(request)
    topics = request.get("Topics")
    if not isinstance(topics, list) or len(topics) != 1:
        raise _invalid(f"Topics must name exactly one Kafka topic for each event source mapping, got {topics!r}")
    position = request.get("StartingPosition")
    if position is None:
        raise _invalid("StartingPosition is required for Kafka event sources (TRIM_HORIZON, LATEST or AT_TIMESTAMP)")
    if position not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
        raise _invalid(f"StartingPosition {position!r} is not one of TRIM_HORIZON, LATEST, AT_TIMESTAMP")
    stamp = request.get("StartingPositionTimestamp")
    if position == "AT_TIMESTAMP":
        if stamp is None:
            raise _invalid("StartingPositionTimestamp is required when StartingPosition is AT_TIMESTAMP")
        if float(stamp) > time.time() + 1:
            raise _invalid("StartingPositionTimestamp cannot be in the future")
    elif stamp is not None:
        raise _invalid("StartingPositionTimestamp is valid only when StartingPosition is AT_TIMESTAMP")
    batch = request.get("BatchSize", 100)
    if not isinstance(batch, int) or not 1 <= batch <= 10000:
        raise _invalid(f"BatchSize {batch!r} is outside 1 to 10000 for Kafka event sources")


def _provisioned(config: dict[str, Any]) -> bool:
    return bool(config.get("ProvisionedPollerConfig"))


def _check_settings(config: dict[str, Any]) -> None:
    """What must hold of a mapping after a create or an update."""
    batch = config.get("BatchSize")
    if not isinstance(batch, int) or not 1 <= batch <= 10000:
        raise _invalid(f"BatchSize {batch!r} is outside 1 to 10000 for Kafka event sources")
    window = config.get("MaximumBatchingWindowInSeconds")
    if window is not None and not 0 <= window <= 300:
        raise _invalid(f"MaximumBatchingWindowInSeconds {window} is outside 0 to 300")
    retries = config.get("MaximumRetryAttempts")
    if retries is not None and not -1 <= retries <= 10000:
        raise _invalid(f"MaximumRetryAttempts {retries} is outside -1 to 10000")
    age = config.get("MaximumRecordAgeInSeconds")
    if age is not None and age != -1 and not 60 <= age <= 604800:
        raise _invalid(f"MaximumRecordAgeInSeconds {age} must be -1 or between 60 and 604800")
    pollers = config.get("ProvisionedPollerConfig") or {}
    low, high = pollers.get("MinimumPollers", 1), pollers.get("MaximumPollers", 200)
    if not 1 <= low <= 200 or not 1 <= high <= 2000 or high < low:
        raise _invalid(f"ProvisionedPollerConfig {pollers}: MinimumPollers 1 to 200, MaximumPollers 1 to 2000 and "
                       "not under MinimumPollers")  # fmt: skip
    destination = str(((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") or "")
    if destination.startswith("kafka://") and destination.removeprefix("kafka://") in config.get("Topics", []):
        raise _invalid("The kafka:// on-failure destination cannot be a source topic of the event source mapping")
    if not _provisioned(config):
        needing = [k for k, unset in _PROVISIONED_ONLY.items() if config.get(k, unset) not in (unset, None)]
        if destination.startswith("kafka://"):
            needing.append("DestinationConfig (a kafka:// destination)")
        if (config.get(_group_config_key(config)) or {}).get("SchemaRegistryConfig"):
            needing.append("SchemaRegistryConfig")
        if needing:
            raise _invalid(f"{', '.join(needing)} require(s) provisioned mode for Kafka event sources: set "
                           "ProvisionedPollerConfig")  # fmt: skip


# -- moto: the same API at moto's endpoint ------------------------------------------------------------------
_STORES: dict[tuple[str, str], KafkaEventSourceMappings] = {}
_STORES_LOCK = threading.Lock()


def store_for(account_id: str, region: str) -> KafkaEventSourceMappings:
    with _STORES_LOCK:
        found = _STORES.get((account_id, region))
        if found is None:
            found = _STORES[(account_id, region)] = KafkaEventSourceMappings(region, account_id)
        return found


class _Answer:
    """What moto's Lambda responses expect of a mapping: `get_configuration()`."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.uuid = config["UUID"]

    def get_configuration(self) -> dict[str, Any]:
        return self.config


def _moto_error(error: MappingApiError) -> Exception:
    from moto.core.exceptions import JsonRESTError

    moto_error = JsonRESTError(error.code, error.message)
    moto_error.code = error.status
    return moto_error


def split_qualifier(name_or_arn: str) -> tuple[str, str | None]:
    """(the function's name or unqualified ARN, its version or alias or None)."""
    head, sep, tail = name_or_arn.rpartition(":function:")
    name, _, qualifier = tail.partition(":")
    return (f"{head}{sep}{name}" if sep else name), (qualifier or None)


def _moto_resolver(backend: Any) -> Resolver:
    def resolve(name_or_arn: str) -> str:
        from moto.awslambda.exceptions import UnknownFunctionException

        qualifier = split_qualifier(name_or_arn)[1]
        try:
            function = backend.get_function(name_or_arn)
        except UnknownFunctionException:
            raise MappingApiError("ResourceNotFoundException", f"Function not found: {name_or_arn}", 404) from None
        return f"{function.function_arn}:{qualifier}" if qualifier else str(function.function_arn)

    return resolve


_MOTO_METHODS: Final = ("create_event_source_mapping", "get_event_source_mapping", "list_event_source_mappings",
                        "update_event_source_mapping", "delete_event_source_mapping")  # fmt: skip


class _MotoExtension:
    """moto's LambdaBackend methods for mappings, answering Kafka ones from the store of the backend's account and
    region and leaving the others to moto (`original`)."""

    def __init__(self, original: dict[str, Any]) -> None:
        self.original = original

    @staticmethod
    def _store(backend: Any) -> KafkaEventSourceMappings:
        return store_for(backend.account_id, backend.region_name)

    @staticmethod
    def _answer(action: Callable[[], dict[str, Any]]) -> _Answer:
        try:
            return _Answer(action())
        except MappingApiError as exc:
            raise _moto_error(exc) from None

    def _moto_has(self, backend: Any, mapping_uuid: str) -> bool:
        return self.original["get_event_source_mapping"](backend, mapping_uuid) is not None

    def create_event_source_mapping(self, backend: Any, spec: dict[str, Any]) -> Any:
        if not is_kafka_request(spec):
            return self.original["create_event_source_mapping"](backend, spec)
        return self._answer(lambda: self._store(backend).create(spec, _moto_resolver(backend)))

    def get_event_source_mapping(self, backend: Any, mapping_uuid: str) -> Any:
        try:
            return _Answer(self._store(backend).get(mapping_uuid))
        except MappingApiError:
            return self.original["get_event_source_mapping"](backend, mapping_uuid)

    def list_event_source_mappings(self, backend: Any, event_source_arn: str | None, function_name: str | None) -> Any:
        found = list(self.original["list_event_source_mappings"](backend, event_source_arn, function_name))
        try:
            function_arn = _moto_resolver(backend)(function_name) if function_name else None
        except MappingApiError:
            return found
        return found + [_Answer(c) for c in self._store(backend).list(function_arn, event_source_arn or None)]

    def update_event_source_mapping(self, backend: Any, mapping_uuid: str, spec: dict[str, Any]) -> Any:
        if self._moto_has(backend, mapping_uuid):
            return self.original["update_event_source_mapping"](backend, mapping_uuid, spec)
        return self._answer(lambda: self._store(backend).update(mapping_uuid, spec, _moto_resolver(backend)))

    def delete_event_source_mapping(self, backend: Any, mapping_uuid: str) -> Any:
        if self._moto_has(backend, mapping_uuid):
            return self.original["delete_event_source_mapping"](backend, mapping_uuid)
        return self._answer(lambda: self._store(backend).delete(mapping_uuid))


def install_in_moto() -> Callable[[], None]:
    """Extend moto's Lambda backend with the Kafka mappings; returns the function that undoes it."""
    from moto.awslambda.models import LambdaBackend

    original = {name: LambdaBackend.__dict__[name] for name in _MOTO_METHODS}
    extension = _MotoExtension(original)
    for name in _MOTO_METHODS:
        method = getattr(extension, name)
        setattr(LambdaBackend, name, lambda backend, *args, _method=method: _method(backend, *args))

    def uninstall() -> None:
        for name, function in original.items():
            setattr(LambdaBackend, name, function)

    return uninstall


# -- an endpoint of the user's: the same store answers this process's Lambda clients --------------------------
_PATH = re.compile(r"/2015-03-31/event-source-mappings/?(?P<uuid>[^/?]*)$")


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def attach_to_client(client: Any, store: KafkaEventSourceMappings) -> None:
    """Answer `client`'s Kafka mapping calls from `store` (after botocore validated and serialized them); every
    other call goes to the endpoint. The function named must exist at the endpoint (GetFunction there)."""
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ClientError

    def resolve(name_or_arn: str) -> str:
        name, qualifier = split_qualifier(name_or_arn)
        try:
            found = getter(FunctionName=name, Qualifier=qualifier) if qualifier else getter(FunctionName=name)
        except ClientError:
            raise MappingApiError("ResourceNotFoundException", f"Function not found: {name_or_arn}", 404) from None
        unqualified = split_qualifier(str(found["Configuration"]["FunctionArn"]))[0]
        return f"{unqualified}:{qualifier}" if qualifier else unqualified

    getter = client.get_function

    def answer(request: Any) -> dict[str, Any] | list[dict[str, Any]] | None:
        parts = urlsplit(request.url)
        matched = _PATH.search(parts.path)
        if matched is None:
            return None
        mapping_uuid = unquote(matched["uuid"])
        body = json.loads(request.body or b"{}") if request.body else {}
        method = request.method.upper()
        if method == "POST" and not mapping_uuid:
            return store.create(body, resolve) if is_kafka_request(body) else None
        if method == "GET" and not mapping_uuid:
            query = parse_qs(parts.query)
            name = (query.get("FunctionName") or [None])[0]
            source = (query.get("EventSourceArn") or [None])[0]
            return {"EventSourceMappings": store.list(resolve(name) if name else None, source)}
        if store.target(mapping_uuid) is None:
            return None  # not one of ours: the endpoint answers
        if method == "GET":
            return store.get(mapping_uuid)
        if method == "PUT":
            return store.update(mapping_uuid, body, resolve)
        if method == "DELETE":
            return store.delete(mapping_uuid)
        return None

    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        try:
            result = answer(request)
            status = {"POST": 202, "PUT": 202, "DELETE": 202}.get(request.method.upper(), 200)
            if result is None:
                return None
            headers = {"Content-Type": "application/json"}
            payload = json.dumps(result).encode()
        except MappingApiError as exc:
            status = exc.status
            headers = {"Content-Type": "application/json", "x-amzn-errortype": exc.code}
            payload = json.dumps({"Type": "User", "message": exc.message}).encode()
        return AWSResponse(request.url, status, headers, _RawBody(payload))

    client.meta.events.register_first("before-send.lambda", before_send)


# -- the pollers' settings ------------------------------------------------------------------------------------
def mapping_config(mapping: dict[str, Any], function_name: str, timeout_s: float) -> MappingConfig:
    """The emulator's settings for one mapping as GetEventSourceMapping answers it, with Lambda's defaults for
    Kafka; the function is invoked through the qualifier (the connector's alias) of the mapping's FunctionArn."""
    from connectless.standalone.esm_emulator import MappingConfig

    destination = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    window = mapping.get("MaximumBatchingWindowInSeconds")
    stamp = mapping.get("StartingPositionTimestamp")
    if stamp is not None and not isinstance(stamp, (int, float)):  # botocore parses it to a datetime
        stamp = stamp.timestamp()
    return MappingConfig(
        connector=split_qualifier(str(mapping["FunctionArn"]))[1] or function_name,
        topics=list(mapping.get("Topics") or []),
        function_name=function_name,
        batch_size=int(mapping.get("BatchSize", 100)),
        maximum_batching_window_s=0.5 if window is None else float(window),
        starting_position=mapping.get("StartingPosition", "TRIM_HORIZON"),
        starting_position_timestamp_ms=None if stamp is None else int(float(stamp) * 1000),
        maximum_retry_attempts=int(mapping.get("MaximumRetryAttempts", -1)),
        maximum_record_age_s=int(mapping.get("MaximumRecordAgeInSeconds", -1)),
        bisect_batch_on_function_error=bool(mapping.get("BisectBatchOnFunctionError", False)),
        report_batch_item_failures="ReportBatchItemFailures" in (mapping.get("FunctionResponseTypes") or []),
        on_failure_destination=destination if destination and destination.startswith("kafka://") else None,
        consumer_group_id=consumer_group_id(mapping) or None,
        event_source="aws:kafka" if "EventSourceArn" in mapping else "SelfManagedKafka",
        function_timeout_s=timeout_s,
    )
