// The service worker, served as /sw.js so that it covers the whole site (learning/offline_views.py).
// Pages come from the network first, so an online reader always sees the current lesson; a copy
// stored on the phone (a downloaded topic, a lesson or topic page read before) is refreshed on the
// way and answers when the network is away. Any other page offline is the one offline page.
importScripts("/static/js/offline.js");

var SHELL = "hoctap-shell-v1";
var SHELL_FILES = ["/offline", "/static/vendor/bootstrap/bootstrap.min.css", "/static/css/app.css",
                   "/static/js/app.js", "/static/js/offline.js", "/static/js/lesson.js", "/static/icons/icon-192.png"];
// My learning, a topic, a lesson (never the quiz: a timed quiz needs the server), the offline marks page.
var STORED_PAGE = /^\/learn\/(([^/]+)\/([^/]+)?)?$|^\/offline\/marks$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_FILES); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("hoctap-shell-") === 0 && name !== SHELL; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function storable(url) {
  return !url.search && STORED_PAGE.test(url.pathname) && !/\/quiz$/.test(url.pathname);
}

// A fresh answer replaces the copies the phone keeps of the same address.
function refreshCopies(url, response, keepPage) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("hoctap-") === 0; }).map(function (name) {
      return caches.open(name).then(function (cache) {
        return cache.match(url, { ignoreVary: true }).then(function (old) {
          if (old || (keepPage && name === hoctapOffline.PAGES_CACHE)) { return cache.put(url, response.clone()); }
        });
      });
    }));
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  // Pages and their files only: the page's own requests (saving an answer, sending marks, the
  // topic download) go to the network as they would without a worker, and fail plainly offline.
  if (request.method !== "GET" || url.origin !== self.location.origin ||
      (request.mode !== "navigate" && url.pathname.indexOf("/static/") !== 0)) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected && response.type === "basic") {
      var keepPage = request.mode === "navigate" && storable(url);
      event.waitUntil(caches.open(hoctapOffline.PAGES_CACHE).then(function () {
        return refreshCopies(url.pathname, response.clone(), keepPage);
      }));
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname + url.search, { ignoreVary: true }).then(function (stored) {
      if (stored) { return stored; }
      return request.mode === "navigate" ? caches.match("/offline") : Response.error();
    });
  }));
});

// Background sync, where the browser has it: the marks queued offline leave as soon as the
// network is back, even with the site closed. Elsewhere the next page load sends them.
self.addEventListener("sync", function (event) {
  if (event.tag === hoctapOffline.SYNC_TAG) { event.waitUntil(hoctapOffline.sync()); }
});
