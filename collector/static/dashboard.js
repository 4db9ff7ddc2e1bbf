/* Stepsense dashboard: auto-submit filters, and refresh the data every 30 s. */
(function () {
  'use strict';

  /* Filters: apply as soon as a select changes */
  var filters = document.getElementById('filters');
  if (filters) {
    Array.prototype.forEach.call(filters.querySelectorAll('select'), function (select) {
      select.addEventListener('change', function () { filters.submit(); });
    });
  }

  /* Near-real-time refresh: replace the server-rendered fragment */
  var live = document.getElementById('live');
  var toggle = document.getElementById('auto-refresh');
  var status = document.getElementById('refresh-status');
  if (!live || !toggle || !window.fetch) return;
  var seconds = parseInt(live.getAttribute('data-seconds'), 10) || 30;
  var timer = null;
  var storageKey = 'stepsense-dashboard-refresh';

  function say(text) { if (status) status.textContent = text; }

  function refresh() {
    fetch(live.getAttribute('data-src'), { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        live.innerHTML = html; // escaped by the server's templates
        say('Updated ' + new Date().toLocaleTimeString());
      })
      .catch(function () { say('Refresh failed; retrying in ' + seconds + ' s'); });
  }

  function apply() {
    if (timer) { clearInterval(timer); timer = null; }
    if (toggle.checked) { timer = setInterval(refresh, seconds * 1000); say('Auto-refresh on'); }
    else { say('Auto-refresh off'); }
    try { localStorage.setItem(storageKey, toggle.checked ? '1' : '0'); } catch (e) { /* private mode */ }
  }

  try { if (localStorage.getItem(storageKey) === '0') toggle.checked = false; } catch (e) { /* private mode */ }
  toggle.addEventListener('change', apply);
  apply();
})();
