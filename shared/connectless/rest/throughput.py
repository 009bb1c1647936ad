"""Records in, out and dead-lettered over time per connector, for the console's chart, from one of two places.

- `process`: the rolling store the runtimes of this process update (standalone, `local up`);
- `cloudwatch`: on AWS the task functions run elsewhere and emit Powertools metrics (namespace Connectless,
  dimensions service and connector: RecordsIn, RecordsOut, RecordsDeadLettered); the API reads their one-minute
  sums of the last hour with GetMetricData. The template sets CONNECTLESS_THROUGHPUT=cloudwatch on the API function.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from connectless.runtime.throughput import THROUGHPUT

SOURCE_ENV: Final = "CONNECTLESS_THROUGHPUT"
_METRICS: Final = {"in": "RecordsIn", "out": "RecordsOut", "dead_lettered": "RecordsDeadLettered"}
PERIOD_S: Final = 60
WINDOW: Final = timedelta(hours=1)


def throughput(connector: str, environ: dict[str, str] | None = None, cloudwatch: Any = None) -> dict[str, Any]:
    """`{"source", "interval_s", "points": [{"t": epoch s, "in", "out", "dead_lettered"}]}`, oldest first."""
    env = os.environ if environ is None else environ
    if env.get(SOURCE_ENV, "process") == "cloudwatch":
        return _from_cloudwatch(connector, env, cloudwatch)
    return {"source": "process", "interval_s": THROUGHPUT.bucket_s, "points": THROUGHPUT.series(connector)}


def _from_cloudwatch(connector: str, env: Any, client: Any) -> dict[str, Any]:
    if client is None:
        import boto3

        client = boto3.client("cloudwatch")
    namespace = env.get("POWERTOOLS_METRICS_NAMESPACE", "Connectless")
    dimensions = [{"Name": "connector", "Value": connector}]
    if env.get("POWERTOOLS_SERVICE_NAME"):
        dimensions.insert(0, {"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]})
    queries = [
        {"Id": f"m_{key}", "ReturnData": True,
         "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions},
                        "Period": PERIOD_S, "Stat": "Sum"}}
        for key, name in _METRICS.items()
    ]  # fmt: skip
    end = datetime.now(UTC)
    points: dict[int, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": end - WINDOW, "EndTime": end}
    while True:
        page = client.get_metric_data(**kwargs)
        for result in page.get("MetricDataResults", []):
            key = result["Id"].removeprefix("m_")
            for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                t = int(stamp.timestamp()) // PERIOD_S * PERIOD_S
                point = points.setdefault(t, {"t": t, "in": 0, "out": 0, "dead_lettered": 0})
                point[key] += int(value)
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    return {"source": "cloudwatch", "interval_s": PERIOD_S, "points": [points[t] for t in sorted(points)]}
