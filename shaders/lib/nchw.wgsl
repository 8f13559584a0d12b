// NCHW indexing with the channel count C and the plane size HW = H * W as specialisation
// constants: division by them compiles to multiply and shift.
override C: u32;
override HW: u32;

// The channel of flat index i of an NCHW tensor.
fn channelOf(i: u32) -> u32 {
  return (i / HW) % C;
}

// The flat index of element j = n * HW + s (image n, spatial position s) of channel c.
fn channelElement(j: u32, c: u32) -> u32 {
  let n = j / HW;
  return (n * C + c) * HW + (j - n * HW);
}
