// Type-ahead for "find your school": suggests schools as the reader types. Without this
// script the form still works: it searches when submitted.
(function () {
  var input = document.querySelector("input[data-lookup]");
  if (!input) return;
  var list = document.createElement("datalist");
  list.id = "school-suggestions";
  input.setAttribute("list", list.id);
  input.parentNode.appendChild(list);
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var query = input.value.trim();
    if (query.length < 2) return;
    timer = setTimeout(function () {
      fetch(input.dataset.lookup + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (schools) {
          list.textContent = "";
          schools.forEach(function (school) {
            var option = document.createElement("option");
            option.value = school.name + " (URN " + school.urn + ")";
            option.label = [school.town, school.postcode, school.context].filter(Boolean).join(" · ");
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 150);
  });
})();
