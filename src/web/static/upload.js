// Keeps the import page's status region current while a table is being read in: polls the ingest job's JSON
// (GET /api/v1/jobs/{id}, the same record the API serves) and writes its progress into the role="status" region,
// then reloads the page once the job has finished so the report of how the file was read appears. Loaded with
// <script src defer>; no inline script. Without JavaScript the page shows an "Oppdater" (refresh) link instead.
/* global document, window, fetch */
(function () {
  'use strict';
  var region = document.getElementById('ingest-status');
  if (!region) return;
  var url = region.getAttribute('data-job-url');
  if (!url) return;
  var text = region.querySelector('[data-status-text]');
  var delay = 1000;
  function show(template, progress) {
    if (text && template) text.textContent = template.replace('{progress}', String(progress));
  }
  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (job) {
        if (job.state === 'succeeded' || job.state === 'failed') {
          show(region.getAttribute('data-done'), 100);
          window.location.reload();
          return;
        }
        show(region.getAttribute(job.state === 'running' ? 'data-running' : 'data-queued'), job.progress || 0);
        delay = Math.min(delay * 1.5, 5000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // Leave the refresh link to the reader; try again later.
        delay = Math.min(delay * 2, 10000);
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
