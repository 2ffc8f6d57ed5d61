// The agent console: the live queue, one conversation at a time, replies and tickets.
// Every piece of citizen (or staff) text goes into the page with textContent, never as
// HTML: a message like <img onerror=...> sent from LINE shows as the characters it is.
// The Thai names of ticket statuses and complaint types, and of hand-off statuses and
// reasons, come from /me (their homes are bot/tickets/lifecycle.py and
// bot/handoff/texts.py), not from copies here.

import { $, api, base, csrf, el } from "../web/desk.js";

const staffId = Number(document.body.dataset.staffId);
const role = document.body.dataset.role;


const state = { me: null, items: [], agents: [], current: null, conversation: null, keys: new Set() };

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function minutes(seconds) {
  const m = Math.floor(seconds / 60);
  return m < 1 ? "ไม่ถึง 1 นาที" : `${m} นาที`;
}

function time(iso) {
  return new Date(iso).toLocaleTimeString("th-TH", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Bangkok" });
}

// The queue ------------------------------------------------------------------------------

async function loadQueue() {
  const data = await api("GET", "/queue");
  state.items = data.items;
  const waiting = $("waiting");
  const active = $("active");
  waiting.replaceChildren();
  active.replaceChildren();
  let count = 0;
  for (const item of data.items) {
    const li = queueItem(item.conversation_id, { handoff: item.id, testid: "queue-item" });
    const title = el("strong", { text: item.citizen });
    const meta = el("small", {
      text: item.status === "waiting"
        ? `คิวที่ ${item.position} · รอ ${minutes(item.waiting_s)} · ${state.me.handoff_reasons[item.reason] || item.reason}`
        : `${item.agent || "-"} · ${item.queue}`,
    });
    const preview = el("span", { className: "preview", text: item.last_text || "", dataset: { testid: "queue-preview" } });
    li.append(title, preview, meta);
    if (item.status === "waiting") {
      count += 1;
      waiting.append(li);
    } else {
      if (item.agent_id === staffId) li.classList.add("mine");
      active.append(li);
    }
  }
  $("waiting-count").textContent = String(count);
  document.title = `${count ? `(${count}) ` : ""}Agent console · ศูนย์บริการประชาชน`;
  filterQueue();
  if (state.me?.call_centre) await loadRecent();
  if (role !== "agent") await loadAgents();
}

async function loadRecent() {
  const data = await api("GET", "/conversations");
  const list = $("recent");
  list.hidden = false;
  $("recent-title").hidden = false;
  list.replaceChildren();
  for (const item of data.items.filter((c) => c.handler === "bot").slice(0, 15)) {
    const li = queueItem(item.id, { testid: "recent-item" });
    li.append(el("strong", { text: item.citizen }), el("small", { text: `ล่าสุด ${time(item.last_message_at)}` }));
    list.append(li);
  }
  filterQueue();
}

// A queue card: opened by click, Enter or Space; arrow keys move between cards.
function queueItem(conversationId, dataset) {
  const li = el("li", { className: "item", tabIndex: 0, role: "button", dataset: { conversation: conversationId, ...dataset } });
  if (state.current === conversationId) li.classList.add("selected");
  li.addEventListener("click", () => openConversation(conversationId));
  li.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openConversation(conversationId);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const cards = [...document.querySelectorAll(".queue .item")].filter((c) => !c.hidden && c.tabIndex >= 0);
      const at = cards.indexOf(li) + (event.key === "ArrowDown" ? 1 : -1);
      cards[Math.max(0, Math.min(cards.length - 1, at))]?.focus();
    }
  });
  return li;
}

// The queue's search: shows the cards whose name or last message holds the words typed.
function filterQueue() {
  const wanted = $("queue-search").value.trim().toLowerCase();
  for (const card of document.querySelectorAll(".queue .item:not(.agent)")) {
    card.hidden = Boolean(wanted) && !card.textContent.toLowerCase().includes(wanted);
  }
}

async function loadAgents() {
  const data = await api("GET", "/agents");
  state.agents = data.items;
  const list = $("agents");
  if (!list) return;
  list.replaceChildren();
  for (const agent of data.items) {
    list.append(el("li", { className: "item agent", dataset: { testid: "agent-item" } },
      el("strong", { text: agent.display_name }),
      el("small", { text: `${agent.online ? "ออนไลน์" : "ออฟไลน์"} · ${agent.active}/${agent.capacity}` })));
  }
}

// One conversation -----------------------------------------------------------------------

function entryNode(entry) {
  const li = el("li", { className: `entry from-${entry.from}`, dataset: { key: entry.key || "", testid: "entry", from: entry.from } });
  const who = { citizen: "ผู้ใช้", bot: "บอท", agent: entry.agent || "เจ้าหน้าที่", note: `บันทึกภายใน · ${entry.agent || ""}` }[entry.from] || entry.from;
  li.append(el("span", { className: "who", text: `${who} · ${time(entry.at)}` }));
  const body = el("div", { className: "body" });
  if (entry.type === "image") {
    if (entry.media_id) {
      const link = el("a", { href: `${base}/api/media/${encodeURIComponent(entry.media_id)}`, target: "_blank", rel: "noopener" });
      link.append(el("img", { src: `${base}/api/media/${encodeURIComponent(entry.media_id)}`, alt: "รูปจากผู้ใช้", loading: "lazy" }));
      body.append(link);
    } else {
      body.append(el("em", { text: "[รูปภาพที่เปิดไม่ได้]" }));
    }
  } else if (entry.type === "location") {
    const lat = Number(entry.latitude);
    const lon = Number(entry.longitude);
    body.append(el("span", { text: `📍 ${entry.text || ""} ` }));
    if (Number.isFinite(lat) && Number.isFinite(lon)) {
      body.append(el("a", { href: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=18/${lat}/${lon}`, target: "_blank", rel: "noopener noreferrer", text: "ดูแผนที่" }));
    }
  } else if (entry.type === "sticker") {
    body.append(el("em", { text: `[สติกเกอร์${entry.text ? `: ${entry.text}` : ""}]` }));
  } else if (entry.type === "unsent") {
    body.append(el("em", { text: "[ผู้ใช้ยกเลิกข้อความนี้]" }));
  } else if (["video", "audio", "file"].includes(entry.type)) {
    body.append(el("em", { text: `[${entry.type} — เปิดในระบบไม่ได้ ขอให้ผู้ใช้ส่งเป็นข้อความหรือรูป]` }));
  } else {
    body.append(el("span", { className: "text", text: entry.text || "" }));
  }
  if (entry.chips?.length) body.append(el("small", { className: "chips", text: `ปุ่ม: ${entry.chips.join(" | ")}` }));
  li.append(body);
  return li;
}

function appendEntry(entry) {
  if (entry.key && state.keys.has(entry.key)) return;
  if (entry.key) state.keys.add(entry.key);
  const list = $("history");
  list.append(entryNode(entry));
  list.scrollTop = list.scrollHeight;
}

async function openConversation(conversationId) {
  state.current = conversationId;
  showError("");
  const data = await api("GET", `/conversations/${conversationId}`);
  state.conversation = data;
  state.keys = new Set();
  $("empty").hidden = true;
  $("chat").hidden = false;
  $("side").hidden = false;
  $("citizen-name").textContent = data.citizen.name;
  $("history").replaceChildren();
  for (const entry of data.history) appendEntry(entry);
  renderHandoff();
  renderTickets();
  for (const li of document.querySelectorAll(".queue .item")) {
    li.classList.toggle("selected", Number(li.dataset.conversation) === conversationId);
  }
}

function renderHandoff() {
  const data = state.conversation;
  const handoff = data.handoff;
  const open = handoff && ["waiting", "active"].includes(handoff.status);
  const mine = handoff && handoff.status === "active" && (handoff.agent_id === staffId || role !== "agent");
  $("handoff-state").textContent = handoff
    ? `${state.me.handoff_statuses[handoff.status] || handoff.status} · ${state.me.handoff_reasons[handoff.reason] || handoff.reason}${handoff.rating ? ` · คะแนน ${handoff.rating}/5` : ""}`
    : "คุยกับบอท";
  $("handoff-state").dataset.status = handoff ? handoff.status : "bot";
  $("claim").hidden = !(handoff && handoff.status === "waiting");
  $("takeover").hidden = !(state.me?.call_centre && !open && data.handler === "bot");
  $("end").hidden = !(open && (mine || handoff.status === "waiting"));
  $("end-confirm").hidden = true;
  $("transfer-confirm").hidden = true;
  $("composer").hidden = !mine;
  $("transfer-box").hidden = !(open && (mine || handoff.status === "waiting"));
  $("assign-box").hidden = !(open && role !== "agent");
  const transfer = $("transfer");
  transfer.replaceChildren(el("option", { value: "", text: "เลือกหน่วยงาน…" }));
  for (const queue of state.me.queues) {
    if (handoff && queue.id === handoff.queue) continue;
    transfer.append(el("option", { value: queue.id, text: queue.name }));
  }
  const assign = $("assign");
  assign.replaceChildren(el("option", { value: "", text: "เลือกเจ้าหน้าที่…" }));
  for (const agent of state.agents) {
    assign.append(el("option", { value: String(agent.id), text: `${agent.display_name} (${agent.active}/${agent.capacity})` }));
  }
}

function renderTickets() {
  const list = $("tickets");
  list.replaceChildren();
  for (const ticket of state.conversation.tickets) {
    // Only what the lifecycle table allows now; the citizen receives the message on LINE
    // with the new status (required when resolving or rejecting: they are owed the reason).
    const select = el("select", { dataset: { testid: "ticket-status" }, title: "สถานะ (status)" });
    const offered = [ticket.status, ...ticket.allowed_transitions];
    for (const item of state.me.statuses.filter((s) => offered.includes(s.id))) {
      select.append(el("option", { value: item.id, text: item.name, selected: item.id === ticket.status }));
    }
    const message = el("input", {
      type: "text",
      maxLength: 2000,
      placeholder: "ข้อความถึงผู้แจ้ง (ต้องมีเมื่อแก้ไขแล้วหรือไม่รับเรื่อง)",
      ariaLabel: "ข้อความถึงผู้แจ้ง",
      dataset: { testid: "ticket-status-message" },
    });
    const change = el("button", { type: "button", text: "เปลี่ยนสถานะ", dataset: { testid: "ticket-status-save" } });
    change.addEventListener("click", async () => {
      if (select.value === ticket.status) return;
      try {
        await api("POST", `/tickets/${encodeURIComponent(ticket.id)}/status`, {
          status: select.value,
          note: message.value.trim() || null,
        });
        await openConversation(state.current);
      } catch (error) {
        showError(`เปลี่ยนสถานะไม่ได้: ${error.message}`);
      }
    });
    // Correcting the type routes an open ticket again and teaches the NLU (its inbox).
    const type = el("select", { dataset: { testid: "ticket-type-change" }, title: "ประเภทเรื่อง (complaint type)" });
    if (!state.me.complaint_types.some((item) => item.id === ticket.complaint_type)) {
      // A message left for staff has no complaint type yet: the agent may give it one.
      type.append(el("option", { value: ticket.complaint_type, text: "ระบุประเภทเรื่อง…", selected: true, disabled: true }));
    }
    for (const item of state.me.complaint_types) {
      type.append(el("option", { value: item.id, text: item.name, selected: item.id === ticket.complaint_type }));
    }
    type.addEventListener("change", async () => {
      try {
        await api("POST", `/tickets/${encodeURIComponent(ticket.id)}/type`, { complaint_type: type.value });
        await openConversation(state.current);
      } catch (error) {
        showError(`เปลี่ยนประเภทเรื่องไม่ได้: ${error.message}`);
        type.value = ticket.complaint_type;
      }
    });
    const linked = state.conversation.handoff?.ticket_id === ticket.id;
    list.append(el("li", { dataset: { testid: "ticket", ticket: ticket.id } },
      el("strong", { text: `${ticket.id}${linked ? " 🔗" : ""}` }),
      el("small", { text: `${ticket.agency_name} · ${ticket.description.slice(0, 80)}` }),
      select, message, change, type));
  }
}

async function act(path, body) {
  showError("");
  try {
    return await api("POST", path, body);
  } catch (error) {
    showError(error.message);
    throw error;
  } finally {
    await loadQueue().catch(() => {});
    if (state.current) await openConversation(state.current).catch(() => {});
  }
}

function currentHandoff() {
  return state.conversation?.handoff?.id;
}

function wire() {
  $("claim").addEventListener("click", () => act(`/handoffs/${currentHandoff()}/claim`).catch(() => {}));
  // Ending and transferring leave the agent's hands: each asks first, in the page.
  $("end").addEventListener("click", () => {
    $("end-confirm").hidden = false;
    $("end-yes").focus();
  });
  $("end-no").addEventListener("click", () => {
    $("end-confirm").hidden = true;
    $("end").focus();
  });
  $("end-yes").addEventListener("click", () => {
    $("end-confirm").hidden = true;
    act(`/handoffs/${currentHandoff()}/end`).catch(() => {});
  });
  $("takeover").addEventListener("click", () => act(`/conversations/${state.current}/takeover`).catch(() => {}));
  $("transfer").addEventListener("change", (event) => {
    const chosen = event.target.selectedOptions[0];
    $("transfer-confirm").hidden = !event.target.value;
    $("transfer-question").textContent = event.target.value ? `โอนแชตนี้ไป ${chosen.textContent}?` : "";
  });
  $("transfer-no").addEventListener("click", () => {
    $("transfer").value = "";
    $("transfer-confirm").hidden = true;
    $("transfer").focus();
  });
  $("transfer-yes").addEventListener("click", () => {
    const queue = $("transfer").value;
    $("transfer-confirm").hidden = true;
    if (queue) act(`/handoffs/${currentHandoff()}/transfer`, { queue }).catch(() => {});
  });
  $("queue-search").addEventListener("input", filterQueue);
  // The private-note mode must be unmistakable: the whole composer changes, and it
  // resets after each note so the next message goes to the citizen as usual.
  $("as-note").addEventListener("change", noteMode);
  $("assign").addEventListener("change", (event) => {
    if (event.target.value) act(`/handoffs/${currentHandoff()}/assign`, { agent_id: Number(event.target.value) }).catch(() => {});
  });
  $("canned").addEventListener("change", (event) => {
    if (event.target.value) $("reply-text").value = event.target.value;
    event.target.value = "";
    $("reply-text").focus();
  });
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) return;
    const asNote = $("as-note").checked;
    showError("");
    try {
      const out = asNote
        ? await api("POST", `/handoffs/${currentHandoff()}/notes`, { body: text })
        : await api("POST", `/handoffs/${currentHandoff()}/reply`, { text });
      appendEntry(asNote ? out : out.entry);
      $("reply-text").value = "";
      if (asNote) {
        $("as-note").checked = false;
        noteMode();
      }
    } catch (error) {
      showError(`ส่งไม่ได้: ${error.message}`);
    }
  });
  $("ticket-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await act(`/handoffs/${currentHandoff()}/ticket`, {
      complaint_type: $("ticket-type").value,
      description: $("ticket-description").value,
      province: $("ticket-province").value || null,
    }).then(() => { $("ticket-description").value = ""; }).catch(() => {});
  });
  $("link-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await act(`/handoffs/${currentHandoff()}/ticket`, { ticket_id: $("link-id").value }).catch(() => {});
  });
  $("logout").addEventListener("click", async () => {
    await fetch(`${base}/logout`, { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" }).catch(() => {});
    window.location.assign(`${base}/login`);
  });
}

function noteMode() {
  const on = $("as-note").checked;
  $("composer").classList.toggle("note-mode", on);
  $("composer").dataset.mode = on ? "note" : "reply";
  $("note-banner").hidden = !on;
  $("send").textContent = on ? "บันทึกภายใน" : "ส่ง";
  $("reply-text").placeholder = on
    ? "บันทึกสำหรับเจ้าหน้าที่ด้วยกัน ผู้ใช้จะไม่เห็น"
    : "พิมพ์ข้อความถึงผู้ใช้ (Enter ส่ง, Shift+Enter ขึ้นบรรทัดใหม่)";
}

// Live updates -------------------------------------------------------------------------

let queueTimer = null;
function refreshQueueSoon() {
  // At most one reload per 150 ms, also while messages keep arriving.
  if (queueTimer) return;
  queueTimer = setTimeout(() => {
    queueTimer = null;
    loadQueue().catch(() => {});
  }, 150);
}

function connect() {
  const live = $("live");
  const source = new EventSource(`${base}/api/stream`);
  source.addEventListener("ready", () => {
    live.dataset.state = "live";
    live.textContent = "ออนไลน์";
    refreshQueueSoon();
  });
  source.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.conversation_id === state.current && data.entry) appendEntry(data.entry);
    refreshQueueSoon();
  });
  source.addEventListener("queue", (event) => {
    const data = JSON.parse(event.data);
    refreshQueueSoon();
    if (state.current && (data.handoff_id === currentHandoff() || data.assigned)) {
      openConversation(state.current).catch(() => {});
    }
  });
  source.onerror = () => {
    live.dataset.state = "offline";
    live.textContent = "ขาดการเชื่อมต่อ กำลังเชื่อมใหม่…";
  };
}

async function start() {
  state.me = await api("GET", "/me");
  const canned = $("canned");
  for (const item of state.me.canned) canned.append(el("option", { value: item.text, text: item.title }));
  const types = $("ticket-type");
  for (const type of state.me.complaint_types) types.append(el("option", { value: type.id, text: type.name }));
  wire();
  await loadQueue();
  connect();
}

start().catch((error) => showError(error.message));
