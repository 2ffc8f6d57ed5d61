// The ticket list, beyond its plain forms (which work without this script):
// - live: a ticket of the officer's scope filed, +1'd or changed while the list is open
//   is shown without a reload (the page fetches itself again and swaps its results and
//   counts in, keeping the ticks and the focus);
// - arrow keys move between the tickets of the list; "select all" ticks the page.

const main = document.querySelector("main.tickets");
const live = document.querySelector('[data-testid="live"]');

function rows() {
  return [...document.querySelectorAll('#results [data-testid="ticket-link"]')];
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const links = rows();
  const at = links.indexOf(document.activeElement);
  if (at < 0) return;
  event.preventDefault();
  const next = links[Math.min(links.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)))];
  next.focus();
});

function wireSelectAll() {
  const all = document.querySelector('[data-testid="select-all"]');
  if (!all) return;
  all.hidden = false;
  all.addEventListener("change", () => {
    for (const box of document.querySelectorAll('#results [data-testid="select"]')) box.checked = all.checked;
  });
}

async function refresh(changed) {
  const response = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (response.redirected || !response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("results");
  if (!fresh) return;
  const ticked = new Set([...document.querySelectorAll('#results [data-testid="select"]:checked')].map((b) => b.value));
  const focused = document.activeElement?.closest?.("tr")?.dataset.ticket;
  const typed = [...document.querySelectorAll('#results input[type="text"], #results select')].map((f) => [f.name, f.value]);
  document.getElementById("results").replaceWith(document.adoptNode(fresh));
  for (const box of document.querySelectorAll('#results [data-testid="select"]')) box.checked = ticked.has(box.value);
  for (const [name, value] of typed) {
    const field = document.querySelector(`#results [name="${name}"]`);
    if (field && value) field.value = value;
  }
  for (const count of page.querySelectorAll(".count[data-testid]")) {
    const here = document.querySelector(`.count[data-testid="${count.dataset.testid}"]`);
    if (here) here.textContent = count.textContent;
  }
  if (focused) document.querySelector(`#results tr[data-ticket="${focused}"] a`)?.focus();
  wireSelectAll();
  live.textContent = `อัปเดตรายการแล้ว: เรื่อง ${changed.join(", ")}`;
}

function listen() {
  if (!main?.dataset.stream || !window.EventSource) return;
  const source = new EventSource(main.dataset.stream);
  let pending = [];
  let timer = null;
  source.addEventListener("ticket", (event) => {
    const { id } = JSON.parse(event.data);
    if (!pending.includes(id)) pending.push(id);
    clearTimeout(timer);
    // Several changes at once (a bulk action) refresh the list once.
    timer = setTimeout(() => {
      const changed = pending;
      pending = [];
      refresh(changed).catch(() => {});
    }, 300);
  });
  source.addEventListener("ready", () => { main.dataset.live = "on"; });
  source.addEventListener("offline", () => { main.dataset.live = "off"; });
}

wireSelectAll();
listen();
