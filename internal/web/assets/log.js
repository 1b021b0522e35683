// superd log view: streams the log (api/log/stream, server-sent events
// from logfile.FollowFrom, which follows rotation) below what the
// server rendered; "load earlier" prepends older parts, going on into
// the rotated files; pause keeps receiving but holds the output until
// resumed. Text only (textContent). Positions are a file (its key, which
// survives rotation) and an offset in it; the stream's event ids are
// such positions, so when the EventSource reconnects (Last-Event-ID)
// the stream resumes where it was.
"use strict";
(function () {
  const pre = document.getElementById("log");
  const live = document.getElementById("live");
  const pauseBtn = document.getElementById("pause");
  const earlier = document.getElementById("earlier");
  const follow = document.getElementById("follow");
  const q = pre.dataset.query;
  let start = +pre.dataset.start;
  let startFile = pre.dataset.startFile;
  let paused = false;
  let held = [];
  let heldSize = 0; // characters in held
  let skipped = 0; // characters dropped from held
  let size = pre.textContent.length;
  const MAX = 4 << 20; // characters kept on the page
  // characters held while paused (a test may set window.superdLogHold)
  const HOLD = window.superdLogHold || MAX / 2;
  window.superdLog = {held: () => heldSize, skipped: () => skipped};

  function atBottom() { return window.innerHeight + window.scrollY >= document.body.scrollHeight - 4; }
  function append(text) {
    const stick = follow.checked && atBottom();
    pre.append(document.createTextNode(text));
    size += text.length;
    if (pre.childNodes.length > 2000) pre.normalize();
    if (size > MAX) {
      pre.textContent = pre.textContent.slice(-MAX / 2);
      size = pre.textContent.length;
      earlier.disabled = true;
    }
    if (stick) window.scrollTo(0, document.body.scrollHeight);
    document.body.dataset.chunks = String(+(document.body.dataset.chunks || 0) + 1);
  }
  if (!pre.dataset.error) {
    const es = new EventSource("api/log/stream?" + q + "&offset=" + pre.dataset.end + "&file=" + encodeURIComponent(pre.dataset.file));
    es.onopen = () => { live.textContent = "live"; live.className = "live on"; };
    es.onerror = () => { live.textContent = "reconnecting"; live.className = "live off"; };
    es.onmessage = (ev) => {
      // one JSON string per data line
      const text = ev.data.split("\n").map(l => JSON.parse(l)).join("");
      if (!paused) { append(text); return; }
      // held until resumed, the oldest dropped beyond HOLD (a tab left
      // paused on a chatty log does not grow without end)
      held.push(text);
      heldSize += text.length;
      while (heldSize > HOLD && held.length > 1) {
        const d = held.shift();
        heldSize -= d.length;
        skipped += d.length;
      }
    };
    window.scrollTo(0, document.body.scrollHeight);
  }
  pauseBtn.addEventListener("click", () => {
    paused = !paused;
    pauseBtn.textContent = paused ? "Resume" : "Pause";
    pauseBtn.classList.toggle("on", paused);
    if (paused) return;
    if (skipped) {
      const gap = document.createElement("span");
      gap.className = "gap";
      gap.textContent = "[" + skipped + " characters skipped while paused: too many to hold]\n";
      pre.append(gap);
      skipped = 0;
    }
    if (held.length) append(held.join(""));
    held = []; heldSize = 0;
  });
  earlier.addEventListener("click", async () => {
    if (start <= 0) return;
    earlier.disabled = true;
    let res;
    try {
      res = await fetch("api/log/read?" + q + "&before=" + start + "&file=" + encodeURIComponent(startFile), {headers: {"Accept": "application/json"}});
    } catch (e) {
      // superd unreachable: try again later
      earlier.disabled = false;
      earlier.title = String(e);
      return;
    }
    if (!res.ok) {
      // 410: that part was rotated away or cleared; nothing earlier
      earlier.disabled = res.status === 410;
      earlier.title = (await res.text()).trim();
      return;
    }
    const d = await res.json();
    const h = document.body.scrollHeight;
    pre.prepend(document.createTextNode(d.data));
    size += d.data.length;
    window.scrollBy(0, document.body.scrollHeight - h);
    start = d.start;
    startFile = d.file;
    earlier.disabled = start <= 0;
  });
})();
