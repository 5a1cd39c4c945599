// Inbox: a filter applies as soon as it is chosen (the Filter button stays for no-JS use).
document.querySelectorAll("form.filters select").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
