import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sha256 } from './hash.js';

const requireHere = createRequire(import.meta.url);

/**
 * The key of a build-time copy: the version of the package that made it (`ajv`, `js-yaml`) and what it was
 * made from, so a copy made by another version or from anything else is never used.
 */
export function copyKey(maker: string, ...from: string[]): string {
  const version = (requireHere(`${maker}/package.json`) as { version: string }).version;
  return sha256([version, ...from].join('\u0000')).slice(0, 32);
}

/** The build-time copy `key` + `ext` in `dir`, read by `load`; null when there is none (or it went meanwhile). */
export function readCopy<T>(dir: string, key: string, ext: string, load: (file: string) => T): T | null {
  const file = join(dir, `${key}${ext}`);
  if (!existsSync(file)) return null;
  try {
    return load(file);
  } catch {
    return null; // removed or being replaced by a build meanwhile
  }
}

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
