// Flex Message renderer: bubble/carousel/box/text/span/image/button/separator/filler/icon.
// Every string from the message goes in through textContent or a checked property:
// message content never reaches innerHTML.

const SPACING = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
const TEXT_SIZE = {
  xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, "3xl": 35, "4xl": 48, "5xl": 74,
};
const IMAGE_SIZE = {
  xxs: 40, xs: 60, sm: 80, md: 100, lg: 120, xl: 140, xxl: 160, "3xl": 180, "4xl": 200,
  "5xl": 240,
};
const BUBBLE_WIDTH = {
  nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300, giga: 386,
};
const COLOR = /^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;
const LENGTH = /^\d+(?:\.\d+)?(?:px|%)$/;

export function safeColor(value) {
  return typeof value === "string" && COLOR.test(value) ? value : null;
}

function length(value, table) {
  if (typeof value !== "string") return null;
  if (table && value in table) return `${table[value]}px`;
  return LENGTH.test(value) ? value : null;
}

// Only web and inline-image addresses may become an <img src>.
export function safeImageUrl(value) {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value, window.location.href);
    if (url.protocol === "http:" || url.protocol === "https:") return url.href;
    if (url.protocol === "data:" && /^data:image\//i.test(value)) return value;
  } catch {
    return null;
  }
  return null;
}

/** An element with a class and a data-testid (render.js builds its bubbles with it too). */
export function el(tag, className, testid) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  return node;
}

function setStyle(node, prop, value) {
  if (value !== null && value !== undefined) node.style.setProperty(prop, String(value));
}

/** The element for a message's `contents` (bubble or carousel); ctx = {altText, onAction}. */
export function renderFlex(contents, ctx) {
  if (contents && contents.type === "carousel" && Array.isArray(contents.contents)) {
    const carousel = el("div", "flex-carousel", "flex-carousel");
    for (const bubble of contents.contents) carousel.append(renderBubble(bubble, ctx));
    return carousel;
  }
  if (contents && contents.type === "bubble") return renderBubble(contents, ctx);
  return altText(ctx);
}

function altText(ctx) {
  const node = el("div", "flex-alt", "flex-alt");
  node.textContent = ctx.altText || "[Flex Message]";
  return node;
}

function renderBubble(bubble, ctx) {
  if (!bubble || bubble.type !== "bubble") return altText(ctx);
  const card = el("div", "flex-card", "flex-card");
  setStyle(card, "width", length(bubble.size || "mega", BUBBLE_WIDTH));
  if (bubble.direction === "rtl") card.dir = "rtl";
  const styles = bubble.styles || {};
  let first = true;
  for (const part of ["header", "hero", "body", "footer"]) {
    const component = bubble[part];
    if (!component) continue;
    const section = el("div", `flex-section flex-${part}`);
    const style = styles[part] || {};
    setStyle(section, "background-color", safeColor(style.backgroundColor));
    if (style.separator && !first) {
      setStyle(section, "border-top", `1px solid ${safeColor(style.separatorColor) || "#e5e5e5"}`);
    }
    section.append(renderComponent(component, ctx, "vertical"));
    card.append(section);
    first = false;
  }
  if (bubble.action) makeClickable(card, bubble.action, ctx);
  return card;
}

function renderComponent(c, ctx, parentLayout) {
  if (!c || typeof c !== "object") return altText(ctx);
  const render = RENDERERS[c.type];
  const node = render ? render(c, ctx, parentLayout) : altText(ctx);
  layoutInParent(node, c, parentLayout);
  const sides = { Top: "top", Bottom: "bottom", Start: "left", End: "right" };
  for (const [side, css] of Object.entries(sides)) {
    const value = length(c[`offset${side}`], SPACING);
    if (value) setStyle(node, css, value);
  }
  const offset = Object.keys(sides).some((side) => c[`offset${side}`]);
  if (c.position === "absolute") node.style.position = "absolute";
  else if (offset) node.style.position = "relative";
  return node;
}

function layoutInParent(node, c, parentLayout) {
  const horizontal = parentLayout === "horizontal" || parentLayout === "baseline";
  // LINE's defaults: children of horizontal boxes share the width, vertical ones don't grow.
  const flex = Number.isInteger(c.flex) ? c.flex : horizontal && c.type !== "icon" ? 1 : 0;
  if (c.type !== "filler" || Number.isInteger(c.flex)) node.style.flex = `${flex} ${flex} auto`;
  if (horizontal && flex > 0) node.style.minWidth = "0";
  const margin = length(c.margin, SPACING);
  if (margin) setStyle(node, horizontal ? "margin-inline-start" : "margin-top", margin);
  if (c.alignSelf) node.style.alignSelf = alignment(c.alignSelf);
}

function alignment(value) {
  return { start: "flex-start", end: "flex-end", center: "center" }[value] || "stretch";
}

function renderBox(box, ctx) {
  const layout = ["horizontal", "baseline"].includes(box.layout) ? box.layout : "vertical";
  const node = el("div", `flex-box flex-${layout}`);
  setStyle(node, "gap", length(box.spacing, SPACING));
  setStyle(node, "background-color", safeColor(box.backgroundColor));
  setStyle(node, "border-color", safeColor(box.borderColor));
  const border = { none: 0, light: 0.5, normal: 1, medium: 2, "semi-bold": 3, bold: 4 };
  const borderWidth = length(box.borderWidth, border);
  if (borderWidth) {
    node.style.borderStyle = "solid";
    node.style.borderWidth = borderWidth;
  }
  setStyle(node, "border-radius", length(box.cornerRadius, SPACING));
  setStyle(node, "width", length(box.width));
  setStyle(node, "max-width", length(box.maxWidth));
  setStyle(node, "height", length(box.height));
  setStyle(node, "max-height", length(box.maxHeight));
  setStyle(node, "padding", length(box.paddingAll, SPACING));
  for (const side of ["Top", "Bottom", "Start", "End"]) {
    const css = { Top: "top", Bottom: "bottom", Start: "inline-start", End: "inline-end" }[side];
    setStyle(node, `padding-${css}`, length(box[`padding${side}`], SPACING));
  }
  const justify = {
    "flex-start": "flex-start", "flex-end": "flex-end", center: "center",
    "space-between": "space-between", "space-around": "space-around",
    "space-evenly": "space-evenly",
  };
  setStyle(node, "justify-content", justify[box.justifyContent]);
  setStyle(node, "align-items", justify[box.alignItems]);
  const bg = box.background;
  if (bg && bg.type === "linearGradient") {
    const start = safeColor(bg.startColor);
    const end = safeColor(bg.endColor);
    const angle = /^\d+(?:\.\d+)?deg$/.test(bg.angle || "") ? bg.angle : "0deg";
    if (start && end) node.style.backgroundImage = `linear-gradient(${angle}, ${start}, ${end})`;
  }
  if (Array.isArray(box.contents)) {
    for (const child of box.contents) node.append(renderComponent(child, ctx, layout));
  }
  if (box.contents && box.contents.some((child) => child && child.position === "absolute")) {
    node.style.position = "relative";
  }
  if (box.action) makeClickable(node, box.action, ctx);
  return node;
}

function applyTextStyle(node, c) {
  setStyle(node, "font-size", length(c.size, TEXT_SIZE));
  if (c.weight === "bold") node.style.fontWeight = "700";
  if (c.style === "italic") node.style.fontStyle = "italic";
  setStyle(node, "color", safeColor(c.color));
  if (c.decoration === "underline" || c.decoration === "line-through") {
    node.style.textDecoration = c.decoration;
  }
}

function renderText(c, ctx) {
  const node = el("div", "flex-text");
  applyTextStyle(node, c);
  setStyle(node, "text-align", { start: "start", end: "end", center: "center" }[c.align]);
  setStyle(node, "align-self", { top: "flex-start", bottom: "flex-end", center: "center" }[c.gravity]);
  setStyle(node, "line-height", length(c.lineSpacing) ? `calc(1em + ${c.lineSpacing})` : null);
  if (c.wrap) {
    node.classList.add("flex-wrap");
    if (Number.isInteger(c.maxLines) && c.maxLines > 0) {
      node.classList.add("flex-clamp");
      node.style.setProperty("-webkit-line-clamp", String(c.maxLines));
    }
  }
  if (Array.isArray(c.contents) && c.contents.length) {
    for (const span of c.contents) {
      if (!span || span.type !== "span") continue;
      const part = el("span", "flex-span");
      applyTextStyle(part, span);
      part.textContent = typeof span.text === "string" ? span.text : "";
      node.append(part);
    }
  } else {
    node.textContent = typeof c.text === "string" ? c.text : "";
  }
  if (c.action) makeClickable(node, c.action, ctx);
  return node;
}

function renderImage(c, ctx) {
  const frame = el("div", "flex-image");
  const size = c.size === "full" ? "100%" : length(c.size || "md", IMAGE_SIZE);
  setStyle(frame, "width", size);
  setStyle(frame, "align-self", alignment(c.align || "center"));
  setStyle(frame, "background-color", safeColor(c.backgroundColor));
  const ratio = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(c.aspectRatio || "1:1");
  if (ratio) frame.style.aspectRatio = `${ratio[1]} / ${ratio[2]}`;
  const img = el("img");
  img.alt = "";
  img.loading = "lazy";
  img.style.objectFit = c.aspectMode === "cover" ? "cover" : "contain";
  const src = safeImageUrl(c.url);
  if (src) img.src = src;
  frame.append(img);
  if (c.action) makeClickable(frame, c.action, ctx);
  return frame;
}

function renderIcon(c) {
  const img = el("img", "flex-icon");
  img.alt = "";
  const size = length(c.size || "md", TEXT_SIZE) || "16px";
  img.style.height = size;
  const ratio = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(c.aspectRatio || "1:1");
  img.style.width = ratio ? `calc(${size} * ${ratio[1]} / ${ratio[2]})` : size;
  const src = safeImageUrl(c.url);
  if (src) img.src = src;
  return img;
}

function renderButton(c, ctx) {
  const style = ["primary", "secondary"].includes(c.style) ? c.style : "link";
  const button = el("button", `flex-button flex-button-${style}`, "flex-button");
  button.type = "button";
  if (c.height === "sm") button.classList.add("flex-button-sm");
  const color = safeColor(c.color);
  if (color) setStyle(button, style === "link" ? "color" : "background-color", color);
  const action = c.action || {};
  button.textContent = typeof action.label === "string" ? action.label : "";
  button.addEventListener("click", () => ctx.onAction(action));
  return button;
}

function renderSeparator(c) {
  const node = el("div", "flex-separator");
  setStyle(node, "--separator-color", safeColor(c.color));
  return node;
}

function renderFiller() {
  return el("div", "flex-filler");
}

function renderSpacer(c) {
  const node = el("div", "flex-spacer");
  setStyle(node, "min-height", length(c.size || "md", SPACING));
  return node;
}

function renderVideo(c, ctx) {
  return c.altContent ? renderComponent(c.altContent, ctx, "vertical") : altText(ctx);
}

function makeClickable(node, action, ctx) {
  node.classList.add("flex-clickable");
  node.tabIndex = 0;
  node.setAttribute("role", "button");
  const run = (event) => {
    event.stopPropagation();
    ctx.onAction(action);
  };
  node.addEventListener("click", run);
  node.addEventListener("keydown", (event) => {
    if (event.key === "Enter") run(event);
  });
}

const RENDERERS = {
  box: renderBox,
  text: renderText,
  image: renderImage,
  icon: renderIcon,
  button: renderButton,
  separator: renderSeparator,
  filler: renderFiller,
  spacer: renderSpacer,
  video: renderVideo,
};
