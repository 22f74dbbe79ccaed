// The entry point of web/dist/booth.js, the one ES module the booth pages load: the whole
// protocol API of piaojue.js, the key ceremony's checks (ceremony.js) and the pin (pin.js)
// (see web/README.md).
export * from './piaojue.js';
export * from './ceremony.js';
export * from './pin.js';
