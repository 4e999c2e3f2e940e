import { text, withQuery } from "../api.js";
import { button, element, field, input, message, say } from "../dom.js";

// The API gives at most 10,000 records per answer and the cursor of the rest in a header;
// every answer starts with the header row, which is kept once.
async function exportCsv(from, to) {
  let cursor = "";
  let csv = "";
  let rows = 0;
  do {
    const part = await text(withQuery("/api/v1/cdrs.csv", { from, to, cursor }));
    const lines = part.body.split("\n");
    csv += csv === "" ? part.body : lines.slice(1).join("\n");
    rows += lines.filter((line) => line !== "").length - 1;
    cursor = part.next || "";
  } while (cursor);
  return { csv, rows };
}

function day(offset) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + offset);
  return d.toISOString().slice(0, 10);
}

export async function cdrExport(view) {
  const form = element("form", undefined, "card wide");
  form.id = "cdr-export-form";
  const from = input("cdr-from", day(-30), { type: "date", required: "" });
  const to = input("cdr-to", day(1), { type: "date", required: "" });
  const note = message("cdr-message");
  form.append(element("p", "The charge detail records of the sessions that started in the period (from its first day, up to but not including its last day, in UTC), as CSV with amounts in decimal."),
    field("From (UTC day, included)", from), field("To (UTC day, excluded)", to), button("Download CSV", "submit"), note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      say(note, "Exporting…");
      const { csv, rows } = await exportCsv(`${from.value}T00:00:00Z`, `${to.value}T00:00:00Z`);
      const file = element("a", `cdrs-${from.value}-${to.value}.csv`);
      file.id = "cdr-download";
      file.download = file.textContent;
      file.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      say(note, `${rows} records. `);
      note.append(file);
      file.click();
    } catch (error) {
      say(note, error.message, true);
    }
  });
  view.replaceChildren(element("h1", "CDR export"), form);
  return "still";
}
