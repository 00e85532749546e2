// The wallboard: one Server-Sent Events stream, the whole board redrawn on each push,
// waits and times in state ticking every second from the server's timestamps. A
// signed-in supervisor (/wallboard/supervisor) also gets Listen, Whisper and Barge on
// every call in progress; a wall screen (the viewer token) never does. A tenant's board
// (board.tenant) holds only its own queues and calls: an operator busy for another
// tenant comes with "elsewhere" and no call.
"use strict";

const STATE_ORDER = ["on_call", "offered", "wrapup", "available", "paused", "logged_out"];
const MONITOR_MODES = [["listen", "Listen"], ["whisper", "Whisper"], ["barge", "Barge"]];
let lastBoard = null;
let supervisor = null;  // {supervisor, name, endpoint} once signed in
const monitors = new Map();  // call id -> {monitor_id, mode}: this supervisor's own

function stateChips(states) {
  return STATE_ORDER.filter((s) => states[s]).map((s) =>
    h("span", { class: `pill state-${s}`, "data-state": s }, `${states[s]} ${STATE_LABELS[s].toLowerCase()}`));
}

function bigFigure(label, value, attrs) {
  return h("div", { class: "big" }, h("span", { class: "value num", ...attrs }, value), h("span", { class: "label" }, label));
}

function todayFigure(label, value, attrs) {
  return h("div", {}, h("b", { class: "num", ...attrs }, value), h("span", {}, label));
}

function queueCard(queue, figures) {
  const today = figures || {};
  const sl = today.service_level, target = queue.service_level_target;
  const threshold = queue.service_level_s || 0;
  const oldestWait = Clock.secondsSince(queue.oldest_queued_at);
  const atRisk = today.at_risk || (oldestWait !== null && threshold > 0 && oldestWait >= threshold);
  const slClass = sl === null || sl === undefined ? "" : (sl < target ? "sl-bad" : "sl-good");
  // The center's board names each queue's client company; a tenant's own board does not.
  const client = lastBoard && !lastBoard.tenant && queue.client ? h("span", { class: "client" }, queue.client) : null;
  return h("article", { class: `card queue${atRisk ? " at-risk" : ""}`, "data-queue": queue.name },
    h("div", { class: "name" }, h("strong", {}, queue.name, client), h("div", { class: "states" }, stateChips(queue.operators))),
    bigFigure("waiting", queue.waiting, { "data-field": "waiting", class: `value num${queue.waiting ? " hot" : ""}` }),
    bigFigure("longest wait", queue.oldest_queued_at ? fmtDuration(oldestWait) : "–", {
      "data-field": "longest", "data-since": queue.oldest_queued_at,
      "data-warn": threshold * 0.8, "data-bad": threshold,
    }),
    bigFigure("ringing", queue.ringing, { "data-field": "ringing" }),
    h("div", { class: "today" },
      todayFigure("offered", today.offered ?? 0, { "data-field": "offered" }),
      todayFigure("answered", today.answered ?? 0, { "data-field": "answered" }),
      todayFigure("abandoned", `${today.abandoned ?? 0} · ${fmtPct(today.abandon_rate)}`, { "data-field": "abandoned" }),
      todayFigure(`SL / ${fmtPct(target)}`, fmtPct(sl), { "data-field": "service-level", class: `num ${slClass}` }),
      todayFigure("ASA", fmtSecs(today.asa_s), { "data-field": "asa" }),
      todayFigure("AHT", fmtSecs(today.aht_s), { "data-field": "aht" })));
}

function operatorRow(op) {
  const call = op.call;
  const caller = call ? (call.caller_name ? `${call.caller_name} (${call.caller_number})` : call.caller_number) : "";
  return h("tr", { "data-operator": op.id, "data-state": op.state },
    h("td", {}, op.name, op.online ? null : h("span", { class: "offline" }, "phone offline")),
    h("td", { "data-field": "state" },
      h("span", { class: `pill state-${op.state}` }, STATE_LABELS[op.state] || op.state),
      op.reason ? h("span", { class: "reason", "data-field": "reason" }, op.reason) : null),
    h("td", { class: "num", "data-since": op.since }, fmtDuration(Clock.secondsSince(op.since))),
    h("td", { "data-field": "queue" }, call ? call.queue || "" : "",
      call && call.client && !lastBoard.tenant ? h("span", { class: "client" }, call.client) : null),
    h("td", { "data-field": "caller" }, op.elsewhere ? h("span", { class: "elsewhere" }, "busy for another client") : caller),
    supervisor ? h("td", { class: "monitor" }, monitorButtons(op)) : null);
}

function monitorButtons(op) {
  if (!op.call || op.state !== "on_call") return null;
  const active = monitors.get(op.call.id);
  return [
    ...MONITOR_MODES.map(([mode, label]) => h("button", {
      type: "button", "data-monitor": mode, class: active && active.mode === mode ? "active" : null,
      onclick: () => monitor(op.call.id, mode),
    }, label)),
    active ? h("button", { type: "button", "data-monitor": "stop", class: "quiet", onclick: () => stopMonitor(op.call.id) }, "Stop") : null,
  ];
}

function showMonitorError(message) { document.getElementById("sup-error").textContent = message || ""; }

async function monitor(callId, mode) {
  const active = monitors.get(callId);
  try {
    if (active) {
      await api("POST", "/wallboard/api/monitor/mode", { call_id: callId, monitor_id: active.monitor_id, mode });
      active.mode = mode;
    } else {
      const phone = document.getElementById("sup-phone").value.trim();
      const started = await api("POST", "/wallboard/api/monitor", { call_id: callId, mode, endpoint: phone || null });
      monitors.set(callId, { monitor_id: started.monitor_id, mode });
    }
    showMonitorError("");
  } catch (error) {
    if (error.status === 404 && active) monitors.delete(callId);  // ended meanwhile
    showMonitorError(error.message);
  }
  if (lastBoard) render(lastBoard);
}

async function stopMonitor(callId) {
  const active = monitors.get(callId);
  monitors.delete(callId);
  try {
    await api("POST", "/wallboard/api/monitor/stop", { call_id: callId, monitor_id: active.monitor_id });
    showMonitorError("");
  } catch (error) {
    if (error.status !== 404) showMonitorError(error.message);
  }
  if (lastBoard) render(lastBoard);
}

async function loadSupervisor() {
  let me = null;
  try { me = await api("GET", "/wallboard/api/supervisor"); } catch (error) { return; }
  if (!me.supervisor) return;
  supervisor = me;
  document.getElementById("sup-name").textContent = me.name;
  document.getElementById("sup-client").textContent = me.client ? `· ${me.client}` : "";
  document.getElementById("sup-phone").value = me.endpoint || "";
  document.getElementById("supervisor-bar").hidden = false;
  document.getElementById("monitor-head").hidden = false;
  if (lastBoard) render(lastBoard);
}

document.getElementById("sup-end").addEventListener("click", async () => {
  await api("POST", "/wallboard/api/supervisor/session/end", {}).catch(() => null);
  location.assign("/wallboard/supervisor");
});

function campaignRow(c) {
  const cap = c.abandon_cap, rate = c.abandon_rate;
  const cls = rate === null ? "" : rate > cap ? "bad" : rate > cap * 0.8 ? "warn" : "sl-good";
  return h("tr", { "data-campaign": c.name },
    h("td", {}, c.name, h("span", { class: "muted" }, ` ${c.mode}`)),
    h("td", {}, c.state),
    h("td", { class: "num" }, c.dial_level === null ? "–" : c.dial_level.toFixed(2)),
    h("td", { class: "num" }, h("span", { class: cls }, fmtPct(rate)), h("span", { class: "muted" }, ` / ${fmtPct(cap)}`)),
    h("td", { class: "num" }, c.leads_left));
}

function drawChart(svg, slots, target) {
  const W = 800, H = 260, left = 36, right = 44, top = 12, bottom = 28;
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  const el = (tag, attrs) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    svg.append(node);
    return node;
  };
  let first = slots.findIndex((s) => s.offered > 0);
  if (first < 0) first = Math.max(0, slots.length - 16);
  first = Math.min(first, Math.max(0, slots.length - 16));
  const shown = slots.slice(first);
  if (!shown.length) return;
  const maxCalls = Math.max(4, ...shown.map((s) => s.offered));
  const plotW = W - left - right, plotH = H - top - bottom;
  const step = plotW / shown.length, barW = Math.max(2, step * 0.72);
  const y = (v) => top + plotH - (v / maxCalls) * plotH;
  const ySl = (r) => top + plotH - r * plotH;
  for (const frac of [0, 0.5, 1]) {
    el("line", { class: "grid", x1: left, x2: W - right, y1: top + plotH * frac, y2: top + plotH * frac });
  }
  el("text", { x: 4, y: top + 12 }).textContent = maxCalls;
  el("text", { x: W - right + 6, y: top + 12 }).textContent = "100%";
  el("text", { x: W - right + 6, y: top + plotH }).textContent = "0%";
  shown.forEach((s, i) => {
    const x = left + i * step + (step - barW) / 2;
    el("rect", { class: "bar-offered", x, y: y(s.offered), width: barW, height: top + plotH - y(s.offered), "data-start": s.start });
    const inner = barW * 0.55;
    el("rect", { class: "bar-answered", x: x + (barW - inner) / 2, y: y(s.answered), width: inner, height: top + plotH - y(s.answered) });
    const local = s.start.slice(11, 16);
    if (local.endsWith(":00") && (shown.length <= 24 || Number(local.slice(0, 2)) % 2 === 0)) {
      el("text", { x: left + i * step, y: H - 6 }).textContent = local;
    }
  });
  if (target) el("line", { class: "target", x1: left, x2: W - right, y1: ySl(target), y2: ySl(target) });
  const points = shown.map((s, i) => s.service_level === null ? null : `${left + i * step + step / 2},${ySl(s.service_level)}`);
  let run = [];
  for (const p of [...points, null]) {
    if (p) { run.push(p); continue; }
    if (run.length > 1) el("polyline", { class: "sl-line", points: run.join(" ") });
    else if (run.length === 1) { const [cx, cy] = run[0].split(","); el("circle", { cx, cy, r: 4, fill: "var(--good)" }); }
    run = [];
  }
}

function render(board) {
  lastBoard = board;
  const client = board.tenant ? (board.queues.find((q) => q.client) || {}).client || board.tenant : "";
  document.getElementById("client").textContent = client;
  document.getElementById("client").hidden = !client;
  const figures = board.figures || {};
  const byQueue = figures.queues || {};
  document.getElementById("queues").replaceChildren(...board.queues.map((q) => queueCard(q, byQueue[q.name])));
  const ops = [...board.operators].sort((a, b) => (a.state === "logged_out") - (b.state === "logged_out"));
  document.getElementById("operators").replaceChildren(...ops.map(operatorRow));
  const live = new Set(board.operators.filter((o) => o.call).map((o) => o.call.id));
  for (const callId of monitors.keys()) if (!live.has(callId)) monitors.delete(callId);
  const working = board.operators.filter((o) => o.state !== "logged_out").length;
  document.getElementById("op-summary").textContent = `${working} logged in`;
  const campaigns = figures.campaigns || [];
  document.getElementById("campaigns").replaceChildren(...(campaigns.length
    ? campaigns.map(campaignRow)
    : [h("tr", {}, h("td", { class: "empty", colspan: 5 }, "No campaigns"))]));
  const targets = board.queues.map((q) => q.service_level_target).filter((t) => t);
  const target = targets.length ? targets.reduce((a, b) => a + b, 0) / targets.length : null;
  drawChart(document.getElementById("chart"), figures.intraday || [], target);
}

function setLive(on) {
  document.getElementById("live").classList.toggle("on", on);
  document.getElementById("live-text").textContent = on ? "live" : "reconnecting…";
}

function tick() {
  const now = new Date(Clock.now());
  // The call center's clock (reports.timezone), the one its day and chart are cut by.
  const timeZone = lastBoard && lastBoard.figures && lastBoard.figures.timezone;
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
  try { options.timeZone = timeZone || undefined; document.getElementById("clock").textContent = now.toLocaleTimeString([], options); }
  catch (e) { delete options.timeZone; document.getElementById("clock").textContent = now.toLocaleTimeString([], options); }
  tickAll(document);
  // A wait crossing the service-level threshold marks its queue at risk without a push.
  if (lastBoard) {
    for (const q of lastBoard.queues) {
      const card = document.querySelector(`[data-queue="${CSS.escape(q.name)}"]`);
      const wait = Clock.secondsSince(q.oldest_queued_at);
      const late = wait !== null && q.service_level_s && wait >= q.service_level_s;
      const figs = ((lastBoard.figures || {}).queues || {})[q.name] || {};
      if (card) card.classList.toggle("at-risk", Boolean(late || figs.at_risk));
    }
  }
}

loadSupervisor();
liveStream("/wallboard/events", render, setLive);
setInterval(tick, 1000);
tick();
