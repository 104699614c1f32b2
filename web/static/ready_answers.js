// "Standaardantwoord" on the staff task forms: choosing a ready-made answer puts its text in the form's text
// area, where it stays editable before sending. Without JavaScript the select stays hidden.
(function () {
  "use strict";
  function init() {
    var selects = document.querySelectorAll("select.ready-answer-select");
    Array.prototype.forEach.call(selects, function (select) {
      var target = document.getElementById(select.getAttribute("data-target"));
      if (!target) { return; }
      select.parentNode.hidden = false;
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        if (!option || !option.value) { return; }
        target.value = option.getAttribute("data-text") || "";
        target.dispatchEvent(new Event("input", { bubbles: true }));
        target.focus();
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
