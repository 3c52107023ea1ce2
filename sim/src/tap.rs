//! A TAP endpoint: connects a NIC's GMII port to a Linux TAP device, so the
//! simulated NIC can exchange frames with the host's network stack.
//!
//! Frames on the TAP side carry no FCS; frames from the TAP are sent into
//! the NIC with preamble, SFD and FCS added, and frames the NIC transmits are
//! passed to the TAP only when their FCS checks (IEEE 802.3 clause 3.2.9),
//! with the FCS removed. The TAP is the outside world: a run with a TAP is
//! only as deterministic as the traffic the host sends.

use crate::gmii::{PhyEndpoint, fcs_ok};
use stack::buf::PacketId;
use std::io::ErrorKind;
use tun_tap::{Iface, Mode};

/// The TAP device could not be opened or used.
#[derive(Debug)]
pub struct TapError(pub String);

impl core::fmt::Display for TapError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TAP endpoint: {}", self.0)
    }
}

impl std::error::Error for TapError {}

/// Counters of the TAP endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TapStats {
    pub to_tap: u64,
    pub from_tap: u64,
    pub bad_fcs_dropped: u64,
    pub send_errors: u64,
}

/// One TAP device attached to a NIC port.
pub struct TapEndpoint {
    iface: Iface,
    /// Poll the device every this many cycles (a system call per poll).
    pub poll_every: u64,
    buf: Vec<u8>,
    pub stats: TapStats,
}

impl core::fmt::Debug for TapEndpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TapEndpoint({})", self.iface.name())
    }
}

impl TapEndpoint {
    /// Create (or attach to) TAP device `name` (`%d` lets the kernel pick a
    /// number). Needs CAP_NET_ADMIN and /dev/net/tun.
    pub fn open(name: &str) -> Result<TapEndpoint, TapError> {
        let iface = Iface::without_packet_info(name, Mode::Tap)
            .map_err(|e| TapError(format!("cannot open TAP {name}: {e}")))?;
        iface
            .set_non_blocking()
            .map_err(|e| TapError(format!("cannot make {name} non-blocking: {e}")))?;
        Ok(TapEndpoint {
            iface,
            poll_every: 256,
            buf: vec![0u8; 65536],
            stats: TapStats::default(),
        })
    }

    /// The kernel's name of the device.
    pub fn name(&self) -> &str {
        self.iface.name()
    }

    /// Move every frame waiting on the TAP into the PHY's injection queue.
    pub fn poll(&mut self, phy: &mut PhyEndpoint) {
        loop {
            match self.iface.recv(&mut self.buf) {
                Ok(n) if n > 0 => {
                    self.stats.from_tap += 1;
                    // The kernel hands short frames to a TAP unpadded; a
                    // MAC pads them to 60 bytes before the FCS (IEEE 802.3
                    // clause 4.2.3.3), else the NIC counts a runt.
                    let len = n.max(60);
                    self.buf[n..len].fill(0);
                    phy.inject(&self.buf[..len], PacketId(0));
                }
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }

    /// Hand a frame transmitted by the NIC (with FCS) to the TAP.
    pub fn send(&mut self, frame_with_fcs: &[u8]) {
        if !fcs_ok(frame_with_fcs) {
            self.stats.bad_fcs_dropped += 1;
            return;
        }
        let body = &frame_with_fcs[..frame_with_fcs.len() - 4];
        match self.iface.send(body) {
            Ok(_) => self.stats.to_tap += 1,
            Err(_) => self.stats.send_errors += 1,
        }
    }
}
