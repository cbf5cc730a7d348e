// The playground: edit a /v1/evaluate body, run it, see values, gradients and the graph.
// Plain browser JavaScript, no build step; talks to the same server it came from.
"use strict";

const $ = (id) => document.getElementById(id);
let examples = [];
let graphUrl = null;

function fmtNumber(v) {
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(parseFloat(v.toPrecision(6)));
}

// Nested lists as Python prints them: [[1, 2], [3, 4]]; "NaN" / "Infinity" unquoted.
function fmt(v) {
  if (v === null || v === undefined) return "None";
  if (Array.isArray(v)) return "[" + v.map(fmt).join(", ") + "]";
  if (typeof v === "object" && "b64" in v) return "(base64, " + v.b64.length + " chars)";
  if (typeof v === "boolean") return v ? "True" : "False";
  return fmtNumber(v);
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function setStatus(text) { $("status").textContent = text; }

function showExample(name) {
  const ex = examples.find((e) => e.name === name);
  if (!ex) return;
  $("request").value = JSON.stringify(ex.value, null, 2);
  for (const b of $("examples").querySelectorAll("button")) b.classList.toggle("active", b.dataset.name === name);
}

async function loadExamples() {
  const r = await fetch("/playground/examples.json");
  examples = await r.json();
  const box = $("examples");
  box.replaceChildren();
  for (const ex of examples) {
    const b = el("button", {type: "button", id: "example-" + ex.name, title: ex.summary}, ex.name.replaceAll("_", " "));
    b.dataset.name = ex.name;
    b.addEventListener("click", () => { showExample(ex.name); run(); });
    box.append(b);
  }
  if (!$("request").value.trim()) showExample(examples[0].name);
  box.dataset.ready = "true";
}

function showProblem(p) {
  const box = $("problem");
  box.replaceChildren(el("h3", {}, `${p.status} ${p.title}`), el("div", {id: "problem-detail"}, p.detail || ""));
  if (p.loc && p.loc.length) box.append(el("div", {class: "muted"}, "at " + JSON.stringify(p.loc)));
  if (p.code) box.append(el("div", {}, "code: ", el("code", {}, p.code)));
  if (p.hint) box.append(el("div", {class: "hint", id: "problem-hint"}, "fix: " + p.hint));
  box.hidden = false;
}

function showDiagnostics(d) {
  const box = $("diagnostics");
  if (!d) { box.hidden = true; return; }
  box.replaceChildren(el("h3", {}, "Non-finite values"));
  const where = Object.entries(d.non_finite || {}).map(([n, parts]) => parts.map((p) => (p === "grad" ? n + ".grad" : n)).join(", "));
  box.append(el("div", {}, "in " + where.join(", ")));
  for (const o of d.origins || []) {
    box.append(el("div", {class: "origin"}, `${o.pass}: ${o.message}`));
    if (o.where_trap) box.append(el("div", {class: "hint", id: "where-trap"}, "fix: " + o.where_trap.fix));
  }
  if (d.note) box.append(el("div", {class: "muted"}, d.note));
  box.hidden = false;
}

function showTensors(tensors) {
  const body = $("tensors").querySelector("tbody");
  body.replaceChildren();
  const grads = $("gradients");
  grads.replaceChildren();
  for (const [name, t] of Object.entries(tensors)) {
    const grad = t.grad === null
      ? el("span", {class: "reason"}, "None" + (t.grad_reason ? " — " + t.grad_reason : ""))
      : el("span", {class: "value"}, fmt(t.grad));
    body.append(el("tr", {id: "row-" + name},
      el("td", {}, el("b", {}, name)), el("td", {class: "value", id: "data-" + name}, fmt(t.data)), el("td", {}, grad),
      el("td", {}, "[" + t.shape.join(", ") + "]"), el("td", {}, t.dtype), el("td", {}, String(t.requires_grad)),
      el("td", {}, String(t.is_leaf)), el("td", {}, t.grad_fn || "")));
    if (t.grad !== null) {
      grads.append(el("div", {}, el("b", {}, name + ".grad"), " = ", el("span", {id: "grad-" + name}, fmt(t.grad))));
    }
  }
  $("tensors").hidden = false;
}

async function drawGraph(text) {
  const box = $("graph-box"), note = $("graph-note");
  const r = await fetch("/v1/graph?format=svg", {method: "POST", headers: {"content-type": "application/json"}, body: text});
  if (graphUrl) URL.revokeObjectURL(graphUrl);
  graphUrl = null;
  if (!r.ok) {
    const p = await r.json().catch(() => ({detail: r.statusText}));
    box.hidden = true;
    note.textContent = "graph: " + (p.detail || r.status);
    note.hidden = false;
    return;
  }
  graphUrl = URL.createObjectURL(await r.blob());  // an <img>: the SVG is shown, never run
  $("graph").src = graphUrl;
  note.hidden = true;
  box.hidden = false;
}

async function run() {
  const text = $("request").value;
  $("problem").hidden = true;
  try {
    JSON.parse(text);
  } catch (e) {
    showProblem({status: 400, title: "Not JSON", detail: e.message});
    return;
  }
  $("run").disabled = true;
  setStatus("running…");
  const t0 = performance.now();
  try {
    const r = await fetch("/v1/evaluate", {method: "POST", headers: {"content-type": "application/json"}, body: text});
    const doc = await r.json();
    if (!r.ok) {
      showProblem(doc);
      showDiagnostics(null);
      setStatus("");
      return;
    }
    showTensors(doc.tensors);
    showDiagnostics(doc.diagnostics);
    if ($("draw").checked) await drawGraph(text); else $("graph-box").hidden = true;
    setStatus(`${doc.device}, ${Math.round(performance.now() - t0)} ms`);
    document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
  } catch (e) {
    showProblem({status: 0, title: "Request failed", detail: String(e)});
    setStatus("");
  } finally {
    $("run").disabled = false;
  }
}

$("run").addEventListener("click", run);
$("request").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
});
loadExamples().catch((e) => { $("examples").textContent = "examples: " + e; });
