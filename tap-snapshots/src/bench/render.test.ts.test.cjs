/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`src/bench/render.test.ts > TAP > markdown report > must match snapshot 1`] = `
# ovlkit benchmark, 2026-11-26T21:00:00.000Z

Profile \`quick\`, 2 interleaved round(s). Machine: vm, kernel 6.18, 2 CPUs, 24 GiB, node v20, load 1.00 1.00 1.00 at start.
Versions: fuse-overlayfs 1.10.

Cells: median (min–max). Ratios are time ratios of the subject to each anchor (> 1 = slower; throughputs inverted). FAIL = a correctness check failed (reasons below); n/a = the target could not run.

## FUSE workloads

| metric | kernel | fuse-overlayfs | ovl-fuse | ovl-fuse / fuse-overlayfs | ovl-fuse / kernel | goal |
|---|---|---|---|---|---|---|
| walk_cold (ms) | 460 (450–470) !1 | 1000 (900–1100) !1 | n/a | — | — | ≤ 1.5× fuse-overlayfs: n/a |
| create (ms) | 1000 | 3000 | FAIL | — | — | ≤ 1.0× fuse-overlayfs: n/a |

- ovl-fuse: unavailable (not implemented yet)
- ovl-fuse create FAIL, round 1: find saw 3 entries, expected 4

`

exports[`src/bench/render.test.ts > TAP > terminal tables > must match snapshot 1`] = `
FUSE workloads
┌────────────────┬──────────────────┬────────────────────┬──────────┬───────────────────────────┬───────────────────┬────────────────────────────┐
│ metric         │ kernel           │ fuse-overlayfs     │ ovl-fuse │ ovl-fuse / fuse-overlayfs │ ovl-fuse / kernel │ goal                       │
├────────────────┼──────────────────┼────────────────────┼──────────┼───────────────────────────┼───────────────────┼────────────────────────────┤
│ walk_cold (ms) │ 460 (450–470) !1 │ 1000 (900–1100) !1 │ —        │ —                         │ —                 │ ≤ 1.5× fuse-overlayfs: n/a │
│ create (ms)    │ 1000             │ 3000               │ FAIL     │ —                         │ —                 │ ≤ 1.0× fuse-overlayfs: n/a │
└────────────────┴──────────────────┴────────────────────┴──────────┴───────────────────────────┴───────────────────┴────────────────────────────┘

  ovl-fuse create FAIL, round 1: find saw 3 entries, expected 4

time ratios: > 1 = the subject is slower than the anchor (throughputs inverted); (min–max) over 2 round(s); !N = N foreign drop_caches during the timed steps

`
