//! The internet checksum (RFC 1071): the 16-bit ones-complement of the
//! ones-complement sum of the data taken as big-endian 16-bit words, an odd
//! trailing byte padded with zero. Shared by IPv4, ICMP, UDP and TCP.
//!
//! Sums are carried unfolded in a `u32` accumulator ([`sum`]) and folded to
//! 16 bits with [`fold`]; [`pseudo_header`] gives the IPv4 pseudo-header
//! sum (RFC 768, RFC 9293 3.1) that UDP and TCP include.

use core::net::Ipv4Addr;

/// Add the bytes of `data` to the accumulator `acc` (RFC 1071 4.1). `data`
/// must start at an even offset of the checksummed region for the result
/// to be meaningful when sums of pieces are combined.
pub fn sum(mut acc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for word in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([word[0], word[1]])));
        // Fold early so that the accumulator never overflows, whatever the
        // length of the data.
        if acc >= 0xffff_0000 {
            acc = (acc & 0xffff) + (acc >> 16);
        }
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
    }
    acc
}

/// Fold a 32-bit accumulator into a 16-bit ones-complement sum.
pub fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The folded ones-complement sum of `data` (not complemented).
pub fn data(data: &[u8]) -> u16 {
    fold(sum(0, data))
}

/// Ones-complement addition of 16-bit sums.
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().fold(0u32, |acc, s| acc + u32::from(*s)))
}

/// The checksum field value for `data`: the complement of its sum.
pub fn checksum(data: &[u8]) -> u16 {
    !self::data(data)
}

/// Sum of the IPv4 pseudo-header: source, destination, zero, protocol and
/// the upper-layer length (RFC 768; RFC 9293 3.1). Not complemented.
pub fn pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u16) -> u16 {
    let mut acc = sum(0, &src.octets());
    acc = sum(acc, &dst.octets());
    acc += u32::from(protocol);
    acc += u32::from(length);
    fold(acc)
}

/// The checksum field value for an upper-layer segment `segment` (whose
/// checksum field is zero) carried between `src` and `dst`.
pub fn transport_checksum(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, segment: &[u8]) -> u16 {
    let length = u16::try_from(segment.len()).unwrap_or(u16::MAX);
    !combine(&[pseudo_header(src, dst, protocol, length), data(segment)])
}

/// Whether `segment` (checksum field included) verifies against the
/// pseudo-header: the sum over everything is all ones (RFC 1071 1).
pub fn transport_verifies(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, segment: &[u8]) -> bool {
    let Ok(length) = u16::try_from(segment.len()) else {
        return false;
    };
    combine(&[pseudo_header(src, dst, protocol, length), data(segment)]) == 0xffff
}

/// Remove the sum of `data` (starting at an even offset) from a sum:
/// ones-complement subtraction is addition of the complement. Used to trim
/// Ethernet padding off a device-reported CHECKSUM_COMPLETE sum.
pub fn subtract(total: u16, data_sum: u16) -> u16 {
    combine(&[total, !data_sum])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(data(&bytes), 0xddf2);
        assert_eq!(checksum(&bytes), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(data(&[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
        assert_eq!(data(&[0xff]), 0xff00);
    }

    #[test]
    fn long_data_does_not_overflow() {
        let bytes = vec![0xffu8; 200_000];
        assert_eq!(data(&bytes), 0xffff);
    }

    #[test]
    fn ipv4_header_checksum_vector() {
        // A header with its checksum field filled verifies to all ones.
        let header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(data(&header), 0xffff);
        let mut zeroed = header;
        zeroed[10] = 0;
        zeroed[11] = 0;
        assert_eq!(checksum(&zeroed), 0xb861);
    }

    #[test]
    fn pseudo_header_and_subtract() {
        let src = Ipv4Addr::new(10, 0, 0, 1);
        let dst = Ipv4Addr::new(10, 0, 0, 2);
        let mut seg = vec![0x12, 0x34, 0x56, 0x78, 0, 0, 0x9a, 0xbc, 0xde];
        let c = transport_checksum(src, dst, 17, &seg);
        seg[4..6].copy_from_slice(&c.to_be_bytes());
        assert!(transport_verifies(src, dst, 17, &seg));
        seg[8] ^= 1;
        assert!(!transport_verifies(src, dst, 17, &seg));
        let padded = [0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb];
        assert_eq!(
            subtract(data(&padded), data(&padded[4..])),
            data(&padded[..4])
        );
    }
}
