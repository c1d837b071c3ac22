// The case-study editor: a live preview of each section's Markdown, rendered by the server (the
// same sanitiser as the published page) a moment after the author stops typing; and "Add a row"
// adding a row to the impact table in place (without this script it saves and shows one more).
(function () {
  var form = document.querySelector("form[data-preview]");
  if (!form) return;
  form.querySelectorAll("textarea[data-preview-target]").forEach(function (area) {
    var target = document.getElementById(area.dataset.previewTarget);
    var timer = null;
    function render() {
      var token = form.querySelector("input[name=csrf_token]").value; // the autosave may renew it
      var body = new URLSearchParams({ markdown: area.value, csrf_token: token });
      fetch(form.dataset.preview, { method: "POST", body: body, headers: { "X-CSRFToken": token } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          target.innerHTML = data.html; // sanitised on the server with the published page's allow-list
          target.classList.toggle("editor__preview--empty", !area.value.trim());
        })
        .catch(function () {});
    }
    area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(render, 300); });
    if (area.value.trim()) render();
  });

  var add = form.querySelector("button[value=add_row]");
  var save = form.querySelector("button[value=save]");
  if (!add) return;
  var body = form.querySelector(".impact-editor tbody");
  var count = form.querySelector("input[name=impact_rows]");
  var most = Number(add.dataset.maxRows);
  add.addEventListener("click", function (event) {
    event.preventDefault();
    if (event.detail === 0 && document.activeElement !== add) { // Enter in a field: that saves, as before
      save.click();
      return;
    }
    var rows = body.querySelectorAll("tr");
    var number = rows.length;
    var row = rows[number - 1].cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) {
      var key = input.dataset.key;
      input.id = input.name = "impact-" + number + "-" + key;
      input.value = "";
      input.setAttribute("aria-label", "Row " + (number + 1) + ": " + key);
    });
    body.appendChild(row);
    count.value = number + 1;
    row.querySelector("input").focus();
    if (number + 1 >= most) add.hidden = true;
  });
})();
