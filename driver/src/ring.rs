//! Descriptor ring index arithmetic (8254x 3.2.6 and 3.3.4): head is owned
//! by hardware, tail by software, the ring is empty when head == tail, and
//! software never fills the last free slot (that would make a full ring
//! look empty), so at most `count - 1` descriptors are in use.

use crate::desc::DESC_LEN;
use crate::hal::DmaAddr;

/// Smallest ring the driver accepts: RDLEN/TDLEN are multiples of 128 bytes
/// (8 descriptors; 8254x 13.4.29).
pub const MIN_DESCRIPTORS: u16 = 8;
/// Largest ring the driver accepts (as the e1000's E1000_MAX_RXD/TXD).
pub const MAX_DESCRIPTORS: u16 = 4096;
/// Ring sizes are multiples of this many descriptors.
pub const DESCRIPTOR_MULTIPLE: u16 = 8;

/// A ring size outside the hardware's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadRingSize(pub u16);

impl core::fmt::Display for BadRingSize {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "ring of {} descriptors: must be a multiple of {DESCRIPTOR_MULTIPLE} in {MIN_DESCRIPTORS}..={MAX_DESCRIPTORS}",
            self.0
        )
    }
}

impl std::error::Error for BadRingSize {}

/// Check a ring size.
pub fn check_size(count: u16) -> Result<u16, BadRingSize> {
    if (MIN_DESCRIPTORS..=MAX_DESCRIPTORS).contains(&count) && count % DESCRIPTOR_MULTIPLE == 0 {
        Ok(count)
    } else {
        Err(BadRingSize(count))
    }
}

/// The index after `i` in a ring of `count`.
pub fn next(i: u16, count: u16) -> u16 {
    if i + 1 >= count { 0 } else { i + 1 }
}

/// The index `n` places after `i`.
pub fn advance(i: u16, n: u16, count: u16) -> u16 {
    ((u32::from(i) + u32::from(n)) % u32::from(count)) as u16
}

/// Descriptors from `from` up to (not including) `to`.
pub fn distance(from: u16, to: u16, count: u16) -> u16 {
    ((u32::from(to) + u32::from(count) - u32::from(from)) % u32::from(count)) as u16
}

/// Free descriptors software may still fill: `count - 1` minus those in use
/// between `clean` (next to clean) and `use_` (next to use), as the e1000's
/// E1000_DESC_UNUSED.
pub fn unused(clean: u16, use_: u16, count: u16) -> u16 {
    count - 1 - distance(clean, use_, count)
}

/// Bus address of descriptor `i` of a ring at `base`, `None` on overflow.
pub fn desc_addr(base: DmaAddr, i: u16) -> Option<DmaAddr> {
    let off = u64::from(i).checked_mul(DESC_LEN as u64)?;
    base.0.checked_add(off).map(DmaAddr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(check_size(8), Ok(8));
        assert_eq!(check_size(4096), Ok(4096));
        assert_eq!(check_size(0), Err(BadRingSize(0)));
        assert_eq!(check_size(12), Err(BadRingSize(12)));
        assert_eq!(check_size(4104), Err(BadRingSize(4104)));
    }

    #[test]
    fn wrap_and_distance() {
        assert_eq!(next(6, 8), 7);
        assert_eq!(next(7, 8), 0);
        assert_eq!(advance(6, 5, 8), 3);
        assert_eq!(distance(6, 2, 8), 4);
        assert_eq!(distance(2, 2, 8), 0);
        // Empty ring: count - 1 usable; full: none.
        assert_eq!(unused(3, 3, 8), 7);
        assert_eq!(unused(3, 2, 8), 0);
        assert_eq!(unused(0, 7, 8), 0);
        assert_eq!(unused(5, 0, 8), 4);
    }

    #[test]
    fn unused_matches_a_counting_model() {
        for count in [8u16, 16, 64] {
            for clean in 0..count {
                for used in 0..count {
                    let use_ = advance(clean, used, count);
                    assert_eq!(unused(clean, use_, count), count - 1 - used);
                }
            }
        }
    }

    #[test]
    fn addresses_are_checked() {
        assert_eq!(desc_addr(DmaAddr(0x1000), 3), Some(DmaAddr(0x1030)));
        assert_eq!(desc_addr(DmaAddr(u64::MAX - 8), 1), None);
    }
}
