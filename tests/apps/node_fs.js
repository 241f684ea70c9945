// Node's fs.promises: libuv's thread pool does every file operation in a
// worker thread that blocks in the kernel (open, write, read, fstat, close,
// unlink), with many operations in flight at once. Writes FILES files into
// DIR, reads them back, stats, renames and removes them; prints totals that
// are the same on every run, then "done".
// usage: node node_fs.js DIR [FILES]
'use strict';
const fs = require('fs').promises;
const path = require('path');
const crypto = require('crypto');

const dir = process.argv[2];
const n = Number(process.argv[3] || 300);
const name = (i, s = '') => path.join(dir, `f${i}${s}`);
const body = (i) => `line ${i}\n`.repeat(500 + (i * 37) % 2000);
const all = (f) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

(async () => {
  await all((i) => fs.writeFile(name(i), body(i)));
  const texts = await all((i) => fs.readFile(name(i), 'utf8'));
  const h = crypto.createHash('sha256');
  texts.forEach((t, i) => {
    if (t !== body(i)) throw new Error(`file ${i} reads back wrong`);
    h.update(t);
  });
  console.log('read', texts.reduce((a, t) => a + t.length, 0), h.digest('hex').slice(0, 16));
  // Appends through a FileHandle, several in flight per file.
  await all(async (i) => {
    const fh = await fs.open(name(i), 'a');
    await Promise.all([0, 1, 2].map((k) => fh.appendFile(`tail ${k}\n`)));
    await fh.sync();
    await fh.close();
  });
  const sizes = await all((i) => fs.stat(name(i)).then((s) => s.size));
  console.log('sizes', sizes.reduce((a, s) => a + s, 0));
  await all((i) => fs.rename(name(i), name(i, '.old')));
  await all((i) => fs.unlink(name(i, '.old')));
  console.log('left', (await fs.readdir(dir)).length);
  console.log('done');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
