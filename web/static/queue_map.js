/* The map view of a queue (templates/staff/_queue_map.html): the markers of the current page of the
   filtered list, clustered (vendored leaflet.markercluster), in sync with the list beside the map:
   hovering or clicking a row highlights its marker and opens its popup; clicking a marker highlights its row.
   The points come from the page's JSON twin (data-source: kaart.json with the same query string). */
(function () {
  "use strict";

  function popupContent(item) {
    var box = document.createElement("div");
    box.className = "queue-popup";
    var link = document.createElement("a");
    link.href = item.url;
    link.textContent = item.reference;
    var title = document.createElement("strong");
    title.appendChild(link);
    box.appendChild(title);
    [item.category, item.task + (item.status_label ? " (" + item.status_label + ")" : ""), item.address]
      .forEach(function (text) {
        if (text) {
          box.appendChild(document.createElement("br"));
          box.appendChild(document.createTextNode(text));
        }
      });
    return box;
  }

  function start() {
    var element = document.getElementById("queue-map");
    var list = document.getElementById("queue-map-list");
    var status = document.getElementById("queue-map-status");
    if (!element || !list || !window.L || !window.MeldpuntMap) {
      return;
    }
    var map = MeldpuntMap.create(element);
    var cluster = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false }) : L.featureGroup();
    cluster.addTo(map);
    var markers = {};
    var rows = {};
    Array.prototype.forEach.call(list.querySelectorAll("li[data-reference]"), function (row) {
      rows[row.dataset.reference] = row;
    });
    var active = null;

    function highlight(reference) {
      if (active && rows[active]) {
        rows[active].classList.remove("active");
      }
      if (active && markers[active] && markers[active].getElement()) {
        markers[active].getElement().classList.remove("queue-marker-active");
      }
      active = reference;
      if (rows[reference]) {
        rows[reference].classList.add("active");
      }
      var marker = markers[reference];
      if (marker && marker.getElement()) {
        marker.getElement().classList.add("queue-marker-active");
      }
    }

    function show(reference, reveal) {
      highlight(reference);
      var marker = markers[reference];
      if (!marker) {
        return;
      }
      if (cluster.getVisibleParent && cluster.getVisibleParent(marker) !== marker) {
        if (!reveal) {
          return; /* hidden in a cluster: a hover does not move the map, a click does */
        }
        cluster.zoomToShowLayer(marker, function () {
          marker.openPopup();
          highlight(reference);
        });
        return;
      }
      marker.openPopup();
    }

    fetch(element.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var points = [];
        data.items.forEach(function (item) {
          if (item.lat === null || item.lon === null) {
            return;
          }
          var marker = L.marker([item.lat, item.lon], { title: item.reference, alt: item.reference });
          marker.bindPopup(popupContent(item));
          marker.on("click", function () {
            highlight(item.reference);
            if (rows[item.reference]) {
              rows[item.reference].scrollIntoView({ block: "nearest" });
            }
          });
          marker.on("popupopen", function () { highlight(item.reference); });
          markers[item.reference] = marker;
          cluster.addLayer(marker);
          points.push([item.lat, item.lon]);
        });
        if (points.length) {
          map.fitBounds(L.latLngBounds(points).pad(0.1), { maxZoom: 17, animate: false });
        }
        element.dataset.markers = String(points.length);
        element.classList.add("loaded");
      })
      .catch(function () {
        if (status) {
          status.textContent = element.dataset.error;
        }
      });

    Object.keys(rows).forEach(function (reference) {
      var row = rows[reference];
      row.addEventListener("mouseenter", function () { show(reference, false); });
      row.addEventListener("focus", function () { show(reference, false); });
      row.addEventListener("click", function (event) {
        if (event.target.closest("a")) {
          return; /* the reference link opens the case */
        }
        show(reference, true);
      });
      row.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && event.target === row) {
          show(reference, true);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
