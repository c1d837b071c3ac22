// Re-run the search as soon as the reader changes "how much should school context count?"
// or a filter, so the effect is visible at once. Without this script, the Update button does it.
(function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (!form) return;
  form.addEventListener("change", function (event) {
    if (event.target.matches("input[type=radio], select")) form.requestSubmit();
  });
})();
