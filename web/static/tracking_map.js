/* The tracking page's small map (templates/tracking.html): the place of the melding, nothing else. */
(function () {
  "use strict";

  function start() {
    var element = document.getElementById("tracking-map");
    if (!element || !window.L || !window.MeldpuntMap) {
      return;
    }
    var map = MeldpuntMap.create(element, { dragging: !L.Browser.mobile, tap: false });
    var point = MeldpuntMap.point(element.dataset.point);
    if (!point) {
      return;
    }
    L.circleMarker(point, { radius: 9, color: "#b03a2e", fillColor: "#e74c3c", fillOpacity: 0.9, weight: 2,
                            interactive: false }).addTo(map);
    map.setView(point, 17);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
