// Suggestions as you type on the search page (/datasett): after a short pause, asks
// GET /api/v1/search/suggestions?q=… (the visible datasets whose words begin with what was typed) and fills the
// search box's <datalist>, which the browser shows as native, keyboard-accessible suggestions. Choosing one fills in
// the dataset's title, which the search then finds. Loaded with <script src defer>; no inline script. Without
// JavaScript the page is the same minus the suggestions.
/* global document, fetch, window */
(function () {
  'use strict';
  var input = document.getElementById('q');
  var list = document.getElementById('q-suggestions');
  if (!input || !list) return;
  var url = input.getAttribute('data-suggest-url');
  var lang = input.getAttribute('data-lang') || 'nb';
  if (!url) return;
  var timer = null;
  var last = '';
  var seq = 0;
  function render(items) {
    while (list.firstChild) list.removeChild(list.firstChild);
    items.forEach(function (item) {
      var option = document.createElement('option');
      option.value = item.title;
      list.appendChild(option);
    });
  }
  function ask() {
    var q = input.value.trim();
    if (q === last) return;
    last = q;
    if (q.length < 2) {
      render([]);
      return;
    }
    var mine = ++seq;
    fetch(url + '?q=' + encodeURIComponent(q.slice(0, 100)) + '&lang=' + encodeURIComponent(lang), { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (body) {
        if (mine === seq) render(body.items || []);
      })
      .catch(function () {
        /* suggestions are a convenience: the search itself still works */
      });
  }
  input.addEventListener('input', function () {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(ask, 150);
  });
})();
