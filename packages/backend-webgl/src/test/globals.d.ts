// Test scope only (src/test is excluded from the build and the package).

/** Vite turns `import url from 'file?url'` into the URL it serves the file at. */
declare module '*.wasm?url' {
  const url: string;
  export default url;
}
