import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A folder of files made at build time (options validators, rule copies), each named by a key: written
 * whole under a temporary name and renamed, so a run reading the folder meanwhile sees a complete file or
 * none; `finish` removes the files this build did not write (their schemas or texts have changed) and
 * temporary files left by a build that stopped half-way.
 */
export class BuildCopies {
  private readonly written = new Set<string>();
  constructor(
    private readonly dir: string,
    private readonly ext: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  write(key: string, content: string): void {
    const name = `${key}${this.ext}`;
    const tmp = join(this.dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(tmp, content);
    renameSync(tmp, join(this.dir, name));
    this.written.add(name);
  }

  /** Removes the others; returns how many this build wrote. */
  finish(): number {
    const staleTmp = Date.now() - 10 * 60_000;
    for (const f of readdirSync(this.dir)) {
      const p = join(this.dir, f);
      if (f.endsWith(this.ext) && !this.written.has(f)) rmSync(p, { force: true });
      else if (f.startsWith('.') && f.endsWith('.tmp')) {
        try {
          if (statSync(p).mtimeMs < staleTmp) rmSync(p, { force: true });
        } catch {
          // renamed or removed by a build running beside this one
        }
      }
    }
    return this.written.size;
  }
}
