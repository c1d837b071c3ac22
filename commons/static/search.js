// A new question is read afresh: what the reader undid in the reading of the old one
// (hidden "ignore" and "read" inputs) is not carried over to it.
// Filters and "how much should school context count?" never submit on change (WCAG 3.2.2):
// the reader chooses, then presses "Update results" or "Search".
(function () {
  var form = document.querySelector("form[data-reading-form]");
  if (!form) return;
  var question = form.querySelector("input[name=q]");
  if (!question) return;
  var asked = question.value;
  form.addEventListener("submit", function () {
    var changed = question.value.trim() !== asked.trim();
    form.querySelectorAll("input[data-reading]").forEach(function (input) { input.disabled = changed; });
  });
})();
