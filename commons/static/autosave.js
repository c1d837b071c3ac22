// Autosave for the case-study editor: what is typed is saved with the same use case as
// "Save draft", 20 seconds after a change and when a field loses focus; the status line says when
// it was saved or why it was not. Leaving the page with unsaved text asks first. Without this
// script the form works as before: nothing here is needed to save or publish.
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) return;
  var status = document.getElementById("autosave-status");
  var DELAY = 20000;
  var timer = null;
  var sending = false;
  var again = false;
  var submitting = false;

  function fields() {
    var data = new URLSearchParams(new FormData(form));
    data.delete("csrf_token");
    data.delete("action");
    data.delete("confirm_privacy");
    return data;
  }
  var saved = fields().toString();

  function show(text, failed) {
    status.textContent = text;
    status.classList.toggle("autosave-status--failed", !!failed);
  }
  function clock() {
    var now = new Date();
    return String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  }
  function useToken(token) {
    document.querySelectorAll("input[name=csrf_token]").forEach(function (input) { input.value = token; });
  }
  function later() {
    if (!timer) timer = setTimeout(save, DELAY);
  }

  function save(retrying) {
    clearTimeout(timer);
    timer = null;
    if (submitting) return;
    if (sending) { again = true; return; }
    var data = fields();
    var text = data.toString();
    if (text === saved) return;
    data.set("csrf_token", form.querySelector("input[name=csrf_token]").value);
    sending = true;
    fetch(form.dataset.autosave, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": data.get("csrf_token") },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    }).then(function (answer) {
      sending = false;
      if (answer.body.csrf_token) useToken(answer.body.csrf_token);
      if (answer.ok) {
        saved = text;
        var note = "Saved at " + clock() + ".";
        if (answer.body.left_review_queue) note += " It is no longer waiting for review: send it again when it is ready.";
        var problems = Object.keys(answer.body.problems || {}).map(function (k) { return answer.body.problems[k]; });
        if (problems.length) note += " Before publishing: " + problems.join(" ");
        show(note, false);
      } else if (answer.status === 400 && answer.body.csrf_token && !retrying) {
        save(true); // the security check had expired: once more, with the fresh token
        return;
      } else {
        show("Not saved: " + (answer.body.error || "the server answered " + answer.status + ".") , true);
      }
      if (again || fields().toString() !== saved) { again = false; later(); }
    }).catch(function () {
      sending = false;
      show("Not saved: no connection. Your text is still here; it will be saved when the connection returns.", true);
      later();
    });
  }

  form.addEventListener("input", function () { later(); });
  form.addEventListener("change", function () { later(); });
  form.addEventListener("focusout", function () { if (fields().toString() !== saved) save(); });
  form.addEventListener("submit", function () { submitting = true; clearTimeout(timer); });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || fields().toString() === saved) return;
    event.preventDefault();
    event.returnValue = ""; // the browser asks whether to leave; it shows its own words
  });
})();
