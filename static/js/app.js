// The only script every page loads: the menu toggle on phones, "Khác" closing on a click
// elsewhere, and confirmation prompts.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest("[data-toggle-target]");
  if (toggle) {
    var target = document.getElementById(toggle.getAttribute("data-toggle-target"));
    var open = target.classList.toggle("show");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
});
document.addEventListener("click", function (event) {
  document.querySelectorAll(".nav-more details[open]").forEach(function (menu) {
    if (!menu.contains(event.target)) {
      menu.removeAttribute("open");
    }
  });
});
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
// A table wider than the screen scrolls sideways in its own box: the keyboard must reach that
// box to scroll it, so it joins the Tab order while (and only while) it overflows.
function reachScrollingTables() {
  document.querySelectorAll(".table-responsive").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth) {
      box.setAttribute("tabindex", "0");
    } else {
      box.removeAttribute("tabindex");
    }
  });
}
document.addEventListener("DOMContentLoaded", reachScrollingTables);
window.addEventListener("resize", reachScrollingTables);
// "Đạt for every self-assessed commitment" (lamtheo/commitments.html): ticks that choice where nothing is chosen yet.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-check-all]");
  if (!button) {
    return;
  }
  var value = button.getAttribute("data-check-all");
  button.form.querySelectorAll("fieldset[data-assessed]").forEach(function (set) {
    if (!set.querySelector("input[type=radio]:checked")) {
      var radio = set.querySelector("input[type=radio][value='" + value + "']");
      if (radio) {
        radio.checked = true;
      }
    }
  });
});
