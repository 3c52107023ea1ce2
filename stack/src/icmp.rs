//! The ping API: echo requests sent by [`crate::stack::Stack::ping`] carry
//! the stack's identifier and a caller-chosen sequence number (RFC 792,
//! "Echo or Echo Reply Message"); replies and ICMP errors quoting them come
//! back as [`PingEvent`]s with round-trip times in simulated time.

use crate::time::Duration;
use core::fmt;
use core::net::Ipv4Addr;

/// What happened to an echo request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingEvent {
    Reply {
        from: Ipv4Addr,
        seq: u16,
        rtt: Duration,
        ttl: u8,
        /// Echo data length.
        len: usize,
        /// Whether the data came back identical.
        data_ok: bool,
    },
    /// Destination unreachable, with its code (RFC 792).
    Unreachable { from: Ipv4Addr, seq: u16, code: u8 },
    /// Time exceeded in transit or in reassembly, with its code.
    TimeExceeded { from: Ipv4Addr, seq: u16, code: u8 },
}

/// Why a ping could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingError {
    NoRoute,
    NoSourceAddress,
    TooLarge,
    Dropped(crate::stats::DropReason),
}

impl fmt::Display for PingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PingError::NoRoute => f.write_str("no route to host"),
            PingError::NoSourceAddress => f.write_str("no source address"),
            PingError::TooLarge => f.write_str("echo data too large"),
            PingError::Dropped(r) => write!(f, "dropped: {r}"),
        }
    }
}

impl std::error::Error for PingError {}

/// The echo data for a sequence number: a deterministic pattern so the
/// reply can be checked byte for byte.
pub fn echo_pattern(seq: u16, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_add(seq as u8).wrapping_mul(31))
        .collect()
}
