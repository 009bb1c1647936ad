// The Connectless console: plain JavaScript over the Kafka Connect REST API and its /connectless/ extensions.
// No framework, no build step. Every value from the API is set as text (never parsed as HTML).
"use strict";

(function () {
  // The API sits where the page is, less "/ui": "" locally, "/<stage>" behind API Gateway or the SigV4 proxy.
  const BASE = location.pathname.replace(/\/ui\/?$/, "");
  const main = document.getElementById("main");
  const notice = document.getElementById("notice");
  const REFRESH_MS = 3000;
  let timer = null;
  let renderId = 0;

  // -- helpers -------------------------------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }
  const enc = encodeURIComponent;

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(BASE + path, init);
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    if (!response.ok) {
      const message = data && data.message ? data.message : `HTTP ${response.status}`;
      throw new ApiError(response.status, message);
    }
    return data;
  }

  function say(message, isError) {
    notice.replaceChildren(h("div", { class: "msg" + (isError ? " error" : ""), "data-testid": "notice" }, message));
  }

  function state(value) {
    const v = value || "UNKNOWN";
    return h("span", { class: "state state-" + v, "data-state": v }, v);
  }

  const confirmDialog = document.getElementById("confirm");
  function confirmAction(text) {
    document.getElementById("confirm-text").textContent = text;
    return new Promise((resolve) => {
      confirmDialog.addEventListener("close", () => resolve(confirmDialog.returnValue === "ok"), { once: true });
      confirmDialog.returnValue = "cancel";
      confirmDialog.showModal();
      document.getElementById("confirm-cancel").focus();
    });
  }

  async function act(text, call, done) {
    if (!(await confirmAction(text))) return false;
    try {
      await call();
      say(done);
      return true;
    } catch (e) {
      say(e.message, true);
      return false;
    }
  }

  function schedule(fn) {
    clearTimeout(timer);
    timer = setTimeout(fn, REFRESH_MS);
  }

  function table(caption, headers, rows, attrs) {
    return h("table", attrs || {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col", class: x.num ? "num" : null }, x.label || x)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "None"))));
  }

  function shown(data) {
    if (!data) return h("span", { class: "muted" }, "null");
    if ("text" in data) return h("code", {}, data.text);
    return h("code", { title: "not UTF-8: base64" }, "base64:" + data.base64);
  }

  // -- connectors list ---------------------------------------------------------------------------------------
  let filterText = "";
  async function listView(id) {
    const filter = h("input", { type: "search", id: "filter", value: filterText, placeholder: "name, type, state or class",
      oninput: (e) => { filterText = e.target.value; paint(); } });
    const body = h("div", {});
    main.replaceChildren(h("h2", {}, "Connectors"), h("label", { for: "filter" }, "Filter connectors"), filter, body);
    let expanded = {};
    function paint() {
      const words = filterText.toLowerCase().split(/\s+/).filter(Boolean);
      const rows = Object.keys(expanded).sort().map((name) => {
        const status = expanded[name].status || {};
        const info = expanded[name].info || {};
        const cls = (info.config || {})["connector.class"] || "";
        const connectorState = (status.connector || {}).state;
        const tasks = status.tasks || [];
        const hay = [name, status.type || info.type, connectorState, cls].join(" ").toLowerCase();
        if (!words.every((w) => hay.includes(w))) return null;
        const counts = {};
        tasks.forEach((t) => { counts[t.state] = (counts[t.state] || 0) + 1; });
        return h("tr", { "data-connector": name },
          h("td", {}, h("a", { href: "#/connectors/" + enc(name) }, name)),
          h("td", {}, status.type || info.type || ""),
          h("td", {}, state(connectorState)),
          h("td", { class: "mono" }, cls),
          h("td", { class: "num" }, String(tasks.length)),
          h("td", {}, Object.entries(counts).map(([s, n], i) => [i ? ", " : "", n + " ", state(s)])));
      }).filter(Boolean);
      body.replaceChildren(table(`${rows.length} connector(s)`,
        ["Name", "Type", "State", "Class", { label: "Tasks", num: true }, "Task states"], rows, { id: "connectors" }));
    }
    async function load() {
      if (id !== renderId) return;
      try {
        expanded = await api("GET", "/connectors?expand=status&expand=info");
        if (id !== renderId) return;
        paint();
      } catch (e) { say(e.message, true); }
      schedule(load);
    }
    await load();
  }

  // -- create and edit -----------------------------------------------------------------------------------------
  const EXAMPLE = { name: "my-connector", config: { "connector.class": "Datagen", "kafka.topic": "orders", "tasks.max": "1" } };

  function editor(id, initial, isNew, save) {
    const area = h("textarea", { id: "config-json", spellcheck: "false", "aria-describedby": "validation" });
    area.value = JSON.stringify(initial, null, 2);
    const result = h("div", { id: "validation", "aria-live": "polite" });
    const button = h("button", { class: "primary", id: "save", type: "button" }, isNew ? "Create connector" : "Save config");
    let seq = 0;
    let debounce = null;
    function parsed() {
      const value = JSON.parse(area.value);
      const config = isNew ? value.config : value;
      const name = isNew ? value.name : initial.name;
      if (typeof value !== "object" || value === null || typeof config !== "object" || config === null) {
        throw new Error(isNew ? 'Expected {"name": ..., "config": {...}}' : "Expected a JSON object of config keys");
      }
      return { value, config, name };
    }
    async function validate() {
      const mine = ++seq;
      let p;
      try { p = parsed(); } catch (e) {
        result.replaceChildren(h("p", { class: "errors" }, "Not valid JSON: " + e.message));
        return;
      }
      const cls = p.config["connector.class"];
      if (!cls) { result.replaceChildren(h("p", { class: "errors" }, "connector.class is required")); return; }
      try {
        const answer = await api("PUT", `/connector-plugins/${enc(cls)}/config/validate`, { ...p.config, name: p.name || "" });
        if (mine !== seq) return;
        const errors = (answer.configs || []).filter((c) => c.value && c.value.errors && c.value.errors.length);
        if (!answer.error_count) {
          result.replaceChildren(h("p", { class: "valid", "data-testid": "valid" }, "Valid configuration"));
        } else {
          result.replaceChildren(h("p", { class: "errors" }, `${answer.error_count} error(s)`),
            h("ul", { class: "errors" }, errors.map((c) => h("li", {}, h("code", {}, c.value.name), ": ", c.value.errors.join("; ")))));
        }
      } catch (e) {
        if (mine === seq) result.replaceChildren(h("p", { class: "errors" }, e.message));
      }
    }
    area.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(validate, 300); });
    button.addEventListener("click", async () => {
      let p;
      try { p = parsed(); } catch (e) { say("Not valid JSON: " + e.message, true); return; }
      await save(p);
    });
    main.replaceChildren(
      h("h2", {}, isNew ? "New connector" : `Edit ${initial.name}`),
      h("label", { for: "config-json" }, isNew ? 'Connector JSON ({"name", "config"}), as for POST /connectors' : "Config JSON, as for PUT /connectors/{name}/config"),
      area, result, h("div", { class: "toolbar" }, button, h("a", { href: isNew ? "#/" : "#/connectors/" + enc(initial.name) }, "Cancel")));
    validate();
  }

  function newView() {
    editor(renderId, EXAMPLE, true, async (p) => {
      const ok = await act(`Create connector ${p.name}?`, () => api("POST", "/connectors", p.value), `Connector ${p.name} created`);
      if (ok) location.hash = "#/connectors/" + enc(p.name);
    });
  }

  async function editView(name) {
    let config;
    try { config = await api("GET", `/connectors/${enc(name)}/config`); } catch (e) { say(e.message, true); return; }
    editor(renderId, { name, ...config }, false, async (p) => {
      const ok = await act(`Save the config of ${name}? Its tasks restart with it.`,
        () => api("PUT", `/connectors/${enc(name)}/config`, p.config), `Config of ${name} saved`);
      if (ok) location.hash = "#/connectors/" + enc(name);
    });
  }

  // -- one connector -------------------------------------------------------------------------------------------
  function chart(data) {
    const points = data.points || [];
    const W = 720, H = 220, L = 48, R = 12, T = 12, B = 28;
    const series = [
      { key: "in", label: "records in", color: "#0b5cad", dash: "" , cls: "" },
      { key: "out", label: "records out", color: "#116329", dash: "6 4", cls: "dashed" },
      { key: "dead_lettered", label: "dead-lettered", color: "#a40e26", dash: "2 3", cls: "dotted" },
    ];
    const totals = series.map((s) => points.reduce((a, p) => a + p[s.key], 0));
    const label = `Records per ${data.interval_s} s over time: ` + series.map((s, i) => `${totals[i]} ${s.label}`).join(", ");
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    const add = (tag, attrs, text) => {
      const el = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
      if (text !== undefined) el.textContent = text;
      svg.append(el);
      return el;
    };
    add("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#4f5862" });
    add("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#4f5862" });
    if (!points.length) {
      add("text", { x: W / 2, y: H / 2, "text-anchor": "middle", fill: "#4f5862" }, "No records yet");
    } else {
      const t0 = points[0].t, t1 = Math.max(points[points.length - 1].t, t0 + data.interval_s);
      const max = Math.max(1, ...points.map((p) => Math.max(p.in, p.out, p.dead_lettered)));
      const x = (t) => L + (t - t0) / (t1 - t0) * (W - L - R);
      const y = (v) => H - B - v / max * (H - B - T);
      add("text", { x: L - 6, y: T + 10, "text-anchor": "end", fill: "#4f5862", "font-size": 12 }, String(max));
      add("text", { x: L - 6, y: H - B, "text-anchor": "end", fill: "#4f5862", "font-size": 12 }, "0");
      const time = (t) => new Date(t * 1000).toLocaleTimeString();
      add("text", { x: L, y: H - 8, fill: "#4f5862", "font-size": 12 }, time(t0));
      add("text", { x: W - R, y: H - 8, "text-anchor": "end", fill: "#4f5862", "font-size": 12 }, time(t1));
      for (const s of series) {
        const coords = points.map((p) => `${x(p.t).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(" ");
        add("polyline", { points: coords, fill: "none", stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dash });
        if (points.length === 1) add("circle", { cx: x(points[0].t), cy: y(points[0][s.key]), r: 3, fill: s.color });
      }
    }
    return h("div", { class: "chart", id: "chart" },
      h("div", { class: "legend" }, series.map((s, i) => h("span", { class: s.cls, style: `--c:${s.color}` }, `${s.label}: ${totals[i]}`))),
      svg, h("p", { class: "muted" }, `Source: ${data.source === "cloudwatch" ? "CloudWatch metrics (1-minute sums)" : "this process (" + data.interval_s + " s buckets)"}`));
  }

  function configTable(config) {
    const rows = Object.keys(config).sort().map((k) => {
      const v = config[k];
      let value;
      if (v === "[hidden]") value = h("span", { class: "secret" }, "[hidden] (a password: never shown)");
      else if (/^\$\{[^}]+\}$/.test(v)) value = h("code", { class: "ref", title: "a config provider reference: resolved only by the tasks" }, v);
      else value = h("code", {}, v);
      return h("tr", {}, h("th", { scope: "row", class: "mono" }, k), h("td", {}, value));
    });
    return table("Config", ["Key", "Value"], rows, { id: "config" });
  }

  function tasksTable(name, status, refresh) {
    const rows = (status.tasks || []).map((t) => h("tr", { "data-task": t.id },
      h("td", { class: "num" }, String(t.id)),
      h("td", {}, state(t.state)),
      h("td", { class: "mono" }, t.worker_id || ""),
      h("td", {}, t.trace ? h("details", {}, h("summary", {}, t.trace.split("\n")[0].slice(0, 160)), h("pre", {}, t.trace)) : h("span", { class: "muted" }, "-")),
      h("td", {}, h("button", { type: "button", "aria-label": `Restart task ${t.id}`,
        onclick: async () => { if (await act(`Restart task ${name}-${t.id}?`, () => api("POST", `/connectors/${enc(name)}/tasks/${t.id}/restart`), `Task ${t.id} restarted`)) refresh(); } }, "Restart"))));
    return table("Tasks", [{ label: "Task", num: true }, "State", "Worker", "Trace", "Action"], rows, { id: "tasks" });
  }

  function lagTable(lag) {
    const rows = (lag.partitions || []).map((p) => h("tr", {},
      h("td", { class: "mono" }, p.topic), h("td", { class: "num" }, String(p.partition)),
      h("td", { class: "num" }, p.committed === null ? "-" : String(p.committed)),
      h("td", { class: "num" }, String(p.end)), h("td", { class: "num" }, String(p.lag))));
    return table(`Consumer lag of group ${lag.group} (total ${lag.total_lag})`,
      ["Topic", { label: "Partition", num: true }, { label: "Committed", num: true }, { label: "End", num: true }, { label: "Lag", num: true }], rows, { id: "lag" });
  }

  function offsetsTable(offsets) {
    const rows = (offsets.offsets || []).map((o) => h("tr", {},
      h("td", {}, h("code", {}, JSON.stringify(o.partition))), h("td", {}, h("code", {}, JSON.stringify(o.offset)))));
    return table("Source offsets", ["Partition", "Offset"], rows, { id: "offsets" });
  }

  // `selected` outlives a repaint (the page refreshes every few seconds): the ticked records stay ticked.
  function dlqBrowser(name, dlq, refresh, selected) {
    const shownKeys = new Set((dlq.records || []).map((r) => `${r.partition}:${r.offset}`));
    [...selected].forEach((k) => { if (!shownKeys.has(k)) selected.delete(k); });
    const replay = h("button", { type: "button", id: "replay", disabled: !selected.size }, "Replay selected");
    const rows = (dlq.records || []).map((r) => {
      const key = `${r.partition}:${r.offset}`;
      const box = h("input", { type: "checkbox", id: `dlq-${r.partition}-${r.offset}`, "aria-label": `Select record ${r.partition}@${r.offset}`,
        checked: selected.has(key),
        onchange: (e) => { if (e.target.checked) selected.add(key); else selected.delete(key); replay.disabled = !selected.size; } });
      const e = r.errors || {};
      const headers = r.headers.map((x) => h("li", {}, h("code", {}, x.name), " = ", shown(x.value)));
      return h("tr", { "data-record": key },
        h("td", {}, box),
        h("td", { class: "mono" }, `${r.partition}@${r.offset}`),
        h("td", {}, r.timestamp ? new Date(r.timestamp).toLocaleString() : "-"),
        h("td", {}, shown(r.key)),
        h("td", {}, shown(r.value)),
        h("td", {}, e.topic ? `${e.topic}-${e.partition}@${e.offset}` : h("span", { class: "muted" }, "unknown")),
        h("td", {}, e.stage || "-"),
        h("td", {}, h("details", {}, h("summary", {}, (e["exception.class.name"] || "no context headers") + (e["exception.message"] ? ": " + e["exception.message"].slice(0, 120) : "")),
          h("ul", {}, headers), e["exception.stacktrace"] ? h("pre", {}, e["exception.stacktrace"]) : null)));
    });
    replay.addEventListener("click", async () => {
      const records = [...selected].map((k) => { const [p, o] = k.split(":").map(Number); return { partition: p, offset: o }; });
      const ok = await act(`Replay ${records.length} record(s) from ${dlq.topic} to their original topic?`,
        async () => {
          const answer = await api("POST", `/connectless/connectors/${enc(name)}/dlq/replay`, { records });
          return answer;
        }, `Replayed ${records.length} record(s)`);
      if (ok) { selected.clear(); refresh(); }
    });
    return h("section", { "aria-labelledby": "dlq-title", id: "dlq" },
      h("h3", { id: "dlq-title" }, `Dead-letter queue: ${dlq.topic} (${dlq.total} record(s), last ${dlq.records.length} shown)`),
      table("Dead-lettered records, newest first", ["Select", "Record", "Time", "Key", "Value", "Original", "Stage", "Error"], rows),
      h("div", { class: "toolbar" }, replay));
  }

  async function optional(call) {
    try { return await call(); } catch (e) { return { error: e.message }; }
  }

  async function connectorView(name, id) {
    const p = `/connectors/${enc(name)}`;
    const x = `/connectless/connectors/${enc(name)}`;
    let keepDlq = null;
    const selected = new Set();
    async function load(full) {
      if (id !== renderId) return;
      let info, status;
      try {
        [info, status] = await Promise.all([api("GET", p), api("GET", p + "/status")]);
      } catch (e) {
        if (e.status === 404) { main.replaceChildren(h("h2", {}, name), h("p", {}, "No such connector (deleted?). "), h("a", { href: "#/" }, "Back to the list")); return; }
        say(e.message, true); schedule(() => load(false)); return;
      }
      const sink = status.type === "sink";
      const dlqTopic = (info.config || {})["errors.deadletterqueue.topic.name"];
      const [topics, lagOrOffsets, rate] = await Promise.all([
        optional(() => api("GET", p + "/topics")),
        optional(() => api("GET", sink ? x + "/lag" : p + "/offsets")),
        optional(() => api("GET", x + "/throughput")),
      ]);
      // The DLQ browser keeps its selection: it reloads only on the first paint, on demand, or after a replay.
      if (sink && dlqTopic && (full || !keepDlq)) keepDlq = await optional(() => api("GET", x + "/dlq?limit=50"));
      if (id !== renderId) return;
      const refresh = () => load(true);
      const change = (label, method, path, done) => h("button", { type: "button", id: "action-" + label.toLowerCase().replace(/\W+/g, "-"),
        class: /delete|reset/i.test(label) ? "danger" : null,
        onclick: async () => {
          if (await act(`${label}: ${name}?`, () => api(method, path), `${name}: ${done}`)) {
            if (method === "DELETE" && path === p) location.hash = "#/"; else refresh();
          }
        } }, label);
      const connector = status.connector || {};
      const topicList = (topics[name] || {}).topics;
      const sections = [
        h("h2", {}, name, " ", state(connector.state)),
        h("p", { class: "muted" }, `${status.type} connector · ${(info.config || {})["connector.class"]} · worker ${connector.worker_id || "-"}`),
        connector.trace ? h("details", {}, h("summary", {}, "Connector trace"), h("pre", {}, connector.trace)) : null,
        h("div", { class: "toolbar", role: "group", "aria-label": "Actions" },
          change("Pause", "PUT", p + "/pause", "pause requested"),
          change("Resume", "PUT", p + "/resume", "resume requested"),
          change("Stop", "PUT", p + "/stop", "stopped"),
          change("Restart failed tasks", "POST", p + "/restart?includeTasks=true&onlyFailed=true", "failed tasks restarted"),
          change("Restart all", "POST", p + "/restart?includeTasks=true", "restarted with its tasks"),
          h("a", { class: "button", href: `#/connectors/${enc(name)}/edit`, id: "action-edit" }, "Edit config"),
          change("Reset offsets", "DELETE", p + "/offsets", "offsets reset"),
          change("Delete", "DELETE", p, "deleted")),
        tasksTable(name, status, refresh),
        h("h3", {}, "Throughput"),
        rate.error ? h("p", { class: "errors" }, rate.error) : chart(rate),
        h("div", { class: "grid" },
          h("div", {}, h("h3", {}, "Topics"), topicList ? (topicList.length ? h("ul", { id: "topics" }, topicList.map((t) => h("li", {}, h("code", {}, t)))) : h("p", { class: "muted" }, "No active topics yet")) : h("p", { class: "errors" }, topics.error || "")),
          h("div", {}, h("h3", {}, sink ? "Consumer lag" : "Offsets"), lagOrOffsets.error ? h("p", { class: "errors" }, lagOrOffsets.error) : (sink ? lagTable(lagOrOffsets) : offsetsTable(lagOrOffsets)))),
        sink && dlqTopic ? (keepDlq && keepDlq.error ? h("p", { class: "errors" }, keepDlq.error) : dlqBrowser(name, keepDlq, refresh, selected)) : null,
        sink && dlqTopic ? h("div", { class: "toolbar" }, h("button", { type: "button", id: "dlq-refresh", onclick: refresh }, "Reload dead-letter queue")) : null,
        configTable(info.config || {}),
      ];
      const focused = document.activeElement && document.activeElement.id;
      const details = [...main.querySelectorAll("details")].map((d) => d.open);
      main.replaceChildren(...sections.filter(Boolean));
      [...main.querySelectorAll("details")].forEach((d, i) => { if (details[i]) d.open = true; });
      if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
      schedule(() => load(false));
    }
    await load(true);
  }

  // -- routing -----------------------------------------------------------------------------------------------
  async function route() {
    clearTimeout(timer);
    const id = ++renderId;
    const hash = location.hash.replace(/^#/, "") || "/";
    const parts = hash.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] === "new") newView();
    else if (parts[0] === "connectors" && parts.length === 3 && parts[2] === "edit") await editView(parts[1]);
    else if (parts[0] === "connectors" && parts.length === 2) await connectorView(parts[1], id);
    else await listView(id);
  }
  document.getElementById("endpoint").textContent = location.host + BASE;
  window.addEventListener("hashchange", () => { notice.replaceChildren(); route(); main.focus(); });
  route();
})();
