/* Shared map set-up for every page with a map (Leaflet is vendored in web/static/vendor/leaflet).
   A map element carries its configuration as data-* attributes (web/maps.py):
   data-tiles, data-attribution, data-centre "lat,lon", data-bounds "s,w,n,e", data-boundary (JSON rings). */
(function () {
  "use strict";

  function numbers(text) {
    return String(text || "").split(",").map(parseFloat);
  }

  window.MeldpuntMap = {
    /* A Leaflet map in `element`, showing the whole city with its boundary drawn. */
    create: function (element, options) {
      var data = element.dataset;
      var map = L.map(element, Object.assign({ scrollWheelZoom: false, zoomControl: false }, options || {}));
      L.control.zoom({ zoomInTitle: data.textZoomIn || "+", zoomOutTitle: data.textZoomOut || "-" }).addTo(map);
      L.tileLayer(data.tiles, { attribution: data.attribution, maxZoom: 19 }).addTo(map);
      var b = numbers(data.bounds);
      if (b.length === 4 && b.every(isFinite)) {
        map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
      } else {
        map.setView(numbers(data.centre), 13);
      }
      if (data.boundary) {
        L.polyline(JSON.parse(data.boundary), { color: "#555", weight: 2, dashArray: "4 4", interactive: false })
          .addTo(map);
      }
      return map;
    },
    /* [lat, lon] of a "lat,lon" text, or null. */
    point: function (text) {
      var p = numbers(text);
      return p.length === 2 && p.every(isFinite) ? p : null;
    }
  };
})();
