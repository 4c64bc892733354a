'use strict';
// Ace by DAISY on many EPUBs from one node process and one Chromium (ace-cli starts both per book).
// Usage: node ace-many.js OUTDIR BOOK...   → OUTDIR/<n>/report.json for the n-th book (0-based).
// Exit 0 when every book was checked (violations are in the reports), 1 when Ace failed on a book.
const path = require('path');
const ace = require('@daisy/ace-core');
const runner = require('@daisy/ace-axe-runner-puppeteer');

// ace-core launches and closes the runner for every book: keep one browser for the whole run.
const shared = Object.assign({}, runner, { launch: async () => {}, close: async () => {} });

async function main() {
  const [outdir, ...books] = process.argv.slice(2);
  let status = 0;
  await runner.launch();
  try {
    for (const [n, book] of books.entries()) {
      try {
        await ace(book, { cwd: process.cwd(), outdir: path.join(outdir, String(n)), silent: true, initLogger: n === 0, jobId: '' }, shared);
      } catch (err) {
        console.error(`${book}: Ace failed: ${err && err.message ? err.message : err}`);
        status = 1;
      }
    }
  } finally {
    await runner.close();
  }
  process.exit(status);
}

main();
