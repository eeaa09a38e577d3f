// The desk's board refreshes itself: every few seconds it fetches its own list again (the same rows the
// server renders, at /app/desk/board/items with the same filters) and swaps it in, so a ticket turning at
// risk or breached is marked without a reload. States and due times are the service's: nothing is
// counted here. A ticket whose promises changed since the last look is marked "changed".
(function () {
  "use strict";
  var live = document.getElementById("board-live");
  if (!live || !window.fetch || !window.DOMParser) { return; }
  var every = Math.max(5, parseInt(live.getAttribute("data-refresh-seconds"), 10) || 20) * 1000;
  var holder = document.getElementById("board-fragment");
  var stamp = document.getElementById("board-updated");
  var trouble = document.getElementById("board-refresh-trouble");
  var query = new URLSearchParams(window.location.search);
  query.delete("done");
  var source = live.getAttribute("data-source") + (query.toString() ? "?" + query.toString() : "");
  var busy = false;
  var missed = false;

  // What a ticket's row says about it: its status and each promise's state.
  var looks = function (root) {
    var seen = {};
    root.querySelectorAll("li[data-ticket]").forEach(function (item) {
      var states = [item.getAttribute("data-status")];
      item.querySelectorAll(".promise[data-milestone]").forEach(function (p) {
        states.push(p.getAttribute("data-milestone") + ":" + p.getAttribute("data-state"));
      });
      seen[item.getAttribute("data-ticket")] = states.join(",");
    });
    return seen;
  };

  var say = function (text) {
    trouble.textContent = text || "";
    trouble.hidden = !text;
  };

  var refresh = function () {
    if (busy) { return; }
    if (document.hidden) { missed = true; return; }
    busy = true;
    fetch(source, { credentials: "same-origin", redirect: "manual", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.type === "opaqueredirect") {
          throw { said: live.getAttribute("data-signed-out-word") };
        }
        return response.text();
      })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").querySelector(".board-fragment");
        if (!fresh) { throw { said: live.getAttribute("data-failed-word") }; }
        var before = looks(holder);
        var after = looks(fresh);
        fresh.querySelectorAll("li[data-ticket]").forEach(function (item) {
          var id = item.getAttribute("data-ticket");
          if (Object.prototype.hasOwnProperty.call(before, id) && before[id] !== after[id]) {
            item.classList.add("changed");
            var mark = document.createElement("span");
            mark.className = "badge changed-mark";
            mark.textContent = live.getAttribute("data-changed-word");
            var head = item.querySelector(".board-head");
            if (head) { head.appendChild(mark); }
          }
        });
        holder.replaceChildren(document.importNode(fresh, true));
        stamp.textContent = fresh.getAttribute("data-updated") || stamp.textContent;
        live.setAttribute("data-refreshed", String(Date.now()));
        say("");
      })
      .catch(function (error) {
        // Signed out, or no answer (no network, a service down): the last list stays, and says so.
        say((error && error.said) || live.getAttribute("data-failed-word"));
      })
      .then(function () { busy = false; });
  };

  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && missed) {
      missed = false;
      refresh();
    }
  });
})();
