// The station's service worker (served at /app/sw.js, scope /app/station; gateway/web/offline.py puts in its
// version and the static files it keeps). Work without a signal (domain.md section 8):
// - static files: from the cache of this version (a new version is a new cache; the old one is dropped);
// - the station's pages: from the network, each kept as it comes; without a network (or no answer within a
//   few seconds) from what was kept, else the "not taken along" page;
// - pages asked for by a page ("take": today's tickets and visits, their units and checklists) are fetched
//   and kept before the signal goes;
// - a page that signs out, or finds its session ended, tells it to forget the kept pages ("forget"; never
//   what waits to be sent: that is the page's IndexedDB).
"use strict";

var VERSION = "__VERSION__";
var PRECACHE = ["__PRECACHE__"];
var STATIC_CACHE = "aftersales-static-" + VERSION;
var PAGES_CACHE = "aftersales-pages";
var SCOPE = "/app/station";
var NOT_TAKEN = "/app/station/offline";
var PATIENCE_MS = 6000;
var MOST_TAKEN = 80;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    return cache.addAll(PRECACHE);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("aftersales-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// A page's place in the cache: its address without what only says how it was reached (?done=, ?lang=).
var pageKey = function (address) {
  var url = new URL(address, self.location.origin);
  url.searchParams.delete("done");
  url.searchParams.delete("lang");
  url.hash = "";
  return url.pathname + (url.searchParams.toString() ? "?" + url.searchParams.toString() : "");
};

var isStationPage = function (url) {
  return url.origin === self.location.origin && (url.pathname === SCOPE || url.pathname.indexOf(SCOPE + "/") === 0)
    && url.pathname.indexOf(SCOPE + "/offline/") !== 0 && !/\.pdf$/.test(url.pathname);
};

var keepable = function (response) {
  var type = response.headers.get("Content-Type") || "";
  return response.status === 200 && response.type === "basic" && type.indexOf("text/html") === 0;
};

var keep = function (address, response) {
  return caches.open(PAGES_CACHE).then(function (cache) { return cache.put(pageKey(address), response); });
};

var kept = function (address) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    var key = pageKey(address);
    return cache.match(key).then(function (found) {
      return found || cache.match(key, { ignoreSearch: true });
    });
  });
};

var notTaken = function () {
  return kept(NOT_TAKEN).then(function (found) {
    return found || new Response("<!doctype html><meta charset=utf-8><title>503</title><p>无信号 · No signal</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  });
};

var networkFirst = function (event) {
  var request = event.request;
  var fromNetwork = fetch(request).then(function (response) {
    if (keepable(response)) {
      var keeping = keep(request.url, response.clone()).catch(function () { return null; });
      try { event.waitUntil(keeping); } catch (ignored) { /* kept anyway while the answer is read */ }
    }
    return response;
  });
  fromNetwork.catch(function () { return null; });  // its failure is answered below, whichever way went first
  var waited = new Promise(function (resolve) {
    setTimeout(function () { resolve(null); }, PATIENCE_MS);
  });
  return Promise.race([fromNetwork, waited]).then(function (response) {
    if (response) { return response; }
    // A weak signal: what was kept now, the network's answer (still kept when it comes) else.
    return kept(request.url).then(function (found) { return found || fromNetwork.catch(notTaken); });
  }).catch(function () {
    return kept(request.url).then(function (found) { return found || notTaken(); });
  });
};

var staticFirst = function (request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (found) {
      if (found) { return found; }
      return fetch(request).then(function (response) {
        if (response.status === 200 && response.type === "basic") { cache.put(request, response.clone()); }
        return response;
      });
    });
  });
};

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") { return; }
  if (url.pathname.indexOf("/app/static/") === 0) {
    event.respondWith(staticFirst(request));
    return;
  }
  if (request.mode === "navigate" && isStationPage(url)) {
    event.respondWith(networkFirst(event));
  }
});

// The links a kept page marks to take along too (data-take), one level down.
var linksIn = function (html) {
  var found = [];
  var pattern = /<a\b[^>]*\bhref="([^"]+)"[^>]*\bdata-take\b/g;
  var match = pattern.exec(html);
  while (match) {
    found.push(match[1].replace(/&amp;/g, "&"));
    match = pattern.exec(html);
  }
  return found;
};

var take = function (addresses, depth, seen) {
  var wanted = addresses.filter(function (address) {
    var url = new URL(address, self.location.origin);
    var key = pageKey(url.href);
    if (!isStationPage(url) || seen[key] || Object.keys(seen).length >= MOST_TAKEN) { return false; }
    seen[key] = true;
    return true;
  });
  return Promise.all(wanted.map(function (address) {
    return fetch(address, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
      if (!keepable(response)) { return 0; }
      return keep(address, response.clone()).then(function () {
        if (depth <= 0) { return 1; }
        return response.text().then(function (html) {
          return take(linksIn(html), depth - 1, seen).then(function (more) { return 1 + more; });
        });
      });
    }).catch(function () { return 0; });
  })).then(function (counts) {
    return counts.reduce(function (a, b) { return a + b; }, 0);
  });
};

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "take" && Array.isArray(data.urls)) {
    event.waitUntil(take([NOT_TAKEN].concat(data.urls), 1, {}).then(function (count) {
      return caches.open(PAGES_CACHE).then(function (cache) { return cache.keys(); }).then(function (keys) {
        if (event.source) {
          event.source.postMessage({ type: "taken", count: count, kept: keys.length, version: VERSION });
        }
      });
    }));
  } else if (data.type === "forget") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});
