// The composer's extras: stickers, the location form and photos.
import { STICKER_EMOJI, STICKERS } from "./render.js";

const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const PHOTO_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];
export const PLACES = [
  { title: "อนุสาวรีย์ชัยสมรภูมิ", address: "ถนนพหลโยธิน เขตราชเทวี กรุงเทพมหานคร",
    latitude: 13.7649, longitude: 100.5383 },
  { title: "อนุสาวรีย์ประชาธิปไตย", address: "ถนนราชดำเนินกลาง เขตพระนคร กรุงเทพมหานคร",
    latitude: 13.7567, longitude: 100.5018 },
  { title: "สนามหลวง", address: "เขตพระนคร กรุงเทพมหานคร", latitude: 13.7552, longitude: 100.493 },
  { title: "ประตูท่าแพ", address: "อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่",
    latitude: 18.7877, longitude: 98.9933 },
  { title: "หาดป่าตอง", address: "อำเภอกะทู้ จังหวัดภูเก็ต", latitude: 7.8961, longitude: 98.2966 },
];

function button(className, testid, text) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = className;
  node.dataset.testid = testid;
  node.textContent = text;
  return node;
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

// A small JPEG for the chat bubble: the full photo would not fit in localStorage.
async function thumbnail(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 320 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", 0.82);
  } catch {
    return null;
  }
}

function parseCoordinate(raw, limit) {
  const text = String(raw || "").trim();
  const value = Number(text);
  return text && Number.isFinite(value) && Math.abs(value) <= limit ? value : null;
}

/** Wire stickers, location and photo; io = {deliver(payload, item), showError, clearError}. */
export function setupComposer(ui, io) {
  const panels = [ui.stickerPanel, ui.locationPanel];
  const toggle = (panel, open) => {
    for (const other of panels) if (other !== panel) other.hidden = true;
    panel.hidden = open === undefined ? !panel.hidden : !open;
  };

  ui.stickerGrid.replaceChildren(...STICKERS.map((s) => {
    const choice = button("sticker-choice", "sticker", STICKER_EMOJI[`${s.packageId}/${s.stickerId}`]);
    choice.title = s.label;
    choice.addEventListener("click", () => {
      toggle(ui.stickerPanel, false);
      const sticker = { packageId: s.packageId, stickerId: s.stickerId };
      io.deliver({ event: "message", message: { type: "sticker", ...sticker } },
        { kind: "sticker", sticker });
    });
    return choice;
  }));

  ui.presets.replaceChildren(...PLACES.map((place) => {
    const preset = button("preset", "location-preset", place.title);
    preset.addEventListener("click", () => {
      for (const [key, value] of Object.entries(place)) ui.locationForm.elements[key].value = value;
    });
    return preset;
  }));

  ui.locationForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(ui.locationForm);
    const latitude = parseCoordinate(form.get("latitude"), 90);
    const longitude = parseCoordinate(form.get("longitude"), 180);
    if (latitude === null) return io.showError("input", "ละติจูดต้องเป็นตัวเลขระหว่าง -90 ถึง 90");
    if (longitude === null) {
      return io.showError("input", "ลองจิจูดต้องเป็นตัวเลขระหว่าง -180 ถึง 180");
    }
    io.clearError("input");
    const location = { type: "location", latitude, longitude };
    for (const key of ["title", "address"]) {
      const value = String(form.get(key) || "").trim();
      if (value) location[key] = value;
    }
    toggle(ui.locationPanel, false);
    return io.deliver({ event: "message", message: location }, { kind: "location", location });
  });

  ui.photo.addEventListener("change", async () => {
    const file = ui.photo.files && ui.photo.files[0];
    ui.photo.value = "";
    if (!file) return;
    if (!PHOTO_TYPES.includes(file.type)) {
      io.showError("input", "ส่งได้เฉพาะไฟล์รูปภาพ JPEG, PNG, GIF หรือ WebP");
      return;
    }
    if (file.size > MAX_PHOTO_BYTES) {
      const mb = (file.size / (1024 * 1024)).toFixed(1);
      io.showError("input", `รูปภาพใหญ่เกิน 10 MB (ไฟล์นี้ ${mb} MB) กรุณาเลือกรูปที่เล็กกว่านี้`);
      return;
    }
    io.clearError("input");
    const [contentBase64, thumb] = await Promise.all([readBase64(file), thumbnail(file)]);
    await io.deliver({
      event: "message", message: { type: "image", contentBase64, contentType: file.type },
    }, { kind: "image", thumb });
  });

  ui.stickerButton.addEventListener("click", () => toggle(ui.stickerPanel));
  ui.locationButton.addEventListener("click", () => toggle(ui.locationPanel));
  ui.locationCancel.addEventListener("click", () => toggle(ui.locationPanel, false));
  return { openLocation: () => toggle(ui.locationPanel, true), openPhoto: () => ui.photo.click() };
}
