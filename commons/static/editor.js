// Live preview for the case-study editor: each section's Markdown is rendered by the server
// (the same sanitiser as the published page) a moment after the author stops typing.
(function () {
  var form = document.querySelector("form[data-preview]");
  if (!form) return;
  var token = form.querySelector("input[name=csrf_token]").value;
  form.querySelectorAll("textarea[data-preview-target]").forEach(function (area) {
    var target = document.getElementById(area.dataset.previewTarget);
    var timer = null;
    function render() {
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
})();
