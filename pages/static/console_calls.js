// The agent console's call half, live: the screen pop, the hold timer (red from 30 s,
// R9) and the wrap-up form with its countdown (R4), from /agent/events "call" events
// (console.js opens the stream). Words come from the server (no text here).
"use strict";
(function () {
  const events = window.consoleEvents;
  const pop = document.getElementById("pop");
  const wrap = document.getElementById("wrap-up");
  const hold = document.getElementById("hold");
  const holdTimer = document.getElementById("hold-timer");
  const left = document.getElementById("wrap-up-left");
  if (!events || !pop || !wrap || !hold || !left) return;
  let offset = 0; // server clock minus this browser's
  const now = function () { return Date.now() + offset; };
  const two = function (n) { return String(n).padStart(2, "0"); };
  function rows(id, items, keys) {
    const body = document.querySelector("#" + id + " tbody");
    body.replaceChildren();
    items.forEach(function (item) {
      const tr = document.createElement("tr");
      keys.forEach(function (k) {
        const td = document.createElement("td");
        td.textContent = item[k];
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    document.getElementById(id + "-none").hidden = items.length > 0;
  }
  function tick() {
    const since = hold.dataset.since;
    if (since) {
      const s = Math.max(0, Math.floor((now() - Date.parse(since)) / 1000));
      holdTimer.textContent = two(Math.floor(s / 60)) + ":" + two(s % 60);
      hold.classList.toggle("long", s >= Number(hold.dataset.longS));
    }
    const deadline = left.dataset.deadline;
    if (deadline) {
      const s = Math.max(0, Math.ceil((Date.parse(deadline) - now()) / 1000));
      left.textContent = String(s);
      left.classList.toggle("over", s === 0);
    }
  }
  events.addEventListener("call", function (e) {
    const call = JSON.parse(e.data);
    offset = Date.parse(call.now) - Date.now();
    pop.hidden = !call.shown;
    pop.dataset.call = call.call;
    document.getElementById("pop-number").textContent = call.number;
    document.getElementById("pop-path").textContent = call.path;
    const script = document.getElementById("pop-script");
    script.textContent = call.script;
    script.hidden = !call.script;
    rows("pop-earlier", call.earlier, ["when", "outcome", "category"]);
    rows("pop-callbacks", call.callbacks, ["kind", "due", "question"]);
    hold.dataset.since = call.hold_since || "";
    hold.dataset.longS = call.hold_long_s;
    hold.hidden = !call.hold_since;
    if (!call.hold_since) hold.classList.remove("long");
    const opening = call.wrap_up && wrap.hidden;
    wrap.hidden = !call.wrap_up;
    left.dataset.deadline = call.deadline || "";
    if (call.call) document.getElementById("wrap-up-call").value = call.call;
    if (opening) document.getElementById("category").focus();
    tick();
  });
  setInterval(tick, 250);
  tick();
})();
