//! Streaming sampler: turns the change list of a dump into per-clock-edge
//! snapshots of the tracked signals, in constant memory.
//!
//! Sampling rule (IEEE 1364 clause 9.7 / 5.4: a flop samples its inputs
//! before the updates its own edge causes): at a timestamp where a clock
//! rises, every tracked signal is read with the value it held at the END OF
//! THE PREVIOUS TIMESTAMP. The order of changes inside one timestamp carries
//! no meaning in a VCD (Verilator lists the clock first, Icarus in
//! declaration order), so all changes of a timestamp are staged and applied
//! only after the edges of that timestamp were reported. A harness must thus
//! drive inputs at a timestamp strictly before the edge that samples them, or
//! at the edge timestamp itself when they are meant for the next edge
//! (cocotb's writes after `RisingEdge`, flop outputs).

use std::collections::HashMap;
use std::io::BufRead;

use vcd::{Command, IdCode, SimulationCommand, Value};

use super::VcdError;
use super::signals::SignalInfo;

/// Index of a tracked signal in a [`Store`].
pub(crate) type Slot = usize;

/// Current values of the tracked signals, 64 bits per word, x/z bits read as
/// 0 with a per-signal flag.
#[derive(Debug, Default)]
pub(crate) struct Store {
    words: Vec<u64>,
    offset: Vec<usize>,
    nwords: Vec<usize>,
    width: Vec<u32>,
    xz: Vec<bool>,
}

impl Store {
    fn add(&mut self, width: u32) -> Slot {
        let n = (width.max(1) as usize).div_ceil(64);
        self.offset.push(self.words.len());
        self.nwords.push(n);
        self.width.push(width.max(1));
        self.xz.push(true);
        self.words.resize(self.words.len() + n, 0);
        self.offset.len() - 1
    }

    /// The low 64 bits.
    pub fn u64(&self, s: Slot) -> u64 {
        self.words[self.offset[s]]
    }

    /// Any bit x or z.
    pub fn is_xz(&self, s: Slot) -> bool {
        self.xz[s]
    }

    /// Bit 0 as a known level; `None` when x/z.
    pub fn bit(&self, s: Slot) -> Option<bool> {
        if self.xz[s] {
            None
        } else {
            Some(self.u64(s) & 1 == 1)
        }
    }

    /// Bit 0 is a known 1.
    pub fn high(&self, s: Slot) -> bool {
        self.bit(s) == Some(true)
    }

    pub fn width(&self, s: Slot) -> u32 {
        self.width[s]
    }

    pub fn words(&self, s: Slot) -> &[u64] {
        &self.words[self.offset[s]..self.offset[s] + self.nwords[s]]
    }
}

/// One staged change: slot, start of its words in the arena, x/z flag.
#[derive(Clone, Copy, Debug)]
struct Pending {
    slot: Slot,
    at: usize,
    xz: bool,
}

/// A rising edge of one of the tracked clocks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge {
    /// Which clock (index in the order `clock()` registered them).
    pub clock: usize,
    /// Rising edges of that clock before this one, the first edge being 0
    /// (edges a fast-forwarding simulator skipped are counted, see
    /// `ClockTiming`).
    pub cycle: u64,
    /// Raw dump time of the edge.
    pub time: u64,
}

pub(crate) struct Sampler<R: BufRead> {
    parser: vcd::Parser<R>,
    store: Store,
    by_code: HashMap<IdCode, Vec<Slot>>,
    slot_of_code: HashMap<(IdCode, u32), Slot>,
    clocks: Vec<Slot>,
    clock_cycles: Vec<u64>,
    clock_timing: Vec<ClockTiming>,
    clock_of_slot: Vec<Option<usize>>,
    pending: Vec<Pending>,
    arena: Vec<u64>,
    time: u64,
    /// Inside `$dumpoff` (every value x), or in the timestamp of the
    /// `$dumpon` that ends it: edges are counted but not sampled.
    dump_off: bool,
    resuming: bool,
}

impl<R: BufRead> Sampler<R> {
    pub fn new(parser: vcd::Parser<R>) -> Self {
        Sampler {
            parser,
            store: Store::default(),
            by_code: HashMap::new(),
            slot_of_code: HashMap::new(),
            clocks: Vec::new(),
            clock_cycles: Vec::new(),
            clock_timing: Vec::new(),
            clock_of_slot: Vec::new(),
            pending: Vec::new(),
            arena: Vec::new(),
            time: 0,
            dump_off: false,
            resuming: false,
        }
    }

    /// Tracks a signal; the same VCD variable tracked twice shares a slot.
    pub fn track(&mut self, sig: &SignalInfo) -> Slot {
        if let Some(&s) = self.slot_of_code.get(&(sig.code, sig.width)) {
            return s;
        }
        let s = self.store.add(sig.width);
        self.clock_of_slot.push(None);
        self.by_code.entry(sig.code).or_default().push(s);
        self.slot_of_code.insert((sig.code, sig.width), s);
        s
    }

    /// Tracks a clock; returns its index in [`Edge::clock`].
    pub fn clock(&mut self, sig: &SignalInfo) -> usize {
        let s = self.track(sig);
        if let Some(c) = self.clock_of_slot[s] {
            return c;
        }
        self.clocks.push(s);
        self.clock_cycles.push(0);
        self.clock_timing.push(ClockTiming::default());
        let c = self.clocks.len() - 1;
        self.clock_of_slot[s] = Some(c);
        c
    }

    /// Reads the whole dump, calling `on_edge` at every rising edge of every
    /// tracked clock with the values as sampled by that edge.
    pub fn run(
        &mut self,
        mut on_edge: impl FnMut(Edge, &Store) -> Result<(), VcdError>,
    ) -> Result<(), VcdError> {
        while let Some(cmd) = self.parser.next() {
            let cmd = cmd.map_err(VcdError::from_parse)?;
            match cmd {
                Command::Timestamp(t) => {
                    self.flush(&mut on_edge)?;
                    self.time = t;
                }
                Command::ChangeScalar(code, v) => {
                    if let Some(slots) = self.by_code.get(&code) {
                        for &slot in slots {
                            let at = self.arena.len();
                            let n = self.store.nwords[slot];
                            self.arena.resize(at + n, 0);
                            let (bit, xz) = match v {
                                Value::V0 => (0, false),
                                Value::V1 => (1, false),
                                _ => (0, true),
                            };
                            self.arena[at] = bit;
                            self.pending.push(Pending { slot, at, xz });
                        }
                    }
                }
                Command::ChangeVector(code, v) => {
                    if let Some(slots) = self.by_code.get(&code) {
                        for &slot in slots {
                            let at = self.arena.len();
                            let n = self.store.nwords[slot];
                            self.arena.resize(at + n, 0);
                            let width = self.store.width[slot] as usize;
                            let xz = decode_vector(&v, width, &mut self.arena[at..at + n]);
                            self.pending.push(Pending { slot, at, xz });
                        }
                    }
                }
                // IEEE 1364 clause 18.2.3.7: $dumpoff dumps every variable
                // as x; $dumpon dumps their values again.
                Command::Begin(SimulationCommand::Dumpoff) => self.dump_off = true,
                Command::Begin(SimulationCommand::Dumpon) => {
                    self.dump_off = false;
                    self.resuming = true;
                }
                _ => {}
            }
        }
        self.flush(&mut on_edge)
    }

    fn flush(
        &mut self,
        on_edge: &mut impl FnMut(Edge, &Store) -> Result<(), VcdError>,
    ) -> Result<(), VcdError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        // Edges: compare each clock's current (pre-timestamp) level with the
        // last staged value. Verilog posedge: to 1 from anything but 1.
        for c in 0..self.clocks.len() {
            let slot = self.clocks[c];
            let Some(last) = self.pending.iter().rev().find(|p| p.slot == slot) else {
                continue;
            };
            let new_high = !last.xz && self.arena[last.at] & 1 == 1;
            if new_high && !self.store.high(slot) {
                let missing = self.clock_timing[c].edge(self.time);
                self.clock_cycles[c] += missing;
                let edge = Edge {
                    clock: c,
                    cycle: self.clock_cycles[c],
                    time: self.time,
                };
                self.clock_cycles[c] += 1;
                if !self.dump_off && !self.resuming {
                    on_edge(edge, &self.store)?;
                }
            }
        }
        for p in &self.pending {
            let off = self.store.offset[p.slot];
            let n = self.store.nwords[p.slot];
            self.store.words[off..off + n].copy_from_slice(&self.arena[p.at..p.at + n]);
            self.store.xz[p.slot] = p.xz;
        }
        self.pending.clear();
        self.arena.clear();
        self.resuming = false;
        Ok(())
    }

    /// Width in bits of a tracked signal.
    pub fn width_of(&self, s: Slot) -> u32 {
        self.store.width(s)
    }

    /// Cycles counted per clock (edges seen plus edges skipped).
    pub fn cycles(&self, clock: usize) -> u64 {
        self.clock_cycles.get(clock).copied().unwrap_or(0)
    }

    /// Edges a fast-forwarding simulator left out of the dump, per clock.
    pub fn skipped(&self, clock: usize) -> u64 {
        self.clock_timing.get(clock).map_or(0, |t| t.skipped)
    }
}

/// Cycles a simulator skipped: nicsim's world fast-forwards idle stretches
/// without evaluating (and so without dumping) the model, leaving a gap in
/// the dump's time. The clock period is the shortest interval seen between
/// rising edges; an interval spanning `k` periods (rounded) holds `k - 1`
/// edges that were not dumped, so cycle numbers, gaps and latencies stay
/// those of the simulated time.
#[derive(Clone, Copy, Debug, Default)]
struct ClockTiming {
    last: Option<u64>,
    period: Option<u64>,
    skipped: u64,
}

impl ClockTiming {
    /// A rising edge at `t`; returns the edges missing before it.
    fn edge(&mut self, t: u64) -> u64 {
        let Some(last) = self.last.replace(t) else {
            return 0;
        };
        let dt = t.saturating_sub(last);
        if dt == 0 {
            return 0;
        }
        let p = match self.period {
            Some(p) if p <= dt => p,
            _ => {
                self.period = Some(dt);
                return 0;
            }
        };
        let missing = (dt + p / 2) / p - 1;
        self.skipped += missing;
        missing
    }
}

/// Writes a VCD vector (MSB first, possibly shorter than the signal) into
/// little-endian words. IEEE 1364 clause 18.2.3.8: a short value is
/// left-extended with 0 when its leftmost bit is 0 or 1, with x or z when it
/// is x or z. Returns whether any bit is x or z.
fn decode_vector(v: &vcd::Vector, width: usize, out: &mut [u64]) -> bool {
    let n = v.len();
    let mut xz = false;
    for (i, bit) in v.iter().enumerate() {
        let pos = n - 1 - i;
        if pos >= width {
            continue;
        }
        match bit {
            Value::V1 => out[pos / 64] |= 1 << (pos % 64),
            Value::V0 => {}
            _ => xz = true,
        }
    }
    if n < width && matches!(v.get(0), Some(Value::X | Value::Z)) {
        xz = true;
    }
    xz
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_edges_are_inferred_from_dump_time() {
        let mut t = ClockTiming::default();
        assert_eq!(t.edge(4000), 0);
        assert_eq!(t.edge(12000), 0);
        assert_eq!(t.edge(20001), 0);
        // 10 periods later: 9 edges were not dumped.
        assert_eq!(t.edge(100_001), 9);
        assert_eq!(t.edge(108_001), 0);
        assert_eq!(t.skipped, 9);
    }

    #[test]
    fn short_vectors_extend_per_leftmost_bit() {
        let mut w = [0u64; 2];
        let v: vcd::Vector = "101".parse().unwrap_or_else(|_| unreachable!());
        assert!(!decode_vector(&v, 8, &mut w));
        assert_eq!(w[0], 5);
        let mut w = [0u64; 1];
        let v: vcd::Vector = "x1".parse().unwrap_or_else(|_| unreachable!());
        assert!(decode_vector(&v, 8, &mut w));
        let mut w = [0u64; 2];
        let v: vcd::Vector = std::iter::once(Value::V1)
            .chain(std::iter::repeat_n(Value::V0, 70))
            .collect();
        assert!(!decode_vector(&v, 71, &mut w));
        assert_eq!(w, [0, 1 << 6]);
    }
}
