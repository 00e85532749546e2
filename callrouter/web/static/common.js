// callrouter pages: formatting and the server clock, shared by both pages.
"use strict";

const Clock = {
  // Server time minus browser time, learnt from each board: ticking uses the server's clock.
  offsetMs: 0,
  learn(serverIso) {
    if (serverIso) this.offsetMs = Date.parse(serverIso) - Date.now();
  },
  now() { return Date.now() + this.offsetMs; },
  secondsSince(iso) { return iso ? Math.max(0, (this.now() - Date.parse(iso)) / 1000) : null; },
};

function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
}

function fmtPct(rate) {
  return rate === null || rate === undefined ? "–" : `${Math.round(rate * 100)}%`;
}

function fmtSecs(seconds) {
  return seconds === null || seconds === undefined ? "–" : `${Math.round(seconds)}s`;
}

const STATE_LABELS = {
  available: "Available", offered: "Ringing", on_call: "On call", wrapup: "Wrap-up",
  paused: "Paused", logged_out: "Logged out",
};

// Build an element: h("div", {class: "x", "data-queue": "support"}, child, "text", ...).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Re-tick every element carrying data-since (time in state, longest wait) once a second.
function tickAll(root) {
  for (const el of (root || document).querySelectorAll("[data-since]")) {
    el.textContent = fmtDuration(Clock.secondsSince(el.dataset.since));
    const warnAt = Number(el.dataset.warn || 0), badAt = Number(el.dataset.bad || 0);
    if (warnAt || badAt) {
      const s = Clock.secondsSince(el.dataset.since);
      el.classList.toggle("bad", badAt > 0 && s >= badAt);
      el.classList.toggle("warn", warnAt > 0 && s >= warnAt && !(badAt > 0 && s >= badAt));
    }
  }
}

// A JSON request with the page's cookies; a refusal throws with the server's message.
async function api(method, path, body) {
  const response = await fetch(path, {
    method, credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((data.error && data.error.message) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

// One Server-Sent Events stream; the browser reconnects by itself after a drop. The
// server ends it with an "ended" event when the page's token or session no longer opens
// it (a reload removed the token): then onEnded (by default: load the page again, which
// says how to get in).
function liveStream(url, onBoard, onStatus, onEnded) {
  const source = new EventSource(url);
  source.addEventListener("ended", () => {
    source.close();
    onStatus(false);
    (onEnded || (() => location.reload()))();
  });
  source.onopen = () => onStatus(true);
  source.onerror = () => onStatus(false);
  source.onmessage = (event) => {
    const board = JSON.parse(event.data);
    Clock.learn(board.at);
    onBoard(board);
    onStatus(true);
  };
  return source;
}
