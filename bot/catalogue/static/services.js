// The catalogue page's live search: ranked results from /api/services/search, shown by
// cloning the server-rendered (already escaped) service entries. No HTML is built from
// data here, so nothing a service says can become markup.
const DEBOUNCE_MS = 200;
const LIMIT = 8;

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const results = document.getElementById("results");
const list = document.getElementById("result-list");
const empty = document.getElementById("results-empty");
const searchApi = document.body.dataset.searchApi;

let sequence = 0;
let timer = 0;

function entryFor(serviceId) {
  const item = document.getElementById(`service-${serviceId}`);
  return item ? item.querySelector("details") : null;
}

function show(matches) {
  const items = [];
  for (const match of matches) {
    const entry = entryFor(match.service_id);
    if (!entry) continue;
    const li = document.createElement("li");
    li.className = match.confident ? "result" : "result weak";
    li.dataset.serviceId = match.service_id;
    const copy = entry.cloneNode(true);
    copy.open = false;
    li.append(copy);
    items.push(li);
  }
  list.replaceChildren(...items);
  empty.hidden = items.length > 0;
  results.hidden = false;
}

async function search(query) {
  const mine = ++sequence;
  const url = `${searchApi}?q=${encodeURIComponent(query)}&limit=${LIMIT}`;
  let matches = [];
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (response.ok) matches = await response.json();
  } catch {
    matches = [];
  }
  if (mine !== sequence) return; // a newer search has started
  show(Array.isArray(matches) ? matches : []);
  const params = new URLSearchParams({ q: query });
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function clear() {
  sequence++;
  list.replaceChildren();
  results.hidden = true;
  history.replaceState(null, "", location.pathname);
}

function schedule() {
  clearTimeout(timer);
  const query = input.value.trim();
  if (!query) {
    clear();
    return;
  }
  timer = setTimeout(() => search(query), DEBOUNCE_MS);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  const query = input.value.trim();
  if (query) search(query);
  else clear();
});
input.addEventListener("input", schedule);
