// The only script: focus on the list of errors when a form comes back with errors, and a
// progress note while an upload or a simulation runs. The pages work without it.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  var note = form.getAttribute("data-progress");
  var status = form.querySelector(".progress");
  if (!note || !status) return;
  status.textContent = note;
  var bar = document.createElement("progress");
  bar.setAttribute("aria-label", note);
  status.appendChild(bar);
  var button = form.querySelector("button[type=submit]");
  if (button) button.setAttribute("aria-disabled", "true");
});
