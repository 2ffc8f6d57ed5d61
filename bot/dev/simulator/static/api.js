// Calls to the simulator's API on the gateway, with Thai reasons for every failure.

const BASE = document.body.dataset.api;

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function call(path, options = {}) {
  let response;
  try {
    response = await fetch(`${BASE}${path}`, {
      ...options,
      headers: { "content-type": "application/json", ...(options.headers || {}) },
    });
  } catch {
    throw new ApiError(
      "เชื่อมต่อเกตเวย์ไม่ได้ — ตรวจว่าเซิร์ฟเวอร์ (gateway) ยังทำงานอยู่ แล้วลองอีกครั้ง", 0,
    );
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(reason(response.status, body), response.status);
  return body;
}

function reason(status, body) {
  const detail = body && body.detail;
  if (status === 422) {
    const first = Array.isArray(detail) && detail[0] ? detail[0].msg : "";
    return `ข้อมูลที่ส่งไม่ถูกต้อง (422)${first ? `: ${first}` : ""}`;
  }
  if (status === 404 && typeof detail !== "string") {
    return "ไม่พบ API ของ simulator (404) — เกตเวย์อาจรันในโหมด production";
  }
  if (typeof detail === "string") return `${detail} (${status})`;
  return `เกตเวย์ตอบกลับสถานะ ${status}`;
}

/** Ask the stand-in to deliver an event; answers {webhook_status, body}. */
export function send(payload) {
  return call("/send", { method: "POST", body: JSON.stringify(payload) });
}

/** The messages the bot delivered to a user: [{time, via, message}]. */
export function messages(userId) {
  return call(`/messages?userId=${encodeURIComponent(userId)}`);
}

/** A Thai reason when the desk's webhook did not answer 200, else null. */
export function webhookProblem(result) {
  const status = result ? result.webhook_status : null;
  if (status === 200) return null;
  if (status === null || status === undefined) {
    return "ส่งเว็บฮุกไปที่เดสก์ไม่สำเร็จ: เดสก์ไม่ตอบ (webhook unreachable) — เปิดเกตเวย์ของเดสก์แล้วหรือยัง?";
  }
  return `เว็บฮุกของเดสก์ตอบกลับสถานะ ${status} (ควรเป็น 200) — ดู log ของเกตเวย์`;
}
