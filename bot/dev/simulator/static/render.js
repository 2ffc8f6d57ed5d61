// Chat bubbles for LINE message objects. Text goes in through textContent only.
import { el, renderFlex, safeImageUrl } from "../web/flex.js";

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}'"”’）]+$/;
export const STICKER_EMOJI = {
  "446/1988": "👍", "446/1989": "😊", "446/2003": "🙏", "446/2027": "😢",
  "11537/52002734": "🥰", "11538/51626494": "👌",
};
export const STICKERS = [
  { packageId: "446", stickerId: "1988", label: "โอเค" },
  { packageId: "446", stickerId: "1989", label: "ยิ้ม" },
  { packageId: "446", stickerId: "2003", label: "ขอบคุณ" },
  { packageId: "446", stickerId: "2027", label: "เศร้า" },
];

/** A link for http(s) addresses only; anything else stays text. */
export function safeLinkUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Text with its web addresses as links, built from text nodes (newlines kept by CSS). */
export function linkify(text) {
  const fragment = document.createDocumentFragment();
  const source = String(text);
  let last = 0;
  for (const match of source.matchAll(URL_RE)) {
    const raw = match[0].replace(TRAILING, "");
    const href = safeLinkUrl(raw);
    if (!href || !raw) continue;
    fragment.append(document.createTextNode(source.slice(last, match.index)));
    const link = el("a");
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = raw;
    fragment.append(link);
    last = match.index + raw.length;
  }
  fragment.append(document.createTextNode(source.slice(last)));
  return fragment;
}

export function clock(ms) {
  if (!Number.isFinite(ms)) return "";
  return new Date(ms).toLocaleTimeString("th-TH", { hour: "2-digit", minute: "2-digit" });
}

function textBubble(text, className = "") {
  const bubble = el("div", `bubble ${className}`.trim());
  bubble.append(linkify(typeof text === "string" ? text : ""));
  return bubble;
}

function stickerBubble(packageId, stickerId) {
  const node = el("div", "sticker", "sticker-message");
  const emoji = el("span", "sticker-emoji");
  emoji.textContent = STICKER_EMOJI[`${packageId}/${stickerId}`] || "🐻";
  const label = el("span", "sticker-label");
  label.textContent = `สติกเกอร์ ${packageId}/${stickerId}`;
  node.append(emoji, label);
  return node;
}

function locationBubble(m) {
  const card = el("div", "bubble location-card");
  const title = el("strong");
  title.textContent = `📍 ${m.title || "ตำแหน่งที่ตั้ง"}`;
  card.append(title);
  if (m.address) {
    const address = el("div");
    address.textContent = m.address;
    card.append(address);
  }
  const coords = el("small", "coords");
  coords.textContent = `${Number(m.latitude).toFixed(5)}, ${Number(m.longitude).toFixed(5)}`;
  card.append(coords);
  return card;
}

function imageBubble(src, testid) {
  const frame = el("div", "image-bubble", testid);
  const img = el("img");
  img.alt = "รูปภาพ";
  const url = safeImageUrl(src);
  if (url) img.src = url;
  frame.append(img);
  return frame;
}

function actionButtons(actions, onAction) {
  const list = el("div", "template-actions");
  for (const action of Array.isArray(actions) ? actions : []) {
    const button = el("button", "flex-button flex-button-link", "template-button");
    button.type = "button";
    button.textContent = action && typeof action.label === "string" ? action.label : "";
    button.addEventListener("click", () => onAction(action || {}));
    list.append(button);
  }
  return list;
}

function templateCard(t, altText, onAction) {
  const card = el("div", "flex-card template-card", "flex-card");
  const imageUrl = t.thumbnailImageUrl || t.imageUrl;
  if (imageUrl) card.append(imageBubble(imageUrl));
  const body = el("div", "template-body");
  if (t.title) {
    const title = el("div", "flex-text template-title");
    title.textContent = t.title;
    body.append(title);
  }
  const text = el("div", "flex-text flex-wrap");
  text.textContent = typeof t.text === "string" ? t.text : altText || "";
  body.append(text);
  card.append(body, actionButtons(t.actions || (t.action ? [t.action] : []), onAction));
  return card;
}

function renderTemplate(m, onAction) {
  const t = m.template || {};
  if (t.type === "carousel" || t.type === "image_carousel") {
    const carousel = el("div", "flex-carousel", "flex-carousel");
    for (const column of t.columns || []) carousel.append(templateCard(column, m.altText, onAction));
    return carousel;
  }
  if (t.type === "buttons" || t.type === "confirm") return templateCard(t, m.altText, onAction);
  return textBubble(m.altText || "[Template message]", "alt");
}

/** One LINE message object the bot sent, as an element. */
export function renderBotContent(m, onAction) {
  switch (m && m.type) {
    case "text":
      return textBubble(m.text);
    case "textV2":
      return textBubble(
        String(m.text || "").replace(/\{([a-zA-Z0-9_]+)\}/g, (_, key) => {
          const sub = (m.substitution || {})[key] || {};
          return sub.type === "mention" ? "@ผู้ใช้" : sub.type === "emoji" ? "😀" : `{${key}}`;
        }),
      );
    case "image":
      return imageBubble(m.previewImageUrl || m.originalContentUrl, "bot-image");
    case "sticker":
      return stickerBubble(m.packageId, m.stickerId);
    case "location":
      return locationBubble(m);
    case "flex":
      return renderFlex(m.contents, { altText: m.altText, onAction });
    case "template":
      return renderTemplate(m, onAction);
    case "video":
      return textBubble("🎬 วิดีโอ", "alt");
    case "audio":
      return textBubble("🔊 ไฟล์เสียง", "alt");
    default:
      return textBubble(m && m.altText ? m.altText : `[${(m && m.type) || "message"}]`, "alt");
  }
}

/** What a simulated user sent, as an element. */
export function renderUserContent(item) {
  switch (item.kind) {
    case "sticker":
      return stickerBubble(item.sticker.packageId, item.sticker.stickerId);
    case "location":
      return locationBubble(item.location);
    case "image":
      return item.thumb ? imageBubble(item.thumb, "user-image") : textBubble("🖼️ รูปภาพ");
    default:
      return textBubble(item.text);
  }
}

/** A row of the chat: the bubble plus its time (and a status for what the user sent). */
export function chatRow(side, content, { time, status, testid, avatar }) {
  const row = el("div", `row row-${side}`, testid);
  if (avatar) {
    const face = el("span", "avatar bot-avatar");
    face.textContent = "🏛️";
    row.append(face);
  }
  const column = el("div", "row-body");
  if (avatar) {
    const name = el("div", "bot-name");
    name.dataset.label = document.body.dataset.botName || "";
    column.append(name);
  }
  const line = el("div", "row-line");
  // Time and status are drawn by CSS from data-label, so a message's text is only its own.
  const meta = el("div", "meta");
  if (status === "sending") meta.dataset.label = "กำลังส่ง…";
  else if (status === "failed") {
    meta.dataset.label = "ส่งไม่สำเร็จ";
    meta.classList.add("meta-failed");
    row.dataset.failed = "true";
  } else meta.dataset.label = clock(time);
  line.append(content, meta);
  column.append(line);
  row.append(column);
  return row;
}

export function typingRow() {
  const row = el("div", "row row-bot typing", "typing-indicator");
  const face = el("span", "avatar bot-avatar");
  face.textContent = "🏛️";
  const bubble = el("div", "bubble typing-bubble");
  bubble.setAttribute("aria-label", "กำลังพิมพ์");
  for (let i = 0; i < 3; i += 1) bubble.append(el("span", "dot"));
  row.append(face, bubble);
  return row;
}
