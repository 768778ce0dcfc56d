// Cookie families: a name keeps its cookie across listings of a dir, whatever came and went
// around it; names that moved get new ones; a family that gathered too many gone names ends.
import t from 'tap';
import { CookieFamily, INDEX_SPAN, heaviestRising } from './dir-cookies.js';

t.test('heaviestRising keeps the strictly rising run of most weight, skipping names the family lacks', async (t) => {
  const one = (ranks: number[]) => heaviestRising(ranks, ranks.map(() => 1), 8);
  t.same(one([0, 1, 2]), [true, true, true]);
  t.same(one([5, 0, 1, 2]), [false, true, true, true], 'a name moved to the front');
  t.same(one([0, -1, 1, 3, 2]).filter(Boolean).length, 3);
  t.same(one([-1, -1]), [false, false]);
  t.same(one([]), []);
  t.same(one([2, 2, 3]).filter(Boolean).length, 2, 'one rank once');
  t.same(heaviestRising([3, 0, 1], [9, 1, 1], 8), [true, false, false], 'one heavy name outweighs two light ones');
});

t.test('a name of the last listing keeps its cookie against names made again around it', async (t) => {
  // A review's case: x and a listed, x removed, then x made again after a.
  const f = new CookieFamily(1, ['.', '..', 'x', 'a']);
  t.same(f.fold(['.', '..', 'a']), [1, 2, 4]);
  const ids = f.fold(['.', '..', 'a', 'x'])!;
  t.equal(ids[2], 4, 'a keeps its cookie');
  t.ok(ids[3]! > 4, 'x, made again after it, gets a new one');
  // tmpfs lists names made again first: n0 and n1 gone and made again before n3.
  const g = new CookieFamily(2, ['n0', 'n1', 'n3']);
  g.fold(['n3']);
  const again = g.fold(['n0', 'n4', 'n1', 'n3'])!;
  t.equal(again[3], 3, 'n3 keeps its cookie');
});

t.test('a family keeps cookies for names still listed and places new ones where listed', async (t) => {
  const f = new CookieFamily(7, ['.', '..', 'a', 'b', 'c']);
  t.equal(f.cookie(1), 7 * INDEX_SPAN + 1);
  t.equal(f.rank(3), 2, 'first listing: ids are indices + 1');
  const ids = f.fold(['.', '..', 'a', 'x', 'c'])!;
  t.same(ids.slice(0, 3), [1, 2, 3]);
  t.equal(ids[4], 5, 'c keeps its id, b gone');
  t.equal(ids[3], 6, 'x is new');
  t.ok(f.rank(3)! < f.rank(6)! && f.rank(6)! < f.rank(5)!, 'x placed between a and c');
  t.ok(f.rank(3)! < f.rank(4)! && f.rank(4)! < f.rank(5)!, "b's place kept, between a and c");
  const again = f.fold(['.', '..', 'a', 'x', 'b', 'c'])!;
  t.same(again, [1, 2, 3, 6, 4, 5], 'b made again where it was (after x, the new name placed before it): its old id');
  const moved = f.fold(['.', '..', 'c', 'a', 'x', 'b'])!;
  t.same(moved.slice(3), [3, 6, 4], 'the names that kept their order keep their ids');
  t.ok(moved[2]! > 6, 'c moved to the front: a new id');
  for (let i = 1; i < moved.length; i++) t.ok(f.rank(moved[i - 1]!)! < f.rank(moved[i]!)!, `listed order is the family's order at ${i}`);
});

t.test('a family that holds more gone names than its slack ends', async (t) => {
  const many = Array.from({ length: 2000 }, (_, i) => `n${i}`);
  const f = new CookieFamily(1, many);
  t.ok(f.fold(['.', '..']) === null, '2000 gone names beside 2 listed: a new family');
  const g = new CookieFamily(2, many);
  t.ok(g.fold(many.slice(1000)) !== null, 'half gone: kept');
});

t.test('a listing of the same names as the last gets the same ids', async (t) => {
  const f = new CookieFamily(3, ['.', '..', 'a', 'b']);
  t.same(f.fold(['.', '..', 'a', 'b']), [1, 2, 3, 4], 'the first listing again');
  const moved = f.fold(['.', '..', 'b', 'a', 'c'])!;
  t.same(f.fold(['.', '..', 'b', 'a', 'c']), moved, 'a later one again');
  t.equal(f.size, 6, 'nothing added to the order by either');
});
