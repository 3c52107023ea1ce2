//! The boundary between the stack and whatever moves frames: the driver of
//! an RTL NIC, the reference model, or a software wire in tests.
//!
//! Frames cross this boundary as [`PacketBuf`]s that start with the Ethernet
//! header and carry no FCS (the MAC adds and strips it).

use crate::buf::PacketBuf;
use crate::time::Instant;

/// What the device can do for the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceCaps {
    /// Largest IP packet (Ethernet payload) the device sends and receives.
    pub mtu: usize,
    /// The device inserts a 16-bit ones-complement checksum on transmit when
    /// the packet's metadata asks for it ([`crate::buf::TxChecksum`]).
    pub tx_checksum: bool,
    /// The device reports the ones-complement sum of received frames
    /// ([`crate::buf::RxChecksum::Complete`]).
    pub rx_checksum: bool,
    /// The device's hardware address.
    pub mac: [u8; 6],
}

/// The transmit queue is full; the frame is handed back untouched.
#[derive(Debug)]
pub struct TxBusy(pub PacketBuf);

impl core::fmt::Display for TxBusy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("transmit queue full")
    }
}

impl std::error::Error for TxBusy {}

/// A network device as the stack sees it.
pub trait Device {
    fn caps(&self) -> DeviceCaps;

    /// Queue one frame for transmission. On a full queue the frame comes
    /// back in [`TxBusy`] and the caller decides to retry or drop (counted).
    fn transmit(&mut self, now: Instant, frame: PacketBuf) -> Result<(), TxBusy>;

    /// Take one received frame, if the device has one ready.
    fn receive(&mut self, now: Instant) -> Option<PacketBuf>;
}
