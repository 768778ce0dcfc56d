import t from 'tap';
import { count, counted, parseSize, percent } from './units.js';

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
  t.same([counted(1, 'container'), counted(0, 'image'), counted(2, 'layer')], ['1 container', '0 images', '2 layers']);
  t.equal(percent(72.594), '72.6%');
});
