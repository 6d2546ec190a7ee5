// The report's only script: sortable and filterable tables. No network, no libraries.
"use strict";

function filterRows(table, input) {
  const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const row of table.tBodies[0].rows) {
    const text = row.textContent.toLowerCase();
    row.hidden = !words.every((word) => text.includes(word));
    if (!row.hidden) shown += 1;
  }
  const count = document.getElementById(table.dataset.count);
  if (count) count.textContent = String(shown);
}

function sortRows(table, header, index) {
  const ascending = header.getAttribute("aria-sort") !== "ascending";
  for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
  header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const numeric = header.dataset.type === "number";
  const key = (row) => {
    const cell = row.cells[index];
    const text = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    return numeric ? Number(text) : text;
  };
  const rows = Array.from(table.tBodies[0].rows);
  rows.sort((a, b) => {
    const order = numeric ? key(a) - key(b) : String(key(a)).localeCompare(String(key(b)), "en", { numeric: true });
    return ascending ? order : -order;
  });
  table.tBodies[0].append(...rows);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.sortable")) {
    const input = document.getElementById(table.dataset.filter);
    if (input) input.addEventListener("input", () => filterRows(table, input));
    Array.from(table.tHead.rows[0].cells).forEach((header, index) => {
      const button = header.querySelector("button");
      if (button) button.addEventListener("click", () => sortRows(table, header, index));
    });
  }
});
