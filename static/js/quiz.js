// The attempt page: a countdown from the seconds the server says remain, answers saved as
// they are chosen (sent together every few seconds, kept in the browser until the server has
// them, retried when the network drops), and the paper handed in at 0:00.
// The server keeps the real deadline; this script only keeps the page honest about it.
(function () {
  var root = document.querySelector("[data-attempt]");
  if (!root || !window.fetch) { return; }
  var answerUrl = root.getAttribute("data-answer-url");
  var stateUrl = root.getAttribute("data-state-url");
  var token = root.getAttribute("data-csrf");
  var countdown = root.querySelector("[data-countdown]");
  var status = root.querySelector("[data-save-status]");
  var submitForm = root.querySelector("[data-submit]");
  // One request for the answers chosen meanwhile, not one a click: a contest's crowd costs the
  // server half as much. Sent at most every saveEvery ms, and at once when little time is left.
  var saveEvery = 1000 * Number(root.getAttribute("data-save-every") || 15);
  var unsent = {};     // question key -> true: chosen, not yet confirmed by the server
  var inFlight = null; // question key -> the choices sent, while a save is on the way
  var saveTimer = null;
  var saveAgain = false; // a save was asked for while one was on the way: send as soon as it is back
  var refused = {};    // question key -> true: the server refused its save (the question says why)
  var retries = 0;
  var lastSync = 0;    // performance.now() of the server's last answer about the time
  var submitting = false;
  var answered = {};   // question key -> true when the question has a choice
  root.querySelectorAll("[data-nav][data-answered]").forEach(function (nav) {
    answered[nav.getAttribute("data-nav")] = true;
  });

  // performance.now() is monotonic: changing the phone's clock cannot stretch the time.
  var endsAt = performance.now() + 1000 * Number(root.getAttribute("data-remaining"));
  function secondsLeft() { return Math.max(0, Math.ceil((endsAt - performance.now()) / 1000)); }

  function show(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    countdown.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (seconds <= 60) { countdown.classList.add("text-danger"); }
  }

  // The hand-in form carries whatever the server has not confirmed yet: nothing chosen is lost to a
  // save still waiting or on the way, and the server applies its usual deadline to them.
  function carryUnsent() {
    submitForm.querySelectorAll("[data-carried]").forEach(function (input) { input.remove(); });
    unconfirmed().forEach(function (id) {
      picksOf(id).forEach(function (pair) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = pair[0];
        input.value = pair[1];
        input.setAttribute("data-carried", "");
        submitForm.appendChild(input);
      });
    });
  }

  function handIn() {
    if (submitting) { return; }
    submitting = true;
    carryUnsent();
    submitForm.removeAttribute("data-confirm");
    status.textContent = "Hết giờ: đang nộp bài…";
    submitForm.submit();
  }

  function tick() {
    var left = secondsLeft();
    show(left);
    if (left === 0) { handIn(); } else { setTimeout(tick, 250); }
  }

  // A tab in the background may be paused: ask the server again when it comes back. After a
  // lost network, say plainly how long is left by the server's clock, which never stopped.
  var network = root.querySelector("[data-network-status]");
  function resync(afterOutage, attempt) {
    fetch(stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.status !== "in_progress") { window.location.reload(); return; }
        endsAt = performance.now() + 1000 * state.remaining;
        lastSync = performance.now();
        if (afterOutage && network) {
          var m = Math.floor(state.remaining / 60), s = state.remaining % 60;
          network.className = "alert alert-info small py-2";
          network.textContent = "Đã có mạng trở lại: còn " + state.remaining + " giây (" + m + ":" + (s < 10 ? "0" : "") + s +
            ") theo đồng hồ của máy chủ. Các câu trả lời chưa lưu đang được gửi lại.";
          network.hidden = false;
        }
      })
      .catch(function () {  // offline: keep counting; after an outage, try again shortly
        if (afterOutage && (attempt || 0) < 5) { setTimeout(function () { resync(true, (attempt || 0) + 1); }, 3000); }
      });
  }
  window.addEventListener("offline", function () {
    if (!network) { return; }
    network.className = "alert alert-warning small py-2";
    network.textContent = "Mất mạng: các câu trả lời vẫn giữ trên trang và được lưu khi có mạng trở lại. " +
      "Thời gian làm bài vẫn tính theo đồng hồ của máy chủ.";
    network.hidden = false;
  });
  window.addEventListener("online", function () {
    resync(true, 0);
    flush();  // the unsaved answers now rather than at their next retry
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { resync(); } else { flush(true); }  // a phone put away
  });
  window.addEventListener("pagehide", function () { if (!submitting) { flush(true); } });
  // Every save says how long is left, so the separate question is needed only when none came lately.
  setInterval(function () { if (performance.now() - lastSync > 50000) { resync(); } }, 60000);

  function questionStatus(id, text, css) {
    var line = root.querySelector('fieldset[data-question="' + id + '"] [data-question-status]');
    if (!line) { return; }
    line.textContent = text;
    line.className = "small mb-0 mt-1 " + css;
  }

  // "Nộp bài" asks with the number of questions still unanswered (quizzes/views.py submit_question).
  function refreshConfirm() {
    var left = Number(submitForm.getAttribute("data-question-count")) - Object.keys(answered).length;
    submitForm.setAttribute("data-confirm", (left > 0 ? "Bạn còn " + left + " câu chưa trả lời. "
      : "Bạn đã trả lời tất cả các câu. ") + "Nộp bài? Sau khi nộp bạn không sửa được nữa.");
  }

  // The questions whose choice the server has not confirmed: waiting to be sent, or on the way.
  function unconfirmed() {
    var ids = Object.keys(unsent);
    Object.keys(inFlight || {}).forEach(function (id) { if (!unsent[id]) { ids.push(id); } });
    return ids;
  }
  function waiting() { return unconfirmed().length; }

  function refreshSummary() {
    var count = waiting(), notSaved = Object.keys(refused).length;
    status.textContent = count ? "Đang chờ lưu " + count + " câu…"
      : notSaved ? "Có " + notSaved + " câu không lưu được: xem lời nhắn dưới câu đó." : "Đã lưu tất cả câu trả lời";
  }

  // [[field name, value], ...] as the page's form would send the question: its key, then each choice.
  function picksOf(id) {
    var pairs = [["question_id", id]];
    root.querySelectorAll('fieldset[data-question="' + id + '"] input:checked').forEach(function (input) {
      pairs.push(["choice-" + id, input.value]);
    });
    return pairs;
  }

  function markAnswered(id) {
    var nav = root.querySelector('[data-nav="' + id + '"]');
    var picked = picksOf(id).length > 1;
    if (picked) { answered[id] = true; } else { delete answered[id]; }
    refreshConfirm();
    if (nav && !nav.classList.contains("btn-primary")) {
      nav.classList.toggle("btn-outline-success", picked);
      nav.classList.toggle("btn-outline-secondary", !picked);
    }
  }

  // Until the server confirms them, the choices live in this browser too: a reload, a closed tab or
  // a phone that ran out of battery brings them back, and they are sent then.
  var storeKey = "hoctap-unsaved:" + answerUrl;
  function remember() {
    try {
      var kept = {};
      unconfirmed().forEach(function (id) { kept[id] = picksOf(id); });
      if (Object.keys(kept).length) {
        localStorage.setItem(storeKey, JSON.stringify({ at: Date.now(), picks: kept }));
      } else {
        localStorage.removeItem(storeKey);
      }
    } catch (e) { /* private mode or full: the page still holds them */ }
  }
  function restore() {
    try {
      var day = 24 * 3600 * 1000;
      for (var i = localStorage.length - 1; i >= 0; i--) {  // forget other attempts' leftovers
        var key = localStorage.key(i);
        if (key && key.indexOf("hoctap-unsaved:") === 0 && key !== storeKey) {
          var old = JSON.parse(localStorage.getItem(key) || "{}");
          if (!old.at || Date.now() - old.at > day) { localStorage.removeItem(key); }
        }
      }
      var kept = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (!kept || !kept.picks) { return; }
      Object.keys(kept.picks).forEach(function (id) {
        var fieldset = root.querySelector('fieldset[data-question="' + id + '"]');
        if (!fieldset) { return; }
        var values = kept.picks[id].slice(1).map(function (pair) { return pair[1]; });
        fieldset.querySelectorAll("input[name^='choice-']").forEach(function (input) {
          input.checked = values.indexOf(input.value) !== -1;
        });
        unsent[id] = true;
        markAnswered(id);
        questionStatus(id, "Đang chờ lưu…", "text-secondary");
      });
    } catch (e) { /* unreadable: nothing to bring back */ }
  }

  function schedule() {
    if (inFlight || submitting || !Object.keys(unsent).length) { return; }
    var soon = secondsLeft() <= 30 || !saveEvery;  // near the end, every choice goes at once
    if (soon) { flush(); return; }
    if (!saveTimer) { saveTimer = setTimeout(flush, saveEvery); }
  }

  function flush(leaving) {
    clearTimeout(saveTimer);
    saveTimer = null;
    var ids = Object.keys(unsent);
    if (inFlight) { saveAgain = saveAgain || ids.length > 0; return; }
    if (!ids.length) { return; }
    // One save at a time: the arrow keys change a choice at every press, and an earlier choice
    // arriving after a later one would be the one kept.
    inFlight = {};
    unsent = {};
    var body = new URLSearchParams();
    ids.forEach(function (id) {
      var pairs = picksOf(id);
      inFlight[id] = JSON.stringify(pairs);
      pairs.forEach(function (pair) { body.append(pair[0], pair[1]); });
    });
    fetch(answerUrl, { method: "POST", body: body, credentials: "same-origin", keepalive: !!leaving,
                       headers: { "X-CSRFToken": token, Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, code: response.status, data: data }; });
      })
      .then(function (result) {
        // A server that could not answer (503: the database restarting) refused nothing: the
        // choices stay waiting, in this browser too, and are tried again like a lost network.
        if (result.code >= 500 || result.code === 429) { throw new Error("not saved"); }
        var sent = inFlight;
        inFlight = null;
        if (result.code === 409 || (result.data.status && result.data.status !== "in_progress")) {
          status.textContent = result.data.message;
          submitting = true;
          window.location.reload();  // the server closed the attempt: show the result
          return;
        }
        retries = 0;
        Object.keys(sent).forEach(function (id) {
          if (unsent[id] || JSON.stringify(picksOf(id)) !== sent[id]) { unsent[id] = true; return; }  // changed meanwhile
          if (result.ok) {
            delete refused[id];
            questionStatus(id, "Đã lưu ✓", "text-success");
          } else {
            refused[id] = true;
            questionStatus(id, result.data.message || "Không lưu được.", "text-danger");
          }
        });
        if (result.ok) {
          endsAt = performance.now() + 1000 * result.data.remaining;
          lastSync = performance.now();
        }
        remember();
        refreshSummary();
        if (saveAgain) { saveAgain = false; flush(); } else { schedule(); }
      })
      .catch(function () {
        // No network: keep the choices and try again, waiting longer each time.
        Object.keys(inFlight).forEach(function (id) { unsent[id] = true; });
        inFlight = null;
        var wait = Math.min(30, Math.pow(2, retries));
        retries += 1;
        Object.keys(unsent).forEach(function (id) {
          questionStatus(id, "Chưa lưu được (mất mạng?): thử lại sau " + wait + " giây…", "text-danger");
        });
        status.textContent = "Có câu chưa lưu được, đang thử lại";
        clearTimeout(saveTimer);
        saveTimer = setTimeout(flush, wait * 1000);
      });
  }

  function choose(fieldset) {
    var id = fieldset.getAttribute("data-question");
    delete refused[id];
    unsent[id] = true;
    markAnswered(id);
    remember();
    questionStatus(id, "Đang chờ lưu…", "text-secondary");
    refreshSummary();
    schedule();
  }

  root.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    fieldset.addEventListener("change", function () { choose(fieldset); });
  });
  // "Lưu câu trả lời" sends what waits now, here: the plain form would send only the question shown.
  root.querySelectorAll("[data-save-button]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      if (!waiting()) { refreshSummary(); }
      flush();
    });
  });
  restore();
  if (Object.keys(unsent).length) { refreshSummary(); flush(); }

  // One question a screen: the page holds every question, the others hidden and disabled. Paging
  // shows another one here, with no request (the answers are saved as above); the
  // address follows, so a reload stays on the same question.
  var paged = root.querySelector("[data-answers][data-paged]");
  if (paged) {
    var fieldsets = Array.prototype.slice.call(paged.querySelectorAll("fieldset[data-question]"));
    var navs = Array.prototype.slice.call(root.querySelectorAll("[data-nav]"));
    var previous = paged.querySelector("[data-prev]");
    var next = paged.querySelector("[data-next]");
    var saveButton = paged.querySelector("[data-save-button]");
    var current = Number(paged.getAttribute("data-paged"));
    var showQuestion = function (index) {
      if (index < 0 || index >= fieldsets.length || index === current) { return; }
      var was = navs[current];
      fieldsets[current].hidden = true;
      fieldsets[current].disabled = true;
      was.classList.remove("btn-primary");
      was.classList.add(answered[was.getAttribute("data-nav")] ? "btn-outline-success" : "btn-outline-secondary");
      current = index;
      fieldsets[index].hidden = false;
      fieldsets[index].disabled = false;
      navs[index].classList.remove("btn-outline-success", "btn-outline-secondary");
      navs[index].classList.add("btn-primary");
      previous.hidden = index === 0;
      next.hidden = index === fieldsets.length - 1;
      previous.value = index;        // what the plain form would ask for, should it be sent
      saveButton.value = index + 1;
      next.value = index + 2;
      history.replaceState(null, "", navs[index].getAttribute("href"));
      fieldsets[index].scrollIntoView({ block: "nearest" });
      var first = fieldsets[index].querySelector("input:checked") || fieldsets[index].querySelector("input");
      if (first) { first.focus({ preventScroll: true }); }
    };
    previous.addEventListener("click", function (event) { event.preventDefault(); showQuestion(current - 1); });
    next.addEventListener("click", function (event) { event.preventDefault(); showQuestion(current + 1); });
    navs.forEach(function (nav, index) {
      nav.addEventListener("click", function (event) { event.preventDefault(); showQuestion(index); });
    });
  }

  // The prediction (a contest's extra question) is saved as it is typed, like the answers.
  var prediction = root.querySelector("[data-autosave-url]");
  var predictionStatus = root.querySelector("[data-autosave-status]");
  var predictionTimer = null;
  var predictionPending = false;
  function savePrediction(attempt) {
    clearTimeout(predictionTimer);
    predictionPending = true;
    predictionStatus.textContent = "Đang lưu…";
    var body = new URLSearchParams();
    body.append("prediction", prediction.value);
    var sent = prediction.value;
    fetch(prediction.getAttribute("data-autosave-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, code: response.status, data: data }; });
      })
      .then(function (result) {
        if (prediction.value !== sent) { return; }  // typed on meanwhile: that save follows
        predictionPending = false;
        if (result.code === 409) { window.location.reload(); return; }
        predictionStatus.textContent = result.ok ? "Đã lưu ✓" : result.data.message;
      })
      .catch(function () {
        var wait = Math.min(30, Math.pow(2, attempt));
        predictionStatus.textContent = "Chưa lưu được (mất mạng?): thử lại sau " + wait + " giây…";
        predictionTimer = setTimeout(function () { savePrediction(attempt + 1); }, wait * 1000);
      });
  }
  if (prediction) {
    prediction.addEventListener("input", function () {
      predictionPending = true;
      clearTimeout(predictionTimer);
      predictionTimer = setTimeout(function () { savePrediction(0); }, 800);
    });
    prediction.addEventListener("change", function () { savePrediction(0); });
  }

  // Leaving while the prediction is unsaved loses it: say so. Answers need no warning: they are sent
  // as the page goes and kept in the browser until the server has them.
  window.addEventListener("beforeunload", function (event) {
    if (predictionPending && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });
  submitForm.addEventListener("submit", function (event) {
    carryUnsent();
    submitting = true;
    // app.js asks "Nộp bài?" after this listener; a "no" leaves the page as it was.
    setTimeout(function () { if (event.defaultPrevented) { submitting = false; schedule(); } }, 0);
  });

  tick();
})();
