//! UDP sockets (RFC 768; RFC 1122 4.1): bind, connect, send_to, recv_from,
//! bounded receive queues with counted drops. The sending side lives in
//! [`crate::stack::Stack`] because it needs the IPv4 output path.

use crate::buf::PacketBuf;
use core::fmt;
use core::net::{Ipv4Addr, SocketAddrV4};
use std::collections::VecDeque;

/// A UDP socket's handle in its stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UdpHandle(pub(crate) usize);

/// A received datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpDatagram {
    pub from: SocketAddrV4,
    /// The destination address it was sent to (ours, or a broadcast).
    pub to: Ipv4Addr,
    /// The payload only; `meta()` keeps the packet id.
    pub payload: PacketBuf,
}

#[derive(Debug)]
pub(crate) struct UdpSocket {
    pub local: SocketAddrV4,
    pub remote: Option<SocketAddrV4>,
    pub rx: VecDeque<UdpDatagram>,
    pub rx_capacity: usize,
    pub rx_drops: u64,
    /// ICMP errors reported for datagrams this socket sent (RFC 1122
    /// 4.1.3.3): (the error's source, type, code).
    pub errors: VecDeque<(Ipv4Addr, u8, u8)>,
}

impl UdpSocket {
    /// How well this socket matches a datagram; `None` if it does not.
    /// Connected and address-bound sockets beat wildcards.
    pub fn score(&self, dst: Ipv4Addr, dst_port: u16, src: SocketAddrV4) -> Option<u8> {
        if self.local.port() != dst_port {
            return None;
        }
        let mut score = 0;
        if !self.local.ip().is_unspecified() {
            if *self.local.ip() != dst {
                return None;
            }
            score += 1;
        }
        if let Some(r) = self.remote {
            if r != src {
                return None;
            }
            score += 2;
        }
        Some(score)
    }
}

/// Why `bind` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindError {
    /// Another socket holds the same local address and port.
    AddrInUse,
    /// The address is not one of the stack's.
    AddrNotAvailable,
    /// No free ephemeral port.
    NoPorts,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BindError::AddrInUse => "address in use",
            BindError::AddrNotAvailable => "address not available",
            BindError::NoPorts => "no free ephemeral port",
        })
    }
}

impl std::error::Error for BindError {}

/// Why a send failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// No such socket.
    BadHandle,
    /// `send` on a socket that is not connected.
    NotConnected,
    /// The datagram does not fit in 65507 bytes of payload.
    TooLarge,
    /// No route to the destination.
    NoRoute,
    /// No source address is available for the destination.
    NoSourceAddress,
    /// Dropped on the way down (neighbour queue or device queue full,
    /// resolution failed); see the stack's drop counters.
    Dropped(crate::stats::DropReason),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::BadHandle => f.write_str("no such socket"),
            SendError::NotConnected => f.write_str("socket not connected"),
            SendError::TooLarge => f.write_str("datagram too large"),
            SendError::NoRoute => f.write_str("no route to host"),
            SendError::NoSourceAddress => f.write_str("no source address"),
            SendError::Dropped(r) => write!(f, "dropped: {r}"),
        }
    }
}

impl std::error::Error for SendError {}
