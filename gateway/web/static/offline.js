// Work without a signal on the station's pages (domain.md section 8; gateway/web/offline.py says how).
// - Registers the service worker (/app/sw.js, scope /app/station) and asks it to take along the pages this
//   page links to with data-take (today's tickets and visits, their units and checklists).
// - A step form marked data-offline (arrival, pause, resume, resolution, visit record) is kept in IndexedDB
//   first, with its real time (`at`, taken when it was tapped, on the server's clock as last measured) and a
//   key of its own, then sent in order to /app/station/offline/send; without a signal it waits there and is
//   sent when the signal returns, each exactly once (the server recognises a step it already has).
// - The bar on every station page says how many wait (待发送) and shows, in words, any that the service
//   refused (e.g. the desk cancelled the ticket meanwhile), with what was typed, until it has been read.
(function () {
  "use strict";
  var bar = document.getElementById("offline-bar");
  if (!bar || !window.indexedDB || !window.fetch || !window.Promise) { return; }

  var DB_NAME = "aftersales-offline";
  var WAITING = "outbox";
  var PROBLEMS = "problems";
  var TOKEN_URL = "/app/station/offline/token";
  var SEND_URL = "/app/station/offline/send";
  var DONE = { arrive: "arrived", pause: "paused", resume: "resumed", resolve: "resolved", visit: "1" };
  var RETRY_MS = 30000;
  var me = bar.getAttribute("data-who");

  var word = function (name, values) {
    var found = bar.querySelector("[data-word='" + name + "']");
    var text = found ? found.textContent : name;
    Object.keys(values || {}).forEach(function (key) { text = text.split("%(" + key + ")s").join(values[key]); });
    return text;
  };

  // ---- IndexedDB: what waits, and what was refused ----

  var database = null;
  var opened = function () {
    if (database) { return database; }
    database = new Promise(function (resolve, reject) {
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(WAITING, { keyPath: "key" });
        request.result.createObjectStore(PROBLEMS, { keyPath: "key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return database;
  };
  var run = function (store, mode, work) {
    return opened().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(store, mode);
        var result = work(transaction.objectStore(store));
        transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  };
  var all = function (store) {
    return run(store, "readonly", function (s) { return s.getAll(); }).then(function (rows) {
      return (rows || []).sort(function (a, b) { return a.seq - b.seq; });
    });
  };
  var put = function (store, row) { return run(store, "readwrite", function (s) { s.put(row); }); };
  var drop = function (store, key) { return run(store, "readwrite", function (s) { s["delete"](key); }); };

  // ---- time: the server's clock as last measured (a phone's clock may be off) ----

  var skew = function () {
    var value = parseInt(window.localStorage.getItem("aftersales-clock-skew") || "0", 10);
    return isNaN(value) ? 0 : value;
  };
  var stamp = function () {
    return new Date(Date.now() + skew()).toISOString().replace(/\.\d+Z$/, "Z");
  };
  var shown = function (at) {
    if (!at) { return ""; }
    if (!/[zZ]|[+-]\d\d:\d\d$/.test(at)) { return at.replace("T", " "); }  // typed, China Standard Time
    try {
      return new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(at));
    } catch (ignored) {
      return at;
    }
  };
  var newKey = function () {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  };

  // ---- the bar ----

  var state = "idle";
  var setState = function (name, text) {
    state = name;
    bar.setAttribute("data-state", name);
    document.getElementById("offline-state").textContent = text || "";
  };

  var element = function (tag, className, text) {
    var made = document.createElement(tag);
    if (className) { made.className = className; }
    if (text) { made.textContent = text; }
    return made;
  };

  var describe = function (row) {
    return (row.label ? row.label + " · " : "") + word(row.kind) + " " + shown(row.at);
  };

  var typed = function (row) {
    var list = element("dl", "facts small");
    row.fields.forEach(function (pair) {
      if (!pair[1] || pair[0] === "signature_png" || pair[0] === "idempotency_key" || pair[0].indexOf("result.") === 0) {
        return;
      }
      list.appendChild(element("dt", "", pair[2] || pair[0]));
      list.appendChild(element("dd", "", pair[3] || pair[1]));
    });
    return list;
  };

  var drawProblems = function (problems) {
    var box = document.getElementById("offline-problems");
    box.replaceChildren();
    problems.forEach(function (row) {
      var item = element("li", "notice bad");
      item.setAttribute("data-problem", (row.problem && row.problem.code) || "refused");
      item.setAttribute("data-key", row.key);
      item.appendChild(element("p", "notice-title", word("not_sent") + ": " + describe(row)));
      if (row.problem && row.problem.title) { item.appendChild(element("p", "", row.problem.title)); }
      if (row.problem && row.problem.advice) { item.appendChild(element("p", "small", row.problem.advice)); }
      if (row.problem && row.problem.fields && row.problem.fields.length) {
        item.appendChild(element("p", "small", row.problem.fields.join(", ")));
      }
      var details = element("details");
      details.appendChild(element("summary", "", word("what")));
      details.appendChild(typed(row));
      item.appendChild(details);
      var read = element("button", "secondary", word("understood"));
      read.type = "button";
      read.addEventListener("click", function () { drop(PROBLEMS, row.key).then(refreshBar); });
      item.appendChild(read);
      box.appendChild(item);
    });
    box.hidden = problems.length === 0;
  };

  var drawWaiting = function (rows) {
    var list = document.getElementById("offline-waiting-list");
    list.replaceChildren();
    rows.forEach(function (row) {
      var text = describe(row);
      if (row.who !== me) { text += " · " + word("someone_else", { name: row.name || "" }); }
      var item = element("li", "", text);
      item.setAttribute("data-key", row.key);
      item.setAttribute("data-kind", row.kind);
      list.appendChild(item);
    });
    list.hidden = rows.length === 0;
  };

  // What waits for this very page, shown on it: the steps kept on the phone change what can be done next.
  var drawPage = function (rows) {
    var ticket = document.getElementById("ticket");
    if (ticket && ticket.getAttribute("data-ticket")) {
      var mine = rows.filter(function (r) { return r.kind in DONE && r.kind !== "visit" && r.target === ticket.getAttribute("data-ticket"); });
      var steps = document.getElementById("offline-steps");
      if (steps) {
        steps.replaceChildren();
        mine.forEach(function (r) { steps.appendChild(element("li", "badge warn", word("waiting") + " · " + word(r.kind) + " " + shown(r.at))); });
        steps.hidden = mine.length === 0;
      }
      // From the ticket as the server last showed it, through the steps waiting on the phone.
      var paused = ticket.getAttribute("data-paused") === "yes";
      var arrived = false;
      var resolved = false;
      mine.forEach(function (r) {
        if (r.kind === "arrive") { arrived = true; paused = false; }
        if (r.kind === "pause") { paused = true; }
        if (r.kind === "resume") { paused = false; }
        if (r.kind === "resolve") { resolved = true; paused = false; }
      });
      var hide = function (selector, hidden) {
        var found = document.querySelector(selector);
        if (found) { found.hidden = hidden; }
      };
      hide("[data-step-card=arrive]", arrived || resolved);
      hide("[data-step-card=pause]", resolved);
      hide("[data-step-card=resolve]", resolved);
      hide("#pause-form", paused);
      hide("#resume-form", !paused);
      if (mine.length) {
        ticket.setAttribute("data-local-status", resolved ? "resolved" : (arrived ? "on_site" : ticket.getAttribute("data-status")));
      } else {
        ticket.removeAttribute("data-local-status");
      }
    }
    var visit = document.getElementById("visit");
    var form = document.getElementById("visit-form");
    if (visit && form) {
      var waiting = rows.filter(function (r) { return r.kind === "visit" && r.target === visit.getAttribute("data-visit"); });
      var note = document.getElementById("offline-visit-note");
      form.hidden = waiting.length > 0;
      if (waiting.length) {
        visit.setAttribute("data-local-status", "done");
        note = note || element("p", "notice warn");
        note.id = "offline-visit-note";
        note.textContent = word("saved", { time: shown(waiting[0].at) });
        visit.appendChild(note);
      } else {
        visit.removeAttribute("data-local-status");
        if (note) { note.remove(); }
      }
    }
    document.querySelectorAll("li[data-ticket], li[data-visit]").forEach(function (item) {
      var id = item.getAttribute("data-ticket") || item.getAttribute("data-visit");
      var visitRow = item.hasAttribute("data-visit");
      var count = rows.filter(function (r) { return r.target === id && (r.kind === "visit") === visitRow; }).length;
      var mark = item.querySelector(".offline-mark");
      if (count && !mark) {
        mark = element("span", "badge warn offline-mark");
        (item.querySelector(".board-head") || item).appendChild(mark);
      }
      if (mark) {
        mark.textContent = word("waiting") + " " + count;
        mark.hidden = count === 0;
      }
    });
  };

  var refreshBar = function () {
    return Promise.all([all(WAITING), all(PROBLEMS)]).then(function (found) {
      var rows = found[0];
      document.getElementById("offline-count").textContent = String(rows.length);
      var badge = document.getElementById("offline-waiting");
      badge.className = "badge offline-count-badge " + (rows.length ? "warn" : "neutral");
      bar.setAttribute("data-waiting", String(rows.length));
      bar.setAttribute("data-problems", String(found[1].length));
      drawWaiting(rows);
      drawProblems(found[1]);
      drawPage(rows);
      return rows;
    });
  };

  // ---- sending ----

  var offline = function () { return navigator.onLine === false; };

  // Who is signed in and their token, asked afresh (a session may have ended); null without a signal.
  var session = function () {
    if (offline()) { return Promise.resolve({ offline: true }); }
    var asked = Date.now();
    return fetch(TOKEN_URL, { credentials: "same-origin", redirect: "manual", cache: "no-store",
                              headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.type === "opaqueredirect") { return { signedOut: true }; }
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("json") < 0) { return { offline: true }; }
        return response.json().then(function (found) {
          var server = Date.parse(found.now);
          if (!isNaN(server)) {
            var skewNow = Math.round(server - (asked + Date.now()) / 2);
            window.localStorage.setItem("aftersales-clock-skew", String(skewNow));
          }
          return found;
        });
      })
      .catch(function () { return { offline: true }; });
  };

  var sendOne = function (row, csrf) {
    var body = new URLSearchParams();
    body.append("csrf", csrf);
    body.append("kind", row.kind);
    body.append("target", row.target);
    body.append("key", row.key);
    row.fields.forEach(function (pair) {
      if (pair[0] !== "at") { body.append(pair[0], pair[1]); }
    });
    body.append("at", row.at);
    return fetch(SEND_URL, { method: "POST", body: body, credentials: "same-origin", redirect: "manual",
                             headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.type === "opaqueredirect") { return { outcome: "later", why: "signed_out" }; }
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("json") < 0) { return { outcome: "later", why: "status " + response.status }; }
        return response.json();
      })
      .catch(function () { return { outcome: "later", why: "offline" }; });
  };

  var outcomes = {};

  // The pages kept on this phone are the signed-in person's: forgotten when they sign out or their session ends.
  var forget = function () {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget" });
    }
  };

  // One pass over what waits, in the order it was recorded: stop at the first that cannot be sent now.
  var pass = function () {
    return all(WAITING).then(function (rows) {
      if (!rows.length) { return { state: "idle", sent: [] }; }
      return session().then(function (found) {
        if (found.signedOut) {
          forget();
          return { state: "signed_out", sent: [] };
        }
        if (!found.csrf) { return { state: "offline", sent: [] }; }
        me = found.who;
        var mine = rows.filter(function (r) { return r.who === found.who; });
        var sent = [];
        var next = function (index) {
          if (index >= mine.length) { return Promise.resolve({ state: "idle", sent: sent }); }
          var row = mine[index];
          setState("sending", word("sending"));
          return sendOne(row, found.csrf).then(function (result) {
            outcomes[row.key] = result;
            if (result.outcome === "sent" || result.outcome === "already") {
              sent.push(row);
              return drop(WAITING, row.key).then(function () { return next(index + 1); });
            }
            if (result.outcome === "refused") {
              var kept = JSON.parse(JSON.stringify(row));
              kept.problem = { code: result.code, title: result.title, advice: result.advice, fields: result.fields };
              return put(PROBLEMS, kept).then(function () { return drop(WAITING, row.key); })
                .then(function () { return next(index + 1); });
            }
            return { state: result.why === "signed_out" ? "signed_out" : (offline() ? "offline" : "later"), sent: sent };
          });
        };
        return next(0);
      });
    });
  };

  var running = null;
  var again = false;
  var flush = function () {
    if (running) {
      again = true;
      return running;
    }
    var go = function () {
      if (navigator.locks && navigator.locks.request) {
        return navigator.locks.request("aftersales-outbox", pass);
      }
      return pass();
    };
    running = go().then(function (result) {
      running = null;
      if (again) {
        again = false;
        return flush().then(function (more) {
          return { state: more.state, sent: result.sent.concat(more.sent) };
        });
      }
      return result;
    }, function (error) {
      running = null;
      throw error;
    });
    return running.then(function (result) {
      var words = { offline: word("offline"), signed_out: word("signed_out"), later: word("later") };
      if (result.sent.length && result.state === "idle") {
        setState("sent", word("all_sent"));
      } else {
        setState(result.state, words[result.state] || "");
      }
      return refreshBar().then(function () { return result; });
    });
  };

  // ---- the forms ----

  var busyForm = function (form, busy) {
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      window.setTimeout(function () { b.disabled = busy; }, 0);
    });
  };

  var showRefusal = function (form, result) {
    var box = form.querySelector(".offline-refusal") || element("div", "notice bad offline-refusal");
    box.setAttribute("role", "alert");
    box.setAttribute("data-problem", result.code || "refused");
    box.replaceChildren(element("p", "notice-title", result.title || word("not_sent")));
    if (result.advice) { box.appendChild(element("p", "", result.advice)); }
    if (result.fields && result.fields.length) { box.appendChild(element("p", "small", result.fields.join(", "))); }
    form.insertBefore(box, form.firstChild);
    box.scrollIntoView({ block: "center" });
  };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var kind = form.getAttribute("data-offline");
    if (!kind || !(kind in DONE) || event.defaultPrevented) { return; }
    event.preventDefault();
    // Each field with its value, and in words (its label; a choice's text) for the technician to read again.
    var labels = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || labels[input.name]) { return; }
      var label = (input.labels && input.labels[0] && input.labels[0].textContent.trim())
        || input.getAttribute("aria-label") || input.name;
      labels[input.name] = { label: label, options: input.tagName === "SELECT" ? input.options : null };
    });
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "csrf" || typeof value !== "string") { return; }
      var about = labels[name] || { label: name };
      var text = value;
      if (about.options) {
        Array.prototype.forEach.call(about.options, function (option) {
          if (option.value === value) { text = option.textContent.trim(); }
        });
      }
      fields.push([name, value, about.label, text]);
    });
    var typedAt = fields.filter(function (pair) { return pair[0] === "at"; }).map(function (pair) { return pair[1]; })[0];
    var keyField = form.querySelector("input[name=idempotency_key]");
    var row = {
      key: (keyField && keyField.value) || newKey(),
      seq: Date.now() * 1000 + Math.floor(Math.random() * 1000),
      kind: kind,
      target: form.getAttribute("data-target"),
      page: form.getAttribute("data-page") || window.location.pathname,
      label: form.getAttribute("data-label") || "",
      at: typedAt || stamp(),
      fields: fields,
      who: me,
      name: bar.getAttribute("data-who-name") || "",
      made: new Date().toISOString()
    };
    busyForm(form, true);
    put(WAITING, row).then(refreshBar).then(flush).then(function () {
      var result = outcomes[row.key];
      if (result && (result.outcome === "sent" || result.outcome === "already")) {
        window.location.assign(row.page + "?done=" + DONE[kind]);
        return;
      }
      if (result && result.outcome === "refused") {
        // Answered at once: the form is still here with what was typed, and says why.
        return drop(PROBLEMS, row.key).then(refreshBar).then(function () {
          showRefusal(form, result);
          busyForm(form, false);
        });
      }
      busyForm(form, false);
      setState(state, word("saved", { time: shown(row.at) }));
      if (form.id !== "visit-form") { form.reset(); }
      return refreshBar();
    }).catch(function () {
      // No IndexedDB after all (a private window): the form goes as a form.
      form.removeAttribute("data-offline");
      busyForm(form, false);
      form.submit();
    });
  });

  // ---- taking pages along, and sending when the signal returns ----

  var takeAlong = function () {
    if (!navigator.serviceWorker || offline()) { return; }
    var urls = [window.location.pathname + window.location.search];
    document.querySelectorAll("a[data-take]").forEach(function (link) { urls.push(link.getAttribute("href")); });
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) { registration.active.postMessage({ type: "take", urls: urls }); }
    });
  };

  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type === "taken") {
        var taken = document.getElementById("offline-taken");
        taken.textContent = word("taken", { count: data.kept });
        taken.hidden = false;
        bar.setAttribute("data-taken", String(data.kept));
      }
    });
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/station" }).then(takeAlong, function () {
      return null;  // no service worker (an old browser, or not a secure address): pages need the network
    });
  }

  document.addEventListener("submit", function (event) {
    // Signing out forgets the pages kept on this phone (never what waits to be sent).
    if (event.defaultPrevented || !/\/app\/logout$/.test(event.target.getAttribute("action") || "")) { return; }
    forget();
  });

  // Sent just now for this very page: show it as the server has it now (unless something is being typed).
  var afterFlush = function (result) {
    var here = window.location.pathname;
    var typing = document.activeElement && /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (result && result.sent.some(function (r) { return r.page === here; }) && !typing) {
      window.location.reload();
    }
  };
  var flushHere = function () { return flush().then(afterFlush).catch(function () { return null; }); };

  window.addEventListener("online", function () {
    flushHere();
    takeAlong();
  });
  window.addEventListener("offline", function () { setState("offline", word("offline")); refreshBar(); });
  window.setInterval(function () {
    if (Number(bar.getAttribute("data-waiting") || "0") > 0 && !offline()) { flushHere(); }
  }, RETRY_MS);

  refreshBar().then(function (rows) {
    if (offline()) {
      setState("offline", rows.length ? word("offline") : word("cached"));
      return null;
    }
    return rows.length ? flushHere() : null;
  }).catch(function () { return null; });
})();
