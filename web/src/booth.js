// The entry point of web/dist/booth.js, the one ES module the booth pages load: the whole
// protocol API of piaojue.js (see web/README.md).
export * from './piaojue.js';
