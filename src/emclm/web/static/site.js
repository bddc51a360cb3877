/* The portal's only script of its own (the Content-Security-Policy allows no inline script).
   Search: on a narrow screen the filter panel starts folded, once per visit (a boosted page swap
   keeps the reader's choice). */
(function () {
  "use strict";
  function foldFacets() {
    var facets = document.getElementById("facets");
    if (!facets || window.emclmFacetsSet) return;
    if (window.matchMedia("(max-width: 600px)").matches) facets.removeAttribute("open");
    window.emclmFacetsSet = true;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", foldFacets);
  else foldFacets();
  document.addEventListener("htmx:afterSettle", foldFacets);
})();
