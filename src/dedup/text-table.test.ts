// Tables fitted to the terminal (issue 11, "respect the terminal width"): text columns shrink or
// wrap, heads break at their spaces, numbers are never cut.
import t from 'tap';
import { textTable, type Column } from './text-table.js';

const widest = (s: string): number => Math.max(...s.split('\n').map((l) => l.length));
const num = (head: string): Column => ({ head, right: true });

// The IMAGE LAYERS table of a Debian-sized root: 77 columns wide, and no column could shrink.
const layout: Column[] = [{ head: 'IMAGE LAYERS', wrap: true }, num('NAMES'), num('INODES'), num('FILE DATA'), num('DISK'), num('MAX LINKS')];
const layoutRows = [
  ['overlay2 (on disk)', '9,663', '9,667', '189.5 MB', '212.9 MB', '2'],
  ['as legacy chains (estimated)', '24,850', '13,641', '189.5 MB', '220.7 MB', '6'],
  ['saved by overlay2 (estimated)', '', '3,974', '', '7.8 MB', ''],
];

t.test('a label column wraps and wide heads break to fit 60 columns; every number stays whole', async (t) => {
  const out = textTable(layout, layoutRows, 60);
  t.ok(widest(out) <= 60, `${widest(out)} columns:\n${out}`);
  for (const n of ['9,663', '24,850', '13,641', '189.5 MB', '220.7 MB', '7.8 MB']) t.match(out, n);
  t.notMatch(out, /…/, 'nothing cut');
  t.match(out, /^as legacy chains\s+24,850/m, 'the label wraps at a space');
  t.match(out, /^\(estimated\)$/m, 'its rest on the next line');
  t.match(out, /\sMAX\n.*\sLINKS\n/, "'MAX LINKS' over two lines");
});

t.test('the same table is left alone when it fits', async (t) => {
  const out = textTable(layout, layoutRows, 80);
  t.equal(out.split('\n').length, 4, 'one line a row');
  t.match(out, /^IMAGE LAYERS\s+NAMES\s+INODES\s+FILE DATA\s+DISK\s+MAX LINKS$/m);
});

t.test('a list wraps after its commas, a long word after a slash', async (t) => {
  const cols: Column[] = [{ head: 'LAYER' }, { head: 'USED BY', wrap: true }, num('NAMES'), { head: 'WHY', wrap: true }];
  const out = textTable(cols, [['c2e9321bfb67', 'bb:1 #0, a:1 #0, b:1 #0, c:1 #0', '278', 'chmod/chown/touch copied it']], 50);
  t.ok(widest(out) <= 50, `${widest(out)} columns:\n${out}`);
  t.notMatch(out, /…/, 'nothing cut');
  for (const item of ['bb:1 #0,', 'a:1 #0,', 'b:1 #0,', 'c:1 #0']) t.match(out, item, `${item} whole`);
  t.match(out, /^c2e9321bfb67\s+bb:1 #0,\s+278\s+chmod\/chown\/touch$/m, 'the first line of the row');
  t.match(out, /^\s+a:1 #0,\s+copied it$/m, 'continuation lines hold the rest, numbers only on the first');
  const cols2: Column[] = [{ head: 'WHY', wrap: true }];
  t.same(textTable(cols2, [['chmod/chown/touch copied it']], 12).split('\n').slice(1), ['chmod/chown/', 'touch copied', 'it'], 'a word too long breaks after a slash');
});

t.test('numbers never shrink: a table that cannot fit is as narrow as its numbers allow', async (t) => {
  const out = textTable([num('A'), num('B')], [['123,456,789', '987,654,321']], 10);
  t.equal(out.split('\n')[1], '123,456,789  987,654,321');
});
