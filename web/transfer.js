// web/transfer.js: the whole fleet out and in. Export downloads every
// config as a .tar.gz (GET /api/export). Import takes such an archive (or
// a tar of a config directory) and first shows what it would do, device
// by device (new, changed, unchanged, skipped, invalid and why: a dry run
// that writes nothing), then imports it with the policy chosen for
// configs that exist (skip or overwrite), as one change with Undo.

import { $, clearErrors, openDialog, showError, status } from './dom.js';
import { request } from './api.js';
import { showChange, showResult } from './fleet.js';

let reload = async () => {};

function postImport(file, query) {
  const type = /\.tar$/i.test(file.name) ? 'application/x-tar' : 'application/gzip';
  return request('POST', `/api/import?${query}`, { headers: { 'Content-Type': type }, body: file }).then((r) => r.json);
}

async function importFlow() {
  clearErrors();
  $('import-file').value = '';
  $('import-problem').textContent = '';
  for (;;) {
    if (await openDialog($('import-dialog')) !== 'preview') return;
    const file = $('import-file').files[0];
    if (file) {
      const existing = $('import-existing').value;
      status('Reading the archive…');
      const preview = await postImport(file, `dry_run=true&existing=${existing}`);
      const n = preview.summary.created + preview.summary.changed;
      showChange(preview, {
        title: `Import preview: ${preview.count.toLocaleString()} configs in ${file.name}`,
        apply: {
          label: `Import ${n.toLocaleString()} config${n === 1 ? '' : 's'}`,
          disabled: n === 0,
          run: async () => {
            const done = await postImport(file, `existing=${existing}`);
            await reload();
            showResult(done);
          },
        },
      });
      status('Nothing is written until you import.');
      return;
    }
    $('import-problem').textContent = 'Choose a .tar.gz file first.';
  }
}

export function initTransfer(opts) {
  reload = opts.reload;
  $('import').addEventListener('click', () => importFlow().catch((e) => showError(e, 'Importing')));
}
