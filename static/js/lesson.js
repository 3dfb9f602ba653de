// Remembers where the member stopped reading: the last heading passed and how far down the page.
(function () {
  var lesson = document.querySelector("[data-place-url]");
  if (!lesson || !window.fetch) { return; }
  var url = lesson.getAttribute("data-place-url");
  var token = lesson.getAttribute("data-csrf");
  var headings = Array.prototype.slice.call(document.querySelectorAll(".lesson-body h2[id], .lesson-body h3[id]"));
  var sent = "", timer = null;

  function place() {
    var anchor = "";
    headings.forEach(function (h) { if (h.getBoundingClientRect().top < window.innerHeight / 3) { anchor = h.id; } });
    var max = document.documentElement.scrollHeight - window.innerHeight;
    var percent = max > 0 ? Math.min(100, Math.max(0, Math.round(100 * window.scrollY / max))) : 100;
    return { anchor: anchor, percent: percent };
  }

  function send() {
    var now = place();
    var key = now.anchor + "|" + now.percent;
    if (key === sent) { return; }
    var body = new URLSearchParams({ anchor: now.anchor, percent: String(now.percent) });
    fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true,
                 headers: { "X-CSRFToken": token } })
      .then(function (response) { if (response.ok) { sent = key; } })
      .catch(function () { /* offline: the next scroll tries again */ });
  }

  window.addEventListener("scroll", function () {
    clearTimeout(timer);
    timer = setTimeout(send, 1500);
  }, { passive: true });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { send(); } });
})();

// "Tôi đã học xong bài này" waits, disabled, until the lesson has been open long enough; the
// server said how long and still decides when the form is sent. Offline the page may be a copy
// stored on the phone: the lesson's whole reading time counts from now (static/js/offline.js).
(function () {
  var button = document.querySelector("[data-mark-seconds]");
  if (!button) { return; }
  var wait = button.querySelector("[data-mark-wait]");
  var seconds = parseInt(button.getAttribute(navigator.onLine ? "data-mark-seconds" : "data-required-seconds"), 10);
  if (!seconds) { if (wait) { wait.remove(); } return; }
  if (!wait) {
    wait = document.createElement("span");
    wait.className = "d-block small";
    wait.setAttribute("data-mark-wait", "");
    button.appendChild(wait);
  }
  var end = Date.now() + 1000 * seconds;

  function tick() {
    var left = Math.ceil((end - Date.now()) / 1000);
    if (left <= 0) {
      button.disabled = false;
      wait.remove();
      return;
    }
    var minutes = Math.floor(left / 60), seconds = left % 60;
    wait.textContent = "còn " + (!minutes ? seconds + " giây"
      : seconds ? minutes + " phút " + seconds + " giây" : minutes + " phút");
    setTimeout(tick, 1000);
  }
  button.disabled = true;
  tick();
})();
