// The admins' NLU page: the inbox of messages the bot did not understand, the examples
// admins added, retraining with live progress, and the model registry (compare,
// activate, force with a reason, roll back). Talks to /console/api/nlu with the console's
// api() (desk.js: session cookie, X-CSRF-Token header). Every piece of citizen text goes
// into the page with textContent, never as HTML.

import { $, api, el } from "../web/desk.js";

const STATUS_TH = {
  queued: "รอคิว", training: "กำลังฝึก", evaluating: "กำลังประเมินผล", ready: "พร้อมใช้", failed: "ล้มเหลว",
};
const RUNNING = new Set(["queued", "training", "evaluating"]);
// How far along a training is, by the stage bot/teaching/training.py reports.
const STAGE_PERCENT = {
  "preparing data": 10, "loading cached components": 20, training: 35,
  "training NLU components": 60, "saving the model": 80, evaluating: 90,
};
const POLL_MS = 1500;

const state = { intents: [], groups: [], models: [], selected: null, polling: null, pollTimer: null };

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
  if (message) $("flash").hidden = true;
}

function flash(message) {
  const box = $("flash");
  box.textContent = message;
  box.hidden = false;
  $("error").hidden = true;
}

async function guarded(work) {
  try {
    await work();
  } catch (error) {
    if (error.status !== 401) showError(`เกิดข้อผิดพลาด: ${error.message}`);
  }
}

const number = (value, digits = 3) => (value === null || value === undefined ? "–" : Number(value).toFixed(digits));

function when(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleString("th-TH", {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Bangkok",
  });
}

function intentSelect(chosen, props = {}) {
  const select = el("select", props);
  select.append(el("option", { value: "", text: "เลือก intent…" }));
  for (const intent of state.intents) select.append(el("option", { value: intent, text: intent }));
  select.value = state.intents.includes(chosen) ? chosen : "";
  return select;
}

function fillIntentOptions(select, keepFirst) {
  const first = keepFirst ? select.options[0] : null;
  select.replaceChildren(...(first ? [first] : []));
  for (const intent of state.intents) select.append(el("option", { value: intent, text: intent }));
}

// The inbox ------------------------------------------------------------------------------

async function loadInbox() {
  const params = new URLSearchParams({ max_confidence: $("max-confidence").value, days: $("days").value });
  const data = await api("GET", `/nlu/inbox?${params}`);
  state.groups = data.groups;
  renderInbox();
}

function groupNode(group) {
  const li = el("li", { className: "group", dataset: { testid: "group", key: group.key } });
  const tick = el("input", { type: "checkbox", className: "tick", dataset: { testid: "group-tick" } });
  tick.setAttribute("aria-label", "เลือกกลุ่มนี้");
  tick.addEventListener("change", updateBulk);
  const head = el("div", { className: "group-head" },
    tick,
    el("span", { className: "count", text: `${group.count} ครั้ง`, dataset: { testid: "group-count" } }),
    el("span", {
      className: "reading",
      text: `บอทอ่านเป็น ${group.read_as || "–"} · ความมั่นใจ ${number(group.confidence, 2)} · ล่าสุด ${when(group.last_seen)}`,
      dataset: { testid: "group-reading" },
    }));
  if (group.source === "ticket") {
    // Descriptions of tickets whose complaint type an agent corrected.
    const ids = group.ticket_ids || (group.ticket_id ? [group.ticket_id] : []);
    const which = ids.length ? ` ${ids.join(", ")}` : "";
    head.append(el("span", { className: "badge", text: `จากเรื่องร้องเรียน${which} (เจ้าหน้าที่เปลี่ยนประเภท)`, dataset: { testid: "group-ticket" } }));
  }
  if (group.source === "catalogue") {
    // Questions the service catalogue had no confident answer for.
    head.append(el("span", { className: "badge", text: "แคตตาล็อกบริการตอบไม่ได้ (เพิ่มบริการหรือชื่อเรียกได้ที่หน้าแคตตาล็อก)", dataset: { testid: "group-catalogue" } }));
  }
  const texts = el("ul", { className: "texts" });
  for (const text of group.texts) texts.append(el("li", { text, dataset: { testid: "group-text" } }));
  const select = intentSelect(group.guess, { className: "intent", dataset: { testid: "group-intent" } });
  select.setAttribute("aria-label", "intent ของกลุ่มนี้");
  const button = el("button", { type: "button", className: "primary", text: "ติดป้าย (Label)", dataset: { testid: "group-label" } });
  button.addEventListener("click", () => guarded(() => labelGroups([li])));
  const guess = el("small", { className: "guess", text: group.guess ? `โมเดลเดาว่า ${group.guess}` : "โมเดลไม่มีคำเดา" });
  li.append(head, texts, el("div", { className: "group-actions" }, guess, select, button));
  li.group = group;
  return li;
}

function renderInbox() {
  const list = $("groups");
  list.replaceChildren(...state.groups.map(groupNode));
  $("inbox-empty").hidden = state.groups.length > 0;
  $("select-all").checked = false;
  updateBulk();
}

function ticked() {
  return [...$("groups").querySelectorAll("li.group")].filter((li) => li.querySelector(".tick").checked);
}

function updateBulk() {
  const count = ticked().length;
  $("selected-count").textContent = String(count);
  $("bulk-label").disabled = count === 0;
}

// Labels every text of the given groups (one request), then drops them from the inbox.
async function labelGroups(nodes, forcedIntent = "") {
  // One request per source (the inbox's messages, tickets an agent re-typed), 500 a time.
  const bySource = new Map();
  let count = 0;
  for (const li of nodes) {
    const intent = forcedIntent || li.querySelector("select.intent").value;
    if (!intent) {
      li.querySelector("select.intent").focus();
      throw new Error("เลือก intent ให้ทุกกลุ่มก่อน");
    }
    const source = li.group.source === "ticket" ? "ticket" : "inbox";
    if (!bySource.has(source)) bySource.set(source, []);
    for (const text of li.group.texts) bySource.get(source).push({ text, intent });
    count += li.group.texts.length;
  }
  for (const [source, items] of bySource) {
    for (let start = 0; start < items.length; start += 500) {
      await api("POST", "/nlu/labels", { items: items.slice(start, start + 500), source });
    }
  }
  const gone = new Set(nodes.map((li) => li.group));
  state.groups = state.groups.filter((g) => !gone.has(g));
  for (const li of nodes) li.remove();
  $("inbox-empty").hidden = state.groups.length > 0;
  updateBulk();
  flash(`ติดป้ายแล้ว ${count} ข้อความ (${nodes.length} กลุ่ม) · จะใช้ในการฝึกโมเดลครั้งต่อไป`);
  await loadExamples();
}

// Examples -------------------------------------------------------------------------------

async function loadExamples() {
  const intent = $("example-filter").value;
  const data = await api("GET", `/nlu/examples${intent ? `?intent=${encodeURIComponent(intent)}` : ""}`);
  const rows = $("example-rows");
  rows.replaceChildren(...data.items.map(exampleRow));
  rows.dataset.filter = intent; // which list is shown (tests wait for it)
  $("examples-empty").hidden = data.items.length > 0;
}

function exampleRow(example) {
  const tr = el("tr", { dataset: { testid: "example", id: String(example.id) } });
  const text = el("input", { defaultValue: example.text, maxLength: 1000, className: "text", dataset: { testid: "example-text" } });
  text.setAttribute("aria-label", "ข้อความ");
  const intent = intentSelect(example.intent, { dataset: { testid: "example-intent" } });
  intent.setAttribute("aria-label", "intent");
  const save = el("button", { type: "button", text: "บันทึก", dataset: { testid: "example-save" } });
  save.addEventListener("click", () => guarded(async () => {
    const body = {};
    if (text.value.trim() !== example.text) body.text = text.value;
    if (intent.value && intent.value !== example.intent) body.intent = intent.value;
    if (!Object.keys(body).length) return;
    const changed = await api("PUT", `/nlu/examples/${example.id}`, body);
    tr.replaceWith(exampleRow(changed));
    flash("บันทึกตัวอย่างแล้ว");
  }));
  const remove = el("button", { type: "button", className: "danger", text: "ลบ", dataset: { testid: "example-remove" } });
  remove.addEventListener("click", () => guarded(async () => {
    await api("DELETE", `/nlu/examples/${example.id}`);
    tr.remove();
    flash("ลบตัวอย่างแล้ว (จะไม่ใช้ในการฝึกครั้งต่อไป)");
  }));
  tr.append(
    el("td", {}, text), el("td", {}, intent), el("td", { className: "muted", text: example.source }),
    el("td", { className: "row-actions" }, save, remove));
  return tr;
}

async function addExample(event) {
  event.preventDefault();
  const text = $("new-text").value.trim();
  const intent = $("new-intent").value;
  if (!text || !intent) return;
  await api("POST", "/nlu/labels", { items: [{ text, intent }], source: "console" });
  $("new-text").value = "";
  flash("เพิ่มตัวอย่างแล้ว");
  await loadExamples();
}

// Training -------------------------------------------------------------------------------

async function train() {
  try {
    const started = await api("POST", "/nlu/train");
    flash(`เริ่มฝึกโมเดล #${started.id} แล้ว`);
    follow(started.id);
  } catch (error) {
    if (error.status === 409 && error.detail?.model_id) {
      showError(`มีโมเดลกำลังฝึกอยู่ (#${error.detail.model_id}) ฝึกได้ครั้งละหนึ่งโมเดล`);
      follow(error.detail.model_id);
      return;
    }
    throw error;
  }
  await loadModels();
}

// Polls one model's progress every POLL_MS until it is ready or failed.
function follow(modelId) {
  clearTimeout(state.pollTimer);
  state.polling = modelId;
  $("train").disabled = true;
  const tick = async () => {
    if (state.polling !== modelId) return;
    let model;
    try {
      model = await api("GET", `/nlu/models/${modelId}`);
    } catch (error) {
      if (error.status !== 401) showError(`อ่านสถานะการฝึกไม่ได้: ${error.message}`);
      state.pollTimer = setTimeout(tick, POLL_MS * 2);
      return;
    }
    showProgress(model);
    if (RUNNING.has(model.status)) {
      state.pollTimer = setTimeout(tick, POLL_MS);
    } else {
      state.polling = null;
      $("train").disabled = false;
      flash(model.status === "ready" ? `ฝึกโมเดล #${model.id} เสร็จแล้ว ดูผลในทะเบียนโมเดล` : `ฝึกโมเดล #${model.id} ไม่สำเร็จ`);
      await guarded(async () => {
        await loadModels();
        await selectModel(model.id);
      });
    }
  };
  tick();
}

function showProgress(model) {
  $("progress").hidden = false;
  $("progress").dataset.status = model.status;
  $("progress-title").textContent = `โมเดล #${model.id}: ${STATUS_TH[model.status] || model.status}`;
  $("progress-stage").textContent = model.stage || "รอเริ่ม";
  $("progress-elapsed").textContent = model.elapsed_s === null || model.elapsed_s === undefined
    ? "ยังไม่เริ่ม" : `${Math.round(model.elapsed_s)} วินาที`;
  const bar = $("progress-bar");
  if (model.status === "ready" || model.status === "failed") bar.value = 100;
  else if (model.status === "evaluating") bar.value = STAGE_PERCENT.evaluating;
  else if (model.stage in STAGE_PERCENT) bar.value = STAGE_PERCENT[model.stage];
  else if (model.status === "queued") bar.value = 2;
  else bar.removeAttribute("value"); // unknown stage: an indeterminate bar
  $("progress-log").textContent = model.error ? `${model.error}\n${model.log_tail || ""}` : model.log_tail || "";
}

// The registry ---------------------------------------------------------------------------

async function loadModels() {
  const data = await api("GET", "/nlu/models");
  state.models = data.items;
  const rows = $("model-rows");
  rows.replaceChildren(...data.items.map(modelRow));
  const running = data.items.find((m) => RUNNING.has(m.status));
  if (running && state.polling === null) follow(running.id);
}

function modelRow(model) {
  const tr = el("tr", { className: "model", tabIndex: 0, dataset: { testid: "model", id: String(model.id), status: model.status } });
  if (model.active) tr.classList.add("active");
  if (state.selected === model.id) tr.classList.add("selected");
  tr.append(
    el("td", { text: `#${model.id}` }),
    el("td", { text: STATUS_TH[model.status] || model.status, className: `status-${model.status}` }),
    el("td", { text: when(model.created_at) }),
    el("td", { className: "n", text: String(model.examples ?? "–") }),
    el("td", { className: "n", text: number(model.accuracy) }),
    el("td", { className: "n", text: number(model.macro_f1) }),
    el("td", { className: "n", text: number(model.traffy_any_gold) }),
    el("td", { text: model.active ? "● ใช้งานอยู่" : "", className: "active-mark", dataset: { testid: "model-active" } }),
    el("td", { text: model.activation_note || "", className: "muted" }),
  );
  const open = () => guarded(() => selectModel(model.id));
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (event) => { if (event.key === "Enter") open(); });
  return tr;
}

async function selectModel(modelId) {
  state.selected = modelId;
  for (const row of $("model-rows").children) row.classList.toggle("selected", row.dataset.id === String(modelId));
  const model = await api("GET", `/nlu/models/${modelId}`);
  renderDetail(model);
  if (RUNNING.has(model.status) && state.polling === null) follow(model.id);
}

function renderDetail(model) {
  $("detail").hidden = false;
  $("detail").dataset.id = String(model.id);
  $("detail-title").textContent = `โมเดล #${model.id} · ${STATUS_TH[model.status] || model.status}${model.active ? " · ใช้งานอยู่" : ""}`;
  const parts = [`สร้างเมื่อ ${when(model.created_at)}`, `ตัวอย่างของผู้ดูแล ${model.examples ?? 0}`];
  if (model.stage) parts.push(`ขั้นตอน: ${model.stage}`);
  if (model.elapsed_s !== null && model.elapsed_s !== undefined) parts.push(`ใช้เวลา ${Math.round(model.elapsed_s)} วินาที`);
  if (model.accuracy !== null && model.accuracy !== undefined) parts.push(`accuracy ${number(model.accuracy)}`);
  if (model.macro_f1 !== null && model.macro_f1 !== undefined) parts.push(`macro-F1 ${number(model.macro_f1)}`);
  if (model.fingerprint) parts.push(`fingerprint ${model.fingerprint.slice(0, 12)}`);
  $("detail-meta").textContent = parts.join(" · ");
  const problem = $("detail-error");
  problem.textContent = model.error || "";
  problem.hidden = !model.error;
  $("refusal").hidden = true;
  $("force-reason").value = "";
  $("force").disabled = true;
  $("activate").hidden = !(model.status === "ready" && !model.active);
  $("rollback-to").hidden = !(model.status === "ready" && !model.active && model.activated_at);
  $("detail-log").textContent = model.log_tail || "";
  renderPerIntent(model);
  renderConfusion(model.confusion, model.confusion_changes || []);
  if (RUNNING.has(model.status)) showProgress(model);
}

function changeClass(delta) {
  if (delta === undefined || Math.abs(delta) < 1e-9) return "";
  return delta < 0 ? "worse" : "better";
}

function signed(delta) {
  return `${delta > 0 ? "+" : ""}${delta.toFixed(3)}`;
}

function renderPerIntent(model) {
  const changes = new Map((model.changes || []).map((c) => [c.name, c]));
  const rows = [];
  for (const name of ["accuracy", "macro_f1"]) {
    const change = changes.get(name);
    if (!change) continue;
    const tr = el("tr", { className: `overall ${changeClass(change.delta)}`, dataset: { testid: "overall-change", name, change: changeClass(change.delta) } },
      el("th", { text: name === "accuracy" ? "Accuracy (รวม)" : "Macro-F1 (รวม)", colSpan: 3 }),
      el("td", { className: "n", text: number(change.candidate) }),
      el("td", { className: "n muted", text: `เดิม ${number(change.active)}` }),
      el("td", { className: "n delta", text: signed(change.delta) }));
    rows.push(tr);
  }
  const perIntent = model.per_intent || {};
  const names = new Set(Object.keys(perIntent));
  for (const name of changes.keys()) if (name.startsWith("f1:")) names.add(name.slice(3));
  for (const intent of [...names].sort()) {
    const scores = perIntent[intent] || {};
    const change = changes.get(`f1:${intent}`);
    const kind = changeClass(change?.delta);
    const tr = el("tr", { className: kind, dataset: { testid: "intent-row", intent, change: kind } },
      el("td", { text: intent }),
      el("td", { className: "n", text: number(scores.precision) }),
      el("td", { className: "n", text: number(scores.recall) }),
      el("td", { className: "n", text: number(scores.f1) }),
      el("td", { className: "n", text: scores.support === undefined ? "–" : String(scores.support) }),
      el("td", { className: "n delta", text: change ? signed(change.delta) : "", title: change ? `โมเดลที่ใช้อยู่ ${number(change.active)}` : "" }));
    rows.push(tr);
  }
  if (!rows.length) rows.push(el("tr", {}, el("td", { colSpan: 6, className: "empty", text: "ยังไม่มีผลการประเมิน" })));
  $("per-intent").replaceChildren(...rows);
}

// Each cell: how many held-out examples of the row's intent the model read as the column's;
// a cell that moved against the active model shows by how much (more right on the
// diagonal is better, more anywhere else is worse).
function renderConfusion(confusion, changes) {
  const table = $("confusion");
  if (!confusion || !confusion.labels?.length) {
    table.replaceChildren(el("tbody", {}, el("tr", {}, el("td", { className: "empty", text: "ไม่มี confusion matrix" }))));
    return;
  }
  const { labels, matrix } = confusion;
  const moves = new Map(changes.map((c) => [`${c.gold}\u0000${c.predicted}`, c]));
  const head = el("tr", {}, el("th", { text: "จริง \\ ตอบ" }));
  for (const label of labels) head.append(el("th", { className: "col", text: label, scope: "col" }));
  const body = el("tbody");
  labels.forEach((gold, row) => {
    const tr = el("tr", {}, el("th", { text: gold, scope: "row" }));
    labels.forEach((predicted, col) => {
      const count = Number(matrix[row]?.[col] || 0);
      const moved = moves.get(`${gold}\u0000${predicted}`);
      const delta = moved ? moved.candidate - moved.active : 0;
      const shown = (count ? String(count) : "·") + (delta ? ` (${delta > 0 ? "+" : ""}${delta})` : "");
      const td = el("td", { className: "n", text: shown, title: `${gold} → ${predicted}: ${count}${moved ? ` (โมเดลที่ใช้อยู่ ${moved.active})` : ""}` });
      if (delta) {
        const better = (row === col) === (delta > 0);
        td.classList.add(better ? "moved-better" : "moved-worse");
        td.dataset.moved = better ? "better" : "worse";
      }
      if (row === col) td.classList.add("diagonal");
      else if (count > 0) {
        td.classList.add("miss");
        td.dataset.testid = "confusion-miss";
      }
      tr.append(td);
    });
    body.append(tr);
  });
  table.replaceChildren(el("thead", {}, head), body);
}

async function activate(force, reason) {
  const modelId = state.selected;
  try {
    const done = await api("POST", `/nlu/models/${modelId}/activate`, force ? { force: true, reason } : { force: false });
    flash(`เปิดใช้โมเดล #${modelId} แล้ว (โหลดใน ${done.load_s} วินาที ไม่มีช่วงหยุดให้บริการ)`);
  } catch (error) {
    if (error.status === 409) {
      showRefusal(error);
      return;
    }
    throw error;
  }
  await loadModels();
  await selectModel(modelId);
}

function showRefusal(error) {
  const regressions = error.detail?.regressions || [];
  $("refusal-message").textContent = error.message;
  const rows = regressions.map((r) => el("tr", { className: "worse", dataset: { testid: "regression", name: r.name } },
    el("td", { text: r.name }), el("td", { className: "n", text: number(r.active) }), el("td", { className: "n", text: number(r.candidate) })));
  $("regressions").replaceChildren(...rows);
  // Forcing only makes sense for a worse model; other refusals (not ready, Rasa down) just say why.
  $("force-form").hidden = regressions.length === 0;
  $("refusal").hidden = false;
  $("force-reason").focus();
}

async function rollback(modelId) {
  const done = await api("POST", "/nlu/rollback", modelId ? { model_id: modelId } : {});
  flash(`ย้อนกลับไปใช้โมเดล #${done.id} แล้ว`);
  await loadModels();
  await selectModel(done.id);
}

// Start ----------------------------------------------------------------------------------

async function start() {
  const data = await api("GET", "/nlu/intents");
  state.intents = data.items;
  fillIntentOptions($("bulk-intent"), true);
  fillIntentOptions($("example-filter"), true);
  fillIntentOptions($("new-intent"), false);
  $("inbox-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(loadInbox);
  });
  $("select-all").addEventListener("change", (event) => {
    for (const box of $("groups").querySelectorAll(".tick")) box.checked = event.target.checked;
    updateBulk();
  });
  $("bulk-label").addEventListener("click", () => guarded(() => labelGroups(ticked(), $("bulk-intent").value)));
  $("example-filter").addEventListener("change", () => guarded(loadExamples));
  $("add-example").addEventListener("submit", (event) => guarded(() => addExample(event)));
  $("train").addEventListener("click", () => guarded(train));
  $("activate").addEventListener("click", () => guarded(() => activate(false)));
  $("rollback-to").addEventListener("click", () => guarded(() => rollback(state.selected)));
  $("rollback").addEventListener("click", () => guarded(() => rollback(null)));
  $("force-reason").addEventListener("input", () => {
    $("force").disabled = !$("force-reason").value.trim();
  });
  $("force-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = $("force-reason").value.trim();
    if (!reason) return; // a reason is required to force a worse model
    guarded(() => activate(true, reason));
  });
  await Promise.all([loadInbox(), loadExamples(), loadModels()]);
  document.body.dataset.ready = "true";
}

guarded(start);
