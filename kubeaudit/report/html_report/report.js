// Filters for the findings table. Without this script every finding stays visible and the
// (hidden) filter form is simply not shown. The filter state lives in the address's fragment
// (#filter?severity=critical,high&namespace=shop&q=text), so a filtered view can be shared.
"use strict";
(function () {
  var form = document.getElementById("filters");
  var table = document.getElementById("findings-table");
  var status = document.getElementById("filter-status");
  if (!form || !table || !status) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=severity]"));
  var search = form.querySelector("input[name=q]");
  var PREFIX = "#filter?";

  function state() {
    var params = new URLSearchParams();
    var severities = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    if (severities.length !== boxes.length) { params.set("severity", severities.join(",")); }
    selects.forEach(function (s) { if (s.value) { params.set(s.name, s.value); } });
    if (search.value.trim()) { params.set("q", search.value.trim()); }
    return params;
  }

  function apply(updateAddress) {
    var params = state();
    var severities = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    var wanted = selects.map(function (s) { return [s.name, s.value]; });
    var query = search.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row, i) {
      var match = severities.indexOf(row.getAttribute("data-severity")) >= 0 &&
        wanted.every(function (w) { return !w[1] || row.getAttribute("data-" + w[0]) === w[1]; }) &&
        (!query || texts[i].indexOf(query) >= 0);
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    status.textContent = shown === rows.length ? "Showing all " + rows.length + " findings." :
      "Showing " + shown + " of " + rows.length + " findings (filtered).";
    if (updateAddress && window.history && history.replaceState) {
      var query_ = params.toString();
      try {
        history.replaceState(null, "", query_ ? PREFIX + query_ : location.pathname + location.search);
      } catch (e) { /* some file:// pages refuse it: the filters still work */ }
    }
  }

  function fromAddress() {
    if (location.hash.indexOf(PREFIX) !== 0) { return false; }
    var params = new URLSearchParams(location.hash.slice(PREFIX.length));
    var severities = params.has("severity") ? params.get("severity").split(",") : null;
    boxes.forEach(function (b) { b.checked = !severities || severities.indexOf(b.value) >= 0; });
    selects.forEach(function (s) {
      var value = params.get(s.name) || "";
      var known = Array.prototype.some.call(s.options, function (o) { return o.value === value; });
      s.value = known ? value : "";
    });
    search.value = params.get("q") || "";
    return true;
  }

  // Heatmap cells link to the findings they count.
  Array.prototype.forEach.call(document.querySelectorAll("td[data-namespace][data-category]"), function (cell) {
    if (cell.textContent.trim() === "0") { return; }
    var params = new URLSearchParams();
    params.set("namespace", cell.getAttribute("data-namespace"));
    params.set("category", cell.getAttribute("data-category"));
    var link = document.createElement("a");
    link.href = PREFIX + params.toString();
    link.textContent = cell.textContent;
    cell.textContent = "";
    cell.appendChild(link);
  });

  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(true); });
  form.addEventListener("input", function () { apply(true); });
  form.addEventListener("change", function () { apply(true); });
  form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
  window.addEventListener("hashchange", function () {
    if (fromAddress()) { apply(false); document.getElementById("findings").scrollIntoView(); }
  });
  fromAddress();
  apply(false);
  document.documentElement.setAttribute("data-filters", "ready");
}());
