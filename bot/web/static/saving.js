// Forms that save (class "saves"): the first click shows "Saving…" on the button pressed and
// disables the form's buttons, so that a slow save is not sent twice. The pressed button's
// name and value (e.g. action=save) still go with the form, in a hidden field.
document.querySelectorAll("form.saves").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (form.dataset.sending) { event.preventDefault(); return; }
    form.dataset.sending = "1";
    var button = event.submitter;
    if (button && button.name) {
      var carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = button.name;
      carried.value = button.value;
      carried.className = "carried";
      form.appendChild(carried);
    }
    if (button && form.dataset.busy) {
      button.dataset.label = button.textContent;
      button.textContent = form.dataset.busy;
    }
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
  });
});
// Back to a page the browser kept: its forms can be sent again.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) { return; }
  document.querySelectorAll("form.saves").forEach(function (form) {
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("input.carried").forEach(function (i) { i.remove(); });
    form.querySelectorAll("button").forEach(function (b) {
      b.disabled = false;
      if (b.dataset.label) { b.textContent = b.dataset.label; }
    });
  });
});
