/* CT-Server statistics page: status, disk fill and activity graphs from the appliance's API.
 *
 * Everything comes from three GET endpoints of ct-api, sent with the operator's token as
 * "Authorization: Bearer": /api/v1/status, /api/v1/storage/fill, /api/v1/stats/series.
 * No inline script or style (the site's Content-Security-Policy is default-src 'self'):
 * element sizes are set through the CSSOM (el.style.width), which the policy allows.
 *
 * Each graph's section carries data-state (loading, drawn, empty, error), data-series-count
 * and data-points (non-empty values drawn), so a test can check from the DOM what was drawn.
 */
"use strict";

(function () {
  const TOKEN_KEY = "ct-server.token";
  const PERIOD_KEY = "ct-server.period";
  const PERIODS = { hour: 3600, day: 86400, week: 7 * 86400, month: 30 * 86400 };
  const REFRESH_MS = 60 * 1000;
  const PLOT_HEIGHT = 200;
  const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
    "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#ad494a"];

  // One entry per graph: the series names it asks for (one request each), and how to name a line.
  const GRAPHS = [
    { id: "cpu", title: "CPU, memory and load", names: ["cpu_percent", "memory_percent", "load1"] },
    { id: "recorder", title: "Recorder CPU and memory", names: ["recorder_cpu_percent", "recorder_memory_bytes"] },
    { id: "links", title: "Network links", names: ["link_rx_bps", "link_tx_bps"] },
    { id: "disk-rates", title: "Disk throughput", names: ["disk_read_bps", "disk_write_bps"] },
    { id: "disk-iops", title: "Disk operations", names: ["disk_read_iops", "disk_write_iops"] },
    { id: "disk-latency", title: "Disk latency (await)", names: ["disk_await_ms"] },
    { id: "disk-util", title: "Disk utilisation", names: ["disk_util_percent"] },
    { id: "volumes", title: "Volume fill", names: ["volume_used_percent"] },
    { id: "camera-fps", title: "Camera frame rate", names: ["camera_fps"] },
    { id: "camera-bitrate", title: "Camera bitrate", names: ["camera_bitrate_bps"] },
    { id: "camera-errors", title: "Camera lost packets and disconnections",
      names: ["camera_lost_packets", "camera_disconnections"] },
  ];
  const SHORT = {
    cpu_percent: "CPU", memory_percent: "memory", load1: "load", recorder_cpu_percent: "CPU",
    recorder_memory_bytes: "memory", link_rx_bps: "rx", link_tx_bps: "tx", disk_read_bps: "read",
    disk_write_bps: "write", disk_read_iops: "read", disk_write_iops: "write", disk_await_ms: "await",
    disk_util_percent: "util", volume_used_percent: "used", camera_fps: "", camera_bitrate_bps: "",
    camera_lost_packets: "lost", camera_disconnections: "disconnections",
  };

  // Tick steps for byte axes: powers of two, so ticks read 4 MiB, 8 MiB, not 4.8 MiB, 9.5 MiB.
  const BINARY_INCRS = [];
  for (let k = 0; k < 6; k++) for (const m of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) BINARY_INCRS.push(m * Math.pow(1024, k));

  const state = { token: null, period: "day", charts: {}, generation: 0, timer: null, observer: null };
  const $ = (id) => document.getElementById(id);

  class AuthError extends Error {}

  // ---- formatting ---------------------------------------------------------------------------

  function formatBytes(n) {
    if (n === null || n === undefined) return "unknown";
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let k = 0;
    let v = Number(n);
    while (Math.abs(v) >= 1024 && k < units.length - 1) { v /= 1024; k += 1; }
    return (k === 0 ? String(Math.round(v)) : v.toFixed(1)) + " " + units[k];
  }

  function si(v, unit) {
    const prefixes = ["", "k", "M", "G", "T"];
    let k = 0;
    let x = Math.abs(v);
    while (x >= 1000 && k < prefixes.length - 1) { x /= 1000; k += 1; }
    const shown = v / Math.pow(1000, k);
    return (Math.abs(shown) >= 100 || k === 0 && Number.isInteger(shown) ? shown.toFixed(0) : shown.toFixed(1)) +
      " " + prefixes[k] + unit;
  }

  // The kind of a unit decides the axis it goes on and how its values read.
  function unitKind(unit, name) {
    const u = (unit || "").toLowerCase();
    if (u.includes("%") || u.includes("percent") || name.endsWith("_percent")) return "percent";
    if (u.includes("bit")) return "bits";
    if (u.includes("byte") || u === "b/s" || u === "b") return u.includes("/s") ? "bytes/s" : "bytes";
    if (name.endsWith("_bytes")) return "bytes";
    if (name.endsWith("_bps")) return "bits";
    if (name.endsWith("_ms")) return "ms";
    return u || "count";
  }

  function formatValue(v, kind) {
    if (v === null || v === undefined || Number.isNaN(v)) return "-";
    switch (kind) {
      case "percent": return v.toFixed(1) + " %";
      case "bits": return si(v, "bit/s");
      case "bytes/s": return formatBytes(v) + "/s";
      case "bytes": return formatBytes(v);
      case "ms": return v.toFixed(1) + " ms";
      case "count": return Math.abs(v) >= 1000 ? si(v, "") : String(Math.round(v * 100) / 100);
      default: return (Math.round(v * 100) / 100) + " " + kind;
    }
  }

  function formatUptime(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    return (d ? d + " d " : "") + h + " h " + m + " min";
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- API ----------------------------------------------------------------------------------

  async function api(path) {
    let resp;
    try {
      resp = await fetch(path, { headers: { Authorization: "Bearer " + state.token }, cache: "no-store" });
    } catch (err) {
      throw new Error("network error: the appliance did not answer " + path.split("?")[0] + " (" + err.message + ")");
    }
    let body = null;
    try { body = await resp.json(); } catch (err) { body = null; }
    if (resp.status === 401) {
      throw new AuthError((body && body.error) || "the token was refused");
    }
    if (!resp.ok) {
      const why = body && body.error ? body.error + (body.field ? " (" + body.field + ")" : "") : resp.statusText;
      throw new Error(path.split("?")[0] + ": HTTP " + resp.status + ": " + why);
    }
    if (body === null) throw new Error(path.split("?")[0] + ": the answer is not JSON");
    return body;
  }

  function failed(err, where) {
    if (err instanceof AuthError) {
      logout("The token was refused (401): " + err.message + ". Enter a valid token.");
      return;
    }
    const banner = $("app-error");
    banner.textContent = (where ? where + ": " : "") + err.message;
    banner.hidden = false;
  }

  // ---- token --------------------------------------------------------------------------------

  function showLogin(message) {
    $("app-view").hidden = true;
    $("logout").hidden = true;
    $("login-view").hidden = false;
    const msg = $("login-message");
    msg.textContent = message || "";
    msg.hidden = !message;
    $("token-input").value = "";
    $("token-input").focus();
  }

  function logout(message) {
    state.token = null;
    state.generation += 1;
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.timer) { clearInterval(state.timer); state.timer = null; }
    destroyCharts();
    showLogin(message);
  }

  function login(token) {
    state.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    $("logout").hidden = false;
    $("app-error").hidden = true;
    refreshAll();
    if (state.timer) clearInterval(state.timer);
    state.timer = setInterval(refreshAll, REFRESH_MS);
  }

  // ---- status -------------------------------------------------------------------------------

  async function loadStatus() {
    const section = $("status");
    section.dataset.state = "loading";
    const s = await api("/api/v1/status");
    $("host-name").textContent = s.hostname;
    document.title = s.hostname + " - CT-Server statistics";
    $("status-hostname").textContent = s.hostname;
    $("status-version").textContent = "ctsys " + s.version + (s.image_version ? " / image " + s.image_version : "");
    $("status-uptime").textContent = formatUptime(s.uptime_seconds);
    $("status-load").textContent = s.load.map((x) => x.toFixed(2)).join(" ") + " (" + s.cpus + " CPUs)";
    $("status-memory").textContent = s.memory.used_percent.toFixed(0) + " % of " + formatBytes(s.memory.total_bytes);
    const services = $("status-services");
    services.replaceChildren();
    for (const [unit, st] of Object.entries(s.services || {})) {
      const cls = st === "active" ? "ok" : st === "failed" ? "bad" : "other";
      services.append(el("li", { class: "pill " + cls, "data-unit": unit, "data-state": st },
        unit.replace(/\.service$/, "") + " " + st));
    }
    section.dataset.state = "drawn";
    return s;
  }

  function showAlerts(status, fill) {
    const list = $("status-alerts");
    list.replaceChildren();
    const items = [];
    // Alerts the API may join to the status (ctsys.alerts, oldest first: time, kind, state,
    // severity, subject, message): those whose last event is "raised" are still on.
    const last = new Map();
    for (const a of (status && status.alerts) || []) last.set(a.kind + "|" + a.subject, a);
    for (const a of last.values()) {
      if (a.state === "cleared") continue;
      items.push([a.severity || "warning", (a.time ? a.time + " " : "") + a.kind + ": " + a.message]);
    }
    if (fill) {
      for (const v of fill.volumes) {
        const known = last.get("disk-fill|" + v.mountpoint);
        if (v.mounted && v.percent >= fill.threshold && !(known && known.state === "raised")) {
          items.push(["warning", "disk-fill: " + v.label + " is " + v.percent + " % full (threshold " + fill.threshold + " %)"]);
        }
      }
    }
    for (const [severity, text] of items) list.append(el("li", { class: "alert " + severity }, text));
    if (!items.length) list.append(el("li", { class: "muted" }, "No alert"));
    list.dataset.count = String(items.length);
  }

  // ---- disk fill ----------------------------------------------------------------------------

  function segment(cls, bytes, total, title) {
    const span = el("span", { class: "seg " + cls, title: title + ": " + formatBytes(bytes) });
    span.style.width = (total > 0 ? Math.max(0, 100 * bytes / total) : 0).toFixed(3) + "%";
    return span;
  }

  function figure(table, field, label, bytes) {
    const tr = el("tr");
    tr.append(el("th", {}, label));
    const td = el("td", { "data-field": field }, formatBytes(bytes));
    td.dataset.bytes = bytes === null || bytes === undefined ? "" : String(bytes);
    tr.append(td);
    table.append(tr);
  }

  function volumeBlock(v, threshold, isSystem) {
    const over = !isSystem && v.mounted && v.percent >= threshold;
    const block = el("article", { class: "volume" + (over ? " over" : ""), "data-volume": v.label });
    block.dataset.mounted = String(v.mounted);
    block.dataset.percent = String(v.percent);
    block.dataset.over = String(over);
    const head = el("h3");
    head.append(el("span", { class: "vol-name" }, v.label), " ",
      el("span", { class: "muted" }, v.mountpoint), " ",
      el("span", { class: "pct", "data-field": "percent" }, v.mounted ? v.percent + " %" : "not mounted"));
    block.append(head);
    if (!v.mounted) return block;

    const bar = el("div", { class: "bar", role: "img" });
    const protectedBytes = v.protected || 0;
    const reserved = Math.max(0, v.total - v.used - v.free);
    if (isSystem) {
      bar.append(segment("seg-system", v.used, v.total, "used"));
    } else {
      bar.append(segment("seg-system", v.other, v.total, "system / other"),
        segment("seg-recordings", Math.max(0, v.recordings - protectedBytes), v.total, "recordings"),
        segment("seg-protected", protectedBytes, v.total, "protected"));
    }
    bar.append(segment("seg-free", v.free, v.total, "free"), segment("seg-reserved", reserved, v.total, "reserved"));
    if (!isSystem) {
      const mark = el("span", { class: "threshold", title: "alert threshold " + threshold + " %" });
      mark.style.left = Math.min(100, Math.max(0, threshold)) + "%";
      bar.append(mark);
    }
    bar.setAttribute("aria-label", v.label + " " + v.percent + " % used");
    block.append(bar);

    const table = el("table", { class: "figures" });
    figure(table, "total", "size", v.total);
    figure(table, "used", "used", v.used);
    if (!isSystem) {
      figure(table, "other", "system / other", v.other);
      figure(table, "recordings", "recordings", v.recordings);
      figure(table, "protected", "protected", v.protected);
    }
    figure(table, "free", "free", v.free);
    block.append(table);

    const cameras = Object.entries(v.cameras || {});
    if (cameras.length) {
      const ct = el("table", { class: "cameras" });
      ct.append(el("caption", {}, "per camera"));
      for (const [name, bytes] of cameras) {
        const tr = el("tr", { "data-camera": name });
        tr.append(el("th", {}, name));
        const td = el("td", { "data-field": "camera" }, formatBytes(bytes));
        td.dataset.bytes = String(bytes);
        tr.append(td);
        const cell = el("td", { class: "cam-bar-cell" });
        const b = el("span", { class: "cam-bar" });
        b.style.width = (v.total > 0 ? 100 * bytes / v.total : 0).toFixed(3) + "%";
        cell.append(b);
        tr.append(cell);
        ct.append(tr);
      }
      block.append(ct);
    }
    return block;
  }

  async function loadFill() {
    const section = $("fill");
    section.dataset.state = "loading";
    const f = await api("/api/v1/storage/fill");
    $("fill-threshold").textContent = f.threshold + " %";
    section.dataset.threshold = String(f.threshold);
    const box = $("fill-volumes");
    box.replaceChildren(volumeBlock(f.system, f.threshold, true));
    for (const v of f.volumes) box.append(volumeBlock(v, f.threshold, false));
    if (!f.volumes.length) box.append(el("p", { class: "muted" }, "No data volume."));
    section.dataset.volumes = String(f.volumes.length);
    section.dataset.state = "drawn";
    return f;
  }

  // ---- graphs -------------------------------------------------------------------------------

  function destroyCharts() {
    for (const chart of Object.values(state.charts)) chart.destroy();
    state.charts = {};
  }

  function buildGraphSections() {
    const list = $("graph-list");
    list.replaceChildren();
    for (const g of GRAPHS) {
      const sec = el("section", { class: "graph", id: "graph-" + g.id, "data-graph": g.id, "data-state": "loading" });
      sec.dataset.seriesCount = "0";
      sec.dataset.points = "0";
      sec.append(el("h3", {}, g.title), el("div", { class: "plot" }), el("p", { class: "graph-msg muted" }, "loading"));
      list.append(sec);
    }
    state.observer = new ResizeObserver(() => {
      for (const [id, chart] of Object.entries(state.charts)) {
        const plot = document.querySelector("#graph-" + id + " .plot");
        if (plot && plot.clientWidth && plot.clientWidth !== chart.width) {
          chart.setSize({ width: plot.clientWidth, height: PLOT_HEIGHT });
        }
      }
    });
    state.observer.observe(list);
  }

  function lineLabel(s) {
    const short = SHORT[s.name] !== undefined ? SHORT[s.name] : s.name;
    const labels = Object.values(s.labels || {}).join("/");
    return [short, labels].filter(Boolean).join(" ");
  }

  // The API's series each have their own points (a gap is a missing point): align them on the
  // union of their times, null where a series has no point, as uPlot wants.
  function align(series) {
    const times = new Set();
    for (const s of series) for (const p of s.points) times.add(p[0]);
    const xs = Array.from(times).sort((a, b) => a - b);
    const at = new Map(xs.map((t, i) => [t, i]));
    const columns = series.map((s) => {
      const col = new Array(xs.length).fill(null);
      for (const [t, v] of s.points) col[at.get(t)] = v;
      return col;
    });
    return [xs, ...columns];
  }

  // Room for the longest tick label (uPlot's axis font is 12px: about 7 px a character).
  function axisSize(u, values) {
    const longest = values && values.length ? Math.max(...values.map((v) => String(v).length)) : 6;
    return Math.ceil(longest * 7 + 16);
  }

  function drawGraph(g, result) {
    const sec = $("graph-" + g.id);
    const plot = sec.querySelector(".plot");
    const msg = sec.querySelector(".graph-msg");
    if (state.charts[g.id]) { state.charts[g.id].destroy(); delete state.charts[g.id]; }
    const series = (result.series || []).filter((s) => s.points && s.points.length);
    const points = series.reduce((n, s) => n + s.points.length, 0);
    sec.dataset.seriesCount = String(series.length);
    sec.dataset.points = String(points);
    sec.dataset.step = String(result.step);
    if (!series.length) {
      sec.dataset.state = "empty";
      msg.textContent = "no data for this period";
      msg.hidden = false;
      return;
    }
    msg.hidden = true;
    const kinds = [];
    for (const s of series) {
      const k = unitKind(s.unit, s.name);
      if (!kinds.includes(k)) kinds.push(k);
    }
    const opts = {
      width: Math.max(200, plot.clientWidth || 600),
      height: PLOT_HEIGHT,
      scales: { x: { time: true } },
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [{}].concat(series.map((s, i) => {
        const kind = unitKind(s.unit, s.name);
        return {
          label: lineLabel(s),
          scale: kind,
          stroke: COLOURS[i % COLOURS.length],
          width: 1.5,
          spanGaps: false,
          value: (u, v) => formatValue(v, kind),
        };
      })),
      axes: [{}].concat(kinds.slice(0, 2).map((kind, i) => {
        const axis = {
          scale: kind,
          side: i === 0 ? 3 : 1,
          grid: { show: i === 0 },
          size: axisSize,
          values: (u, vals) => vals.map((v) => formatValue(v, kind)),
        };
        if (kind === "bytes" || kind === "bytes/s") axis.incrs = BINARY_INCRS;
        return axis;
      })),
    };
    for (const kind of kinds) {
      opts.scales[kind] = kind === "percent" ? { range: [0, 100] } : { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] };
    }
    state.charts[g.id] = new uPlot(opts, align(series), plot);
    sec.dataset.state = "drawn";
  }

  async function loadGraph(g, since, until, generation) {
    const sec = $("graph-" + g.id);
    sec.dataset.state = "loading";
    sec.dataset.period = state.period;
    const q = new URLSearchParams({ since: String(since), until: String(until) });
    for (const n of g.names) q.append("name", n);
    try {
      const result = await api("/api/v1/stats/series?" + q.toString());
      if (generation !== state.generation) return;
      drawGraph(g, result);
    } catch (err) {
      if (generation !== state.generation) return;
      sec.dataset.state = "error";
      const msg = sec.querySelector(".graph-msg");
      msg.textContent = err.message;
      msg.hidden = false;
      throw err;
    }
  }

  async function loadGraphs() {
    state.generation += 1;
    const generation = state.generation;
    const until = Math.floor(Date.now() / 1000);
    const since = until - PERIODS[state.period];
    $("graphs-range").textContent = new Date(since * 1000).toLocaleString() + " - " + new Date(until * 1000).toLocaleString();
    $("graphs").dataset.period = state.period;
    for (const b of document.querySelectorAll("[data-period]")) {
      if (b.tagName === "BUTTON") b.setAttribute("aria-pressed", String(b.dataset.period === state.period));
    }
    const results = await Promise.allSettled(GRAPHS.map((g) => loadGraph(g, since, until, generation)));
    const bad = results.find((r) => r.status === "rejected");
    if (bad && generation === state.generation) throw bad.reason;
  }

  async function refreshAll() {
    $("app-error").hidden = true;
    const graphs = loadGraphs().catch((err) => { if (state.token) failed(err, "graphs"); });
    const [status, fill] = await Promise.allSettled([loadStatus(), loadFill()]);
    for (const [r, where, id] of [[status, "status", "status"], [fill, "disk fill", "fill"]]) {
      if (r.status === "rejected") { $(id).dataset.state = "error"; failed(r.reason, where); }
    }
    if (state.token) showAlerts(status.value, fill.value);
    await graphs;
  }

  // ---- start --------------------------------------------------------------------------------

  function start() {
    buildGraphSections();
    const saved = sessionStorage.getItem(PERIOD_KEY);
    if (saved && PERIODS[saved]) state.period = saved;
    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const token = $("token-input").value.trim();
      if (token) login(token);
    });
    $("logout").addEventListener("click", () => logout(""));
    $("refresh").addEventListener("click", () => { refreshAll(); });
    for (const b of document.querySelectorAll("button[data-period]")) {
      b.addEventListener("click", () => {
        state.period = b.dataset.period;
        sessionStorage.setItem(PERIOD_KEY, state.period);
        loadGraphs().catch((err) => failed(err, "graphs"));
      });
    }
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) login(token); else showLogin("");
  }

  if (typeof uPlot === "undefined") {
    document.addEventListener("DOMContentLoaded", () => {
      document.body.textContent = "The charting library (uPlot.iife.min.js) did not load.";
    });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
