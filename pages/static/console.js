// The agent console, live: the state from /agent/events (server-sent events) and how
// long it has lasted, ticking. Words come from the server (no text here).
"use strict";
(function () {
  const state = document.getElementById("state");
  const duration = document.getElementById("duration");
  const panel = document.getElementById("console");
  if (!state || !duration || !panel) return;
  let offset = 0; // server clock minus this browser's
  function sync(nowIso) { if (nowIso) offset = Date.parse(nowIso) - Date.now(); }
  function two(n) { return String(n).padStart(2, "0"); }
  function tick() {
    const since = duration.dataset.since;
    if (!since) { duration.textContent = ""; return; }
    const s = Math.max(0, Math.floor((Date.now() + offset - Date.parse(since)) / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    duration.textContent = h ? h + ":" + two(m) + ":" + two(sec) : two(m) + ":" + two(sec);
  }
  sync(duration.dataset.now);
  setInterval(tick, 1000);
  const events = new EventSource("/agent/events");
  window.consoleEvents = events; // the call half (console_calls.js) listens to it too
  events.addEventListener("state", function (e) {
    const live = JSON.parse(e.data);
    sync(live.now);
    state.textContent = live.text;
    state.dataset.state = live.state;
    duration.dataset.since = live.since || "";
    tick();
    // signed in or out elsewhere (a desk phone, a supervisor): other buttons apply
    if (String(live.signed_in) !== panel.dataset.signedIn) window.location.reload();
  });
})();
