/* The error summary of a public form (#form-errors, templates/report/form.html): each message links to its field.
   A link to a field only scrolls to it; this puts the keyboard focus in the field too, with its label in view.
   Without JavaScript the links still lead to the field. */
(function () {
  "use strict";

  function start() {
    var summary = document.getElementById("form-errors");
    if (!summary) { return; }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      event.preventDefault();
      var details = field.closest("details");
      if (details) { details.open = true; }
      var label = field.id ? document.querySelector("label[for='" + field.id + "']") : null;
      (label || field).scrollIntoView({ block: "start" });
      field.focus({ preventScroll: true });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
