// The geometry of one NCHW pooling layer (PoolGeometry of src/ops/pool.ts) as override
// constants: input H x W, window KH x KW, stride SH x SW, padding PH x PW, output OH x OW.
override H: u32;
override W: u32;
override KH: u32;
override KW: u32;
override SH: u32;
override SW: u32;
override PH: u32;
override PW: u32;
override OH: u32;
override OW: u32;
