// Review console behaviour: keyboard shortcuts, claims, decisions, lease heartbeats, image reveal.
// Served as a static file: the Content-Security-Policy forbids inline script.
"use strict";

(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const status = (text) => { document.getElementById("status").textContent = text; };
  const HEARTBEAT_MS = 60000;

  async function post(path, body) {
    const answer = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await answer.json(); } catch (e) { data = {}; }
    return { ok: answer.ok, status: answer.status, data: data };
  }

  async function claimNext(queue, done) {
    const result = await post("/api/queue/next?queue=" + encodeURIComponent(queue || "standard"));
    if (result.ok) {
      window.location.assign("/tasks/" + encodeURIComponent(result.data.task_id));
    } else {
      const why = result.data.detail || "nothing left to claim";
      status(done ? done + " · " + why : why);
    }
  }

  function setupQueue(section) {
    const queue = section.dataset.queue;
    section.querySelector('[data-action="next"]').addEventListener("click", () => claimNext(queue));
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (event.key === "n") { event.preventDefault(); claimNext(queue); }
      if (event.key === "?") { status("n: claim the top task"); }
    });
  }

  function setupTask(section) {
    const taskId = section.dataset.taskId;
    const queue = section.dataset.queue;
    const base = "/api/tasks/" + encodeURIComponent(taskId);
    const form = document.getElementById("decide");
    let mine = section.dataset.mine === "yes";
    let busy = false;
    let beat = null;

    document.querySelectorAll("img[data-reveal]").forEach((img) => {
      img.addEventListener("click", () => img.classList.toggle("blurred"));
    });
    if (!form) { return; }

    function startHeartbeat() {
      if (beat === null) {
        beat = window.setInterval(() => post(base + "/heartbeat"), HEARTBEAT_MS);
      }
    }

    async function claim() {
      const result = await post(base + "/claim");
      if (result.ok) {
        mine = true;
        section.dataset.mine = "yes";
        startHeartbeat();
        status("claimed: the task is yours for " + (result.data.lease_expires_at || "a while"));
      } else {
        status(result.data.detail || "could not claim");
      }
      return result.ok;
    }

    function chosenCategories() {
      const severity = form.querySelector('select[name="severity"]').value;
      return Array.from(form.querySelectorAll('input[name="category"]:checked')).map(
        (box) => ({ category: box.value, severity: severity })
      );
    }

    async function decide(action) {
      if (busy) { return; }
      const categories = chosenCategories();
      if (action === "remove" && categories.length === 0) {
        status("pick at least one category (keys 1-9) to remove");
        return;
      }
      busy = true;
      try {
        if (!mine && !(await claim())) { return; }
        const notes = document.getElementById("notes").value;
        const body = { action: action, categories: action === "remove" ? categories : [], notes: notes };
        const result = await post(base + "/decision", body);
        if (result.ok) {
          document.getElementById("task-state").textContent = action === "escalate" ? "escalated" : "decided";
          const done = "decision recorded: " + action;
          status(done);
          section.dataset.state = "done";
          window.setTimeout(() => claimNext(queue, done), 300);
        } else {
          status(result.data.detail || "the decision was refused");
        }
      } finally {
        busy = false;
      }
    }

    async function simple(action) {
      const result = await post(base + "/" + action);
      if (result.ok) {
        if (action === "skip") { claimNext(queue); return; }
        mine = false;
        status(action + " done");
      } else {
        status(result.data.detail || action + " refused");
      }
    }

    const handlers = {
      claim: claim,
      allow: () => decide("allow"),
      remove: () => decide("remove"),
      escalate: () => decide("escalate"),
      skip: () => simple("skip"),
      release: () => simple("release"),
      next: () => claimNext(queue),
    };
    form.querySelectorAll("button[data-action]").forEach((button) => {
      button.addEventListener("click", () => handlers[button.dataset.action]());
    });
    if (mine) { startHeartbeat(); }

    const keys = { c: "claim", a: "allow", r: "remove", e: "escalate", s: "skip", n: "next" };
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.target.closest("input[type=text], textarea, select")) {
        if (event.key === "Escape") { event.target.blur(); }
        return;
      }
      const boxes = form.querySelectorAll('input[name="category"]');
      if (/^[1-9]$/.test(event.key)) {
        const box = boxes[Number(event.key) - 1];
        if (box) { box.checked = !box.checked; event.preventDefault(); }
        return;
      }
      if (event.key === "/") { event.preventDefault(); document.getElementById("notes").focus(); return; }
      if (event.key === "?") {
        status("c claim · 1-9 category · a allow · r remove · e escalate · s skip · n next · / notes");
        return;
      }
      const action = keys[event.key];
      if (action) { event.preventDefault(); handlers[action](); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const queue = document.querySelector('[data-page="queue"]');
    if (queue) { setupQueue(queue); }
    const task = document.querySelector('[data-page="task"]');
    if (task) { setupTask(task); }
  });
})();
