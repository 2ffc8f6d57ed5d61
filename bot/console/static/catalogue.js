// The catalogue editor's live preview: the LINE card for the form as it stands, drawn by
// the simulator's Flex renderer at phone width, refreshed a moment after each change.
import { renderFlex } from "../web/flex.js";

const form = document.getElementById("entry-form");
const frame = document.querySelector("[data-testid=preview]");
const errors = document.querySelector("[data-testid=preview-errors]");
let timer = null;
let asked = 0;

async function refresh() {
  const ticket = ++asked;
  const response = await fetch(form.dataset.preview, {
    method: "POST",
    body: new FormData(form),
    credentials: "same-origin",
  });
  if (ticket !== asked) return; // a newer preview is on its way
  errors.replaceChildren();
  if (!response.ok) {
    const item = document.createElement("li");
    item.textContent = `แสดงตัวอย่างไม่ได้ (${response.status})`;
    errors.append(item);
    return;
  }
  const found = await response.json();
  if (found.bubble) {
    frame.replaceChildren(renderFlex(found.bubble, { altText: "", onAction: () => {} }));
    frame.dataset.ready = String(ticket);
  }
  for (const problem of found.error || []) {
    const item = document.createElement("li");
    item.textContent = problem;
    errors.append(item);
  }
}

if (form && frame) {
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  form.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);
  });
  refresh();
}
