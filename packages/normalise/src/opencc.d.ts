// opencc-js ships its per-dictionary ES modules under `opencc-js/dict/*` without type declarations.
declare module 'opencc-js/dict/*' {
  const dict: string;
  export default dict;
}
