//! AXI4 / AXI4-Lite protocol checker, fed with the values of the five
//! channels sampled just before every rising clock edge.
//!
//! Rules (AMBA AXI and ACE Protocol Specification, ARM IHI 0022, section
//! references in the messages):
//! - A3.2.1: once VALID is high it stays high until the handshake, and the
//!   payload stays stable meanwhile.
//! - A3.4.1: AxBURST is not the reserved value; AxSIZE is not wider than the
//!   data bus; WRAP bursts have 2, 4, 8 or 16 beats and an aligned address;
//!   FIXED bursts have at most 16 beats; a burst never crosses 4 KiB.
//! - A3.4.4 / A3.3.1: WLAST exactly on the last beat of each write burst,
//!   RLAST exactly on the last beat of each read burst.
//! - A3.3.1 / A5: a response (B, R) only for an id with an outstanding request.
//!
//! Any violation is returned as a [`ProtocolViolation`] naming the cycle and
//! the signal; the world turns it into a failed run.

use std::collections::{BTreeMap, VecDeque};

/// Address channel payload (AW or AR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddrBeat {
    pub id: u32,
    pub addr: u64,
    pub len: u8,
    pub size: u8,
    pub burst: u8,
}

/// Write data payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WBeat {
    pub data: u64,
    pub strb: u8,
    pub last: bool,
}

/// Write response payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BBeat {
    pub id: u32,
    pub resp: u8,
}

/// Read data payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RBeat {
    pub id: u32,
    pub data: u64,
    pub resp: u8,
    pub last: bool,
}

/// One channel: handshake signals and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Chan<P> {
    pub valid: bool,
    pub ready: bool,
    pub payload: P,
}

impl<P> Chan<P> {
    pub fn fire(&self) -> bool {
        self.valid && self.ready
    }
}

/// All five channels at one clock edge.
///
/// Only a channel whose VALID is high carries information: nothing here
/// (checker, agents) looks at READY or the payload of a channel whose VALID
/// is low, so a sampler may leave them at their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AxiSnapshot {
    pub aw: Chan<AddrBeat>,
    pub w: Chan<WBeat>,
    pub b: Chan<BBeat>,
    pub ar: Chan<AddrBeat>,
    pub r: Chan<RBeat>,
}

impl AxiSnapshot {
    /// Whether VALID is high on any channel.
    #[inline]
    pub fn any_valid(&self) -> bool {
        self.aw.valid | self.w.valid | self.b.valid | self.ar.valid | self.r.valid
    }

    /// Whether some channel offers a beat that was not taken (VALID high,
    /// READY low): the next edge must keep it stable (A3.2.1).
    #[inline]
    fn any_waiting(&self) -> bool {
        (self.aw.valid & !self.aw.ready)
            | (self.w.valid & !self.w.ready)
            | (self.b.valid & !self.b.ready)
            | (self.ar.valid & !self.ar.ready)
            | (self.r.valid & !self.r.ready)
    }
}

/// A broken protocol rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolViolation {
    pub cycle: u64,
    /// The offending signal, with the interface prefix (`m_axi_wlast`).
    pub signal: String,
    pub rule: String,
}

impl core::fmt::Display for ProtocolViolation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "AXI protocol violation at cycle {} on {}: {}",
            self.cycle, self.signal, self.rule
        )
    }
}

impl std::error::Error for ProtocolViolation {}

/// Checker state for one AXI interface.
#[derive(Debug)]
pub struct AxiChecker {
    prefix: &'static str,
    /// log2 of the data bus width in bytes.
    max_size: u8,
    lite: bool,
    /// The previous edge. Only its channels with VALID high and READY low
    /// matter (the stability rule); after an edge without any VALID it is
    /// left as it was and `prev_waiting` is false.
    prev: AxiSnapshot,
    /// Whether `prev` has a channel with VALID high and READY low.
    prev_waiting: bool,
    /// Lengths of accepted AW bursts still waiting for their W beats.
    aw_pending: VecDeque<AddrBeat>,
    /// W beats accepted before their AW (allowed by A3.3.1): their WLAST bits.
    w_early: VecDeque<bool>,
    /// Beats of the current write burst seen so far.
    w_count: u32,
    /// Writes whose data is complete, waiting for B, by id.
    b_pending: BTreeMap<u32, u32>,
    /// Outstanding reads by id: remaining beat counts in order.
    r_pending: BTreeMap<u32, VecDeque<u32>>,
}

impl AxiChecker {
    /// A checker for a full AXI4 interface with `data_bytes`-wide data.
    pub fn axi4(prefix: &'static str, data_bytes: u32) -> AxiChecker {
        AxiChecker::new(prefix, data_bytes, false)
    }

    /// A checker for an AXI4-Lite interface (single beats, no ids).
    pub fn axi_lite(prefix: &'static str, data_bytes: u32) -> AxiChecker {
        AxiChecker::new(prefix, data_bytes, true)
    }

    fn new(prefix: &'static str, data_bytes: u32, lite: bool) -> AxiChecker {
        AxiChecker {
            prefix,
            max_size: data_bytes.max(1).trailing_zeros() as u8,
            lite,
            prev: AxiSnapshot::default(),
            prev_waiting: false,
            aw_pending: VecDeque::new(),
            w_early: VecDeque::new(),
            w_count: 0,
            b_pending: BTreeMap::new(),
            r_pending: BTreeMap::new(),
        }
    }

    fn err(&self, cycle: u64, sig: &str, rule: impl Into<String>) -> ProtocolViolation {
        ProtocolViolation {
            cycle,
            signal: format!("{}_{}", self.prefix, sig),
            rule: rule.into(),
        }
    }

    /// Whether no transaction is in flight on this interface.
    pub fn idle(&self) -> bool {
        self.aw_pending.is_empty()
            && self.w_early.is_empty()
            && self.b_pending.values().all(|&n| n == 0)
            && self.r_pending.values().all(VecDeque::is_empty)
    }

    #[inline]
    fn stable<P: PartialEq>(
        &self,
        cycle: u64,
        name: &str,
        prev: &Chan<P>,
        now: &Chan<P>,
    ) -> Result<(), ProtocolViolation> {
        if prev.valid && !prev.ready {
            if !now.valid {
                return Err(self.err(
                    cycle,
                    &format!("{name}valid"),
                    "VALID dropped before the handshake (A3.2.1)",
                ));
            }
            if prev.payload != now.payload {
                return Err(self.err(
                    cycle,
                    &format!("{name}*"),
                    "payload changed while VALID waited for READY (A3.2.1)",
                ));
            }
        }
        Ok(())
    }

    fn check_addr(&self, cycle: u64, ch: &str, a: &AddrBeat) -> Result<(), ProtocolViolation> {
        if self.lite {
            return Ok(());
        }
        if a.size > self.max_size {
            return Err(self.err(
                cycle,
                &format!("{ch}size"),
                format!(
                    "size {} ({} bytes) wider than the {}-byte data bus (A3.4.1)",
                    a.size,
                    1u32 << a.size,
                    1u32 << self.max_size
                ),
            ));
        }
        let bytes = 1u64 << a.size;
        let beats = u64::from(a.len) + 1;
        match a.burst {
            0 => {
                if beats > 16 {
                    return Err(self.err(
                        cycle,
                        &format!("{ch}len"),
                        "FIXED burst longer than 16 beats (A3.4.1)",
                    ));
                }
            }
            1 => {
                let start = a.addr & !(bytes - 1);
                let last = start.checked_add(beats * bytes - 1);
                match last {
                    Some(last) if last >> 12 == a.addr >> 12 => {}
                    _ => {
                        return Err(self.err(
                            cycle,
                            &format!("{ch}addr"),
                            format!(
                                "INCR burst of {beats} x {bytes} bytes at {:#x} crosses a 4 KiB boundary (A3.4.1)",
                                a.addr
                            ),
                        ));
                    }
                }
            }
            2 => {
                if !matches!(beats, 2 | 4 | 8 | 16) {
                    return Err(self.err(
                        cycle,
                        &format!("{ch}len"),
                        "WRAP burst length not 2, 4, 8 or 16 (A3.4.1)",
                    ));
                }
                if a.addr % bytes != 0 {
                    return Err(self.err(
                        cycle,
                        &format!("{ch}addr"),
                        "WRAP burst address not aligned to the size (A3.4.1)",
                    ));
                }
            }
            _ => {
                return Err(self.err(
                    cycle,
                    &format!("{ch}burst"),
                    "reserved burst type 0b11 (A3.4.1)",
                ));
            }
        }
        Ok(())
    }

    fn w_beat(&mut self, cycle: u64, last: bool) -> Result<(), ProtocolViolation> {
        let Some(aw) = self.aw_pending.front().copied() else {
            self.w_early.push_back(last);
            return Ok(());
        };
        let expect_last = self.w_count == u32::from(aw.len);
        if last != expect_last {
            return Err(self.err(
                cycle,
                "wlast",
                format!(
                    "WLAST={} on beat {} of a {}-beat burst (A3.4.4)",
                    u8::from(last),
                    self.w_count + 1,
                    u32::from(aw.len) + 1
                ),
            ));
        }
        if last {
            self.aw_pending.pop_front();
            self.w_count = 0;
            *self.b_pending.entry(aw.id).or_insert(0) += 1;
        } else {
            self.w_count += 1;
        }
        Ok(())
    }

    /// Check one clock edge.
    #[inline]
    pub fn check(&mut self, cycle: u64, s: &AxiSnapshot) -> Result<(), ProtocolViolation> {
        // An edge with no VALID anywhere after one with no beat waiting
        // breaks no rule, fires nothing and leaves nothing to keep stable:
        // the full check would only record it as the previous edge, whose
        // channels all have VALID low either way.
        if !self.prev_waiting && !s.any_valid() {
            return Ok(());
        }
        self.check_edge(cycle, s)
    }

    /// Check an edge with VALID low on every channel (READY and payloads
    /// do not matter then): the same as [`AxiChecker::check`] with such a
    /// snapshot, without building one.
    #[inline]
    pub fn check_no_valid(&mut self, cycle: u64) -> Result<(), ProtocolViolation> {
        if !self.prev_waiting {
            return Ok(());
        }
        self.check_edge(cycle, &AxiSnapshot::default())
    }

    fn check_edge(&mut self, cycle: u64, s: &AxiSnapshot) -> Result<(), ProtocolViolation> {
        let stable = if self.prev_waiting {
            let prev = &self.prev;
            self.stable(cycle, "aw", &prev.aw, &s.aw)
                .and_then(|()| self.stable(cycle, "w", &prev.w, &s.w))
                .and_then(|()| self.stable(cycle, "b", &prev.b, &s.b))
                .and_then(|()| self.stable(cycle, "ar", &prev.ar, &s.ar))
                .and_then(|()| self.stable(cycle, "r", &prev.r, &s.r))
        } else {
            Ok(())
        };
        self.prev = *s;
        self.prev_waiting = s.any_waiting();
        stable?;
        if s.aw.valid {
            self.check_addr(cycle, "aw", &s.aw.payload)?;
        }
        if s.ar.valid {
            self.check_addr(cycle, "ar", &s.ar.payload)?;
        }
        if s.aw.fire() {
            let mut aw = s.aw.payload;
            if self.lite {
                aw.len = 0;
                aw.id = 0;
            }
            self.aw_pending.push_back(aw);
            // Beats that came before their address are checked now.
            while let Some(last) = self.w_early.pop_front() {
                self.w_beat(cycle, last)?;
            }
        }
        if s.w.fire() {
            let last = if self.lite { true } else { s.w.payload.last };
            self.w_beat(cycle, last)?;
        }
        if s.b.fire() {
            let id = if self.lite { 0 } else { s.b.payload.id };
            match self.b_pending.get_mut(&id) {
                Some(n) if *n > 0 => *n -= 1,
                _ => {
                    return Err(self.err(
                        cycle,
                        "bvalid",
                        format!("write response for id {id} with no completed write outstanding (A3.3.1)"),
                    ));
                }
            }
        }
        if s.r.fire() {
            let id = if self.lite { 0 } else { s.r.payload.id };
            let last = if self.lite { true } else { s.r.payload.last };
            let prefix = self.prefix;
            let q = self.r_pending.entry(id).or_default();
            let mk = |sig: &str, rule: String| ProtocolViolation {
                cycle,
                signal: format!("{prefix}_{sig}"),
                rule,
            };
            let Some(remaining) = q.front_mut() else {
                return Err(mk(
                    "rvalid",
                    format!("read data for id {id} with no read outstanding (A3.3.1)"),
                ));
            };
            *remaining -= 1;
            let expect_last = *remaining == 0;
            if last != expect_last {
                return Err(mk(
                    "rlast",
                    format!(
                        "RLAST={} with {} beat(s) of the burst left (A3.4.4)",
                        u8::from(last),
                        remaining
                    ),
                ));
            }
            if expect_last {
                q.pop_front();
            }
        }
        // A read is outstanding from its address handshake on; registered
        // after the R check so a response cannot answer its own edge.
        if s.ar.fire() {
            let (id, len) = if self.lite {
                (0, 0)
            } else {
                (s.ar.payload.id, s.ar.payload.len)
            };
            self.r_pending
                .entry(id)
                .or_default()
                .push_back(u32::from(len) + 1);
        }
        Ok(())
    }
}

#[cfg(test)]
// Snapshots are built channel by channel, as a master drives them.
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;

    /// A test-only master: produces the channel values of a write burst, with
    /// knobs to break it.
    struct BadMaster {
        aw: AddrBeat,
        beats: u32,
        wlast_on: u32,
        drop_valid_at: Option<u32>,
    }

    impl BadMaster {
        /// Cycles of a write with an always-ready slave except the first W
        /// beat, which waits one cycle (to exercise stability).
        fn run(&self, chk: &mut AxiChecker) -> Result<(), ProtocolViolation> {
            let mut cycle = 0;
            let mut s = AxiSnapshot::default();
            s.aw = Chan {
                valid: true,
                ready: true,
                payload: self.aw,
            };
            chk.check(cycle, &s)?;
            s.aw = Chan::default();
            for beat in 0..self.beats {
                let w = WBeat {
                    data: u64::from(beat),
                    strb: 0xff,
                    last: beat == self.wlast_on,
                };
                if beat == 0 {
                    cycle += 1;
                    s.w = Chan {
                        valid: true,
                        ready: false,
                        payload: w,
                    };
                    chk.check(cycle, &s)?;
                    if self.drop_valid_at == Some(0) {
                        s.w.valid = false;
                        cycle += 1;
                        chk.check(cycle, &s)?;
                    }
                }
                cycle += 1;
                s.w = Chan {
                    valid: true,
                    ready: true,
                    payload: w,
                };
                chk.check(cycle, &s)?;
            }
            cycle += 1;
            s.w = Chan::default();
            s.b = Chan {
                valid: true,
                ready: true,
                payload: BBeat {
                    id: self.aw.id,
                    resp: 0,
                },
            };
            chk.check(cycle, &s)
        }
    }

    fn aw(addr: u64, len: u8) -> AddrBeat {
        AddrBeat {
            id: 1,
            addr,
            len,
            size: 3,
            burst: 1,
        }
    }

    #[test]
    fn well_formed_burst_passes() {
        let mut c = AxiChecker::axi4("m_axi", 8);
        let m = BadMaster {
            aw: aw(0x1000, 3),
            beats: 4,
            wlast_on: 3,
            drop_valid_at: None,
        };
        m.run(&mut c).unwrap();
        assert!(c.idle());
    }

    #[test]
    fn early_wlast_is_caught_with_cycle_and_signal() {
        let mut c = AxiChecker::axi4("m_axi", 8);
        let m = BadMaster {
            aw: aw(0x1000, 3),
            beats: 4,
            wlast_on: 2,
            drop_valid_at: None,
        };
        let e = m.run(&mut c).unwrap_err();
        assert_eq!(e.signal, "m_axi_wlast");
        assert_eq!(e.cycle, 4);
        assert!(e.to_string().contains("cycle 4"));
    }

    #[test]
    fn burst_across_4k_is_caught() {
        let mut c = AxiChecker::axi4("m_axi", 8);
        let m = BadMaster {
            aw: aw(0x1ff8, 1),
            beats: 2,
            wlast_on: 1,
            drop_valid_at: None,
        };
        let e = m.run(&mut c).unwrap_err();
        assert_eq!((e.cycle, e.signal.as_str()), (0, "m_axi_awaddr"));
    }

    #[test]
    fn valid_dropped_before_ready_is_caught() {
        let mut c = AxiChecker::axi4("m_axi", 8);
        let m = BadMaster {
            aw: aw(0x1000, 0),
            beats: 1,
            wlast_on: 0,
            drop_valid_at: Some(0),
        };
        let e = m.run(&mut c).unwrap_err();
        assert_eq!((e.cycle, e.signal.as_str()), (2, "m_axi_wvalid"));
    }

    #[test]
    fn payload_change_while_waiting_is_caught() {
        let mut c = AxiChecker::axi4("m_axi", 8);
        let mut s = AxiSnapshot::default();
        s.ar = Chan {
            valid: true,
            ready: false,
            payload: aw(0x2000, 0),
        };
        c.check(0, &s).unwrap();
        s.ar.payload.addr = 0x2008;
        let e = c.check(1, &s).unwrap_err();
        assert_eq!(e.signal, "m_axi_ar*");
    }

    #[test]
    fn illegal_size_burst_and_wrap_are_caught() {
        let mut c = AxiChecker::axi4("m_axi", 8);
        let mut s = AxiSnapshot::default();
        s.ar.valid = true;
        s.ar.payload = AddrBeat {
            size: 4,
            ..aw(0, 0)
        };
        assert_eq!(c.check(0, &s).unwrap_err().signal, "m_axi_arsize");
        let mut c = AxiChecker::axi4("m_axi", 8);
        s.ar.payload = AddrBeat {
            burst: 3,
            ..aw(0, 0)
        };
        assert_eq!(c.check(0, &s).unwrap_err().signal, "m_axi_arburst");
        let mut c = AxiChecker::axi4("m_axi", 8);
        s.ar.payload = AddrBeat {
            burst: 2,
            ..aw(0, 2)
        };
        assert_eq!(c.check(0, &s).unwrap_err().signal, "m_axi_arlen");
    }

    #[test]
    fn responses_without_requests_are_caught() {
        let mut c = AxiChecker::axi4("m_axi", 8);
        let mut s = AxiSnapshot::default();
        s.r = Chan {
            valid: true,
            ready: true,
            payload: RBeat {
                id: 2,
                data: 0,
                resp: 0,
                last: true,
            },
        };
        assert_eq!(c.check(0, &s).unwrap_err().signal, "m_axi_rvalid");
        let mut c = AxiChecker::axi_lite("s_axil", 4);
        let mut s = AxiSnapshot::default();
        s.b = Chan {
            valid: true,
            ready: true,
            payload: BBeat::default(),
        };
        assert_eq!(c.check(0, &s).unwrap_err().signal, "s_axil_bvalid");
    }

    #[test]
    fn read_burst_rlast_rules() {
        let mut c = AxiChecker::axi4("m_axi", 8);
        let mut s = AxiSnapshot::default();
        s.ar = Chan {
            valid: true,
            ready: true,
            payload: aw(0x3000, 1),
        };
        c.check(0, &s).unwrap();
        s.ar = Chan::default();
        s.r = Chan {
            valid: true,
            ready: true,
            payload: RBeat {
                id: 1,
                data: 0,
                resp: 0,
                last: false,
            },
        };
        c.check(1, &s).unwrap();
        // Second beat without RLAST.
        assert_eq!(c.check(2, &s).unwrap_err().signal, "m_axi_rlast");
    }

    #[test]
    fn w_before_aw_is_legal_and_checked_when_aw_arrives() {
        let mut c = AxiChecker::axi4("m_axi", 8);
        let mut s = AxiSnapshot::default();
        s.w = Chan {
            valid: true,
            ready: true,
            payload: WBeat {
                data: 1,
                strb: 0xff,
                last: true,
            },
        };
        c.check(0, &s).unwrap();
        s.w = Chan::default();
        s.aw = Chan {
            valid: true,
            ready: true,
            payload: aw(0x1000, 1),
        };
        // Two-beat burst but the early beat carried WLAST.
        assert_eq!(c.check(1, &s).unwrap_err().signal, "m_axi_wlast");
    }
}
