// The contact page (/werk/contact), used during a call: search as the caller spells their name, choose them,
// show only the fields of the chosen outcome, send with Enter (Ctrl+Enter in a text area), and keep the draft in
// this browser until it is saved, so a session that times out mid-call loses nothing.
// A file of its own, not inline: the Content-Security-Policy allows scripts from this site only. Everything the
// server sends is put on the page as text (textContent), never as HTML.
(function () {
  'use strict';
  var form = document.getElementById('contact-form');
  var search = document.getElementById('contact-search');
  var box = document.getElementById('q');
  var results = document.getElementById('results');
  if (!form || !search || !box || !results) { return; }
  var t = JSON.parse(document.getElementById('contact-texts').textContent);
  var draftKey = form.dataset.draftKey;
  var DRAFT_HOURS = 12;
  var timer = null, asked = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // -- search as you type ---------------------------------------------------------------------------------------
  function caseLine(c) {
    var li = el('li', {'class': 'found-case'});
    li.appendChild(el('a', {href: c.url}, c.reference));
    li.appendChild(document.createTextNode(' ' + [c.status, c.category, c.address, c.date].filter(Boolean).join(' · ')));
    if (c.description) { li.appendChild(el('br')); li.appendChild(el('span', {'class': 'muted'}, c.description)); }
    var add = el('a', {href: c.use_url, 'class': 'use-case', 'data-reference': c.reference}, t.useCase);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(add);
    return li;
  }

  function contactLine(k) {
    var li = el('li', {'class': 'found-contact'}, k.line);
    if (k.url) { li.appendChild(document.createTextNode(' ')); li.appendChild(el('a', {href: k.url}, k.reference)); }
    return li;
  }

  function hidden(name, value) { return el('input', {type: 'hidden', name: name, value: value}); }

  function linkOffer(p, o) {  // "maybe the same citizen": staff decide, nothing is merged
    var offer = el('form', {method: 'post', action: results.dataset.linkUrl, 'class': 'link-offer'});
    offer.appendChild(hidden('csrf_token', form.querySelector('input[name=csrf_token]').value));
    offer.appendChild(hidden('reporter_id', p.id));
    offer.appendChild(hidden('other_id', o.id));
    offer.appendChild(hidden('q', box.value.trim()));
    offer.appendChild(el('span', {}, t.maybeSame + ': ' + o.label));
    offer.appendChild(document.createTextNode(' '));
    offer.appendChild(el('button', {type: 'submit', 'class': 'secondary small'}, t.link));
    return offer;
  }

  function render(data) {
    results.textContent = '';
    if (data.too_short) { results.appendChild(el('p', {'class': 'muted'}, t.tooShort)); return; }
    if (!data.people.length && !data.cases.length) {
      results.appendChild(el('p', {'class': 'muted', id: 'no-results'}, t.nothing));
      return;
    }
    data.people.forEach(function (p) {
      var section = el('section', {'class': 'person', 'data-person-id': p.id});
      section.appendChild(el('h3', {}, p.name || p.email || p.phone || t.unnamed));
      section.appendChild(el('p', {'class': 'muted'}, [p.email, p.phone].filter(Boolean).join(' · ')));
      var choose = el('a', {href: p.choose_url, 'class': 'choose button small', 'data-person-id': p.id,
                            'data-label': p.label}, t.choose);
      section.appendChild(choose);
      if (p.linked.length) {
        section.appendChild(el('p', {'class': 'muted linked'},
                               t.linked + ': ' + p.linked.map(function (r) { return r.label; }).join('; ')));
      }
      p.candidates.forEach(function (o) { section.appendChild(linkOffer(p, o)); });
      if (p.cases.length) {
        section.appendChild(el('h4', {}, t.cases));
        var ul = el('ul');
        p.cases.forEach(function (c) { ul.appendChild(caseLine(c)); });
        section.appendChild(ul);
      }
      if (p.contacts && p.contacts.length) {
        section.appendChild(el('h4', {}, t.contacts));
        var ul2 = el('ul');
        p.contacts.forEach(function (k) { ul2.appendChild(contactLine(k)); });
        section.appendChild(ul2);
      }
      results.appendChild(section);
    });
    if (data.cases.length) {
      var section = el('section', {'class': 'loose-cases'});
      section.appendChild(el('h3', {}, t.otherCases));
      var ul = el('ul');
      data.cases.forEach(function (c) { ul.appendChild(caseLine(c)); });
      section.appendChild(ul);
      results.appendChild(section);
    }
    results.appendChild(el('p', {'class': 'muted', id: 'results-count', role: 'status'}, data.summary));
  }

  function ask() {
    var text = box.value.trim(), mine = ++asked;
    if (!text) { results.textContent = ''; return; }
    fetch(search.dataset.url + '?q=' + encodeURIComponent(text),
          {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) {
        if (r.status === 401 || r.redirected) { throw new Error('login'); }
        return r.ok ? r.json() : null;
      })
      .then(function (data) { if (data && mine === asked) { render(data); } })
      .catch(function () {
        if (mine === asked) { results.textContent = ''; results.appendChild(el('p', {'class': 'errors'}, t.searchFailed)); }
      });
  }

  box.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(ask, 250); });
  search.addEventListener('submit', function (event) {  // Enter in the box: search now, stay on the page
    event.preventDefault();
    clearTimeout(timer);
    ask();
  });

  // -- choosing the caller, or a case to add to ------------------------------------------------------------------
  var reporterId = document.getElementById('reporter_id');
  var chosen = document.getElementById('chosen-person');
  var chosenName = document.getElementById('chosen-name');
  var newPerson = document.getElementById('new-person');
  var anonymous = document.getElementById('anonymous');

  function showChosen(id, label) {
    reporterId.value = id || '';
    form.dataset.chosenLabel = label || '';
    chosenName.textContent = label || '';
    chosen.hidden = !id;
    newPerson.hidden = !!id || anonymous.checked;
    if (id) { anonymous.checked = false; }
  }

  results.addEventListener('click', function (event) {
    var link = event.target.closest('a.choose, a.use-case');
    if (!link) { return; }
    event.preventDefault();
    if (link.classList.contains('choose')) {
      showChosen(link.dataset.personId, link.dataset.label);
      saveDraft();
      document.getElementById('question').focus();
    } else {
      choose('existing_case');
      document.getElementById('case').value = link.dataset.reference;
      saveDraft();
      document.getElementById('case_note').focus();
    }
  });
  document.getElementById('clear-person').addEventListener('click', function () {
    showChosen('', '');
    saveDraft();
    document.getElementById('name').focus();
  });
  anonymous.addEventListener('change', function () {
    if (anonymous.checked) { showChosen('', ''); }
    newPerson.hidden = anonymous.checked || !!reporterId.value;
  });

  // -- the outcome's own fields --------------------------------------------------------------------------------
  var outcomes = form.querySelectorAll('input[name=outcome]');
  function current() {
    var checked = form.querySelector('input[name=outcome]:checked');
    return checked ? checked.value : '';
  }
  function showOutcome() {
    var value = current();
    form.querySelectorAll('[data-outcome]').forEach(function (part) { part.hidden = part.dataset.outcome !== value; });
    if (value === 'melding') { prefillMelding(); }
  }
  function choose(value) {
    outcomes.forEach(function (radio) { radio.checked = radio.value === value; });
    showOutcome();
  }
  function prefillMelding() {  // the melding form starts from what the caller told
    var description = document.getElementById('melding_description');
    var category = document.getElementById('melding_category');
    var topic = document.getElementById('topic');
    if (!description.value) { description.value = document.getElementById('question').value; }
    if (!category.value && topic.value && category.querySelector('option[value="' + topic.value + '"]')) {
      category.value = topic.value;
    }
  }
  outcomes.forEach(function (radio) { radio.addEventListener('change', showOutcome); });

  // -- Enter sends ---------------------------------------------------------------------------------------------
  form.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' || event.isComposing) { return; }
    var target = event.target;
    if (target.tagName === 'TEXTAREA') {
      if (!(event.ctrlKey || event.metaKey)) { return; }
    } else if (target.tagName === 'BUTTON' || target.tagName === 'A') {
      return;
    }
    event.preventDefault();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });

  // -- the draft -----------------------------------------------------------------------------------------------
  function fields() {
    return Array.prototype.filter.call(form.elements, function (f) {
      return f.name && f.name !== 'csrf_token' && f.name !== 'form_token' && f.type !== 'submit' && f.type !== 'button';
    });
  }
  function saveDraft() {
    var values = {};
    fields().forEach(function (f) {
      if (f.type === 'radio') { if (f.checked) { values[f.name] = f.value; } }
      else if (f.type === 'checkbox') { values[f.name] = f.checked ? f.value : ''; }
      else { values[f.name] = f.value; }
    });
    var typed = Object.keys(values).some(function (name) {
      return values[name] && name !== 'channel' && name !== 'outcome';
    });
    try {
      if (typed) {
        localStorage.setItem(draftKey, JSON.stringify({saved: Date.now(), values: values,
                                                       chosen: form.dataset.chosenLabel || ''}));
      } else {
        localStorage.removeItem(draftKey);
      }
    } catch (e) { /* private mode or full: the page works without a draft */ }
  }
  function restoreDraft() {
    var draft = null;
    try { draft = JSON.parse(localStorage.getItem(draftKey) || 'null'); } catch (e) { draft = null; }
    if (!draft || !draft.values || Date.now() - draft.saved > DRAFT_HOURS * 3600 * 1000) {
      try { localStorage.removeItem(draftKey); } catch (e) { /* nothing to drop */ }
      return;
    }
    fields().forEach(function (f) {
      if (!(f.name in draft.values)) { return; }
      var value = draft.values[f.name];
      if (f.type === 'radio') { f.checked = f.value === value; }
      else if (f.type === 'checkbox') { f.checked = !!value; }
      else { f.value = value; }
    });
    if (draft.values.reporter_id) { showChosen(draft.values.reporter_id, draft.chosen); }
    var note = document.getElementById('draft-restored');
    note.hidden = false;
    var time = new Date(draft.saved).toLocaleTimeString(document.documentElement.lang,
                                                        {hour: '2-digit', minute: '2-digit'});
    document.getElementById('draft-text').textContent = t.draftRestored.replace('{time}', time);
  }
  document.getElementById('draft-discard').addEventListener('click', function () {
    try { localStorage.removeItem(draftKey); } catch (e) { /* nothing to drop */ }
    window.location.assign(form.dataset.emptyUrl);
  });

  if (form.dataset.saved === '1') {
    try { localStorage.removeItem(draftKey); } catch (e) { /* nothing to drop */ }
  } else if (form.dataset.fromServer !== '1') {
    restoreDraft();
  }
  if (reporterId.value && !form.dataset.chosenLabel) { form.dataset.chosenLabel = chosenName.textContent; }
  form.addEventListener('input', saveDraft);
  form.addEventListener('change', saveDraft);
  newPerson.hidden = !!reporterId.value || anonymous.checked;
  chosen.hidden = !reporterId.value;
  showOutcome();
  if (form.dataset.fromServer === '1') {  // what came back with errors is the draft now; on to the first mistake
    saveDraft();
    var wrong = Array.prototype.filter.call(form.querySelectorAll('input, select, textarea'), function (f) {
      return f.getAttribute('aria-invalid') === 'true' && f.offsetParent !== null;
    })[0];
    (wrong || document.getElementById('form-errors')).focus();
  }
  if (box.value.trim() && !results.children.length) { ask(); }
})();
