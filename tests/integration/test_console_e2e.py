"""The web console in a real browser (headless Chromium from Debian's packages, driven by Selenium) against
`connectless standalone` and against `connectless local up`, both on the real broker: create a connector with
live validation, see it RUNNING, see a poison record in the dead-letter browser, fix the connector, replay the
record, pause it with the keyboard only, stop it, reset its offsets, and delete it. Then the CLI's
`dlq peek|replay` and `top` against standalone. Screenshots land in $CONNECTLESS_CONSOLE_SCREENSHOTS when set
(docs/console-*.png come from here).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from connectless.kafka import KafkaSettings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = pytest.mark.kafka
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000"]  # fmt: skip
JSON = "org.apache.kafka.connect.json.JsonConverter"
STRING = "org.apache.kafka.connect.storage.StringConverter"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing: `make test-deps` installs them")
        pytest.skip("chromium and chromium-driver are not installed (make test-deps installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def standalone(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> Iterator[str]:
    prefix = unique_topic("console")
    cmd = [sys.executable, "-m", "connectless_cli.main", "standalone", "--bootstrap-servers", kafka_bootstrap,
           "--rest-port", "0", "--offset-flush-interval-ms", "200", "--offsets-topic", f"{prefix}-offsets",
           "--config-topic", f"{prefix}-configs", "--status-topic", f"{prefix}-status"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    url: list[str] = []
    found = threading.Event()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            match = re.search(r"REST API on (http://\S+)", line)
            if match:
                url.append(match.group(1))
                found.set()

    threading.Thread(target=drain, daemon=True).start()
    if not found.wait(60):
        proc.kill()
        pytest.fail("standalone did not start: " + "".join(lines[-30:]))
    yield url[0]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0, "".join(lines[-30:])


def _wait(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:  # the page re-renders under us: try again  # noqa: BLE001
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.25)


class Console:
    """The few gestures the test makes, by the ids and data attributes the page gives its controls."""

    def __init__(self, driver: WebDriver, shots: Path | None) -> None:
        from selenium.webdriver.common.by import By

        self.driver = driver
        self.by = By
        self.shots = shots

    def css(self, selector: str) -> Any:
        return self.driver.find_element(self.by.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list[Any]:
        return self.driver.find_elements(self.by.CSS_SELECTOR, selector)

    def type_json(self, value: Any) -> None:
        area = _wait(lambda: self.css("#config-json"), "the JSON editor")
        self.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
            area, json.dumps(value, indent=2),
        )  # fmt: skip

    def click(self, selector: str) -> None:
        """Click once the control is there and enabled (the page re-renders every few seconds: retried)."""

        def attempt() -> bool:
            element = self.css(selector)
            if not element.is_enabled():
                return False
            element.click()
            return True

        _wait(attempt, f"clicking {selector}")

    def press(self, selector: str, key: str) -> None:
        def attempt() -> bool:
            self.css(selector).send_keys(key)
            return True

        _wait(attempt, f"pressing a key on {selector}")

    def confirm(self) -> None:
        _wait(lambda: self.css("#confirm").get_attribute("open") is not None, "the confirmation dialog")
        self.css("#confirm-ok").click()

    def state(self) -> str:
        return str(self.css("main h2 .state").get_attribute("data-state"))

    def task_states(self) -> list[str]:
        return [str(e.get_attribute("data-state")) for e in self.all("#tasks tbody .state")]

    def unlabelled(self) -> list[str]:
        """Controls a screen reader could not name: no <label>, no aria-label, no text."""
        return list(self.driver.execute_script(
            "return [...document.querySelectorAll('input, textarea, select, button')]"
            ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())"
            ".map(e => e.outerHTML.slice(0, 120));"
        ))  # fmt: skip

    def shot(self, name: str) -> None:
        if self.shots is None:
            return
        height = self.driver.execute_script("window.scrollTo(0, 0); return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, min(max(int(height) + 40, 700), 2400))
        self.driver.save_screenshot(str(self.shots / f"console-{name}.png"))
        self.driver.set_window_size(1280, 1000)


def run_console_scenario(browser: WebDriver, base: str, kafka_bootstrap: str, tmp_path: Path,
                         shots: Path | None = None, config_reload_s: float = 0.0) -> None:  # fmt: skip
    """The whole life of a sink connector, through the console only (REST is used just to check).

    `config_reload_s`: how long a changed config may take to reach a running sink task (standalone restarts the
    task at once; a warm sink function re-reads the config topic every SinkBatchHandler.config_ttl_s)."""
    from selenium.webdriver.common.keys import Keys

    ui = Console(browser, shots)
    run = uuid.uuid4().hex[:6]  # short names: the screenshots show them
    topic, dlq, name = f"orders-{run}", f"orders-dlq-{run}", f"orders-to-file-{run}"
    sink_file = tmp_path / "orders.txt"
    config = {"connector.class": "FileStreamSink", "topics": topic, "file": str(sink_file), "tasks.max": "1",
              "key.converter": STRING, "value.converter": JSON, "value.converter.schemas.enable": "false",
              "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
              "errors.deadletterqueue.topic.replication.factor": "1",
              "errors.deadletterqueue.context.headers.enable": "true"}  # fmt: skip

    # create, with live validation
    browser.get(base + "/ui#/new")
    ui.type_json({"name": name, "config": {**config, "errors.tolerance": "sometimes"}})
    _wait(lambda: "errors.tolerance" in ui.css("#validation").text, "a validation error naming errors.tolerance")
    ui.type_json({"name": name, "config": config})
    _wait(lambda: ui.all("[data-testid=valid]"), "the config to validate")
    assert ui.unlabelled() == []
    ui.shot("create")
    ui.click("#save")
    ui.confirm()
    _wait(lambda: browser.current_url.endswith(f"#/connectors/{name}"), "the connector page")
    _wait(lambda: ui.state() == "RUNNING" and ui.task_states() == ["RUNNING"], "the connector RUNNING")

    # a poison record goes to the dead-letter queue and shows in the browser, decoded
    producer = KafkaSettings(kafka_bootstrap).producer()
    for key, value in ((b"k1", b'{"id": 1}'), (b"k2", b"not json{"), (b"k3", b'{"id": 3}')):
        producer.produce(topic, value, key)
    assert producer.flush(30) == 0
    _wait(lambda: sink_file.exists() and len(sink_file.read_text().splitlines()) == 2, "the two good records")

    def poison_row() -> Any:
        rows = ui.all('#dlq tr[data-record="0:0"]')
        if not rows:
            ui.click("#dlq-refresh")
        return rows[0] if rows else None

    _wait(poison_row, "the poison record in the dead-letter browser")
    text = _wait(lambda: ui.css('#dlq tr[data-record="0:0"]').text, "the poison record's row")  # repaints: re-read
    assert "not json{" in text and "VALUE_CONVERTER" in text and f"{topic}-0@1" in text
    _wait(lambda: "records in: 3" in ui.css("#chart").text, "the chart to count 3 records in")
    assert ui.unlabelled() == []
    ui.shot("connector")
    browser.get(base + "/ui#/")
    _wait(lambda: ui.all(f'#connectors tr[data-connector="{name}"] .state-RUNNING'), "the list")
    ui.shot("connectors")

    # fix the connector (a string value converter takes any text), then replay the poison record
    browser.get(base + f"/ui#/connectors/{name}/edit")
    ui.type_json({**config, "name": name, "value.converter": STRING})
    _wait(lambda: ui.all("[data-testid=valid]"), "the fixed config to validate")
    ui.click("#save")
    ui.confirm()
    _wait(lambda: browser.current_url.endswith(f"#/connectors/{name}"), "the connector page again")
    _wait(lambda: ui.css("#config").text.count(STRING) == 2, "the new value converter in the config table")
    _wait(lambda: ui.state() == "RUNNING" and ui.task_states() == ["RUNNING"], "the fixed connector RUNNING")
    time.sleep(config_reload_s)
    ui.click("#dlq-0-0")
    time.sleep(3.5)  # the page repaints every 3 s: the tick must survive it
    assert _wait(lambda: [ui.css("#dlq-0-0").is_selected() and ui.css("#replay").is_enabled()], "the tick") == [True]
    ui.click("#replay")
    ui.confirm()
    _wait(lambda: "not json{" in sink_file.read_text(), "the replayed record in the sink's file", timeout=90)
    assert sink_file.read_text().splitlines() == ['{"id":1}', '{"id":3}', "not json{"]

    # pause with the keyboard alone: Enter on the button, Tab from Cancel to Confirm, Enter
    ui.press("#action-pause", Keys.ENTER)
    _wait(lambda: ui.css("#confirm").get_attribute("open") is not None, "the pause confirmation")
    assert browser.switch_to.active_element.get_attribute("id") == "confirm-cancel"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "confirm-ok"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    _wait(lambda: ui.state() == "PAUSED", "the connector PAUSED")
    assert requests.get(f"{base}/connectors/{name}/status", timeout=10).json()["connector"]["state"] == "PAUSED"

    # stop, then reset its offsets (Kafka Connect allows that only to a STOPPED connector)
    ui.click("#action-stop")
    ui.confirm()
    _wait(lambda: ui.state() == "STOPPED", "the connector STOPPED")
    assert requests.get(f"{base}/connectors/{name}/offsets", timeout=10).json()["offsets"]
    ui.click("#action-reset-offsets")
    ui.confirm()
    _wait(lambda: "offsets reset" in ui.css("[data-testid=notice]").text, "the reset's notice")
    assert requests.get(f"{base}/connectors/{name}/offsets", timeout=10).json() == {"offsets": []}

    # delete: back to the list, without it
    ui.click("#action-delete")
    ui.confirm()
    _wait(lambda: browser.current_url.endswith("#/") and ui.all("#connectors"), "the list after delete")
    _wait(lambda: not ui.all(f'#connectors tr[data-connector="{name}"]'), "the connector gone from the list")
    assert name not in requests.get(f"{base}/connectors", timeout=10).json()
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == [], errors


def test_console_runs_a_connector_through_its_life(
    browser: WebDriver, standalone: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    shots_env = os.environ.get("CONNECTLESS_CONSOLE_SCREENSHOTS")
    shots = Path(shots_env) if shots_env else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    run_console_scenario(browser, standalone, kafka_bootstrap, tmp_path, shots)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    from connectless_cli.main import main

    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_cli_peeks_replays_and_tops(
    standalone: str, kafka_bootstrap: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "200")
    run = uuid.uuid4().hex[:6]
    topic, name, sink_file = f"cli-{run}", f"cli-sink-{run}", tmp_path / "out.txt"
    config = {"connector.class": "FileStreamSink", "topics": topic, "file": str(sink_file),
              "key.converter": STRING, "value.converter": JSON, "value.converter.schemas.enable": "false",
              "errors.tolerance": "all", "errors.deadletterqueue.topic.name": f"{topic}-dlq",
              "errors.deadletterqueue.topic.replication.factor": "1",
              "errors.deadletterqueue.context.headers.enable": "true"}  # fmt: skip
    assert requests.put(f"{standalone}/connectors/{name}/config", json=config, timeout=30).status_code == 201
    producer = KafkaSettings(kafka_bootstrap).producer()
    producer.produce(topic, b"{oops", b"bad")
    producer.produce(topic, b'{"ok": true}', b"good")
    assert producer.flush(30) == 0

    def peeked() -> Any:
        code, out = _cli(capsys, "dlq", "peek", name, "--url", standalone, "-o", "json")
        return code == 0 and json.loads(out)["records"]

    record = _wait(peeked, "the poison record in `dlq peek`")[0]
    assert record["value"] == {"text": "{oops"} and record["errors"]["stage"] == "VALUE_CONVERTER"
    code, table = _cli(capsys, "dlq", "peek", name, "--url", standalone)
    assert code == 0 and "0:0" in table and f"{topic}-0@0" in table and "VALUE_CONVERTER" in table

    fixed = {**config, "value.converter": STRING}
    assert requests.put(f"{standalone}/connectors/{name}/config", json=fixed, timeout=30).status_code == 200
    _wait(lambda: requests.get(f"{standalone}/connectors/{name}/status", timeout=10).json()["tasks"][0]["state"]
          == "RUNNING", "the fixed connector RUNNING")  # fmt: skip
    code, out = _cli(capsys, "dlq", "replay", name, "--offsets", "0:0", "--url", standalone)
    assert code == 0 and f"0:0 -> {topic}-0@2" in out
    _wait(lambda: "{oops" in sink_file.read_text(), "the replayed record in the file")

    code, out = _cli(capsys, "top", "--once", "--url", standalone)
    assert code == 0
    row = next(line for line in out.splitlines() if line.strip().startswith(name))
    assert "sink" in row and "RUNNING" in row
    code, _out = _cli(capsys, "dlq", "replay", name, "--offsets", "nope", "--url", standalone)
    assert code == 2


def test_console_runs_a_connector_through_its_life_on_local_up(
    browser: WebDriver, kafka_bootstrap: str, tmp_path: Path
) -> None:
    from connectless.lambda_sink.handler import SinkBatchHandler
    from connectless_local.local_up import LocalSamStack

    prefix = f"console-{uuid.uuid4().hex[:8]}"
    parameters = {"ConfigTopic": f"{prefix}-configs", "OffsetsTopic": f"{prefix}-offsets",
                  "StatusTopic": f"{prefix}-status"}  # fmt: skip
    stack = LocalSamStack(rest_port=0, bootstrap_servers=kafka_bootstrap, state_file=tmp_path / "local-up.json",
                       parameters=parameters)  # fmt: skip
    stack.start()
    try:
        assert stack.endpoints is not None
        reload_s = inspect.signature(SinkBatchHandler).parameters["config_ttl_s"].default
        run_console_scenario(browser, stack.endpoints.rest_url, kafka_bootstrap, tmp_path, config_reload_s=reload_s)
        assert stack.roles is not None and not stack.roles.denied(), stack.roles.report()  # the template's IAM
    finally:
        stack.stop()
