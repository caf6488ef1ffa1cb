// The panel re-rendered after an action (hx-target="#panel") keeps the location rows the merchant has
// open. The server opens only the row acted on, so a row opened while the request was on its way (or
// left open beside it) would otherwise close under the merchant's hand when the answer lands.
// Both events fire in the task that swaps the panel: there is no moment the row shows closed.
(() => {
  let openRows = [];
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    openRows = target && target.id === "panel"
      ? Array.from(target.querySelectorAll("details.row[open]"), (row) => row.id)
      : [];
  });
  document.addEventListener("htmx:afterSwap", () => {
    for (const id of openRows) {
      const row = document.getElementById(id);
      if (row) row.open = true;
    }
    openRows = [];
  });
})();
