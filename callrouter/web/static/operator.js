// The operator panel: the operator's own state, the caller's card and script when a
// call is offered (pushed over Server-Sent Events), dispositions, preview leads and
// callbacks. Every request acts as the operator of the session cookie. For a shared
// operator, each call says which client company (tenant) it is for, to greet by.
"use strict";

const $ = (id) => document.getElementById(id);
let me = null, stream = null, currentCallId = null, currentLead = null, currentCard = null;

function showError(message) { $("panel-error").textContent = message || ""; }

async function start() {
  try {
    me = await api("GET", "/operator/api/me");
  } catch (error) {
    $("panel-view").hidden = true;
    $("login-view").hidden = false;
    return;
  }
  $("login-view").hidden = true;
  $("panel-view").hidden = false;
  $("me-name").textContent = me.name;
  $("me-queues").textContent = me.queues.join(" · ");
  $("pause-reason").replaceChildren(...me.pause_reasons.map((r) => h("option", { value: r }, r)));
  const previews = me.campaigns.filter((c) => c.mode === "preview");
  $("preview-card").hidden = previews.length === 0;
  $("preview-campaign").replaceChildren(...previews.map((c) => h("option", { value: c.name }, c.name)));
  $("cb-queue").replaceChildren(...me.all_queues.map((q) => h("option", { value: q, selected: me.queues.includes(q) && q === me.queues[0] }, q)));
  if (stream) stream.close();
  stream = liveStream("/operator/events", onPanel, setLive, () => { stream = null; start(); });
}

function setLive(on) {
  $("live").classList.toggle("on", on);
  if (!on) setTimeout(() => api("GET", "/operator/api/me").catch((e) => { if (e.status === 401) start(); }), 2000);
}

function onPanel(view) {
  const op = view.operator;
  if (!op) return;
  const pill = $("my-state");
  pill.className = `pill state-${op.state}`;
  pill.dataset.state = op.state;
  pill.textContent = STATE_LABELS[op.state] || op.state;
  const pending = op.pending ? ` · ${op.pending.replace("pause:", "pause (")}${op.pending.startsWith("pause:") ? ")" : ""} after this call` : "";
  $("my-reason").textContent = (op.reason || "") + pending;
  $("my-since").dataset.since = op.since;
  $("my-since").textContent = fmtDuration(Clock.secondsSince(op.since));
  $("btn-login").hidden = op.state !== "logged_out";
  $("btn-logout").hidden = op.state === "logged_out";
  $("btn-unpause").hidden = op.state !== "paused";
  $("btn-pause").hidden = op.state === "paused" || op.state === "logged_out";
  $("pause-reason").hidden = $("btn-pause").hidden;
  renderQueues(view);
  const card = $("call-card");
  card.classList.remove("idle", "ringing", "on_call");
  card.classList.add(op.state === "offered" ? "ringing" : op.state === "on_call" ? "on_call" : "idle");
  if (op.call && op.call.id !== currentCallId) {
    currentCallId = op.call.id;
    showCaller(op.call);
    showClient(op.call.client);
    loadCard(op.call.id);
  }
  $("call-label").textContent = op.call
    ? `${op.state === "offered" ? "Incoming call" : op.state === "wrapup" ? "Wrap-up" : "On call"} · ${op.call.queue || ""}`
    : currentCard ? "Last call" : "No call";
}

function renderQueues(view) {
  const figures = (view.figures || {}).queues || {};
  $("my-queue-list").replaceChildren(...view.queues.map((q) => {
    const today = figures[q.name] || {};
    return h("div", { class: "queue-line", "data-queue": q.name },
      h("div", {}, h("div", { class: "queue-name" }, q.name,
        me.clients[q.name] ? h("span", { class: "queue-client" }, ` · ${me.clients[q.name]}`) : null),
        h("div", { class: "muted" }, q.oldest_queued_at
          ? ["longest ", h("span", { class: "num", "data-since": q.oldest_queued_at }, "")] : "nobody waiting",
          ` · SL ${fmtPct(today.service_level)}`)),
      h("div", { class: "queue-count" }, h("b", { class: "num" }, q.waiting), h("span", { class: "muted" }, "waiting")));
  }));
}

function showClient(client) {
  $("call-client").textContent = client ? `for ${client}` : "";
  $("call-client").hidden = !client;
}

function showCaller(call) {
  $("caller-name").textContent = call.caller_name || call.caller_number || "Unknown caller";
  $("caller-number").textContent = call.caller_name ? call.caller_number : "";
}

async function loadCard(callId, attempts = 5) {
  let card = null;
  for (let i = 0; i < attempts && !card; i++) {
    try { card = await api("GET", `/operator/api/card?call_id=${encodeURIComponent(callId)}`); }
    catch (error) { if (i === attempts - 1) { showError(error.message); return; } await new Promise((r) => setTimeout(r, 300)); }
  }
  if (callId !== currentCallId) return; // another call came meanwhile
  currentCard = card;
  showError("");
  showClient(card.client);
  $("caller-name").textContent = (card.customer && card.customer.name) || card.caller_name || card.caller_number;
  $("caller-number").textContent = card.caller_number;
  const c = card.customer;
  $("customer").replaceChildren(...(c ? [
    h("div", {}, h("span", {}, "Tier"), h("b", { class: c.tier === "vip" ? "tier-vip" : "" }, c.tier)),
    h("div", {}, h("span", {}, "Account"), h("b", {}, c.account || "–")),
    h("div", {}, h("span", {}, "Priority"), h("b", {}, c.priority)),
    h("div", {}, h("span", {}, "Phone"), h("b", { class: "num" }, c.phone)),
    c.notes ? h("div", { class: "notes" }, h("span", {}, "Notes"), h("b", {}, c.notes)) : null,
  ] : [h("div", { class: "notes" }, h("span", {}, "Customer"), h("b", {}, "No customer record for this number"))]));
  $("call-meta").replaceChildren(...[
    card.queue ? h("span", { class: "pill state-on_call" }, card.queue) : null,
    card.campaign ? h("span", { class: "pill state-wrapup" }, `campaign ${card.campaign.name}`) : null,
  ].filter(Boolean));
  $("script").classList.toggle("muted", !card.script_html);
  // script_html is built server-side with every field HTML-escaped (web/_script.py).
  $("script").innerHTML = card.script_html || "No script for this queue.";
  renderPast(card.past_calls);
  renderDispositions(card.campaign);
}

function renderPast(rows) {
  $("past-calls").replaceChildren(...(rows.length ? rows.map((r) => h("tr", {},
    h("td", { class: "num" }, new Date(r.at).toLocaleString([], { dateStyle: "short", timeStyle: "short" })),
    h("td", {}, r.direction),
    h("td", {}, r.outcome),
    h("td", { class: "num" }, r.talk_s === null ? "–" : fmtDuration(r.talk_s)),
    h("td", {}, r.disposition || "", r.note ? h("span", { class: "muted" }, ` · ${r.note}`) : null),
    h("td", {}, r.recording_url ? h("a", { href: r.recording_url, target: "_blank", rel: "noopener" }, "▶ listen") : "–")))
    : [h("tr", {}, h("td", { colspan: 6, class: "muted" }, "First call from this number"))]));
}

function renderDispositions(campaign) {
  $("disposition-card").hidden = !campaign;
  if (!campaign) return;
  $("disposition-result").textContent = campaign.disposition ? `Saved: ${campaign.disposition}` : "";
  const codes = campaign.dispositions.length ? campaign.dispositions : ["done"];
  $("dispositions").replaceChildren(...codes.map((code) => h("button", {
    type: "button", "data-disposition": code, onclick: () => dispose(campaign, code),
  }, code)));
}

async function dispose(campaign, code) {
  const due = $("disposition-callback").value;
  try {
    const result = await api("POST", "/operator/api/disposition", {
      attempt_id: campaign.attempt_id, disposition: code,
      note: $("disposition-note").value || null,
      callback_at: due ? new Date(due).toISOString() : null,
    });
    $("disposition-result").textContent = `Saved: ${result.disposition}`;
  } catch (error) { showError(error.message); }
}

async function action(name) {
  const body = { action: name };
  if (name === "pause") body.reason = $("pause-reason").value;
  try { await api("POST", "/operator/api/state", body); showError(""); }
  catch (error) { showError(error.message); }
}

async function nextLead() {
  try {
    currentLead = await api("POST", "/operator/api/next-lead", { campaign: $("preview-campaign").value });
    $("lead").classList.remove("muted");
    $("lead").replaceChildren(h("div", { class: "lead-name" }, currentLead.name || currentLead.phone),
      h("div", { class: "num" }, currentLead.phone), h("div", { class: "muted" }, currentLead.timezone));
    $("btn-call-lead").hidden = false;
    if (currentLead.script_html) { $("script").classList.remove("muted"); $("script").innerHTML = currentLead.script_html; }
    showError("");
  } catch (error) { showError(error.message); }
}

async function callLead() {
  if (!currentLead) return;
  try {
    const { call_id } = await api("POST", "/operator/api/call", { lead_id: currentLead.lead_id, campaign_id: currentLead.campaign_id });
    currentCallId = call_id;
    $("btn-call-lead").hidden = true;
    $("call-label").textContent = "Calling";
    showCaller({ caller_name: currentLead.name, caller_number: currentLead.phone });
    loadCard(call_id, 10);
  } catch (error) { showError(error.message); }
}

async function scheduleCallback(event) {
  event.preventDefault();
  try {
    const result = await api("POST", "/operator/api/callback", {
      phone: $("cb-phone").value, name: $("cb-name").value, queue: $("cb-queue").value,
      due_at: new Date($("cb-due").value).toISOString(), note: $("cb-note").value || null,
      for_me: $("cb-mine").checked,
    });
    $("cb-result").textContent = `Callback ${result.callback_id} scheduled`;
    showError("");
  } catch (error) { showError(error.message); }
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "/operator/api/session", { operator_id: $("login-operator").value.trim(), secret: $("login-secret").value });
    $("login-error").textContent = "";
    $("login-secret").value = "";
    await start();
  } catch (error) { $("login-error").textContent = error.message; }
});
$("btn-login").addEventListener("click", () => action("login"));
$("btn-logout").addEventListener("click", () => action("logout"));
$("btn-pause").addEventListener("click", () => action("pause"));
$("btn-unpause").addEventListener("click", () => action("unpause"));
$("btn-next-lead").addEventListener("click", nextLead);
$("btn-call-lead").addEventListener("click", callLead);
$("callback-form").addEventListener("submit", scheduleCallback);
$("btn-end").addEventListener("click", async () => {
  await api("POST", "/operator/api/session/end", {}).catch(() => {});
  if (stream) stream.close();
  currentCallId = null; currentCard = null;
  start();
});
setInterval(() => tickAll(document), 1000);
start();
