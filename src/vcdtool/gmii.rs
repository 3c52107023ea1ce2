//! GMII frame decoding and the framing rules (IEEE 802.3 clause 35: one
//! byte per rising edge of the 125 MHz clock while TX_EN / RX_DV is high).

use std::fmt;
use std::str::FromStr;

use crc::{CRC_32_ISO_HDLC, Crc};

use super::sampler::{Slot, Store};
use super::{Rule, Violation};

/// Ethernet FCS: CRC-32, reflected, init and final XOR all ones
/// (IEEE 802.3 clause 3.2.9).
const FCS: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// Bytes of one frame kept in memory; longer bursts are still counted.
pub const MAX_STORED_BYTES: usize = 65_536;

/// Which GMII direction (as seen from the NIC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Port {
    /// `gmii_txd` / `gmii_tx_en` / `gmii_tx_er`: what the NIC sends.
    Tx,
    /// `gmii_rxd` / `gmii_rx_dv` / `gmii_rx_er`: what the NIC receives.
    Rx,
}

impl Port {
    /// Signal names (data, enable, error) without the `gmii_` prefix.
    pub(crate) fn names(self) -> [&'static str; 3] {
        match self {
            Port::Tx => ["txd", "tx_en", "tx_er"],
            Port::Rx => ["rxd", "rx_dv", "rx_er"],
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Port::Tx => "tx",
            Port::Rx => "rx",
        })
    }
}

/// `tx` or `rx` expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsePortError(pub String);

impl fmt::Display for ParsePortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown GMII port {:?} (expected tx or rx)", self.0)
    }
}

impl std::error::Error for ParsePortError {}

impl FromStr for Port {
    type Err = ParsePortError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tx" => Ok(Port::Tx),
            "rx" => Ok(Port::Rx),
            _ => Err(ParsePortError(s.to_string())),
        }
    }
}

/// One burst of TX_EN / RX_DV as seen on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub port: Port,
    /// Position among this port's frames, from 0.
    pub index: u64,
    /// Clock cycle (rising edges counted from 0) of the first byte.
    pub start_cycle: u64,
    /// Clock cycle of the last byte.
    pub end_cycle: u64,
    /// Dump time of the first byte's edge, in picoseconds.
    pub start_ps: u64,
    /// Leading 0x55 bytes.
    pub preamble_len: usize,
    /// The byte after the preamble was 0xD5.
    pub sfd: bool,
    /// Bytes after the SFD (after the preamble if no SFD), FCS included;
    /// at most [`MAX_STORED_BYTES`].
    pub data: Vec<u8>,
    /// Length of the part `data` holds, untruncated.
    pub len: usize,
    /// The last four bytes are the CRC-32 of the rest.
    pub fcs_ok: bool,
    /// Idle cycles (byte times) since the previous frame on this port; `None`
    /// for the first.
    pub gap_before: Option<u64>,
    /// Cycles with TX_ER / RX_ER high during the frame.
    pub error_cycles: u64,
    /// Bytes with x or z bits.
    pub unknown_bytes: u64,
    /// The dump starts or ends inside the frame: its bytes are partial and
    /// no framing rule is checked on it.
    pub cut: bool,
}

impl Frame {
    /// The frame without its FCS (what the driver and stack see).
    pub fn without_fcs(&self) -> &[u8] {
        &self.data[..self.data.len().saturating_sub(4)]
    }

    fn fcs_matches(data: &[u8]) -> bool {
        if data.len() < 4 {
            return false;
        }
        let (body, fcs) = data.split_at(data.len() - 4);
        let got = u32::from_le_bytes([fcs[0], fcs[1], fcs[2], fcs[3]]);
        FCS.checksum(body) == got
    }
}

/// Appends the Ethernet FCS (least significant byte first, IEEE 802.3
/// clause 3.2.9) to a frame.
pub fn append_fcs(frame: &mut Vec<u8>) {
    let c = FCS.checksum(frame);
    frame.extend_from_slice(&c.to_le_bytes());
}

/// Framing limits `check` enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRules {
    /// Minimum idle byte times between frames (IEEE 802.3 clause 4.4.2:
    /// 96 bit times = 12 bytes).
    pub min_ipg: u64,
    /// Preamble bytes required before the SFD (clause 35.2.3.2: 7).
    pub preamble_len: usize,
    /// Minimum frame length including FCS (clause 4.4.2: 64).
    pub min_len: usize,
    /// Maximum frame length including FCS, when checked.
    pub max_len: Option<usize>,
}

impl Default for FrameRules {
    fn default() -> Self {
        FrameRules {
            min_ipg: 12,
            preamble_len: 7,
            min_len: 64,
            max_len: None,
        }
    }
}

pub(crate) struct GmiiSlots {
    pub d: Slot,
    pub en: Slot,
    pub er: Option<Slot>,
    pub rst: Option<Slot>,
}

/// Names used in violations.
pub(crate) struct GmiiNames {
    pub d: String,
    pub en: String,
    pub er: String,
}

struct Open {
    start_cycle: u64,
    start_ps: u64,
    last_cycle: u64,
    raw: Vec<u8>,
    raw_len: usize,
    error_cycles: u64,
    unknown_bytes: u64,
    cut: bool,
}

pub(crate) struct GmiiMonitor {
    pub port: Port,
    slots: GmiiSlots,
    names: GmiiNames,
    rules: FrameRules,
    open: Option<Open>,
    last_end: Option<u64>,
    count: u64,
    reset_seen: bool,
    /// An edge was sampled already.
    started: bool,
}

/// What a monitor found at one edge.
pub(crate) enum GmiiEvent {
    Frame(Frame),
    Violation(Violation),
}

impl GmiiMonitor {
    pub fn new(port: Port, slots: GmiiSlots, names: GmiiNames, rules: FrameRules) -> Self {
        GmiiMonitor {
            port,
            slots,
            names,
            rules,
            open: None,
            last_end: None,
            count: 0,
            reset_seen: false,
            started: false,
        }
    }

    pub fn frames(&self) -> u64 {
        self.count
    }

    pub fn on_edge(
        &mut self,
        cycle: u64,
        time_ps: u64,
        store: &Store,
        out: &mut impl FnMut(GmiiEvent),
    ) {
        let in_reset = self.slots.rst.is_some_and(|r| store.bit(r) != Some(false));
        if self.slots.rst.is_some_and(|r| store.high(r)) {
            self.reset_seen = true;
        }
        let en = store.bit(self.slots.en);
        if en.is_none() && self.reset_seen && !in_reset {
            out(GmiiEvent::Violation(Violation {
                cycle,
                time_ps,
                signal: self.names.en.clone(),
                rule: Rule::Unknown,
                message: format!("{} is x/z out of reset", self.names.en),
            }));
        }
        // Enabled at the first edge of the dump: the frame began before it.
        let cut = !self.started;
        self.started = true;
        if en == Some(true) {
            let open = self.open.get_or_insert_with(|| Open {
                start_cycle: cycle,
                start_ps: time_ps,
                last_cycle: cycle,
                raw: Vec::new(),
                raw_len: 0,
                error_cycles: 0,
                unknown_bytes: 0,
                cut,
            });
            open.last_cycle = cycle;
            if open.raw.len() < MAX_STORED_BYTES {
                open.raw.push((store.u64(self.slots.d) & 0xff) as u8);
            }
            open.raw_len += 1;
            if store.is_xz(self.slots.d) {
                open.unknown_bytes += 1;
            }
            if self.slots.er.is_some_and(|e| store.bit(e) != Some(false)) {
                open.error_cycles += 1;
            }
        } else if let Some(open) = self.open.take() {
            self.close(open, out);
        }
    }

    /// Ends the dump: a frame still open is reported as it stands (its end
    /// was not dumped) without rule checks on its length or FCS.
    pub fn finish(&mut self, out: &mut impl FnMut(GmiiEvent)) -> Option<u64> {
        let mut open = self.open.take()?;
        open.cut = true;
        let start = open.start_cycle;
        let frame = self.build(open);
        out(GmiiEvent::Frame(frame));
        Some(start)
    }

    fn build(&mut self, open: Open) -> Frame {
        let preamble_len = open.raw.iter().take_while(|&&b| b == 0x55).count();
        let sfd = open.raw.get(preamble_len) == Some(&0xd5);
        let skip = preamble_len + usize::from(sfd);
        let data = open.raw.get(skip..).unwrap_or_default().to_vec();
        let len = open.raw_len.saturating_sub(skip);
        let fcs_ok = len == data.len() && Frame::fcs_matches(&data);
        let gap_before = self
            .last_end
            .map(|e| open.start_cycle.saturating_sub(e).saturating_sub(1));
        self.last_end = Some(open.last_cycle);
        let frame = Frame {
            port: self.port,
            index: self.count,
            start_cycle: open.start_cycle,
            end_cycle: open.last_cycle,
            start_ps: open.start_ps,
            preamble_len,
            sfd,
            data,
            len,
            fcs_ok,
            gap_before,
            error_cycles: open.error_cycles,
            unknown_bytes: open.unknown_bytes,
            cut: open.cut,
        };
        self.count += 1;
        frame
    }

    fn close(&mut self, open: Open, out: &mut impl FnMut(GmiiEvent)) {
        let frame = self.build(open);
        if !frame.cut {
            for v in self.frame_violations(&frame) {
                out(GmiiEvent::Violation(v));
            }
        }
        out(GmiiEvent::Frame(frame));
    }

    fn frame_violations(&self, f: &Frame) -> Vec<Violation> {
        let r = &self.rules;
        let mut v = Vec::new();
        let mut add = |signal: &str, rule: Rule, message: String| {
            v.push(Violation {
                cycle: f.start_cycle,
                time_ps: f.start_ps,
                signal: signal.to_string(),
                rule,
                message: format!("{} frame {}: {message}", f.port, f.index),
            });
        };
        if let Some(gap) = f.gap_before.filter(|&g| g < r.min_ipg) {
            add(
                &self.names.en,
                Rule::Ipg,
                format!(
                    "inter-frame gap of {gap} byte times, minimum is {} (IEEE 802.3 4.4.2)",
                    r.min_ipg
                ),
            );
        }
        if f.preamble_len != r.preamble_len {
            add(
                &self.names.d,
                Rule::Preamble,
                format!(
                    "preamble of {} bytes, expected {} (IEEE 802.3 35.2.3.2)",
                    f.preamble_len, r.preamble_len
                ),
            );
        }
        if !f.sfd {
            add(
                &self.names.d,
                Rule::Sfd,
                "no SFD 0xD5 after the preamble (IEEE 802.3 3.2.2)".to_string(),
            );
        }
        if f.len < r.min_len {
            add(
                &self.names.d,
                Rule::Runt,
                format!(
                    "{} bytes with FCS, minimum is {} (IEEE 802.3 4.4.2)",
                    f.len, r.min_len
                ),
            );
        }
        if let Some(max) = r.max_len.filter(|&m| f.len > m) {
            add(
                &self.names.d,
                Rule::Oversize,
                format!("{} bytes with FCS, maximum is {max}", f.len),
            );
        }
        if !f.fcs_ok {
            add(
                &self.names.d,
                Rule::Fcs,
                "FCS does not match the CRC-32 of the frame (IEEE 802.3 3.2.9)".to_string(),
            );
        }
        if f.error_cycles > 0 {
            add(
                &self.names.er,
                Rule::GmiiError,
                format!(
                    "{} asserted in {} cycles of the frame",
                    self.names.er, f.error_cycles
                ),
            );
        }
        if f.unknown_bytes > 0 {
            add(
                &self.names.d,
                Rule::Unknown,
                format!("{} bytes with x/z bits", f.unknown_bytes),
            );
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcs_of_known_vector() {
        // CRC-32/ISO-HDLC check value of "123456789" is 0xCBF43926.
        let mut f = b"123456789".to_vec();
        append_fcs(&mut f);
        assert_eq!(&f[9..], &[0x26, 0x39, 0xf4, 0xcb]);
        assert!(Frame::fcs_matches(&f));
        f[0] ^= 1;
        assert!(!Frame::fcs_matches(&f));
    }
}
