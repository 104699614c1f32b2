// The registration form of incoming post: suggest a group from the subject as the onthaal types it.
// A file of its own, not inline: the Content-Security-Policy allows scripts from this site only.
(function () {
  var subject = document.getElementById('subject'), group = document.getElementById('group');
  var form = document.getElementById('post-form'), out = document.getElementById('suggestion'), timer = null;
  var url = form.dataset.suggestionUrl, label = form.dataset.suggestionLabel;
  function ask() {
    fetch(url + '?onderwerp=' + encodeURIComponent(subject.value), {credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { return; }
        var option = s.group && group.querySelector('option[value="' + s.group + '"]');
        out.textContent = option ? label + ': ' + option.textContent + ' (' + s.reason + ')' : s.reason;
        if (option && !group.dataset.chosen) { group.value = s.group; }
      });
  }
  if (group.value) { group.dataset.chosen = '1'; }
  group.addEventListener('change', function () { group.dataset.chosen = group.value ? '1' : ''; });
  subject.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(ask, 300); });
  if (subject.value) { ask(); }
})();
