// Drag-to-reorder for curators: drag a case study to a new place and the new order is saved.
// Without this script the Move up / Move down buttons do the same, one step at a time.
(function () {
  var list = document.querySelector("ol[data-reorder]");
  if (!list) return;
  var token = document.querySelector("input[name=csrf_token]").value;
  var dragged = null;
  list.querySelectorAll("li[data-item]").forEach(function (item) {
    item.draggable = true;
    item.addEventListener("dragstart", function () { dragged = item; item.classList.add("is-dragging"); });
    item.addEventListener("dragend", function () { item.classList.remove("is-dragging"); save(); });
    item.addEventListener("dragover", function (event) {
      event.preventDefault();
      if (!dragged || dragged === item) return;
      var after = event.clientY > item.getBoundingClientRect().top + item.offsetHeight / 2;
      list.insertBefore(dragged, after ? item.nextSibling : item);
    });
  });
  function save() {
    var body = new URLSearchParams({ csrf_token: token });
    list.querySelectorAll("li[data-item]").forEach(function (item) { body.append("item", item.dataset.item); });
    fetch(list.dataset.reorder, { method: "POST", body: body, headers: { "X-CSRFToken": token } });
  }
})();
