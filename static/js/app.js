// The only script every page loads: the menu toggle on phones and confirmation prompts.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest("[data-toggle-target]");
  if (toggle) {
    var target = document.getElementById(toggle.getAttribute("data-toggle-target"));
    var open = target.classList.toggle("show");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
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
