// The attempt page: a countdown from the seconds the server says remain, answers saved as
// they are chosen (retried when the network drops), and the paper handed in at 0:00.
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
  var pending = {};          // question id -> true while a save is unconfirmed
  var sending = {};          // question id -> true while a request for it is on the way
  var changedMeanwhile = {}; // question id -> true when it changed while that request was out
  var submitting = false;
  var answered = {};         // question id -> true when a saved answer picks something
  root.querySelectorAll("[data-nav][data-answered]").forEach(function (nav) {
    answered[nav.getAttribute("data-nav")] = true;
  });

  // performance.now() is monotonic: changing the phone's clock cannot stretch the time.
  var endsAt = performance.now() + 1000 * Number(root.getAttribute("data-remaining"));

  function show(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    countdown.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (seconds <= 60) { countdown.classList.add("text-danger"); }
  }

  function handIn() {
    if (submitting) { return; }
    submitting = true;
    submitForm.removeAttribute("data-confirm");
    status.textContent = "Hết giờ: đang nộp bài…";
    submitForm.submit();
  }

  function tick() {
    var left = Math.max(0, Math.ceil((endsAt - performance.now()) / 1000));
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
    Object.keys(pending).forEach(function (id) {  // send the unsaved answers now rather than at their next retry
      var fieldset = root.querySelector('fieldset[data-question="' + id + '"]');
      if (fieldset && !sending[id]) { save(fieldset, 0); }
    });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { resync(); }
  });
  setInterval(resync, 60000);

  function questionStatus(fieldset, text, css) {
    var line = fieldset.querySelector("[data-question-status]");
    line.textContent = text;
    line.className = "small mb-0 mt-1 " + css;
  }

  // "Nộp bài" asks with the number of questions still unanswered (quizzes/views.py submit_question).
  function refreshConfirm() {
    var left = Number(submitForm.getAttribute("data-question-count")) - Object.keys(answered).length;
    submitForm.setAttribute("data-confirm", (left > 0 ? "Bạn còn " + left + " câu chưa trả lời. "
      : "Bạn đã trả lời tất cả các câu. ") + "Nộp bài? Sau khi nộp bạn không sửa được nữa.");
  }

  function refreshSummary() {
    var waiting = Object.keys(pending).length;
    status.textContent = waiting ? "Đang lưu " + waiting + " câu…" : "Đã lưu tất cả câu trả lời";
  }

  function save(fieldset, attempt) {
    var id = fieldset.getAttribute("data-question");
    pending[id] = true;
    questionStatus(fieldset, "Đang lưu…", "text-secondary");
    refreshSummary();
    // One request per question at a time: the arrow keys change a choice at every press, and
    // an earlier choice arriving after a later one would be the one kept.
    if (sending[id]) { changedMeanwhile[id] = true; return; }
    sending[id] = true;
    var body = new URLSearchParams();
    body.append("question_id", id);
    fieldset.querySelectorAll("input:checked").forEach(function (input) { body.append("choice-" + id, input.value); });
    fetch(answerUrl, { method: "POST", body: body, credentials: "same-origin",
                       headers: { "X-CSRFToken": token, Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, code: response.status, data: data }; });
      })
      .then(function (result) {
        delete sending[id];
        if (changedMeanwhile[id]) {
          delete changedMeanwhile[id];
          save(fieldset, 0);
          return;
        }
        delete pending[id];
        if (result.ok) {
          questionStatus(fieldset, "Đã lưu ✓", "text-success");
          var nav = root.querySelector('[data-nav="' + id + '"]');
          var picked = fieldset.querySelector("input:checked");
          if (picked) { answered[id] = true; } else { delete answered[id]; }
          refreshConfirm();
          if (nav && !nav.classList.contains("btn-primary")) {
            nav.classList.toggle("btn-outline-success", !!picked);
            nav.classList.toggle("btn-outline-secondary", !picked);
          }
          endsAt = performance.now() + 1000 * result.data.remaining;
          refreshSummary();
        } else if (result.code === 409) {
          questionStatus(fieldset, result.data.message, "text-danger");
          window.location.reload();  // the server closed the attempt: show the result
        } else {
          questionStatus(fieldset, result.data.message || "Không lưu được.", "text-danger");
          refreshSummary();
        }
      })
      .catch(function () {
        delete sending[id];
        delete changedMeanwhile[id];  // the next try sends the choice as it is then
        // No network: keep the choice on screen and try again, waiting longer each time.
        var wait = Math.min(30, Math.pow(2, attempt));
        questionStatus(fieldset, "Chưa lưu được (mất mạng?): thử lại sau " + wait + " giây…", "text-danger");
        status.textContent = "Có câu chưa lưu được, đang thử lại";
        setTimeout(function () { if (pending[id]) { save(fieldset, attempt + 1); } }, wait * 1000);
      });
  }

  root.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    fieldset.addEventListener("change", function () { save(fieldset, 0); });
  });

  // One question a screen: the page holds every question, the others hidden and disabled. Paging
  // shows another one here, with no request (each answer is already saved as it is chosen); the
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

  // Leaving with unsaved answers loses them: say so.
  window.addEventListener("beforeunload", function (event) {
    if ((Object.keys(pending).length || predictionPending) && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });
  submitForm.addEventListener("submit", function () { submitting = true; });

  tick();
})();
