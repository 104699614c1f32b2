/* The case page's map (templates/staff/_case_location.html): the case's point, the nearby meldingen of the
   list beside it as markers, and - when the correction form is on the page - a click on the map puts the
   new point in the form's latitude and longitude fields. */
(function () {
  "use strict";

  function start() {
    var element = document.getElementById("case-map");
    if (!element || !window.L || !window.MeldpuntMap) {
      return;
    }
    var map = MeldpuntMap.create(element);
    var point = MeldpuntMap.point(element.dataset.point);
    if (!point) {
      return;
    }
    var bounds = L.latLngBounds([point, point]);
    L.circleMarker(point, { radius: 9, color: "#b03a2e", fillColor: "#e74c3c", fillOpacity: 0.9, weight: 2 })
      .bindTooltip(element.dataset.reference || "")
      .addTo(map);
    var rows = document.querySelectorAll("#nearby-list li[data-lat]");
    Array.prototype.forEach.call(rows, function (row) {
      var where = [parseFloat(row.dataset.lat), parseFloat(row.dataset.lon)];
      if (!where.every(isFinite)) {
        return;
      }
      bounds.extend(where);
      var marker = L.circleMarker(where, { radius: 7, color: "#1f618d", fillColor: "#5dade2", fillOpacity: 0.8,
                                           weight: 2 })
        .bindTooltip(row.dataset.reference || "")
        .addTo(map);
      marker.on("click", function () {
        row.classList.add("highlight");
        row.scrollIntoView({ block: "nearest" });
        window.setTimeout(function () { row.classList.remove("highlight"); }, 1500);
      });
    });
    map.fitBounds(bounds.pad(0.5), { maxZoom: 18 });

    var lat = document.getElementById("correct-lat");
    var lon = document.getElementById("correct-lon");
    if (lat && lon) {
      var moved = null;
      map.on("click", function (event) {
        var p = event.latlng;
        lat.value = p.lat.toFixed(7);
        lon.value = p.lng.toFixed(7);
        if (moved) {
          moved.setLatLng(p);
        } else {
          moved = L.circleMarker(p, { radius: 9, color: "#7d6608", fillColor: "#f4d03f", fillOpacity: 0.9 })
            .addTo(map);
        }
        var details = document.getElementById("correct");
        if (details) {
          details.open = true;
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
