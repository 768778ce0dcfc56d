// The FUSE wire protocol as a pure codec: constants, request decoders, reply encoders, INIT.
export * from './constants.js';
export * from './init.js';
export * from './replies.js';
export * from './requests.js';
export * from './wire.js';
