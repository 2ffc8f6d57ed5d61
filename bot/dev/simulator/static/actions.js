// What tapping a quick reply chip, Flex button or template button does, by LINE action type.
import { safeLinkUrl } from "./render.js";

function pickDateTime(action, sendPostback) {
  const mode = ["date", "time", "datetime"].includes(action.mode) ? action.mode : "date";
  const picker = document.createElement("input");
  picker.type = { date: "date", time: "time", datetime: "datetime-local" }[mode];
  picker.className = "hidden-picker";
  for (const key of ["initial", "min", "max"]) {
    if (typeof action[key] === "string") picker[key === "initial" ? "value" : key] = action[key];
  }
  picker.addEventListener("change", () => {
    if (picker.value) sendPostback(action.data, null, { [mode]: picker.value });
    picker.remove();
  });
  document.body.append(picker);
  try {
    picker.showPicker();
  } catch {
    picker.remove();
    const value = window.prompt(`เลือก ${mode}`, picker.value);
    if (value) sendPostback(action.data, null, { [mode]: value });
  }
}

/**
 * The action runner. `io` = {sendText, sendPostback, openLocation, openPhoto, input,
 * showError}; sendPostback(data, displayText, params).
 */
export function makeRunAction(io) {
  const table = {
    postback: (a) => {
      if (a.inputOption === "openKeyboard") {
        if (typeof a.fillInText === "string") io.input.value = a.fillInText;
        io.input.focus();
      }
      // LINE shows displayText (or the older `text`) as the user's own message.
      return io.sendPostback(a.data, a.displayText || a.text || null, null);
    },
    message: (a) => io.sendText(a.text),
    uri: (a) => {
      const href = safeLinkUrl(a.uri);
      if (href) window.open(href, "_blank", "noopener");
      else io.showError("input", `เปิดลิงก์นี้ใน simulator ไม่ได้: ${String(a.uri)}`);
    },
    camera: () => io.openPhoto(),
    cameraRoll: () => io.openPhoto(),
    location: () => io.openLocation(),
    datetimepicker: (a) => pickDateTime(a, io.sendPostback),
    clipboard: (a) => navigator.clipboard && navigator.clipboard.writeText(a.clipboardText || ""),
    richmenuswitch: (a) => io.sendPostback(a.data, null,
      { newRichMenuAliasId: String(a.richMenuAliasId || ""), status: "SUCCESS" }),
  };
  return (action) => {
    const run = action && table[action.type];
    if (run) run(action);
    else io.showError("input", `simulator ยังไม่รองรับ action แบบ ${action && action.type}`);
  };
}
