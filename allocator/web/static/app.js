// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";

  // Confirm dialogs for forms with data-confirm (e.g. publishing a round).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // Solving takes a moment: show it and avoid double submits.
    var button = form.querySelector("button[type=submit]");
    if (button && form.method.toLowerCase() === "post") {
      window.setTimeout(function () { button.disabled = true; }, 0);
      if (/\/resolve$/.test(form.action)) { button.textContent = "Løser …"; }
    }
  });

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    return cell.getAttribute("data-sort") || cell.textContent.trim();
  }

  function compare(a, b) {
    var x = parseFloat(a.replace(/\s/g, "").replace(",", ".")), y = parseFloat(b.replace(/\s/g, "").replace(",", "."));
    if (!isNaN(x) && !isNaN(y) && /^-?[\d\s.,]+$/.test(a) && /^-?[\d\s.,]+$/.test(b)) { return x - y; }
    return a.localeCompare(b, "nb", { numeric: true });
  }

  // Sortable tables: <table data-sortable>; every header (but data-nosort) sorts its column.
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) { return; }
    Array.prototype.forEach.call(table.tHead ? table.tHead.rows[0].cells : [], function (th, index) {
      if (th.hasAttribute("data-nosort")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      button.setAttribute("aria-label", "Sorter etter " + button.textContent.trim());
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(th.parentNode.cells, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var order = compare(cellValue(a, index), cellValue(b, index));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

  // Simple filter of a table's rows: <input data-filter="#table-id">.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var table = document.querySelector(input.getAttribute("data-filter"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      table.querySelectorAll("tbody > tr").forEach(function (row) {
        row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  });

  // Column and state filters: <div data-filter-for="#table"> with a text box
  // (data-filter-text), a column choice (data-filter-column) and a state (data-filter-state).
  document.querySelectorAll("[data-filter-for]").forEach(function (box) {
    var table = document.querySelector(box.getAttribute("data-filter-for"));
    if (!table) { return; }
    var text = box.querySelector("[data-filter-text]");
    var column = box.querySelector("[data-filter-column]");
    var state = box.querySelector("[data-filter-state]");
    function apply() {
      var needle = text ? text.value.trim().toLowerCase() : "";
      var col = column ? column.value : "";
      var wanted = state ? state.value : "";
      table.querySelectorAll("tbody > tr").forEach(function (row) {
        var haystack = col === "" ? row.textContent : (row.cells[parseInt(col, 10)] || {}).textContent || "";
        var textOk = needle === "" || haystack.toLowerCase().indexOf(needle) !== -1;
        var stateOk = wanted === "" || (" " + (row.getAttribute("data-state") || "") + " ").indexOf(" " + wanted + " ") !== -1 ||
          (row.getAttribute("data-state") || "").indexOf(wanted) !== -1;
        row.hidden = !(textOk && stateOk);
      });
    }
    [text, column, state].forEach(function (el) { if (el) { el.addEventListener("input", apply); el.addEventListener("change", apply); } });
  });

  // "/" jumps to the search box (not while typing in a field).
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.key === "/" && tag !== "input" && tag !== "textarea" && tag !== "select") {
      var search = document.getElementById("sok");
      if (search) { event.preventDefault(); search.focus(); }
    }
  });

  // Slow fragments (recommendations: one solve per dwelling) load after the page.
  document.querySelectorAll("[data-load]").forEach(function (box) {
    fetch(box.getAttribute("data-load"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) { box.innerHTML = html; box.classList.remove("loading"); })
      .catch(function () { box.textContent = "Kunne ikke hente anbefalinger. Last siden på nytt."; });
  });
})();
