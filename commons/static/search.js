// Re-run the search as soon as the reader changes "how much should school context count?"
// or a filter, so the effect is visible at once. Without this script, the Update button does it.
// A new question is read afresh: what the reader undid in the reading of the old one
// (hidden "ignore" and "read" inputs) is not carried over to it.
(function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (!form) return;
  form.addEventListener("change", function (event) {
    if (event.target.matches("input[type=radio], select")) form.requestSubmit();
  });
  var question = form.querySelector("input[name=q]");
  if (!question) return;
  var asked = question.value;
  form.addEventListener("submit", function () {
    var changed = question.value.trim() !== asked.trim();
    form.querySelectorAll("input[data-reading]").forEach(function (input) { input.disabled = changed; });
  });
})();
