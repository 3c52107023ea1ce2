//! Wire formats as zero-copy views over byte buffers plus small `Repr`s
//! (the smoltcp pattern): `new_unchecked`, `new_checked`, `check_len`; after
//! `check_len` succeeds no accessor panics. Unknown numeric values are kept
//! (`Unknown(..)`) rather than rejected.

pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod icmpv4;
pub mod ipv4;
pub mod tcp;
pub mod udp;

pub use arp::{ArpOperation, ArpPacket, ArpRepr};
pub use ethernet::{EtherType, EthernetFrame, EthernetRepr, MacAddr};
pub use icmpv4::{Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4Repr, Icmpv4TimeExceeded};
pub use ipv4::{IpProtocol, Ipv4Cidr, Ipv4Packet, Ipv4Repr};
pub use udp::{UdpPacket, UdpRepr};

/// Why a view or a `Repr` refused a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// The buffer is shorter than the header or than a length field says.
    Truncated,
    /// A field holds a value the format does not allow.
    Malformed,
    /// The checksum does not verify.
    Checksum,
    /// A valid packet of a kind this stack does not handle.
    Unsupported,
}

impl core::fmt::Display for WireError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            WireError::Truncated => "truncated packet",
            WireError::Malformed => "malformed packet",
            WireError::Checksum => "bad checksum",
            WireError::Unsupported => "unsupported packet",
        })
    }
}

impl std::error::Error for WireError {}

pub type WireResult<T> = Result<T, WireError>;

/// A big-endian 16-bit field; the slice holds at least two bytes.
pub(crate) fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

/// An IPv4 address field; the slice holds at least four bytes.
pub(crate) fn ip(b: &[u8]) -> core::net::Ipv4Addr {
    core::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

/// A MAC address field; the slice holds exactly six bytes.
pub(crate) fn mac(b: &[u8]) -> MacAddr {
    let mut a = [0; 6];
    a.copy_from_slice(b);
    MacAddr(a)
}

/// A byte range of a header field.
pub(crate) type Field = core::ops::Range<usize>;
/// The rest of a buffer from an offset.
pub(crate) type Rest = core::ops::RangeFrom<usize>;
