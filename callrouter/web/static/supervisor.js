// The supervisor's sign-in: their id and secret (or http.token) buy a session cookie,
// then the wallboard shows them Listen, Whisper and Barge on every call in progress.
"use strict";

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  try {
    await api("POST", "/wallboard/api/supervisor/session", {
      supervisor: document.getElementById("login-supervisor").value.trim(),
      secret: document.getElementById("login-secret").value,
    });
    location.assign("/wallboard");
  } catch (e) {
    error.textContent = e.message;
  }
});
