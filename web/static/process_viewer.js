/* Shows a process diagram with bpmn-js's NavigatedViewer (vendored) in #bpmn-viewer: the XML comes from
   data-xml-url (a stored version) or data-xml (an uploaded model that was refused). Elements named in the
   problem list (li[data-problem-element]) get the marker "bpmn-problem". */
(function () {
  "use strict";
  var container = document.getElementById("bpmn-viewer");
  if (!container || typeof window.BpmnJS !== "function") { return; }
  var viewer = new window.BpmnJS({ container: container });

  function markProblems() {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var marked = [];
    document.querySelectorAll("[data-problem-element]").forEach(function (item) {
      var id = item.getAttribute("data-problem-element");
      if (id && registry.get(id)) {
        canvas.addMarker(id, "bpmn-problem");
        marked.push(id);
      }
    });
    container.setAttribute("data-marked", marked.join(" "));
  }

  function show(xml) {
    viewer.importXML(xml).then(function () {
      viewer.get("canvas").zoom("fit-viewport");
      markProblems();
      container.setAttribute("data-rendered", "true");
    }).catch(function (err) {
      container.textContent = (container.getAttribute("data-error-text") || "") + " " + err.message;
      container.setAttribute("data-rendered", "error");
    });
  }

  var inline = container.getAttribute("data-xml");
  if (inline) {
    show(inline);
  } else {
    fetch(container.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(show);
  }
}());
