// The lower of the client workload: a real header tree (extracted from the untar workload's kind
// of tarball, so the same on every machine with the same /usr/include) and a small C project whose
// program's exit status is known here, so a wrong build is caught, not timed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** f<i>(x) = digits of x + x·i: what the generated f<i>.c computes. */
function f(i: number, x: number): number {
  return String(x).length + x * i;
}

/** The exit status of the project's program: the sum of every f<i>(i) modulo 251 (C int arithmetic). */
export function clientProgExit(progs: number): number {
  let s = 0;
  for (let i = 1; i <= progs; i++) s = (s + f(i, i)) | 0;
  return s % 251;
}

/** `progs` translation units, a main calling each, and a Makefile with per-object rules (make -j). */
export function genClientProject(dir: string, progs: number): void {
  mkdirSync(dir, { recursive: true });
  const calls: string[] = [];
  for (let i = 1; i <= progs; i++) {
    writeFileSync(
      join(dir, `f${i}.c`),
      `#include <stdio.h>\n#include <string.h>\n\nint f${i}(int x)\n{\n\tchar b[32];\n\tsnprintf(b, sizeof b, "%d", x);\n\treturn (int)strlen(b) + x * ${i};\n}\n`,
    );
    calls.push(`\textern int f${i}(int);\n\ts += f${i}(${i});\n`);
  }
  writeFileSync(join(dir, 'main.c'), `int main(void)\n{\n\tint s = 0;\n${calls.join('')}\treturn s % 251;\n}\n`);
  writeFileSync(
    join(dir, 'Makefile'),
    'SRCS := $(wildcard *.c)\nOBJS := $(SRCS:.c=.o)\n\nprog: $(OBJS)\n\t$(CC) -o $@ $^\n\n%.o: %.c\n\t$(CC) -O0 -c $< -o $@\n',
  );
}
