// The admin console's two behaviours (no inline script: the CSP allows only files from here).
// 1. Importing units: the CSV file is read here, cut into chunks of whole rows, each with the header (as
//    cli/chunks.py cuts it), and each chunk is sent to the page's own address; the page counts the rows
//    sent, adds up the answers and offers the bad rows, as they were, with their reasons, as a CSV file.
// 2. Working calendar: a day picked in the date field is added to the list beside it.
(function () {
  "use strict";
  var OWN_COLUMNS = ["row", "error_code", "error_message"];

  // RFC 4180: commas, quotes doubled inside quoted fields, CR LF or LF; blank lines are not rows.
  function parseCsv(text) {
    var rows = [], row = [], field = "", quoted = false, i = 0, c;
    if (text.charCodeAt(0) === 0xfeff) { text = text.slice(1); }
    for (; i < text.length; i += 1) {
      c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 1; } else { quoted = false; }
        } else { field += c; }
      } else if (c === '"') {
        quoted = true;
      } else if (c === ",") {
        row.push(field); field = "";
      } else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") { i += 1; }
        row.push(field); field = "";
        if (row.length > 1 || row[0] !== "") { rows.push(row); }
        row = [];
      } else { field += c; }
    }
    if (field !== "" || row.length) {
      row.push(field);
      if (row.length > 1 || row[0] !== "") { rows.push(row); }
    }
    return rows;
  }

  function csvLine(values) {
    return values.map(function (v) {
      v = v === undefined || v === null ? "" : String(v);
      return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
    }).join(",");
  }

  function say(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return values[name]; });
  }

  function setupImport(form) {
    var csrf = form.querySelector("input[name=csrf]").value;
    var chunkRows = parseInt(form.getAttribute("data-chunk-rows"), 10) || 1000;
    var text = function (name) { return form.getAttribute("data-text-" + name) || ""; };
    var el = function (id) { return document.getElementById(id); };

    function problem(title, advice) {
      el("import-problem-title").textContent = title;
      el("import-problem-advice").textContent = advice || "";
      el("import-problem").hidden = false;
    }

    function send(body, attempt) {
      return fetch(form.getAttribute("action"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: {"Content-Type": "text/csv; charset=utf-8", "X-CSRF-Token": csrf, "Accept": "application/json"}
      }).then(function (response) {
        return response.json().then(function (data) { return {status: response.status, data: data}; });
      }).then(function (answer) {
        if ((answer.status === 503 || answer.status === 504) && attempt < 2) {
          return new Promise(function (resolve) { window.setTimeout(resolve, 2000); })
            .then(function () { return send(body, attempt + 1); });
        }
        return answer;
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = el("import-file").files[0];
      var button = el("import-start");
      if (!file) { return; }
      el("import-problem").hidden = true;
      el("import-result").hidden = true;
      el("import-bad").hidden = true;
      el("import-progress-card").hidden = false;
      el("import-status").textContent = text("reading");
      button.disabled = true;
      file.text().then(function (content) {
        var rows = parseCsv(content);
        var rawHeader = rows.shift() || [];
        var keep = [];
        rawHeader.forEach(function (name, i) { if (OWN_COLUMNS.indexOf(name.trim()) < 0) { keep.push(i); } });
        var header = keep.map(function (i) { return rawHeader[i]; });
        var serialAt = header.map(function (h) { return h.trim(); }).indexOf("serial_number");
        var records = {}, seen = {}, bad = [], chunks = [], pending = [], numbers = [];
        rows.forEach(function (raw, index) {
          var number = index + 1;
          var record = keep.length === rawHeader.length ? raw : keep.map(function (i) { return raw[i] || ""; })
            .concat(raw.slice(rawHeader.length));
          records[number] = record;
          var serial = serialAt >= 0 && record[serialAt] ? record[serialAt].trim().toUpperCase() : "";
          if (serial && seen[serial]) {
            bad.push({row: number, serial_number: serial, code: "duplicate_in_file", reason: text("duplicate")});
            return;
          }
          if (serial) { seen[serial] = number; }
          pending.push(record); numbers.push(number);
          if (pending.length === chunkRows) { chunks.push({records: pending, rows: numbers}); pending = []; numbers = []; }
        });
        if (pending.length) { chunks.push({records: pending, rows: numbers}); }
        var total = rows.length;
        if (!total) {
          problem(text("empty"));
          button.disabled = false;
          return;
        }
        var progress = el("import-progress");
        progress.max = total;
        var done = bad.length, created = 0, skipped = 0, stopped = false;
        var show = function () {
          progress.value = done;
          el("import-status").textContent = say(text("progress"), {done: done, total: total});
        };
        show();
        var step = function (index) {
          if (index >= chunks.length) { return Promise.resolve(); }
          var chunk = chunks[index];
          var body = [csvLine(header)].concat(chunk.records.map(csvLine)).join("\n") + "\n";
          return send(body, 0).then(function (answer) {
            if (answer.status !== 200) {
              var p = (answer.data && answer.data.problem) || {};
              problem(p.title || text("failed"), (p.advice || "") + " " + text("failed"));
              stopped = true;
              return;
            }
            created += answer.data.created; skipped += answer.data.skipped;
            answer.data.errors.forEach(function (e) {
              bad.push({row: chunk.rows[e.row - 1], serial_number: e.serial_number, code: e.code, reason: e.reason});
            });
            done += chunk.rows.length;
            show();
            return step(index + 1);
          });
        };
        return step(0).catch(function () {
          problem(text("network"));
        }).then(function () {
          bad.sort(function (a, b) { return a.row - b.row; });
          el("import-created").textContent = created;
          el("import-skipped").textContent = skipped;
          el("import-errors").textContent = bad.length;
          el("import-result").hidden = false;
          if (bad.length) { offerBadRows(header, records, bad); }
          button.disabled = false;
          if (!stopped) { el("import-file").value = ""; }
        });
      });
    });
  }

  function offerBadRows(header, records, bad) {
    var byRow = {}, order = [];
    bad.forEach(function (e) {
      if (!byRow[e.row]) { byRow[e.row] = []; order.push(e.row); }
      byRow[e.row].push(e);
    });
    var lines = [csvLine(["row"].concat(header).concat(["error_code", "error_message"]))];
    order.forEach(function (row) {
      var found = byRow[row];
      lines.push(csvLine([row].concat(records[row] || []).concat([
        found.map(function (e) { return e.code; }).join("; "),
        found.map(function (e) { return e.reason; }).join("; ")])));
    });
    // A byte order mark: spreadsheet programs then read the Chinese reasons as UTF-8.
    var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], {type: "text/csv;charset=utf-8"});
    var link = document.getElementById("import-bad-rows");
    if (link.href && link.href.indexOf("blob:") === 0) { URL.revokeObjectURL(link.href); }
    link.href = URL.createObjectURL(blob);
    var body = document.querySelector("#import-error-table tbody");
    body.textContent = "";
    bad.slice(0, 500).forEach(function (e) {
      var tr = document.createElement("tr");
      [String(e.row), e.serial_number || "", e.reason].forEach(function (value, i) {
        var td = document.createElement("td");
        td.textContent = value;
        if (i === 0) { td.className = "num"; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    document.getElementById("import-bad").hidden = false;
  }

  function setupDatePickers() {
    document.querySelectorAll("[data-add-date]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var picker = document.getElementById(button.getAttribute("data-picker"));
        var list = document.getElementById(button.getAttribute("data-add-date"));
        if (!picker.value) { return; }
        var days = list.value.split(/[\s,，、]+/).filter(function (d) { return d; });
        if (days.indexOf(picker.value) < 0) { days.push(picker.value); }
        days.sort();
        list.value = days.join("\n");
        picker.value = "";
      });
    });
  }

  var form = document.getElementById("import-form");
  if (form) { setupImport(form); }
  setupDatePickers();
})();
