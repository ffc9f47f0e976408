// The appeal page: claim, uphold or overturn with a reason, lease heartbeats.
// Served as a static file: the Content-Security-Policy forbids inline script.
"use strict";

(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const status = (text) => { document.getElementById("status").textContent = text; };

  async function post(path, body) {
    const answer = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await answer.json(); } catch (e) { data = {}; }
    return { ok: answer.ok, data: data };
  }

  function setup(section) {
    const taskId = encodeURIComponent(section.dataset.taskId);
    const tasks = "/api/tasks/" + taskId;
    const form = document.getElementById("decide-appeal");
    if (!form) { return; }
    let mine = section.dataset.mine === "yes";
    let beat = null;

    async function claim() {
      const result = await post(tasks + "/claim");
      if (result.ok) {
        mine = true;
        if (beat === null) { beat = window.setInterval(() => post(tasks + "/heartbeat"), 60000); }
        status("claimed: the appeal is yours until " + (result.data.lease_expires_at || "later"));
      } else {
        status(result.data.detail || "could not claim");
      }
      return result.ok;
    }

    async function decide(outcome) {
      const reason = document.getElementById("reason").value;
      if (!reason.trim()) { status("give the reason: the appellant is told"); return; }
      if (!mine && !(await claim())) { return; }
      const result = await post("/api/appeals/" + taskId + "/decision", { outcome: outcome, reason: reason });
      if (result.ok) {
        document.getElementById("task-state").textContent = "decided";
        status("appeal " + outcome);
        form.remove();
      } else {
        status(result.data.detail || "the decision was refused");
      }
    }

    async function release() {
      const result = await post(tasks + "/release");
      mine = mine && !result.ok;
      status(result.ok ? "released" : (result.data.detail || "release refused"));
    }

    const handlers = { claim: claim, upheld: () => decide("upheld"), overturned: () => decide("overturned"), release: release };
    form.querySelectorAll("button[data-action]").forEach((button) => {
      button.addEventListener("click", () => handlers[button.dataset.action]());
    });
    const keys = { c: "claim", u: "upheld", o: "overturned" };
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("textarea")) { return; }
      if (event.key === "/") { event.preventDefault(); document.getElementById("reason").focus(); return; }
      const action = keys[event.key];
      if (action) { event.preventDefault(); handlers[action](); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const section = document.querySelector('[data-page="appeal"]');
    if (section) { setup(section); }
  });
})();
