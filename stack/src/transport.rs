//! The hook between IPv4 and a transport layer that lives outside this
//! module (TCP, in `crate::tcp`). See the crate documentation for the
//! contract; in short: IPv4 hands the transport verified segments with
//! [`Ipv4Transport::input`], and drains its output with
//! [`Ipv4Transport::dispatch`], filling the checksum field itself.

use crate::buf::PacketBuf;
use crate::time::Instant;
use crate::wire::IpProtocol;
use core::net::Ipv4Addr;

/// Headroom a transport must leave in front of an outgoing segment for the
/// IPv4 header (no options) and the Ethernet header, with some slack.
pub const TX_HEADROOM: usize = 64;

/// One outgoing segment from a transport layer.
#[derive(Debug)]
pub struct TransportTx {
    /// Source address; must be one of the stack's addresses
    /// (`Stack::source_for` picks one for a destination).
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    /// The segment (transport header and payload), its checksum field zero.
    pub segment: PacketBuf,
    /// Offset of the checksum field inside the segment, for the IPv4
    /// output path to fill (16 for TCP, RFC 9293 3.1). `None`: leave it.
    pub checksum_offset: Option<u16>,
    /// Set DF on the datagram (path MTU discovery, RFC 1191).
    pub dont_frag: bool,
}

/// What a transport layer offers the IPv4 layer.
pub trait Ipv4Transport {
    /// The IP protocol this transport serves (`None`: none).
    fn protocol(&self) -> Option<IpProtocol>;

    /// A segment for us: `segment` holds the transport header and payload
    /// (IPv4 header pulled, padding trimmed) and its checksum verified.
    fn input(&mut self, now: Instant, src: Ipv4Addr, dst: Ipv4Addr, segment: PacketBuf);

    /// Run timers due at `now`.
    fn poll(&mut self, now: Instant);

    /// The next time [`Ipv4Transport::poll`] has work, if any.
    fn poll_at(&self) -> Option<Instant>;

    /// Take the next outgoing segment; called until it returns `None`.
    fn dispatch(&mut self, now: Instant) -> Option<TransportTx>;

    /// An ICMP error quoting one of this transport's segments arrived
    /// (destination unreachable, fragmentation needed with the next-hop
    /// MTU, time exceeded). `quoted` is the offending IPv4 header and at
    /// least eight bytes of its payload (RFC 792). Default: ignore.
    fn icmp_error(&mut self, now: Instant, error: TransportIcmpError, quoted: &[u8]) {
        let _ = (now, error, quoted);
    }
}

/// The ICMP errors a transport is told about (RFC 1122 4.2.3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportIcmpError {
    /// Destination unreachable with its code.
    Unreachable(u8),
    /// Fragmentation needed: the next-hop MTU (RFC 1191 4).
    FragNeeded {
        mtu: u16,
    },
    TimeExceeded,
}

/// A stack without a transport layer beyond UDP and ICMP: segments for any
/// other protocol are answered with protocol unreachable.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTransport;

impl Ipv4Transport for NoTransport {
    fn protocol(&self) -> Option<IpProtocol> {
        None
    }
    fn input(&mut self, _now: Instant, _src: Ipv4Addr, _dst: Ipv4Addr, _segment: PacketBuf) {}
    fn poll(&mut self, _now: Instant) {}
    fn poll_at(&self) -> Option<Instant> {
        None
    }
    fn dispatch(&mut self, _now: Instant) -> Option<TransportTx> {
        None
    }
}
