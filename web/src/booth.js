// The entry point of web/dist/booth.js, the one ES module the booth pages load: the whole
// protocol API of piaojue.js, the key ceremony's checks (ceremony.js), the pin (pin.js) and the
// tracking code's short form (tracking.js) (see web/README.md).
export * from './piaojue.js';
export * from './ceremony.js';
export * from './pin.js';
export * from './tracking.js';
