// Kept free of other imports: the CLI entry loads this module before the rest of the CLI.
import { createRequire } from 'node:module';
import type FastGlob from 'fast-glob';

// fast-glob is loaded on first use (≈ 45 ms): a plain path needs none of it
let fgModule: typeof FastGlob | null = null;
export const fastGlob = (): typeof FastGlob => (fgModule ??= createRequire(import.meta.url)('fast-glob') as typeof FastGlob);

/**
 * fast-glob's isDynamicPattern, without loading fast-glob for a plain path: every pattern it calls
 * dynamic holds one of these characters (`*`, `?`, classes, groups, extglobs, braces, `!`, escapes).
 */
const MAY_BE_DYNAMIC = /[*?[\]{}()!@+\\]/;
export const isDynamicPattern = (p: string): boolean => MAY_BE_DYNAMIC.test(p) && fastGlob().isDynamicPattern(p);
