//! Reader for dlib's own serialization format, in which dlib ships its
//! trained models (`.dat` files).
//!
//! The format is a plain concatenation with no framing: integers are a
//! control byte (low nibble: number of magnitude bytes; bit 0x80: negative)
//! followed by the magnitude in little-endian; floating point values are an
//! integer mantissa then an integer exponent (value = mantissa * 2^exponent);
//! strings and vectors are a length then their items; tensors are raw
//! little-endian f32 after a small header. Every read is bounds-checked so a
//! truncated or corrupt file is an error, never a panic.

/// Why a `.dat` file could not be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file}: {what} at byte {offset}. The file is corrupt or not the expected model; reinstall it with `lfr models install`"
)]
pub struct FormatError {
    pub file: String,
    pub what: String,
    pub offset: usize,
}

/// A cursor over a whole `.dat` file held in memory.
pub struct Reader<'a> {
    name: String,
    bytes: &'a [u8],
    pos: usize,
}

/// Exponent values dlib uses to mark non-finite numbers.
const EXP_INF: i64 = 32000;
const EXP_NINF: i64 = 32001;
const EXP_NAN: i64 = 32002;

impl<'a> Reader<'a> {
    pub fn new(name: impl Into<String>, bytes: &'a [u8]) -> Self {
        Self {
            name: name.into(),
            bytes,
            pos: 0,
        }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// An error at the current position.
    pub fn error(&self, what: impl Into<String>) -> FormatError {
        self.error_at(self.pos, what)
    }

    /// An error about something that started at `offset`.
    pub fn error_at(&self, offset: usize, what: impl Into<String>) -> FormatError {
        FormatError {
            file: self.name.clone(),
            what: what.into(),
            offset,
        }
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "unexpected end of file (needed {n} bytes, {} left)",
                self.remaining()
            )));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.bytes(1)?[0])
    }

    /// A signed integer in dlib's variable-length encoding.
    pub fn int(&mut self) -> Result<i64, FormatError> {
        let start = self.pos;
        let control = self.u8()?;
        let size = (control & 0x0f) as usize;
        if size > 8 || control & 0x70 != 0 {
            self.pos = start;
            return Err(self.error(format!("bad integer control byte 0x{control:02x}")));
        }
        let mut magnitude: u64 = 0;
        for (i, b) in self.bytes(size)?.iter().enumerate() {
            magnitude |= (*b as u64) << (8 * i);
        }
        if magnitude > i64::MAX as u64 {
            self.pos = start;
            return Err(self.error("integer out of range"));
        }
        let v = magnitude as i64;
        Ok(if control & 0x80 != 0 { -v } else { v })
    }

    /// A non-negative integer, such as a size or a count, no larger than `max`.
    pub fn count(&mut self, max: usize) -> Result<usize, FormatError> {
        let start = self.pos;
        let v = self.int()?;
        if v < 0 || v as u64 > max as u64 {
            self.pos = start;
            return Err(self.error(format!("count {v} outside 0..={max}")));
        }
        Ok(v as usize)
    }

    /// A `float` or `double`, stored as mantissa and exponent.
    pub fn float(&mut self) -> Result<f64, FormatError> {
        let mantissa = self.int()?;
        let exponent = self.int()?;
        Ok(match exponent {
            EXP_INF => f64::INFINITY,
            EXP_NINF => f64::NEG_INFINITY,
            EXP_NAN => f64::NAN,
            e if (-2000..=2000).contains(&e) => mantissa as f64 * 2f64.powi(e as i32),
            e => return Err(self.error(format!("floating point exponent {e} out of range"))),
        })
    }

    /// A `bool`, which dlib writes as the character '0' or '1'.
    pub fn bool(&mut self) -> Result<bool, FormatError> {
        match self.u8()? {
            b'1' => Ok(true),
            b'0' => Ok(false),
            other => {
                self.pos -= 1;
                Err(self.error(format!("bad boolean byte 0x{other:02x}")))
            }
        }
    }

    /// A `std::string`: a length, then the bytes.
    pub fn string(&mut self) -> Result<String, FormatError> {
        let n = self.count(1 << 20)?;
        let b = self.bytes(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| self.error("string is not UTF-8"))
    }

    /// Reads a string and checks it is `expected` (dlib's way of tagging what follows).
    pub fn expect_string(&mut self, expected: &str) -> Result<(), FormatError> {
        let start = self.pos;
        let s = self.string()?;
        if s != expected {
            self.pos = start;
            return Err(self.error(format!("expected {expected:?}, found {s:?}")));
        }
        Ok(())
    }

    /// `count` raw little-endian f32 values.
    pub fn f32_raw(&mut self, count: usize) -> Result<Vec<f32>, FormatError> {
        let n = count
            .checked_mul(4)
            .ok_or_else(|| self.error("tensor too large"))?;
        let b = self.bytes(n)?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_use_control_byte_and_little_endian_magnitude() {
        let bytes = [0x01, 0x2a, 0x81, 0x05, 0x02, 0x34, 0x12, 0x00];
        let mut r = Reader::new("t", &bytes);
        assert_eq!(r.int().unwrap(), 42);
        assert_eq!(r.int().unwrap(), -5);
        assert_eq!(r.int().unwrap(), 0x1234);
        assert_eq!(r.int().unwrap(), 0);
        assert!(r.at_end());
    }

    #[test]
    fn floats_are_mantissa_times_power_of_two() {
        // 3 * 2^-1 = 1.5
        let bytes = [0x01, 0x03, 0x81, 0x01];
        assert_eq!(Reader::new("t", &bytes).float().unwrap(), 1.5);
    }

    #[test]
    fn truncated_and_corrupt_input_are_errors_not_panics() {
        assert!(Reader::new("t", &[0x04, 0x01]).int().is_err());
        assert!(Reader::new("t", &[0x7f]).int().is_err());
        assert!(Reader::new("t", &[]).u8().is_err());
        assert!(Reader::new("t", &[0x01, 0x09, b'a']).string().is_err());
        let e = Reader::new("model.dat", &[0x01, 0x03, b'c', b'o', b'n'])
            .expect_string("relu_")
            .unwrap_err();
        assert!(e.to_string().contains("expected \"relu_\""), "{e}");
        assert!(Reader::new("t", &[0x01]).f32_raw(usize::MAX).is_err());
    }
}
