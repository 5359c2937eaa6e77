// The wallboard, live: the whole board from /wallboard/events (server-sent events, the
// newest snapshot each time), the states' durations ticking, the charts reloaded every
// minute. Every word comes from the server (the snapshot, or the page's own markup).
"use strict";
(function () {
  const agents = document.querySelector("#agents tbody");
  const rowTemplate = document.getElementById("agent-row");
  const live = document.getElementById("live");
  if (!agents || !rowTemplate || !live) return;
  let offset = 0; // server clock minus this browser's
  function two(n) { return String(n).padStart(2, "0"); }
  function since(iso) {
    if (!iso) return "";
    const s = Math.max(0, Math.floor((Date.now() + offset - Date.parse(iso)) / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? h + ":" + two(m) + ":" + two(sec) : two(m) + ":" + two(sec);
  }
  function tick() {
    document.querySelectorAll("#agents time.duration").forEach(function (t) {
      t.textContent = since(t.dataset.since);
    });
  }
  function text(id, value) {
    const el = document.getElementById(id);
    if (el) el.textContent = value === null || value === undefined ? "—" : String(value);
  }
  function agentRow(a) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.id = "agent-" + a.job;
    row.dataset.job = a.job;
    row.dataset.state = a.state;
    row.dataset.forced = String(a.forced);
    row.querySelector(".job").textContent = a.job;
    row.querySelector(".name").textContent = a.name;
    const state = row.querySelector(".state");
    state.textContent = a.text;
    state.dataset.state = a.state;
    state.dataset.forced = String(a.forced);
    row.querySelector("time.duration").dataset.since = a.since || "";
    row.querySelector(".ext").textContent = a.phone;
    row.querySelector(".offline").hidden = !a.phone_offline;
    row.querySelectorAll("form").forEach(function (f) {
      f.action = "/wallboard/agents/" + encodeURIComponent(a.job) + "/state";
    });
    row.querySelector("form.force-busy").hidden = !a.can_force_busy;
    row.querySelector("form.sign-out").hidden = !a.signed_in;
    return row;
  }
  function queueRow(q) {
    const row = document.createElement("tr");
    row.dataset.queue = q.queue;
    [[q.queue, ""], [q.waiting, "waiting"], [q.longest_wait, "longest"]].forEach(function (c) {
      const td = document.createElement("td");
      td.textContent = String(c[0]);
      if (c[1]) td.className = c[1];
      row.appendChild(td);
    });
    return row;
  }
  function draw(board) {
    offset = Date.parse(board.now) - Date.now();
    agents.replaceChildren.apply(agents, board.agents.map(agentRow));
    const queues = document.querySelector("#queues tbody");
    if (queues) queues.replaceChildren.apply(queues, board.queues.map(queueRow));
    document.querySelectorAll("#summary [data-key]").forEach(function (n) {
      n.textContent = String(board.summary[n.dataset.key]);
    });
    const f = board.figures;
    Object.keys(f.rates).forEach(function (k) { text(k, f.rates[k]); });
    Object.keys(f.counts).forEach(function (k) { text(k, f.counts[k]); });
    text("callbacks_open", f.callbacks_open);
    text("callbacks_overdue", f.callbacks_overdue);
    text("staffing_starts", f.staffing_starts);
    text("staffing_needed", f.staffing_needed);
    text("staffing_signed_in", board.summary.signed_in);
    text("figures-at", f.at);
    const short = document.getElementById("staffing_short");
    if (short) short.textContent = board.staffing_short;
    document.body.dataset.version = String(board.version);
    tick();
  }
  function up(isUp) {
    live.dataset.up = String(isUp);
    live.textContent = isUp ? live.dataset.live : live.dataset.offline;
  }
  tick();
  setInterval(tick, 1000);
  const events = new EventSource("/wallboard/events");
  events.addEventListener("open", function () { up(true); });
  events.addEventListener("error", function () { up(false); });
  events.addEventListener("board", function (e) { up(true); draw(JSON.parse(e.data)); });
  setInterval(function () {
    document.querySelectorAll("img[data-chart]").forEach(function (img) {
      img.src = img.dataset.chart + "?at=" + Date.now();
    });
  }, 60000);
})();
