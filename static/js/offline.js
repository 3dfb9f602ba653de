// Studying without network. Every page loads this file, and the service worker (static/js/sw.js)
// imports it: marks made offline wait in IndexedDB and are sent when the network returns; the
// server judges each one (learning/offline.py). A topic is taken onto the phone into the cache
// "hoctap-topic-<slug>", with its manifest (/offline/topics/<slug>.json) stored beside its pages.
var hoctapOffline = (function (scope) {
  "use strict";
  var DB_NAME = "hoctap-offline", STORE = "marks", SYNC_TAG = "hoctap-marks";
  var TOPIC_CACHE = "hoctap-topic-", PAGES_CACHE = "hoctap-pages";

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "key" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function allMarks() {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var request = db.transaction(STORE).objectStore(STORE).getAll();
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    });
  }

  function saveMarks(entries) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, "readwrite");
        entries.forEach(function (entry) { transaction.objectStore(STORE).put(entry); });
        transaction.oncomplete = function () { resolve(); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    scope.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  // Send the marks waiting for the account now logged in. A fresh CSRF token is read from the
  // site first (only a page of this origin can read it); marks of another account stay waiting.
  var sending = null;
  function sync() {
    if (sending) { return sending; }
    sending = allMarks().then(function (entries) {
      var waiting = entries.filter(function (entry) { return entry.status === "waiting"; });
      if (!waiting.length) { return []; }
      return scope.fetch("/offline/marks.json", { credentials: "same-origin", cache: "no-store",
                                                   headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok || response.redirected) { return null; }  // logged out: wait for the login
          return response.json();
        })
        .then(function (state) {
          var mine = state && state.member ? waiting.filter(function (entry) { return entry.user === state.user; }) : [];
          if (!mine.length) { return []; }
          mine = mine.slice(0, 50);
          var body = JSON.stringify({ marks: mine.map(function (entry) {
            return { key: entry.key, topic: entry.topic, lesson: entry.lesson, opened: entry.opened, marked: entry.marked };
          }) });
          return scope.fetch("/offline/marks", { method: "POST", credentials: "same-origin", body: body,
            headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": state.csrf_token } })
            .then(function (response) {
              if (!response.ok) { throw new Error("marks not accepted: " + response.status); }
              return response.json();
            })
            .then(function (answer) {
              var byKey = {};
              answer.results.forEach(function (result) { if (result.key) { byKey[result.key] = result; } });
              var judged = mine.filter(function (entry) { return byKey[entry.key]; }).map(function (entry) {
                var result = byKey[entry.key];
                entry.status = result.outcome;
                entry.outcomeName = result.outcome_name;
                entry.reason = result.reason;
                entry.received = result.received_at;
                return entry;
              });
              return saveMarks(judged).then(function () { return judged; });
            });
        });
    });
    sending.then(function () { sending = null; }, function () { sending = null; });
    return sending;
  }

  var api = { allMarks: allMarks, saveMarks: saveMarks, newKey: newKey, sync: sync, SYNC_TAG: SYNC_TAG,
              TOPIC_CACHE: TOPIC_CACHE, PAGES_CACHE: PAGES_CACHE };
  if (!scope.document) { return api; }  // in the service worker: the queue only

  var document = scope.document;
  var user = document.body.getAttribute("data-user") || "";

  function vnTime(ms) {  // "14:05 05/12/2026", Vietnam time, as the server writes it
    var d = new Date(ms + 7 * 3600 * 1000);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()) + " " + two(d.getUTCDate()) + "/" +
      two(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear();
  }

  function kilobytes(bytes) { return Math.max(1, Math.round(bytes / 1024)).toLocaleString("vi-VN") + " KB"; }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  // -- network state: the banner and the buttons that need the server --------------------
  function showNetwork() {
    var online = scope.navigator.onLine;
    var banner = document.querySelector("[data-offline-banner]");
    if (banner) { banner.hidden = online; }
    document.querySelectorAll("[data-needs-network]").forEach(function (link) {
      var note = link.nextElementSibling && link.nextElementSibling.hasAttribute("data-network-note")
        ? link.nextElementSibling : null;
      link.classList.toggle("disabled", !online);
      if (online) {
        link.removeAttribute("aria-disabled");
        if (note) { note.remove(); }
      } else if (!note) {
        link.setAttribute("aria-disabled", "true");
        note = element("p", "Bài kiểm tra cần có mạng: thời gian làm bài tính theo đồng hồ của máy chủ. " +
                       "Hãy làm bài khi có mạng trở lại.", "small text-danger mt-2 mb-0");
        note.setAttribute("data-network-note", "");
        link.after(note);
      }
    });
  }
  document.addEventListener("click", function (event) {
    if (!scope.navigator.onLine && event.target.closest("[data-needs-network]")) { event.preventDefault(); }
  });

  // -- marks queued on this phone ----------------------------------------------------------
  function registerSync() {
    if (!("serviceWorker" in scope.navigator)) { return; }
    scope.navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register(SYNC_TAG); }
    }).catch(function () { /* no background sync: the next page load or "online" sends them */ });
  }

  function outcomeText(entry) {
    if (entry.status === "waiting") { return "Đang chờ gửi"; }
    return (entry.outcomeName || entry.status) + (entry.received ? " lúc " + entry.received : "") +
      (entry.reason ? ": " + entry.reason : "");
  }

  function showQueue() {
    var list = document.querySelector("[data-queued-marks]");
    if (!list || !scope.indexedDB) { return Promise.resolve(); }
    return allMarks().then(function (entries) {
      entries = entries.filter(function (entry) { return entry.user === user; })
        .sort(function (a, b) { return b.marked - a.marked; });
      var empty = list.querySelector("[data-queue-empty]");
      list.querySelectorAll("[data-queued]").forEach(function (item) { item.remove(); });
      if (empty) { empty.hidden = entries.length > 0; }
      entries.forEach(function (entry) {
        var item = element("li", "", "list-group-item");
        item.setAttribute("data-queued", entry.status);
        item.appendChild(element("div", entry.title, "fw-semibold"));
        item.appendChild(element("div", "Mở bài " + vnTime(entry.opened) + " · đánh dấu " + vnTime(entry.marked), "small"));
        item.appendChild(element("div", outcomeText(entry), "small " + (entry.status === "refused" ? "text-danger"
          : entry.status === "waiting" ? "text-secondary" : "text-success")));
        list.appendChild(item);
      });
    });
  }

  function lessonForm() {
    var form = document.querySelector("[data-offline-mark]");
    if (!form || !scope.indexedDB || !user) { return; }
    var opened = Date.now();  // this reading of the lesson starts now, on the phone's clock
    var button = form.querySelector("[type=submit]");
    var note = form.querySelector("[data-offline-note]");
    function queued(entry) {
      button.hidden = true;
      note.hidden = false;
      note.textContent = entry.status === "waiting"
        ? "Đã lưu trên máy lúc " + vnTime(entry.marked) + ": bài sẽ được gửi khi có mạng trở lại. "
        : outcomeText(entry) + ". ";
      var link = element("a", "Xem các bài đánh dấu chờ gửi");
      link.href = form.getAttribute("data-queue-url");
      note.appendChild(link);
    }
    allMarks().then(function (entries) {
      var mine = entries.filter(function (entry) {
        return entry.user === user && entry.status === "waiting" && entry.topic === form.getAttribute("data-topic") &&
          entry.lesson === form.getAttribute("data-lesson");
      });
      if (mine.length) { queued(mine[0]); }
    });
    form.addEventListener("submit", function (event) {
      if (scope.navigator.onLine) { return; }  // online: the form goes to the server as it always did
      event.preventDefault();
      if (button.disabled) { return; }
      var entry = { key: newKey(), user: user, topic: form.getAttribute("data-topic"),
                    lesson: form.getAttribute("data-lesson"), title: form.getAttribute("data-title"),
                    opened: opened, marked: Date.now(), status: "waiting" };
      saveMarks([entry]).then(function () { queued(entry); registerSync(); });
    });
  }

  // Send what waits, then tell the member the outcome of every mark judged since they last saw
  // one: sent from this page, or by the service worker's background sync while no page was open.
  function sendQueued(attempt) {
    if (!scope.indexedDB || !user) { return; }
    attempt = attempt || 0;
    (scope.navigator.onLine ? sync() : Promise.resolve()).then(allMarks).then(function (entries) {
      var judged = entries.filter(function (entry) {
        return entry.user === user && entry.status !== "waiting" && !entry.announced;
      });
      if (!judged.length) { return; }
      judged.forEach(function (entry) { entry.announced = true; });
      saveMarks(judged);
      var accepted = judged.filter(function (entry) { return entry.status !== "refused"; }).length;
      var message = element("div", "Đã gửi " + judged.length + " bài đánh dấu lúc không có mạng: " + accepted +
                            " được ghi nhận, " + (judged.length - accepted) + " bị từ chối. ", "alert alert-info");
      message.setAttribute("role", "status");
      message.setAttribute("data-sync-result", "");
      var link = element("a", "Xem chi tiết", "alert-link");
      link.href = "/offline/marks";
      message.appendChild(link);
      var main = document.querySelector("main");
      if (main) { main.prepend(message); }
      showQueue();
    }).catch(function () {
      // "online" often comes before the connection really carries anything: try again a few times.
      if (attempt < 5) { setTimeout(function () { sendQueued(attempt + 1); }, 3000); }
    });
  }

  // -- a topic taken onto the phone ---------------------------------------------------------
  function storedManifest(slug) {
    return scope.caches.open(TOPIC_CACHE + slug).then(function (cache) {
      return cache.match("/offline/topics/" + slug + ".json");
    }).then(function (response) { return response ? response.json() : null; });
  }

  function hasTopic(slug) {
    return scope.caches.has(TOPIC_CACHE + slug).then(function (has) { return has ? storedManifest(slug) : null; });
  }

  function topicCard() {
    var card = document.querySelector("[data-offline-topic]");
    if (!card || !scope.caches || !("serviceWorker" in scope.navigator)) { return; }
    card.hidden = false;
    var slug = card.getAttribute("data-topic");
    var sizeLine = card.querySelector("[data-offline-size]");
    var status = card.querySelector("[data-offline-status]");
    var bar = card.querySelector("[data-offline-progress]");
    var downloadButton = card.querySelector("[data-offline-download]");
    var removeButton = card.querySelector("[data-offline-remove]");
    var manifest = null;
    function say(text) { status.textContent = text; status.hidden = !text; }

    function describe(m) {
      sizeLine.textContent = "Dung lượng lưu trên máy: khoảng " + kilobytes(m.bytes) + " (" + (m.pages.length - 1) +
        " bài học cùng trang chuyên đề, kiểu chữ và mã trang).";
    }
    function showStored(stored) {
      removeButton.hidden = !stored;
      downloadButton.textContent = stored ? "Tải lại bản mới nhất" : "Tải về để học khi không có mạng";
      downloadButton.hidden = !scope.navigator.onLine;
      if (stored) {
        say("Đã tải về máy lúc " + stored.storedAt + ": đọc được cả khi không có mạng.");
      }
    }

    function download() {
      downloadButton.disabled = removeButton.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      say("Đang tải về…");
      var done = 0;
      var items = manifest.pages.concat(manifest.assets);
      var name = TOPIC_CACHE + slug, staging = name + "-new";
      return scope.fetch(card.getAttribute("data-download-url"), {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": card.getAttribute("data-csrf") } })
        .then(function (response) { if (!response.ok) { throw new Error("download refused"); } })
        .then(function () { return scope.caches.delete(staging); })
        .then(function () { return scope.caches.open(staging); })
        .then(function (cache) {
          // One file after another: on a weak connection the progress moves and nothing competes.
          return items.reduce(function (previous, item) {
            return previous.then(function () {
              return scope.fetch(item.url, { credentials: "same-origin", headers: { "X-Offline-Copy": "1" } })
                .then(function (response) {
                  if (!response.ok || response.redirected) { throw new Error("not stored: " + item.url); }
                  return cache.put(item.url, response);
                })
                .then(function () {
                  done += item.bytes;
                  bar.value = Math.round(100 * done / manifest.bytes);
                  say("Đang tải về: " + kilobytes(done) + " / " + kilobytes(manifest.bytes));
                });
            });
          }, Promise.resolve()).then(function () {
            manifest.storedAt = vnTime(Date.now());
            return cache.put("/offline/topics/" + slug + ".json",
                             new Response(JSON.stringify(manifest), { headers: { "Content-Type": "application/json" } }));
          });
        })
        .then(function () { return copyCache(staging, name); })
        .then(function () { return scope.caches.delete(staging); })
        .then(function () {
          bar.hidden = true;
          showStored(manifest);
          return scope.caches.open(PAGES_CACHE).then(function (pages) {
            return scope.fetch("/offline/marks", { credentials: "same-origin" }).then(function (response) {
              if (response.ok && !response.redirected) { return pages.put("/offline/marks", response); }
            });
          });
        })
        .catch(function () {
          bar.hidden = true;
          scope.caches.delete(staging);
          say("Chưa tải về được (mạng bị ngắt?). Hãy thử lại khi có mạng.");
        })
        .then(function () { downloadButton.disabled = removeButton.disabled = false; });
    }

    removeButton.addEventListener("click", function () {
      removeTopic(slug).then(function () {
        say("Đã xoá bản tải về khỏi máy.");
        showStored(null);
      });
    });
    downloadButton.addEventListener("click", function () { if (manifest) { download(); } });

    hasTopic(slug).then(function (stored) {
      showStored(stored);
      if (stored) { describe(stored); }
      if (!scope.navigator.onLine) {
        if (!stored) { sizeLine.textContent = "Cần có mạng để tải chuyên đề về máy."; }
        return;
      }
      return scope.fetch(card.getAttribute("data-manifest-url"), { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (fresh) {
          manifest = fresh;
          describe(fresh);
          if (stored && stored.version !== fresh.version) {
            say("Có bản mới của chuyên đề: đang cập nhật…");
            return download();  // the lessons changed since they were stored: refresh them
          }
        });
    }).catch(function () { sizeLine.textContent = "Chưa tính được dung lượng (mạng bị ngắt?)."; });
  }

  function copyCache(from, to) {
    return scope.caches.delete(to).then(function () {
      return Promise.all([scope.caches.open(from), scope.caches.open(to)]);
    }).then(function (both) {
      return both[0].keys().then(function (requests) {
        return Promise.all(requests.map(function (request) {
          return both[0].match(request).then(function (response) { return both[1].put(request, response); });
        }));
      });
    });
  }

  function removeTopic(slug) {
    return storedManifest(slug).then(function (stored) {
      return scope.caches.delete(TOPIC_CACHE + slug).then(function () {
        if (!stored) { return; }
        return scope.caches.open(PAGES_CACHE).then(function (pages) {
          return Promise.all(stored.pages.map(function (page) { return pages.delete(page.url); }));
        });
      });
    });
  }

  // The fallback page and "Học khi không có mạng": what is stored on this phone.
  function showStoredTopics() {
    var box = document.querySelector("[data-stored-topics]");
    if (!box || !scope.caches) { return; }
    scope.caches.keys().then(function (names) {
      var slugs = names.filter(function (n) { return n.indexOf(TOPIC_CACHE) === 0 && !/-new$/.test(n); })
        .map(function (n) { return n.slice(TOPIC_CACHE.length); });
      return Promise.all(slugs.map(storedManifest));
    }).then(function (manifests) {
      manifests = manifests.filter(Boolean);
      var empty = box.querySelector("[data-stored-empty]");
      if (empty) { empty.hidden = manifests.length > 0; }
      manifests.forEach(function (m) {
        var section = element("section", "", "mb-3");
        var heading = element("h3", "", "h6");
        var topicLink = element("a", m.title);
        topicLink.href = m.pages[0].url;
        heading.appendChild(topicLink);
        section.appendChild(heading);
        section.appendChild(element("p", "Tải về lúc " + m.storedAt + " · khoảng " + kilobytes(m.bytes), "small text-secondary mb-1"));
        var list = element("ol", "", "mb-0");
        m.pages.slice(1).forEach(function (page) {
          var item = element("li");
          var link = element("a", page.title);
          link.href = page.url;
          item.appendChild(link);
          list.appendChild(item);
        });
        section.appendChild(list);
        box.appendChild(section);
      });
    });
  }

  // Logging out on a shared phone: the pages stored for this person go with them (marks not yet
  // sent stay, tied to the account, and leave with its next login).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!scope.caches || !/\/accounts\/logout$/.test(form.getAttribute("action") || "") || form.hasAttribute("data-cleared")) {
      return;
    }
    event.preventDefault();
    scope.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf(TOPIC_CACHE) === 0 || n === PAGES_CACHE; })
        .map(function (n) { return scope.caches.delete(n); }));
    }).catch(function () {}).then(function () {
      form.setAttribute("data-cleared", "");
      form.submit();
    });
  });

  if (user && "serviceWorker" in scope.navigator) {
    scope.navigator.serviceWorker.register("/sw.js").catch(function () { /* no offline study on this browser */ });
  }
  scope.addEventListener("online", function () { showNetwork(); sendQueued(0); });
  scope.addEventListener("offline", showNetwork);
  showNetwork();
  lessonForm();
  topicCard();
  showStoredTopics();
  showQueue();
  sendQueued(0);
  return api;
})(self);
