// The review page's script: every change is a request to the JSON API (/api/v1), sent with
// the session cookie and its CSRF token. No framework, no build step.
"use strict";

const TOKEN = document.querySelector('meta[name="csrf-token"]').content;

async function api(method, path, body) {
  const headers = {"X-CSRF-Token": TOKEN, "Accept": "application/json"};
  const options = {method, headers, credentials: "same-origin"};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch("/api/v1" + path, options);
  if (response.status === 401) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
    throw new Error("Your session has ended: log in again.");
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!response.ok) {
    const why = data && data.error ? data.error.message : response.status + " " + response.statusText;
    throw new Error(why);
  }
  return data;
}

// --- messages ---------------------------------------------------------------------------
const status = document.getElementById("status");

function say(text, options = {}) {
  status.replaceChildren();
  status.classList.toggle("error", Boolean(options.error));
  const span = document.createElement("span");
  span.className = "text";
  span.textContent = text;
  status.append(span);
  if (options.link) {
    const a = document.createElement("a");
    a.href = options.link.href;
    a.textContent = options.link.text;
    status.append(a);
  }
  if (options.undo) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Undo";
    button.addEventListener("click", () => busy(button, options.undo));
    status.append(button);
  }
  status.hidden = false;
}

function sayAfterReload(text) {
  sessionStorage.setItem("recognize-say", text);
  location.reload();
}

const saved = sessionStorage.getItem("recognize-say");
if (saved) {
  sessionStorage.removeItem("recognize-say");
  say(saved);
}

async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await work();
  } catch (error) {
    say(error.message, {error: true});
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

function removeCard(card) {
  const next = card.nextElementSibling || card.previousElementSibling;
  card.remove();
  const focus = next && next.querySelector("button, a, input");
  if (focus) focus.focus(); else document.getElementById("main").focus();
}

function bump(name, delta) {
  document.querySelectorAll(`[data-count="${name}"]`).forEach((el) => {
    el.textContent = String(Math.max(0, parseInt(el.textContent, 10) + delta));
  });
}

function faceCard(id) {
  return document.querySelector(`.card[data-face="${id}"]`);
}

// --- actions on buttons -----------------------------------------------------------------
const actions = {
  async "reject-face"(b) {
    const face = b.dataset.face;
    await api("POST", `/faces/${face}/reject`, {person_id: Number(b.dataset.person)});
    removeCard(faceCard(face));
    countFaces(-1);
    bump("unassigned", 1);
    say(`Face ${face} is no longer in this person; it is among the unassigned faces.`,
        {link: {href: "/unassigned", text: "Unassigned faces"}});
  },
  async ignore(b) {
    const face = b.dataset.face;
    await api("POST", `/faces/${face}/ignore`);
    const card = faceCard(face);
    const wasIn = Boolean(document.getElementById("person-faces"));
    removeCard(card);
    if (wasIn) countFaces(-1); else bump("unassigned", -1);
    bump("ignored", 1);
    say(`Face ${face} is marked as not a face.`, {undo: async () => {
      await api("DELETE", `/faces/${face}/ignore`);
      sayAfterReload(`Face ${face} is a face again: it is among the unassigned faces.`);
    }});
  },
  async unignore(b) {
    const face = b.dataset.face;
    await api("DELETE", `/faces/${face}/ignore`);
    removeCard(faceCard(face));
    bump("ignored", -1);
    bump("unassigned", 1);
    say(`Face ${face} is a face again: it is among the unassigned faces.`,
        {link: {href: "/unassigned", text: "Unassigned faces"}});
  },
  async accept(b) {
    await api("POST", `/persons/${b.dataset.person}/suggestions/${b.dataset.other}/accept`);
    sayAfterReload("Merged: their faces are in this person now.");
  },
  async reject(b) {
    await api("POST", `/persons/${b.dataset.person}/suggestions/${b.dataset.other}/reject`);
    const card = b.closest(".suggestion");
    const list = card.parentElement;
    removeCard(card);
    if (!list.children.length) document.getElementById("suggestions").remove();
    say(`Kept apart: ${b.dataset.label} will not be suggested or merged with this person again.`);
  },
  async hide(b) {
    await api("PATCH", `/persons/${b.dataset.person}`, {hidden: true});
    sessionStorage.setItem("recognize-say",
                           `${b.dataset.label} is hidden. Hidden persons can be shown again from “Hidden”.`);
    location.assign("/");
  },
  async show(b) {
    await api("PATCH", `/persons/${b.dataset.person}`, {hidden: false});
    const card = b.closest(".card");
    if (card) {
      removeCard(card);
      bump("hidden", -1);
      say(`${b.dataset.label} is listed again.`, {link: {href: `/people/${b.dataset.person}`, text: "Open"}});
    } else {
      sayAfterReload(`${b.dataset.label} is listed again.`);
    }
  },
  "select-all"() {
    const boxes = [...document.querySelectorAll('input[name="face"]')];
    const all = boxes.every((box) => box.checked);
    boxes.forEach((box) => { box.checked = !all; });
    countSelected();
  },
  async "ignore-selected"() {
    const faces = selectedFaces();
    if (!faces.length) throw new Error("Select the faces first.");
    for (const face of faces) {
      await api("POST", `/faces/${face}/ignore`);
      faceCard(face).remove();
      bump("unassigned", -1);
      bump("ignored", 1);
    }
    countSelected();
    say(`${faces.length} marked as not a face${faces.length === 1 ? "" : "s"}.`, {undo: async () => {
      for (const face of faces) await api("DELETE", `/faces/${face}/ignore`);
      sayAfterReload(`${faces.length} face${faces.length === 1 ? " is" : "s are"} back among the unassigned faces.`);
    }});
  },
};

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button || !(button.dataset.action in actions)) return;
  busy(button, async () => actions[button.dataset.action](button));
});

function countFaces(delta) {
  const el = document.getElementById("person-faces");
  if (!el) return;
  const n = Math.max(0, parseInt(el.textContent, 10) + delta);
  el.textContent = `${n} face${n === 1 ? "" : "s"}`;
}

// --- forms ------------------------------------------------------------------------------
function selectedFaces() {
  return [...document.querySelectorAll('input[name="face"]:checked')].map((box) => Number(box.value));
}

function countSelected() {
  const el = document.getElementById("selected-count");
  if (el) el.textContent = String(selectedFaces().length);
}

document.addEventListener("change", (event) => {
  if (event.target.matches('input[name="face"]')) countSelected();
});

function personByName(name) {
  const known = JSON.parse(document.getElementById("person-data").textContent);
  const exact = known.filter((p) => p.name === name);
  if (exact.length) return exact[0];
  const folded = known.filter((p) => p.name.toLocaleLowerCase() === name.toLocaleLowerCase());
  return folded.length === 1 ? folded[0] : null;
}

const forms = {
  async rename(form) {
    const name = form.elements.name.value.normalize("NFC").trim();
    if (!name) throw new Error("Type a name.");
    const person = await api("PATCH", `/persons/${form.dataset.person}`, {name});
    document.getElementById("person-name").textContent = person.name;
    document.title = `${person.name} · recognize`;
    form.querySelector('button[type="submit"]').textContent = "Rename";
    document.querySelectorAll('button[data-action="reject-face"]').forEach((b) => {
      b.textContent = `Not ${person.name}`;
      b.setAttribute("aria-label", `Face ${b.dataset.face} is not ${person.name}`);
    });
    document.querySelectorAll('button[data-action="hide"], button[data-action="show"]').forEach((b) => {
      b.dataset.label = person.name;
    });
    say(`Renamed to ${person.name}.`);
  },
  async assign(form) {
    const faces = selectedFaces();
    if (!faces.length) throw new Error("Select the faces first (tick their boxes).");
    const name = form.elements.name.value.normalize("NFC").trim();
    const picked = form.elements.person.value;
    let person;
    let created = false;
    if (name) {
      const known = personByName(name);
      if (known) {
        person = {id: known.id, name: known.name};
      } else {
        person = await api("POST", "/persons/split", {faces, name});
        created = true;
      }
    } else if (picked) {
      const option = form.elements.person.selectedOptions[0];
      person = {id: Number(picked), name: option.textContent.replace(/ \(\d+\)$/, "")};
    } else {
      throw new Error("Type a name or pick a person.");
    }
    if (created) {
      faces.forEach((face) => faceCard(face).remove());
    } else {
      for (const face of faces) {  // each card goes as soon as its face is assigned
        await api("PUT", `/faces/${face}/person`, {person_id: person.id});
        faceCard(face).remove();
      }
    }
    bump("unassigned", -faces.length);
    form.reset();
    countSelected();
    const n = `${faces.length} face${faces.length === 1 ? "" : "s"}`;
    say(`${n} assigned to ${person.name}${created ? " (a new person)" : ""}.`,
        {link: {href: `/people/${person.id}`, text: `Open ${person.name}`}});
    if (created) {
      const known = JSON.parse(document.getElementById("person-data").textContent);
      known.push({id: person.id, name: person.name});
      document.getElementById("person-data").textContent = JSON.stringify(known);
    }
  },
};

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-form]");
  if (!form || !(form.dataset.form in forms)) return;
  event.preventDefault();
  const button = form.querySelector('button[type="submit"]');
  busy(button, async () => forms[form.dataset.form](form));
});

// --- progress of the background work ----------------------------------------------------
const progress = document.getElementById("progress");

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "unknown";
  if (seconds < 1) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function cell(row, content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content); else td.textContent = content;
  row.append(td);
}

async function refreshProgress() {
  let waiting = 0;
  try {
    const jobs = await api("GET", "/jobs");
    const body = progress.tBodies[0];
    body.replaceChildren();
    for (const s of jobs.stages) {
      const row = document.createElement("tr");
      cell(row, s.mount);
      cell(row, s.stage);
      const done = document.createElement("span");
      const bar = document.createElement("progress");
      bar.max = Math.max(1, s.total);
      bar.value = Math.min(s.done, s.total);
      bar.setAttribute("aria-label", `${s.mount} ${s.stage}`);
      done.append(bar, `${s.done} of ${s.total}`);
      cell(row, done);
      cell(row, String(s.queued));
      cell(row, String(s.failed));
      cell(row, s.queued ? duration(s.eta_seconds) : "—");
      body.append(row);
      waiting += s.queued;
    }
    progress.hidden = !jobs.stages.length;
    const summary = document.getElementById("progress-summary");
    const running = (jobs.runs || []).filter((r) => r.status === "running").map((r) => r.name);
    summary.textContent = !jobs.stages.length ? "No mounts yet."
      : waiting ? `${waiting} photo steps waiting${running.length ? `; running: ${running.join(", ")}` : ""}.`
      : "All photos are processed.";
  } catch (error) {
    document.getElementById("progress-summary").textContent = `Progress unavailable: ${error.message}`;
  }
  setTimeout(refreshProgress, waiting ? 5000 : 30000);
}

if (progress) refreshProgress();
