/* The map on the public report form (templates/report/form.html, web/report_lookup.py).

   Without JavaScript the form is the address field alone. With it: a map of the city where a tap or a
   dragged pin sets the place (the nearest address goes into the address field, the point into the lat/lon
   fields), "Gebruik mijn locatie", address suggestions while typing, and "Is dit uw melding?" with the open
   meldingen of the same category nearby. Nothing here may stop the form from being sent: a lookup that
   fails leaves what the citizen typed, and tiles that do not load leave a grey map. */
(function () {
  "use strict";

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  function getJson(url, params) {
    var query = Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
    return fetch(url + "?" + query, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, status: response.status, body: body || {} };
        });
      });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function start() {
    var area = document.getElementById("report-map-area");
    var address = document.getElementById("address");
    if (!area || !address) { return; }
    var form = address.form;
    var texts = area.dataset;
    var latField = document.getElementById("lat");
    var lonField = document.getElementById("lon");
    var status = document.getElementById("map-status");
    var suggestions = document.getElementById("address-suggestions");
    var nearbyBox = document.getElementById("nearby");
    var nearbyList = document.getElementById("nearby-list");
    var locate = document.getElementById("use-my-location");
    var map = null;
    var marker = null;
    var autoAddress = null;  // what we last put in the address field (replaced when the pin moves)
    var pointSeq = 0;
    var suggestSeq = 0;
    var suggestTimer = null;

    function say(text, bad) {
      if (!status) { return; }
      status.textContent = text || "";
      status.classList.toggle("bad", !!bad);
    }

    /* ---- "Is dit uw melding?" ---- */
    function showNearby(items) {
      if (!nearbyBox || !nearbyList) { return; }
      nearbyList.textContent = "";
      items.forEach(function (item) {
        var li = element("li");
        li.setAttribute("data-reference", item.reference);
        var what = [item.category, item.street].filter(Boolean).join(", ");
        li.appendChild(element("span", "what", what));
        var facts = [fill(texts.textReported, { date: item.reported }),
                     fill(texts.textDistance, { metres: item.distance_m })];
        li.appendChild(element("span", "facts", facts.join(", ")));
        var state = element("span", "facts", texts.textStatus + ": ");
        state.appendChild(element("span", "badge", item.status_label));
        li.appendChild(state);
        var button = element("button", "follow", texts.textSame);
        button.type = "submit";
        button.name = "volg";
        button.value = item.reference;
        button.setAttribute("formaction", texts.followUrl);
        button.setAttribute("aria-label", fill(texts.textSameLabel, { reference: item.reference }));
        li.appendChild(button);
        nearbyList.appendChild(li);
      });
      nearbyBox.hidden = items.length === 0;
    }

    function checkNearby(lat, lon, seq) {
      if (!texts.category || !texts.nearbyUrl) { return; }
      getJson(texts.nearbyUrl, { lat: lat, lon: lon, categorie: texts.category }).then(function (answer) {
        if (seq !== pointSeq) { return; }  // the pin moved on meanwhile
        showNearby(answer.ok && Array.isArray(answer.body.items) ? answer.body.items : []);
      }).catch(function () { if (seq === pointSeq) { showNearby([]); } });
    }

    /* ---- the point ---- */
    function round(value) { return Math.round(value * 1e6) / 1e6; }

    function setAddress(text) {
      address.value = text;
      autoAddress = text;
      address.classList.remove("invalid");
    }

    function placeMarker(lat, lon) {
      if (!map) { return; }
      if (marker) {
        marker.setLatLng([lat, lon]);
      } else {
        marker = L.marker([lat, lon], { draggable: true, autoPan: true, keyboard: true, title: texts.textMarker,
                                        alt: texts.textMarker }).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          setPoint(p.lat, p.lng, { lookup: true });
        });
      }
    }

    /* Put the point in the form; `lookup`: fill the address with the nearest one; `label`: this address. */
    function setPoint(lat, lon, how) {
      lat = round(lat);
      lon = round(lon);
      pointSeq += 1;
      var seq = pointSeq;
      if (latField) { latField.value = lat; }
      if (lonField) { lonField.value = lon; }
      placeMarker(lat, lon);
      if (how.label) {
        setAddress(how.label);
        say(texts.textPlaced);
      }
      if (how.lookup || how.check) {
        getJson(texts.reverseUrl, { lat: lat, lon: lon }).then(function (answer) {
          if (seq !== pointSeq) { return; }
          var body = answer.body;
          if (!answer.ok) {
            say(body.error || texts.textLookupDown, answer.status === 400);
          } else if (body.inside === false) {
            say(body.message, true);
            if (how.lookup && address.value === autoAddress) { setAddress(""); }
          } else if (!how.lookup) {
            if (!how.label) { say(""); }
          } else if (body.address) {
            setAddress(body.address.label);
            say(texts.textPlaced);
          } else {
            if (address.value === autoAddress) { setAddress(""); }
            say(body.unavailable ? texts.textLookupDown : texts.textNoAddress);
          }
        }).catch(function () {
          if (seq === pointSeq && how.lookup) { say(texts.textLookupDown); }
        });
      }
      checkNearby(lat, lon, seq);
    }

    /* ---- address suggestions ---- */
    function hideSuggestions() {
      if (!suggestions) { return; }
      suggestions.hidden = true;
      suggestions.textContent = "";
    }

    function choose(item) {
      hideSuggestions();
      setPoint(item.lat, item.lon, { label: item.label, check: true });
      if (map) { map.setView([item.lat, item.lon], Math.max(map.getZoom(), 17)); }
      address.focus();
    }

    function showSuggestions(items) {
      if (!suggestions) { return; }
      suggestions.textContent = "";
      items.slice(0, 5).forEach(function (item) {
        var li = element("li");
        var button = element("button", null, item.label);
        button.type = "button";
        button.addEventListener("click", function () { choose(item); });
        button.addEventListener("keydown", function (event) {
          var target = null;
          if (event.key === "ArrowDown") { target = li.nextElementSibling; }
          if (event.key === "ArrowUp") { target = li.previousElementSibling; }
          if (event.key === "Escape") { hideSuggestions(); address.focus(); event.preventDefault(); return; }
          if (target) { target.querySelector("button").focus(); event.preventDefault(); }
          else if (event.key === "ArrowUp") { address.focus(); event.preventDefault(); }
        });
        li.appendChild(button);
        suggestions.appendChild(li);
      });
      suggestions.hidden = items.length === 0;
    }

    function suggest() {
      var text = address.value.trim();
      suggestSeq += 1;
      var seq = suggestSeq;
      if (text.length < 2 || text === autoAddress) { hideSuggestions(); return; }
      getJson(texts.suggestUrl, { q: text }).then(function (answer) {
        if (seq !== suggestSeq) { return; }
        if (answer.body.unavailable) { say(texts.textLookupDown); }
        showSuggestions(answer.ok && Array.isArray(answer.body.items) ? answer.body.items : []);
      }).catch(function () { if (seq === suggestSeq) { hideSuggestions(); } });
    }

    if (suggestions && texts.suggestUrl) {
      address.setAttribute("aria-controls", "address-suggestions");
      address.setAttribute("autocomplete", "off");  // the browser's own list would cover ours
      address.addEventListener("input", function () {
        window.clearTimeout(suggestTimer);
        suggestTimer = window.setTimeout(suggest, 250);
      });
      address.addEventListener("keydown", function (event) {
        if (suggestions.hidden) { return; }
        if (event.key === "ArrowDown") {
          suggestions.querySelector("button").focus();
          event.preventDefault();
        } else if (event.key === "Escape") {
          hideSuggestions();
          event.preventDefault();
        } else if (event.key === "Enter") {  // Enter picks the first suggestion rather than sending the form
          var first = suggestions.querySelector("button");
          if (first) { first.click(); event.preventDefault(); }
        }
      });
      document.addEventListener("click", function (event) {
        if (event.target !== address && !suggestions.contains(event.target)) { hideSuggestions(); }
      });
    }

    /* ---- the map ---- */
    var mapElement = document.getElementById("report-map");
    if (mapElement && window.L && window.MeldpuntMap) {
      try {
        area.hidden = false;  // before Leaflet measures the element
        map = window.MeldpuntMap.create(mapElement);
        map.on("click", function (event) { setPoint(event.latlng.lat, event.latlng.lng, { lookup: true }); });
        /* By keyboard: the arrow keys move the map (Leaflet), Enter puts the pin in its centre; Tab leaves it. */
        mapElement.addEventListener("keydown", function (event) {
          if (event.key !== "Enter" || event.target !== mapElement) { return; }
          event.preventDefault();
          var centre = map.getCenter();
          setPoint(centre.lat, centre.lng, { lookup: true });
        });
      } catch (error) {
        map = null;
        area.hidden = true;  // the address field still works
      }
    }

    if (map && locate) {
      locate.addEventListener("click", function () {
        if (!navigator.geolocation) { say(texts.textGeoNone, true); return; }
        say(texts.textLocating);
        navigator.geolocation.getCurrentPosition(function (position) {
          var lat = position.coords.latitude;
          var lon = position.coords.longitude;
          map.setView([lat, lon], 18);
          setPoint(lat, lon, { lookup: true });
        }, function (error) {
          say(error && error.code === 1 ? texts.textGeoDenied : texts.textGeoError, true);
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }

    /* The form came back (an error, too many meldingen): put the pin where it was, keep the typed address. */
    var lat0 = latField ? parseFloat(String(latField.value).replace(",", ".")) : NaN;
    var lon0 = lonField ? parseFloat(String(lonField.value).replace(",", ".")) : NaN;
    if (isFinite(lat0) && isFinite(lon0) && Math.abs(lat0) <= 90 && Math.abs(lon0) <= 180) {
      autoAddress = null;
      setPoint(lat0, lon0, { check: true });
      if (map) { map.setView([lat0, lon0], 17); }
    }

    /* Coordinates typed by hand move the pin too. */
    [latField, lonField].forEach(function (field) {
      if (!field) { return; }
      field.addEventListener("change", function () {
        var lat = parseFloat(String(latField.value).replace(",", "."));
        var lon = parseFloat(String(lonField.value).replace(",", "."));
        if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
          setPoint(lat, lon, { check: true });
          if (map) { map.setView([lat, lon], Math.max(map.getZoom(), 16)); }
        }
      });
    });

    if (form) {
      form.addEventListener("submit", function () { hideSuggestions(); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
