//! UDP (RFC 768). The checksum covers the pseudo-header, the header and the
//! data; a transmitted zero is sent as all ones, and a received zero means
//! "no checksum" (RFC 768, "Fields").

use super::{Field, Rest, WireError, WireResult, be16, checksum};
use core::net::Ipv4Addr;

mod field {
    use super::{Field, Rest};
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
    pub const PAYLOAD: Rest = 8..;
}

/// Length of the UDP header.
pub const HEADER_LEN: usize = field::PAYLOAD.start;
/// Offset of the checksum field inside the header.
pub const CHECKSUM_OFFSET: usize = field::CHECKSUM.start;
const PROTOCOL_UDP: u8 = 17;

/// A view of a UDP datagram.
#[derive(Debug, Clone)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    pub const fn new_unchecked(buffer: T) -> UdpPacket<T> {
        UdpPacket { buffer }
    }
    pub fn new_checked(buffer: T) -> WireResult<UdpPacket<T>> {
        let p = UdpPacket::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }
    /// The buffer holds the header; the length field is at least the header
    /// and no more than the buffer.
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let field_len = usize::from(self.len());
        if field_len < HEADER_LEN {
            return Err(WireError::Malformed);
        }
        if field_len > len {
            return Err(WireError::Truncated);
        }
        Ok(())
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    pub fn src_port(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::SRC_PORT])
    }
    pub fn dst_port(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::DST_PORT])
    }
    pub fn len(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::LENGTH])
    }
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= HEADER_LEN
    }
    pub fn checksum(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::CHECKSUM])
    }
    /// The payload up to the length field.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.len())]
    }
    /// Whether the checksum verifies; a zero checksum field means the
    /// sender computed none, which verifies (RFC 768).
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        if self.checksum() == 0 {
            return true;
        }
        let seg = &self.buffer.as_ref()[..usize::from(self.len())];
        checksum::transport_verifies(src, dst, PROTOCOL_UDP, seg)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    pub fn set_src_port(&mut self, v: u16) {
        self.buffer.as_mut()[field::SRC_PORT].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_dst_port(&mut self, v: u16) {
        self.buffer.as_mut()[field::DST_PORT].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_len(&mut self, v: u16) {
        self.buffer.as_mut()[field::LENGTH].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_checksum(&mut self, v: u16) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&v.to_be_bytes());
    }
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.len());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
    /// Compute the checksum over the length-field bytes; a computed zero
    /// is sent as all ones (RFC 768).
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let end = usize::from(self.len());
        let c = checksum::transport_checksum(src, dst, PROTOCOL_UDP, &self.buffer.as_ref()[..end]);
        self.set_checksum(if c == 0 { 0xffff } else { c });
    }
}

/// The UDP header fields (the checksum is computed, not carried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpRepr {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload_len: u16,
}

impl UdpRepr {
    /// Parse without checksum verification (the IPv4 input path verifies
    /// with the pseudo-header, in hardware or software, before this).
    /// Port zero as a destination is malformed.
    pub fn parse<T: AsRef<[u8]>>(p: &UdpPacket<T>) -> WireResult<UdpRepr> {
        p.check_len()?;
        if p.dst_port() == 0 {
            return Err(WireError::Malformed);
        }
        Ok(UdpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            payload_len: p.len() - HEADER_LEN as u16,
        })
    }
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len as usize
    }
    /// Write the header with a zero checksum field; the IPv4 output path
    /// fills it (see the crate documentation) or [`UdpPacket::fill_checksum`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut UdpPacket<T>) {
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_len(self.payload_len.saturating_add(HEADER_LEN as u16));
        p.set_checksum(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
    const DST: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 2);

    static PACKET: [u8; 12] = [
        0xbf, 0x00, 0x00, 0x35, 0x00, 0x0c, 0x12, 0x4d, 0xaa, 0x00, 0x00, 0xff,
    ];

    #[test]
    fn test_deconstruct() {
        let p = UdpPacket::new_checked(&PACKET[..]).unwrap();
        assert_eq!(p.src_port(), 48896);
        assert_eq!(p.dst_port(), 53);
        assert_eq!(p.payload(), &[0xaa, 0x00, 0x00, 0xff]);
        assert!(p.verify_checksum(SRC, DST));
        assert_eq!(
            UdpRepr::parse(&p).unwrap(),
            UdpRepr {
                src_port: 48896,
                dst_port: 53,
                payload_len: 4
            }
        );
    }

    #[test]
    fn test_construct() {
        let mut bytes = [0xa5u8; 12];
        let mut p = UdpPacket::new_unchecked(&mut bytes[..]);
        UdpRepr {
            src_port: 48896,
            dst_port: 53,
            payload_len: 4,
        }
        .emit(&mut p);
        assert_eq!(p.checksum(), 0);
        p.payload_mut().copy_from_slice(&[0xaa, 0x00, 0x00, 0xff]);
        p.fill_checksum(SRC, DST);
        assert_eq!(bytes, PACKET);
    }

    #[test]
    fn rejects_and_zero_checksum() {
        assert_eq!(
            UdpPacket::new_checked(&PACKET[..7]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(
            UdpPacket::new_checked(&PACKET[..11]).unwrap_err(),
            WireError::Truncated
        );
        let mut b = PACKET;
        b[5] = 7;
        assert_eq!(
            UdpPacket::new_checked(&b[..]).unwrap_err(),
            WireError::Malformed
        );
        let mut b = PACKET;
        b[9] = 1;
        assert!(
            !UdpPacket::new_checked(&b[..])
                .unwrap()
                .verify_checksum(SRC, DST)
        );
        b[6] = 0;
        b[7] = 0;
        assert!(
            UdpPacket::new_checked(&b[..])
                .unwrap()
                .verify_checksum(SRC, DST)
        );
    }
}
