// Simulated users and what they sent, kept in localStorage so a reload keeps them.

const KEY = "desk-simulator:v1";
const FIRST = [
  "สมชาย", "สมหญิง", "มานี", "ปิติ", "ชูใจ", "วีระ", "สุดา", "บุญมี", "กาญจนา", "ณัฐพล",
  "อรทัย", "ประเสริฐ",
];
const LAST = ["ใจดี", "รักไทย", "มีสุข", "ศรีสุข", "แสงทอง", "บุญมา", "ทองดี", "พึ่งบุญ"];

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

/** "U" + 32 lowercase hex digits, like a LINE user id. */
export function randomUserId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `U${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A Thai display name (LINE allows 20 characters). */
export function randomName() {
  return `${pick(FIRST)} ${pick(LAST)}`.slice(0, 20);
}

export function newUser() {
  return { id: randomUserId(), name: randomName(), followed: false, sent: [] };
}

/** The saved state, or a fresh one. */
export function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || "null");
    if (saved && Array.isArray(saved.users)) {
      const users = saved.users.filter(
        (u) => u && /^U[0-9a-f]{32}$/.test(u.id) && Array.isArray(u.sent),
      );
      // Sends cut short by a reload never got an answer: show them as failed.
      for (const user of users) {
        for (const item of user.sent) if (item.status === "sending") item.status = "failed";
      }
      const active = users.some((u) => u.id === saved.active) ? saved.active : users[0]?.id;
      return { users, active: active || null };
    }
  } catch {
    // Unreadable saved state: start afresh rather than break the page.
  }
  return { users: [], active: null };
}

/** Save; when storage is full, drop photo thumbnails (oldest first) until it fits. */
export function save(state) {
  const data = { users: state.users, active: state.active };
  for (;;) {
    try {
      localStorage.setItem(KEY, JSON.stringify(data));
      return true;
    } catch {
      const withThumb = state.users
        .flatMap((u) => u.sent)
        .filter((item) => item.thumb)
        .sort((a, b) => (a.at || 0) - (b.at || 0));
      if (!withThumb.length) return false;
      delete withThumb[0].thumb;
    }
  }
}
