// The simulator page: simulated LINE users chatting with the desk through the stand-in.
import { makeRunAction } from "./actions.js";
import * as api from "./api.js";
import { setupComposer } from "./composer.js";
import { chatRow, renderBotContent, renderUserContent, typingRow } from "./render.js";
import * as store from "./store.js";

const POLL_MS = 700;
const TYPING_TIMEOUT_MS = 25000;
const MAX_TEXT = 5000;

const $ = (id) => document.getElementById(id);
const ui = {
  users: $("user-list"), addUser: $("add-user"), name: $("display-name"), userId: $("user-id"),
  remove: $("remove-user"), banner: $("error-banner"), bannerText: $("error-text"),
  bannerClose: $("error-close"), messages: $("messages"), empty: $("empty-state"),
  chips: $("quick-replies"), stickerPanel: $("sticker-panel"), stickerGrid: $("sticker-grid"),
  stickerButton: $("sticker-button"), locationPanel: $("location-panel"),
  presets: $("location-presets"), locationForm: $("location-form"),
  locationCancel: $("location-cancel"), locationButton: $("location-button"),
  photo: $("photo-input"), input: $("message-input"), send: $("send-button"),
};

const state = store.load();
const live = new Map(); // userId -> {bot, loaded, polling, waiting, following}
let banner = null; // {source, text}: a later success of the same source clears it
let lastRender = "";
let runAction = () => {}; // set in setup(), once the composer exists

function liveOf(userId) {
  if (!live.has(userId)) {
    live.set(userId, { bot: [], loaded: false, polling: false, waiting: null, following: null });
  }
  return live.get(userId);
}

function activeUser() {
  return state.users.find((u) => u.id === state.active) || null;
}

function persist() {
  if (!store.save(state)) showError("storage", "บันทึกลง localStorage ไม่ได้ (พื้นที่เต็ม)");
}

function showError(source, text) {
  banner = { source, text };
  ui.bannerText.textContent = text;
  ui.banner.dataset.source = source;
  ui.banner.hidden = false;
}

function clearError(source) {
  if (banner && banner.source === source) {
    banner = null;
    ui.banner.hidden = true;
  }
}

// ---- rendering -------------------------------------------------------------------------

function renderUsers() {
  const tabs = state.users.map((user) => {
    const item = document.createElement("li");
    const tab = document.createElement("button");
    tab.type = "button";
    tab.className = "user-tab";
    tab.dataset.testid = "user-tab";
    tab.dataset.userId = user.id;
    tab.setAttribute("aria-selected", String(user.id === state.active));
    const face = document.createElement("span");
    face.className = "avatar user-avatar";
    face.textContent = Array.from(user.name)[0] || "?";
    const label = document.createElement("span");
    label.className = "user-tab-name";
    label.textContent = user.name;
    tab.append(face, label);
    tab.addEventListener("click", () => switchTo(user.id));
    item.append(tab);
    return item;
  });
  ui.users.replaceChildren(...tabs);
  const user = activeUser();
  ui.name.value = user ? user.name : "";
  ui.userId.textContent = user ? user.id : "";
  for (const control of [ui.name, ui.remove, ui.input, ui.send, ui.stickerButton,
    ui.locationButton, ui.photo]) control.disabled = !user;
  ui.empty.hidden = Boolean(user);
}

function timeline(user) {
  const bot = liveOf(user.id).bot.map((d) => ({ side: "bot", at: d.at, delivery: d }));
  const mine = user.sent.map((item) => ({ side: "user", at: item.at ?? Infinity, item }));
  // Stable sort: at equal times the user's message stays before the bot's answer to it.
  return [...mine, ...bot].sort((a, b) => a.at - b.at);
}

function isTyping(user) {
  const waiting = liveOf(user.id).waiting;
  if (!waiting || Date.now() > waiting.until) return false;
  if (waiting.after === null) return true;
  return !liveOf(user.id).bot.some((d) => d.at >= waiting.after);
}

function renderChat() {
  const user = activeUser();
  if (!user) {
    ui.messages.replaceChildren();
    ui.chips.hidden = true;
    lastRender = "";
    return;
  }
  const items = timeline(user);
  const typing = isTyping(user);
  const key = JSON.stringify([user.id, items.map((i) => [i.at, i.item && i.item.status]), typing]);
  if (key === lastRender) return;
  lastRender = key;
  const box = ui.messages;
  const stick = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  const rows = items.map((entry) =>
    entry.side === "bot"
      ? chatRow("bot", renderBotContent(entry.delivery.message, runAction), {
        time: entry.at, testid: "bot-message", avatar: true })
      : chatRow("user", renderUserContent(entry.item), {
        time: entry.at, status: entry.item.status, testid: "user-message" }));
  if (typing) rows.push(typingRow());
  box.replaceChildren(...rows);
  renderChips(items.at(-1));
  if (stick) scrollToBottom();
  for (const img of box.querySelectorAll("img")) {
    img.addEventListener("load", () => stick && scrollToBottom(), { once: true });
  }
}

function scrollToBottom() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

// LINE shows quick reply buttons only while their message is the last one in the chat.
function renderChips(last) {
  const items = last && last.side === "bot" && last.delivery.message.quickReply
    ? last.delivery.message.quickReply.items : null;
  if (!Array.isArray(items) || !items.length) {
    ui.chips.hidden = true;
    ui.chips.replaceChildren();
    return;
  }
  ui.chips.replaceChildren(...items.map((item) => {
    const action = (item && item.action) || {};
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.dataset.testid = "quick-reply";
    chip.dataset.actionType = String(action.type || "");
    chip.textContent = typeof action.label === "string" ? action.label : "";
    chip.addEventListener("click", () => runAction(action));
    return chip;
  }));
  ui.chips.hidden = false;
}

function render() {
  renderUsers();
  lastRender = "";
  renderChat();
}

// ---- talking to the desk ---------------------------------------------------------------

/** Send one event for the user; `item` is what their chat shows (null shows nothing). */
async function deliver(user, payload, item) {
  if (!user) return false;
  await ensureFollowed(user);
  const waiting = { after: null, until: Date.now() + TYPING_TIMEOUT_MS };
  liveOf(user.id).waiting = waiting;
  if (item) {
    Object.assign(item, { status: "sending", at: null });
    user.sent.push(item);
  }
  persist();
  renderChat();
  let ok = false;
  try {
    const result = await api.send({ userId: user.id, displayName: user.name, ...payload });
    const stamp = result && result.body && result.body.events && result.body.events[0]
      ? result.body.events[0].timestamp : null;
    // The stand-in's clock also stamps the bot's messages, so both sort on one clock.
    waiting.after = Number.isFinite(stamp) ? stamp : Date.now();
    const problem = api.webhookProblem(result);
    ok = !problem;
    if (problem) showError("send", problem);
    else clearError("send");
    if (item) Object.assign(item, { status: ok ? "sent" : "failed", at: waiting.after });
  } catch (err) {
    showError("send", err.message);
    if (item) Object.assign(item, { status: "failed", at: Date.now() });
  }
  if (!ok) liveOf(user.id).waiting = null;
  persist();
  renderChat();
  poll(user);
  return ok;
}

// A user's first event is always `follow`, sent once even if they type before it is done.
function ensureFollowed(user) {
  const l = liveOf(user.id);
  if (user.followed) return Promise.resolve();
  if (!l.following) l.following = follow(user).finally(() => { l.following = null; });
  return l.following;
}

async function follow(user) {
  liveOf(user.id).waiting = { after: null, until: Date.now() + TYPING_TIMEOUT_MS };
  renderChat();
  try {
    const result = await api.send({ userId: user.id, displayName: user.name, event: "follow" });
    user.followed = true; // the stand-in delivered it; a failing desk is shown below
    const problem = api.webhookProblem(result);
    if (problem) showError("send", problem);
    else clearError("send");
    const stamp = result && result.body && result.body.events && result.body.events[0]
      ? result.body.events[0].timestamp : Date.now();
    liveOf(user.id).waiting = problem ? null : { after: stamp, until: Date.now() + TYPING_TIMEOUT_MS };
  } catch (err) {
    liveOf(user.id).waiting = null;
    showError("send", err.message);
  }
  persist();
  renderChat();
  poll(user);
}

async function poll(user) {
  const l = liveOf(user.id);
  if (l.polling) return;
  l.polling = true;
  try {
    const list = await api.messages(user.id);
    l.bot = (Array.isArray(list) ? list : [])
      .filter((d) => d && d.message)
      .map((d, i) => ({ ...d, at: Number.isFinite(Date.parse(d.time)) ? Date.parse(d.time) : i }));
    l.loaded = true;
    clearError("poll");
  } catch (err) {
    showError("poll", err.message);
  } finally {
    l.polling = false;
    if (user.id === state.active) renderChat();
  }
}

function sendText(text) {
  const value = String(text || "");
  if (!value.trim()) return Promise.resolve(false);
  if (value.length > MAX_TEXT) {
    showError("input", `ข้อความยาวเกิน ${MAX_TEXT} ตัวอักษร`);
    return Promise.resolve(false);
  }
  return deliver(activeUser(), { event: "message", message: { type: "text", text: value } },
    { kind: "text", text: value });
}

function sendPostback(data, displayText, params) {
  const payload = { event: "postback", postbackData: String(data ?? "") };
  if (params) payload.postbackParams = params;
  return deliver(activeUser(), payload, displayText ? { kind: "postback", text: displayText } : null);
}

// ---- composer, panels and users ----------------------------------------------------------

function submitInput() {
  const text = ui.input.value;
  if (!text.trim() || !activeUser()) return;
  ui.input.value = "";
  autosize();
  clearError("input");
  sendText(text);
}

function autosize() {
  ui.input.style.height = "auto";
  if (!ui.input.value) return; // an empty box keeps one row, however long the placeholder
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 140)}px`;
}

function switchTo(userId) {
  state.active = userId;
  persist();
  render();
  const user = activeUser();
  if (user) poll(user);
}

async function addUser() {
  const user = store.newUser();
  state.users.push(user);
  switchTo(user.id);
  ui.input.focus();
  await ensureFollowed(user); // like adding the LINE account as a friend: the desk says hello
}

async function removeUser() {
  const user = activeUser();
  if (!user || !window.confirm(`ลบ “${user.name}”? ระบบจะส่ง unfollow (เหมือนบล็อกบัญชี)`)) return;
  try {
    await api.send({ userId: user.id, displayName: user.name, event: "unfollow" });
  } catch (err) {
    showError("send", err.message);
  }
  state.users = state.users.filter((u) => u.id !== user.id);
  live.delete(user.id);
  switchTo(state.users[0] ? state.users[0].id : null);
}

function rename() {
  const user = activeUser();
  if (!user) return;
  const name = ui.name.value.trim().slice(0, 20);
  if (name) user.name = name;
  persist();
  renderUsers();
}

function setup() {
  ui.addUser.addEventListener("click", addUser);
  ui.remove.addEventListener("click", removeUser);
  ui.bannerClose.addEventListener("click", () => {
    banner = null;
    ui.banner.hidden = true;
  });
  ui.send.addEventListener("click", submitInput);
  ui.input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter breaks the line; never while a Thai IME is composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitInput();
    }
  });
  ui.input.addEventListener("input", autosize);
  ui.name.addEventListener("change", rename);
  const extras = setupComposer(ui, {
    deliver: (payload, item) => deliver(activeUser(), payload, item), showError, clearError,
  });
  runAction = makeRunAction({
    sendText, sendPostback, showError, input: ui.input, ...extras,
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && activeUser()) poll(activeUser());
  });
  window.setInterval(() => {
    const user = activeUser();
    if (!document.hidden && user) poll(user);
    else if (user) renderChat(); // let a typing indicator time out
  }, POLL_MS);
  render();
  if (activeUser()) poll(activeUser());
}

setup();
