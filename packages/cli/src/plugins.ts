import type { ScrublinePlugin } from '@scrubline/core';
import { ioPlugin } from '@scrubline/io';

/**
 * Every package that contributes stages, commands or report renderers.
 * Add a package here (and to this package's dependencies) to put it on the CLI.
 */
export const plugins: ScrublinePlugin[] = [ioPlugin];
