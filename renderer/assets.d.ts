/** Vite's `?raw` imports: the file's text, bundled as a string (the report inlines chart.js so). */
declare module '*?raw' {
  const text: string;
  export default text;
}
