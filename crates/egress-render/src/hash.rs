//! The hasher of the renderer's internal maps.

use std::hash::{BuildHasherDefault, Hasher};

/// A fast, non-cryptographic hasher (FxHash's multiply-rotate) for maps
/// keyed by the renderer's own names. Hash flooding is not a concern: the
/// input is the caller's own, and the worst case is slower, not wrong.
#[derive(Default)]
pub(crate) struct Fx(u64);

/// `HashMap` builder for [`Fx`].
pub(crate) type FastHash = BuildHasherDefault<Fx>;

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut word = [0u8; 8];
        for (w, b) in word.iter_mut().zip(chunks.remainder()) {
            *w = *b;
        }
        self.add(u64::from_le_bytes(word));
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
