import t from 'tap';
import { count, humanSize, parseSize, percent } from './units.js';

t.test('sizes print like docker system df', async (t) => {
  t.equal(humanSize(0), '0B');
  t.equal(humanSize(999), '999B');
  t.equal(humanSize(98304), '98.3kB');
  t.equal(humanSize(4162410), '4.162MB');
  t.equal(humanSize(6149687), '6.15MB');
  t.equal(humanSize(1_000_000_000), '1GB');
  t.equal(humanSize(-4096), '-4.096kB');
});

t.test('size thresholds parse SI and IEC units', async (t) => {
  t.equal(parseSize('12345'), 12345);
  t.equal(parseSize('4.5MB'), 4_500_000);
  t.equal(parseSize('10kb'), 10_000);
  t.equal(parseSize('2GiB'), 2 * 1024 ** 3);
  t.equal(parseSize('-1'), null);
  t.equal(parseSize('12 parsecs'), null);
  t.equal(parseSize(''), null);
});

t.test('counts and percentages', async (t) => {
  t.equal(count(1234567), '1,234,567');
  t.equal(percent(72.594), '72.6%');
});
