// Vite's client types: `import url from 'file?url'` gives the URL the dev server or the build serves the file at.
/// <reference types="vite/client" />
