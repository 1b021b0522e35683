// superd dashboard: makes the server-rendered process table live.
// Data arrives as server-sent events from api/events (a snapshot, then
// changes pushed from superd's event bus); actions are POSTed with the
// page's CSRF token. Every name, description and message is set with
// textContent, never parsed as HTML.
"use strict";
(function () {
  // the token of superd's actions; the event stream sends it again on
  // every (re)connect, so a page open while superd restarted keeps working
  let csrf = document.querySelector('meta[name="csrf-token"]').content;
  const table = document.getElementById("procs");
  const form = document.getElementById("actions");
  const msgBox = document.getElementById("statusmessage");
  const live = document.getElementById("live");
  const supstate = document.getElementById("supstate");
  const filter = document.getElementById("filter");
  const STATES = ["RUNNING", "STARTING", "BACKOFF", "STOPPING", "STOPPED", "EXITED", "FATAL", "UNKNOWN"];
  const NAMES = {0: "STOPPED", 10: "STARTING", 20: "RUNNING", 30: "BACKOFF", 40: "STOPPING", 100: "EXITED", 200: "FATAL", 1000: "UNKNOWN"};
  let skew = 0; // server clock minus ours, ms
  const UPTIME = /uptime (\d+ days?, )?\d+:\d\d:\d\d/;
  let refreshJobs = null; // set when the page has a jobs section
  const rows = new Map(); // ns -> {tr, cells, p}

  function stateClass(s) {
    if (s === 20) return "statusrunning";
    if (s === 200 || s === 30) return "statuserror";
    return "statusnominal";
  }
  function uptime(secs) {
    secs = Math.max(0, Math.floor(secs));
    const d = Math.floor(secs / 86400); secs %= 86400;
    const hms = Math.floor(secs / 3600) + ":" + String(Math.floor(secs / 60) % 60).padStart(2, "0") + ":" + String(secs % 60).padStart(2, "0");
    return d === 0 ? hms : (d === 1 ? "1 day, " : d + " days, ") + hms;
  }
  function nowSecs() { return (Date.now() + skew) / 1000; }

  function index(tr) {
    const c = tr.cells;
    const r = {tr: tr, status: c[0].firstElementChild, desc: c[2].firstElementChild, pid: c[3], up: c[4], exit: c[5],
      upText: c[4].textContent, descText: c[2].textContent,
      p: {ns: tr.dataset.ns, state: +tr.dataset.state, start: +tr.dataset.start, pid: +c[3].textContent || 0, exitText: c[5].textContent, desc: c[2].textContent}};
    rows.set(tr.dataset.ns, r);
    return r;
  }
  table.querySelectorAll("tr.proc").forEach(index);

  function button(op, cls, text) {
    const b = document.createElement("button");
    b.name = "op"; b.value = op; b.textContent = text;
    if (cls) b.className = cls;
    return b;
  }
  function link(href, text, cls) {
    const a = document.createElement("a");
    a.href = href; a.textContent = text;
    if (cls) a.className = cls;
    return a;
  }
  function groupBody(p) {
    const single = p.group === p.name;
    const sel = single ? 'tbody.group:not([data-header])' : 'tbody.group[data-header][data-group="' + CSS.escape(p.group) + '"]';
    let tb = table.querySelector(sel);
    if (tb) return tb;
    tb = document.createElement("tbody");
    tb.className = "group";
    tb.dataset.group = p.group;
    if (!single) {
      tb.dataset.header = "1";
      const tr = tb.insertRow();
      tr.className = "grouprow";
      const th = document.createElement("th");
      th.colSpan = 6;
      const t = document.createElement("button");
      t.type = "button"; t.className = "toggle"; t.textContent = "▾"; t.setAttribute("aria-expanded", "true");
      const gn = document.createElement("span"); gn.className = "gname"; gn.textContent = p.group;
      const gc = document.createElement("span"); gc.className = "gcounts";
      th.append(t, " ", gn, " ", gc);
      const td = document.createElement("td"); td.className = "action";
      for (const [a, l] of [["start", "Start"], ["stop", "Stop"], ["restart", "Restart"], ["signal", "Signal"]]) td.append(button(a + "|" + p.group + ":*", "", l));
      tr.append(th, td);
    }
    table.append(tb);
    return tb;
  }
  function addRow(p) {
    const tr = document.createElement("tr");
    tr.className = "proc";
    tr.dataset.ns = p.ns; tr.dataset.state = p.state; tr.dataset.start = p.start;
    const q = encodeURIComponent(p.ns);
    const st = tr.insertCell(); st.className = "status"; st.append(document.createElement("span"));
    const nm = tr.insertCell(); nm.className = "name";
    nm.append(link("tail.html?processname=" + q, p.ns), " ", link("log.html?processname=" + q + "&channel=stdout", "stdout", "loglink"), " ", link("log.html?processname=" + q + "&channel=stderr", "stderr", "loglink"));
    const ds = tr.insertCell(); ds.className = "desc"; ds.append(document.createElement("span"));
    tr.insertCell().className = "pid";
    tr.insertCell().className = "uptime";
    tr.insertCell().className = "exit";
    const ac = tr.insertCell(); ac.className = "action";
    for (const [a, l] of [["start", "Start"], ["stop", "Stop"], ["restart", "Restart"], ["signal", "Signal"], ["clear", "Clear log"]]) ac.append(button(a + "|" + p.ns, "a-" + a, l));
    groupBody(p).append(tr);
    const r = index(tr);
    r.p = {};
    return r;
  }
  function applyFilterTo(r) {
    const f = filter.value.trim().toLowerCase();
    r.tr.classList.toggle("filtered", f !== "" && !(r.p.ns.toLowerCase().includes(f) || (NAMES[r.p.state] || "").toLowerCase().includes(f)));
  }
  // update applies one process's new info, writing only what changed
  // (a snapshot of 1000 unchanged processes touches nothing).
  function update(p) {
    let r = rows.get(p.ns);
    if (!r) r = addRow(p);
    const old = r.p;
    r.p = p;
    if (old.state !== p.state) {
      r.tr.dataset.state = p.state;
      r.status.className = stateClass(p.state);
      r.status.textContent = (p.statename || NAMES[p.state]).toLowerCase();
    }
    if (old.start !== p.start) r.tr.dataset.start = p.start;
    if (old.pid !== p.pid) r.pid.textContent = p.pid ? String(p.pid) : "";
    const stopped = p.state === 0 || p.state === 100 || p.state === 200;
    p.exitText = stopped && p.start ? String(p.exit) : "";
    if (old.exitText !== p.exitText) r.exit.textContent = p.exitText;
    tick(r);
    if (filter.value !== "" || old.state !== p.state) applyFilterTo(r);
  }
  function setText(r, up, desc) {
    if (r.upText !== up) { r.up.textContent = up; r.upText = up; }
    if (r.descText !== desc) { r.desc.textContent = desc; r.descText = desc; }
  }
  function tick(r) {
    const p = r.p;
    if (p.state === 20 && p.start) {
      const u = uptime(nowSecs() - p.start);
      // the server's description with the uptime ticking (it may say
      // more: health, listen sockets)
      const d = UPTIME.test(p.desc || "") ? p.desc.replace(UPTIME, "uptime " + u) : "pid " + p.pid + ", uptime " + u;
      setText(r, u, d);
    } else if (p.desc !== undefined) {
      setText(r, "", p.desc);
    }
  }
  function recount() {
    const n = {};
    const groups = new Map();
    for (const r of rows.values()) {
      const s = NAMES[r.p.state] || "UNKNOWN";
      n[s] = (n[s] || 0) + 1;
      const g = r.tr.parentElement;
      if (!groups.has(g)) groups.set(g, {});
      const gc = groups.get(g);
      gc[s] = (gc[s] || 0) + 1;
    }
    document.querySelector('[data-count="total"]').textContent = rows.size;
    for (const s of STATES) {
      const b = document.querySelector('[data-count="' + s + '"]');
      if (b) { b.textContent = n[s] || 0; b.parentElement.classList.toggle("zero", !n[s]); }
    }
    for (const [g, gc] of groups) {
      const el = g.querySelector(".gcounts");
      if (el) el.textContent = STATES.filter(s => gc[s]).map(s => gc[s] + " " + s.toLowerCase()).join(", ");
    }
  }
  // Timings for tests and the curious: when the first message was
  // applied, and the longest time one message took to apply (ms).
  window.superdStats = {first: 0, maxApply: 0, messages: 0};
  function applyMessage(m) {
    const t0 = performance.now();
    skew = m.now - Date.now();
    if (m.state) {
      supstate.textContent = m.state;
      // while superd restarts or shuts down the rows are not current
      document.body.classList.toggle("stale", m.state !== "RUNNING");
    }
    if (m.type === "snapshot") {
      const seen = new Set(m.procs.map(p => p.ns));
      for (const [ns, r] of rows) if (!seen.has(ns)) { r.tr.remove(); rows.delete(ns); }
    }
    for (const p of m.procs) update(p);
    for (const ns of m.removed || []) {
      const r = rows.get(ns);
      if (r) { r.tr.remove(); rows.delete(ns); }
    }
    recount();
    if (m.jobs) {
      // The first job of a page that had none needs the section the
      // server renders: load the page again.
      if (refreshJobs) refreshJobs(); else location.reload();
    }
    const st = window.superdStats;
    st.messages++;
    st.maxApply = Math.max(st.maxApply, performance.now() - t0);
    if (!st.first) st.first = performance.now();
  }

  let es;
  function connect() {
    es = new EventSource("api/events");
    es.onopen = () => { live.textContent = "live"; live.className = "live on"; };
    es.onmessage = (ev) => applyMessage(JSON.parse(ev.data));
    es.addEventListener("csrf", (ev) => { csrf = JSON.parse(ev.data); });
    es.onerror = () => { live.textContent = "reconnecting"; live.className = "live off"; };
  }
  connect();
  setInterval(() => { for (const r of rows.values()) if (r.p.state === 20) tick(r); }, 1000);

  let ft;
  filter.addEventListener("input", () => {
    clearTimeout(ft);
    ft = setTimeout(() => {
      for (const r of rows.values()) applyFilterTo(r);
      table.querySelectorAll("tbody.group").forEach(tb => tb.classList.toggle("filtered", filter.value.trim() !== "" && !tb.querySelector("tr.proc:not(.filtered)")));
    }, 60);
  });
  table.addEventListener("click", (ev) => {
    const t = ev.target.closest("button.toggle");
    if (!t) return;
    const tb = t.closest("tbody");
    const c = tb.classList.toggle("collapsed");
    t.textContent = c ? "▸" : "▾";
    t.setAttribute("aria-expanded", String(!c));
  });

  function showMessage(lines, ok) {
    msgBox.textContent = lines.join("\n");
    msgBox.classList.remove("hidden");
    msgBox.classList.toggle("fail", !ok);
  }
  async function post(url, body) {
    const res = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify(body), credentials: "same-origin"});
    if (!res.ok) return {lines: [(await res.text()).trim() || res.statusText], ok: false};
    return res.json();
  }
  const dialog = document.getElementById("sigdialog");
  function chooseSignal(target) {
    return new Promise(resolve => {
      if (!dialog || !dialog.showModal) { resolve(document.getElementById("signal").value); return; }
      document.getElementById("sigtarget").textContent = target;
      document.getElementById("sigchoice").value = document.getElementById("signal").value;
      dialog.onclose = () => resolve(dialog.returnValue === "ok" ? document.getElementById("sigchoice").value : null);
      dialog.showModal();
    });
  }
  form.addEventListener("submit", async (ev) => {
    const b = ev.submitter;
    if (!b || b.name !== "op") return;
    ev.preventDefault();
    const [action, name] = b.value.split(/\|(.*)/s);
    let signal = "";
    if (action === "signal") {
      signal = await chooseSignal(name);
      if (!signal) return;
    }
    b.disabled = true;
    b.classList.add("busy");
    showMessage([action + " " + name + " …"], true);
    try {
      const r = await post("action", {action: action, name: name, signal: signal});
      showMessage(r.lines || [], r.ok);
    } catch (e) {
      showMessage([String(e)], false);
    } finally {
      b.disabled = false;
      b.classList.remove("busy");
    }
  });

  // Jobs (present only when superd runs scheduled jobs).
  const jobs = document.getElementById("jobs");
  if (jobs) {
    const jtb = document.querySelector("#jobtable tbody");
    const held = document.getElementById("jobsheld");
    // fmt renders unix seconds as the server does: YYYY-MM-DD HH:MM:SS.
    function fmt(t) {
      if (!t) return "";
      const d = new Date(t * 1000), p = (n) => String(n).padStart(2, "0");
      return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
    }
    // jobRow updates the row of job j in place (a button under the mouse
    // stays the same element), or makes it.
    function jobRow(j) {
      let tr = jtb.querySelector('tr.job[data-job="' + CSS.escape(j.name) + '"]');
      if (!tr) {
        tr = document.createElement("tr");
        tr.className = "job"; tr.dataset.job = j.name;
        for (const c of ["name", "sched", "last", "result", "next", "enabled", "action"]) tr.insertCell().className = c;
        tr.cells[0].textContent = j.name;
        const ac = tr.cells[6];
        const hb = document.createElement("button"); hb.type = "button"; hb.className = "history"; hb.dataset.job = j.name; hb.textContent = "History";
        ac.append(button("run|" + j.name, "", "Run now"), button("", "", ""), hb);
      }
      const c = tr.cells;
      const set = (el, v) => { if (el.textContent !== v) el.textContent = v; };
      set(c[1], j.description); c[1].title = j.schedule;
      set(c[2], fmt(j.last_start));
      set(c[3], j.last_result + (j.running ? " (running)" : ""));
      c[3].className = "result r-" + j.last_result;
      // as superctl jobs shows it
      set(c[4], !j.enabled ? "[disabled]" : j.held ? "[held]" : fmt(j.next_run));
      set(c[5], j.enabled ? "yes" : "no");
      const toggle = c[6].children[1];
      toggle.value = (j.enabled ? "disable|" : "enable|") + j.name;
      set(toggle, j.enabled ? "Disable" : "Enable");
      return tr;
    }
    refreshJobs = async function () {
      const res = await fetch("api/jobs", {headers: {"Accept": "application/json"}});
      if (res.status === 404) { jobs.remove(); refreshJobs = null; return; } // no jobs any more
      if (!res.ok) return;
      const d = await res.json();
      if (!d.Jobs.length) { jobs.remove(); refreshJobs = null; return; } // the last job was removed
      held.classList.toggle("hidden", !d.Held);
      const names = new Set(d.Jobs.map(j => j.name));
      for (const tr of [...jtb.querySelectorAll("tr.job, tr.history")]) if (!names.has(tr.dataset.job)) tr.remove();
      let prev = null;
      for (const j of d.Jobs) {
        const tr = jobRow(j);
        const after = prev ? (prev.nextElementSibling && prev.nextElementSibling.classList.contains("history") ? prev.nextElementSibling : prev) : null;
        if (after ? after.nextElementSibling !== tr : jtb.firstElementChild !== tr) {
          const h = tr.nextElementSibling && tr.nextElementSibling.classList.contains("history") ? tr.nextElementSibling : null;
          if (after) after.after(tr); else jtb.prepend(tr);
          if (h) tr.after(h);
        }
        prev = tr;
        const h = tr.nextElementSibling;
        if (h && h.classList.contains("history")) { h.remove(); showHistory(tr, j.name); }
      }
      document.body.dataset.jobupdates = String(+(document.body.dataset.jobupdates || 0) + 1);
    };
    async function showHistory(tr, name) {
      const next = tr.nextElementSibling;
      if (next && next.classList.contains("history")) { next.remove(); return; }
      const res = await fetch("api/jobs/history?name=" + encodeURIComponent(name), {headers: {"Accept": "application/json"}});
      const runs = res.ok ? await res.json() : [];
      const h = document.createElement("tr"); h.className = "history"; h.dataset.job = name;
      const td = h.insertCell(); td.colSpan = 7;
      const ul = document.createElement("ul");
      for (const r of runs) {
        const li = document.createElement("li");
        li.textContent = fmt(r.start) + " · " + r.trigger + " · " + r.result + (r.result === "skipped" ? " (" + r.skip_reason + ")" : " · exit " + r.exitstatus + " · " + r.duration.toFixed(1) + " s");
        ul.append(li);
      }
      if (!runs.length) ul.textContent = "no runs yet";
      td.append(ul);
      tr.after(h);
    }
    jobs.addEventListener("click", (ev) => {
      const hb = ev.target.closest("button.history");
      if (hb) showHistory(hb.closest("tr"), hb.dataset.job);
    });
    jobs.querySelector("form").addEventListener("submit", async (ev) => {
      const b = ev.submitter;
      if (!b || b.name !== "op") return;
      ev.preventDefault();
      const [action, name] = b.value.split(/\|(.*)/s);
      b.disabled = true;
      try {
        const r = await post("api/jobs/action", {action: action, name: name});
        showMessage(r.lines || [], r.ok);
      } finally { b.disabled = false; }
      refreshJobs();
    });
    // Runs arrive as events (m.jobs); this only moves "next run" along
    // for schedules that fire while nothing else happens.
    setInterval(() => { if (!document.hidden) refreshJobs(); }, 30000);
  }
})();
