//! GMII at the NIC's pins: one byte per 125 MHz clock (IEEE 802.3 clause 35).
//!
//! - [`Decoder`]: turns the per-cycle `tx_en/tx_er/txd` (or the `rx_*` we
//!   drive) into frames, checking the preamble (7 x 0x55), the SFD (0xD5),
//!   the FCS (clause 3.2.9) and the inter-frame gap (>= 12 byte times,
//!   clause 4.4.2).
//! - [`Lane`]: one direction of a wire, a delay line of symbols with a
//!   seeded fault injector (bit flips, dropped frames, truncation, short
//!   preamble, `rx_er` bursts) whose choices are drawn once per frame.
//! - [`PhyEndpoint`]: a software PHY that injects raw frames and collects
//!   the NIC's transmitted ones.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stack::buf::PacketId;
use std::collections::VecDeque;

pub const PREAMBLE: u8 = 0x55;
pub const SFD: u8 = 0xD5;
/// Minimum inter-frame gap in byte times (IEEE 802.3 clause 4.4.2).
pub const MIN_IFG: u64 = 12;

const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// The Ethernet FCS of `frame` (IEEE 802.3 clause 3.2.9: CRC-32, reflected,
/// initial all ones, complemented), as transmitted (little-endian order).
pub fn fcs(frame: &[u8]) -> [u8; 4] {
    CRC32.checksum(frame).to_le_bytes()
}

/// `frame` followed by its FCS.
pub fn with_fcs(frame: &[u8]) -> Vec<u8> {
    let mut v = frame.to_vec();
    v.extend_from_slice(&fcs(frame));
    v
}

/// Whether the last four bytes of `data` are the FCS of the rest.
pub fn fcs_ok(data: &[u8]) -> bool {
    data.len() >= 4 && fcs(&data[..data.len() - 4]) == data[data.len() - 4..]
}

/// One GMII symbol (one clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sym {
    pub d: u8,
    pub en: bool,
    pub er: bool,
    /// Simulation metadata: the packet this byte belongs to (never on the
    /// wire itself).
    pub id: PacketId,
}

/// Preamble, SFD and `data` as GMII symbols.
pub fn symbols(data: &[u8], preamble: usize, id: PacketId) -> Vec<Sym> {
    let mut v = Vec::with_capacity(preamble + 1 + data.len());
    v.extend((0..preamble).map(|_| Sym {
        d: PREAMBLE,
        en: true,
        er: false,
        id,
    }));
    v.push(Sym {
        d: SFD,
        en: true,
        er: false,
        id,
    });
    v.extend(data.iter().map(|&d| Sym {
        d,
        en: true,
        er: false,
        id,
    }));
    v
}

/// A frame seen on GMII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// Cycle of the first symbol with `en` high.
    pub start_cycle: u64,
    /// Cycle of the last symbol with `en` high.
    pub end_cycle: u64,
    /// Bytes before the SFD.
    pub preamble_len: usize,
    /// Whether an SFD was found.
    pub sfd: bool,
    /// Whether all preamble bytes were 0x55.
    pub preamble_ok: bool,
    /// Bytes after the SFD, FCS included.
    pub data: Vec<u8>,
    pub fcs_ok: bool,
    /// `er` was high on some byte.
    pub error: bool,
    /// Idle byte times since the previous frame (None for the first).
    pub gap: Option<u64>,
    pub id: PacketId,
}

/// A GMII framing rule broken by a transmitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub cycle: u64,
    pub what: String,
}

impl core::fmt::Display for WireError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "GMII framing error at cycle {}: {}",
            self.cycle, self.what
        )
    }
}

impl std::error::Error for WireError {}

/// Reassembles frames from per-cycle symbols.
#[derive(Debug, Default)]
pub struct Decoder {
    cur: Option<WireFrame>,
    idle: u64,
    seen_any: bool,
    /// Frames completed and not yet taken.
    pub frames: VecDeque<WireFrame>,
    /// Byte buffers of frames handed back by [`Decoder::recycle`].
    spare: Vec<Vec<u8>>,
}

/// Buffers a decoder keeps for reuse.
const DECODER_SPARE: usize = 4;

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Give a taken frame's buffer back for the next frame (a consumer
    /// that keeps nothing of it), so steady traffic does not allocate.
    pub fn recycle(&mut self, f: WireFrame) {
        self.recycle_data(f.data);
    }

    /// [`Decoder::recycle`] for the bytes of a frame alone.
    pub fn recycle_data(&mut self, mut data: Vec<u8>) {
        if self.spare.len() < DECODER_SPARE {
            data.clear();
            self.spare.push(data);
        }
    }

    /// Whether a frame is being received.
    pub fn busy(&self) -> bool {
        self.cur.is_some()
    }

    /// `n` idle cycles passed without evaluation (fast-forward).
    pub fn skip_idle(&mut self, n: u64) {
        self.idle = self.idle.saturating_add(n);
    }

    /// Feed one symbol.
    #[inline]
    pub fn push(&mut self, s: Sym, cycle: u64) {
        // Idle between frames, most cycles of a link: count the gap only.
        if !s.en && self.cur.is_none() {
            self.idle = self.idle.saturating_add(1);
            return;
        }
        self.push_frame(s, cycle);
    }

    fn push_frame(&mut self, s: Sym, cycle: u64) {
        if !s.en {
            if let Some(mut f) = self.cur.take() {
                f.fcs_ok = f.sfd && fcs_ok(&f.data);
                self.frames.push_back(f);
                self.idle = 0;
            }
            self.idle = self.idle.saturating_add(1);
            return;
        }
        let gap = self.seen_any.then_some(self.idle);
        let f = self.cur.get_or_insert_with(|| WireFrame {
            start_cycle: cycle,
            end_cycle: cycle,
            preamble_len: 0,
            sfd: false,
            preamble_ok: true,
            data: self.spare.pop().unwrap_or_else(|| Vec::with_capacity(1536)),
            fcs_ok: false,
            error: false,
            gap,
            id: s.id,
        });
        self.seen_any = true;
        f.end_cycle = cycle;
        f.error |= s.er;
        if f.id == PacketId(0) {
            f.id = s.id;
        }
        if f.sfd {
            f.data.push(s.d);
        } else if s.d == SFD {
            f.sfd = true;
        } else {
            f.preamble_ok &= s.d == PREAMBLE;
            f.preamble_len += 1;
        }
    }

    /// Transmit-side rules for a frame from a NIC: exactly 7 preamble bytes,
    /// SFD, valid FCS, no `tx_er`, gap of at least [`MIN_IFG`].
    pub fn check_tx(f: &WireFrame) -> Result<(), WireError> {
        let err = |what: String| {
            Err(WireError {
                cycle: f.start_cycle,
                what,
            })
        };
        if !f.sfd {
            return err("no SFD (0xD5) in the frame".into());
        }
        if f.preamble_len != 7 || !f.preamble_ok {
            return err(format!(
                "preamble of {} byte(s){} instead of 7 x 0x55 (IEEE 802.3 clause 3.2.1)",
                f.preamble_len,
                if f.preamble_ok {
                    ""
                } else {
                    " with bytes other than 0x55"
                }
            ));
        }
        if let Some(g) = f.gap {
            if g < MIN_IFG {
                return err(format!(
                    "inter-frame gap of {g} byte times, below {MIN_IFG} (IEEE 802.3 clause 4.4.2)"
                ));
            }
        }
        if f.error {
            return err("tx_er asserted during the frame".into());
        }
        if !f.fcs_ok {
            return err(format!(
                "bad FCS on a {}-byte frame (IEEE 802.3 clause 3.2.9)",
                f.data.len()
            ));
        }
        Ok(())
    }
}

/// Per-frame fault probabilities (0.0 ..= 1.0).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    pub drop: f64,
    pub truncate: f64,
    pub bit_flip: f64,
    pub short_preamble: f64,
    pub rx_er: f64,
    /// Deliver the frame twice (the copy after a minimum gap).
    pub duplicate: f64,
    /// Hold the frame back and deliver it after the next one (or after
    /// [`REORDER_HOLD_CYCLES`] if no next frame comes).
    pub reorder: f64,
}

/// Longest a frame held back for reordering waits for a successor.
pub const REORDER_HOLD_CYCLES: u64 = 20_000;

/// What happens to one frame on its way (chosen when it starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameFault {
    pub drop: bool,
    /// Stop after this many symbols (counted from the first preamble byte).
    pub truncate_at: Option<u32>,
    /// Flip bit `.1` of symbol `.0`.
    pub flip: Option<(u32, u8)>,
    /// Replace this many leading preamble bytes by idle.
    pub short_preamble: u32,
    /// Assert `er` for `.1` symbols from symbol `.0`.
    pub rx_er: Option<(u32, u32)>,
}

/// Counters of injected faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultStats {
    pub frames: u64,
    pub dropped: u64,
    pub truncated: u64,
    pub flipped: u64,
    pub short_preamble: u64,
    pub rx_er: u64,
    pub duplicated: u64,
    pub reordered: u64,
}

/// Store-and-forward stage of a lane that duplicates and reorders whole
/// frames (only in use when those faults are configured: it adds one frame
/// time of latency). Frames leave it with at least [`MIN_IFG`] idle symbols
/// between them.
#[derive(Debug, Default)]
struct Reframer {
    collecting: Vec<Sym>,
    out: VecDeque<Vec<Sym>>,
    cur: Option<(Vec<Sym>, usize)>,
    gap: u64,
    held: Option<(Vec<Sym>, u64)>,
}

impl Reframer {
    fn idle(&self) -> bool {
        self.collecting.is_empty()
            && self.out.is_empty()
            && self.cur.is_none()
            && self.held.is_none()
    }

    fn next(&mut self) -> Sym {
        if let Some((_, age)) = &mut self.held {
            *age += 1;
            if *age >= REORDER_HOLD_CYCLES {
                if let Some((f, _)) = self.held.take() {
                    self.out.push_back(f);
                }
            }
        }
        if self.cur.is_none() && self.gap >= MIN_IFG {
            if let Some(f) = self.out.pop_front() {
                self.cur = Some((f, 0));
            }
        }
        match &mut self.cur {
            Some((f, i)) => {
                let s = f.get(*i).copied().unwrap_or_default();
                *i += 1;
                if *i >= f.len() {
                    self.cur = None;
                    self.gap = 0;
                }
                s
            }
            None => {
                self.gap = self.gap.saturating_add(1);
                Sym::default()
            }
        }
    }
}

/// One direction of a wire: propagation delay and faults.
#[derive(Debug)]
pub struct Lane {
    /// The delay line, a ring: `line[head]` is the oldest symbol.
    line: Box<[Sym]>,
    head: usize,
    faults: Faults,
    /// `faults` injects nothing: symbols go through untouched.
    clean: bool,
    rng: ChaCha8Rng,
    fault: FrameFault,
    pos: u32,
    in_frame: bool,
    active: usize,
    reframer: Reframer,
    pub stats: FaultStats,
}

impl Lane {
    /// A lane with `delay` cycles of propagation (at least 1).
    pub fn new(delay: u32, faults: Faults, seed: u64, stream: u64) -> Lane {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Lane {
            line: vec![Sym::default(); delay.max(1) as usize].into_boxed_slice(),
            head: 0,
            faults,
            clean: faults == Faults::default(),
            rng,
            fault: FrameFault::default(),
            pos: 0,
            in_frame: false,
            active: 0,
            reframer: Reframer {
                gap: MIN_IFG,
                ..Reframer::default()
            },
            stats: FaultStats::default(),
        }
    }

    /// The fault probabilities of this lane.
    pub fn faults(&self) -> Faults {
        self.faults
    }

    /// Change the fault probabilities (from the next frame on).
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
        self.clean = faults == Faults::default();
    }

    /// No frame symbol in flight.
    pub fn idle(&self) -> bool {
        self.active == 0 && !self.in_frame && self.reframer.idle()
    }

    /// Duplication and reordering work on whole frames.
    fn reframe(&mut self, s: Sym) -> Sym {
        let f = self.faults;
        if f.duplicate <= 0.0 && f.reorder <= 0.0 && self.reframer.idle() {
            return s;
        }
        if s.en {
            self.reframer.collecting.push(s);
        } else if !self.reframer.collecting.is_empty() {
            let frame = std::mem::take(&mut self.reframer.collecting);
            let roll = |rng: &mut ChaCha8Rng, p: f64| p > 0.0 && rng.random_bool(p.min(1.0));
            let dup = roll(&mut self.rng, f.duplicate);
            let hold = roll(&mut self.rng, f.reorder);
            if hold && self.reframer.held.is_none() {
                self.stats.reordered += 1;
                self.reframer.held = Some((frame.clone(), 0));
                if dup {
                    self.stats.duplicated += 1;
                    self.reframer.out.push_back(frame);
                }
            } else {
                if dup {
                    self.stats.duplicated += 1;
                    self.reframer.out.push_back(frame.clone());
                }
                self.reframer.out.push_back(frame);
                // The frame held back goes after this one: the two swap.
                if let Some((h, _)) = self.reframer.held.take() {
                    self.reframer.out.push_back(h);
                }
            }
        }
        self.reframer.next()
    }

    fn choose(&mut self) -> FrameFault {
        let f = self.faults;
        let mut ff = FrameFault::default();
        if self.clean {
            return ff;
        }
        let roll = |rng: &mut ChaCha8Rng, p: f64| p > 0.0 && rng.random_bool(p.min(1.0));
        if roll(&mut self.rng, f.drop) {
            ff.drop = true;
            self.stats.dropped += 1;
        }
        if roll(&mut self.rng, f.truncate) {
            // Somewhere in the first 64 bytes after the preamble.
            ff.truncate_at = Some(self.rng.random_range(9..72));
            self.stats.truncated += 1;
        }
        if roll(&mut self.rng, f.bit_flip) {
            ff.flip = Some((self.rng.random_range(8..72), self.rng.random_range(0..8)));
            self.stats.flipped += 1;
        }
        if roll(&mut self.rng, f.short_preamble) {
            ff.short_preamble = self.rng.random_range(1..7);
            self.stats.short_preamble += 1;
        }
        if roll(&mut self.rng, f.rx_er) {
            ff.rx_er = Some((self.rng.random_range(8..64), self.rng.random_range(1..8)));
            self.stats.rx_er += 1;
        }
        ff
    }

    /// Apply this frame's faults to a symbol entering the lane.
    fn transform(&mut self, mut s: Sym) -> Sym {
        if !s.en {
            self.in_frame = false;
            return Sym::default();
        }
        if !self.in_frame {
            self.in_frame = true;
            self.pos = 0;
            self.stats.frames += 1;
            self.fault = self.choose();
        }
        let p = self.pos;
        self.pos = self.pos.saturating_add(1);
        let ff = self.fault;
        if ff.drop || ff.truncate_at.is_some_and(|t| p >= t) || p < ff.short_preamble {
            return Sym::default();
        }
        if let Some((at, bit)) = ff.flip {
            if at == p {
                s.d ^= 1 << bit;
            }
        }
        if let Some((at, n)) = ff.rx_er {
            if p >= at && p < at + n {
                s.er = true;
            }
        }
        s
    }

    /// Push the symbol transmitted this cycle; get the one arriving.
    pub fn step(&mut self, tx: Sym) -> Sym {
        let s = self.transform(tx);
        // Without faults nothing is ever collected for reframing.
        let s = if self.clean && self.reframer.idle() {
            s
        } else {
            self.reframe(s)
        };
        if s.en {
            self.active += 1;
        }
        let out = std::mem::replace(&mut self.line[self.head], s);
        self.head += 1;
        if self.head == self.line.len() {
            self.head = 0;
        }
        if out.en {
            self.active -= 1;
        }
        out
    }
}

/// A frame transmitted by the NIC and collected by a [`PhyEndpoint`].
pub type Collected = WireFrame;

/// A software PHY: injects raw frames into the NIC's receiver and collects
/// what the NIC transmits.
#[derive(Debug, Default)]
pub struct PhyEndpoint {
    queue: VecDeque<Vec<Sym>>,
    cur: Option<(Vec<Sym>, usize)>,
    gap: u64,
    /// Frames the NIC transmitted, in order.
    pub collected: VecDeque<Collected>,
}

impl PhyEndpoint {
    pub fn new() -> PhyEndpoint {
        PhyEndpoint {
            gap: MIN_IFG,
            ..PhyEndpoint::default()
        }
    }

    /// Queue `frame` (Ethernet header to payload, no FCS): the FCS is
    /// appended and the frame sent with a 7-byte preamble and SFD.
    pub fn inject(&mut self, frame: &[u8], id: PacketId) {
        self.queue.push_back(symbols(&with_fcs(frame), 7, id));
    }

    /// Queue raw symbols as they are (any preamble, FCS, `er`).
    pub fn inject_raw(&mut self, syms: Vec<Sym>) {
        self.queue.push_back(syms);
    }

    /// Nothing left to send.
    pub fn idle(&self) -> bool {
        self.queue.is_empty() && self.cur.is_none()
    }

    pub fn skip_idle(&mut self, n: u64) {
        self.gap = self.gap.saturating_add(n);
    }

    /// The symbol to drive into the NIC this cycle.
    pub fn next_rx(&mut self) -> Sym {
        if self.cur.is_none() && self.gap >= MIN_IFG {
            if let Some(f) = self.queue.pop_front() {
                self.cur = Some((f, 0));
            }
        }
        if let Some((f, i)) = &mut self.cur {
            let s = f.get(*i).copied().unwrap_or_default();
            *i += 1;
            if *i >= f.len() {
                self.cur = None;
                self.gap = 0;
            }
            return s;
        }
        self.gap = self.gap.saturating_add(1);
        Sym::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcs_matches_a_known_frame() {
        // CRC-32/ISO-HDLC check value for "123456789" (0xCBF43926), sent LSB first.
        assert_eq!(fcs(b"123456789"), [0x26, 0x39, 0xF4, 0xCB]);
        assert!(fcs_ok(&with_fcs(&[1, 2, 3])));
    }

    fn decode(syms: &[Sym]) -> Vec<WireFrame> {
        let mut d = Decoder::new();
        for (c, s) in syms.iter().enumerate() {
            d.push(*s, c as u64);
        }
        d.push(Sym::default(), syms.len() as u64);
        d.frames.into_iter().collect()
    }

    #[test]
    fn recycled_buffers_carry_nothing_over() {
        let mut d = Decoder::new();
        let mut c = 0u64;
        let mut feed = |d: &mut Decoder, bytes: &[u8]| {
            for s in symbols(&with_fcs(bytes), 7, PacketId(1))
                .into_iter()
                .chain((0..12).map(|_| Sym::default()))
            {
                d.push(s, c);
                c += 1;
            }
        };
        feed(&mut d, &[0x11; 1500]);
        let first = d.frames.pop_front().unwrap();
        let ptr = first.data.as_ptr();
        d.recycle(first);
        feed(&mut d, &[0x22; 60]);
        let second = d.frames.pop_front().unwrap();
        assert_eq!(second.data.as_ptr(), ptr, "the buffer was reused");
        assert_eq!(second.data, with_fcs(&[0x22; 60]));
        assert!(second.fcs_ok);
    }

    #[test]
    fn decoder_checks_preamble_sfd_fcs_and_gap() {
        let frame = [0xAAu8; 60];
        let mut syms = symbols(&with_fcs(&frame), 7, PacketId(5));
        syms.extend((0..11).map(|_| Sym::default()));
        syms.extend(symbols(&with_fcs(&frame), 7, PacketId(6)));
        let f = decode(&syms);
        assert_eq!(f.len(), 2);
        assert!(Decoder::check_tx(&f[0]).is_ok());
        assert_eq!((f[0].id, f[1].id), (PacketId(5), PacketId(6)));
        assert_eq!(f[1].gap, Some(11));
        assert!(
            Decoder::check_tx(&f[1])
                .unwrap_err()
                .what
                .contains("gap of 11")
        );
        let short = decode(&symbols(&with_fcs(&frame), 5, PacketId(0)));
        assert!(
            Decoder::check_tx(&short[0])
                .unwrap_err()
                .what
                .contains("preamble of 5")
        );
        let mut bad = with_fcs(&frame);
        bad[3] ^= 1;
        let b = decode(&symbols(&bad, 7, PacketId(0)));
        assert!(
            Decoder::check_tx(&b[0])
                .unwrap_err()
                .what
                .contains("bad FCS")
        );
    }

    #[test]
    fn lane_duplicates_and_reorders_whole_frames() {
        // Two frames back to back with the minimum gap, ids 1 and 2.
        let mut input = symbols(&with_fcs(&[0x11u8; 60]), 7, PacketId(1));
        input.extend(std::iter::repeat_n(Sym::default(), MIN_IFG as usize));
        input.extend(symbols(&with_fcs(&[0x22u8; 60]), 7, PacketId(2)));
        let run = |faults: Faults| {
            let mut lane = Lane::new(3, faults, 5, 0);
            let out: Vec<Sym> = (0..2000usize)
                .map(|c| lane.step(input.get(c).copied().unwrap_or_default()))
                .collect();
            assert!(lane.idle());
            (decode(&out), lane.stats)
        };
        let (dup, st) = run(Faults {
            duplicate: 1.0,
            ..Faults::default()
        });
        assert_eq!(st.duplicated, 2);
        let firsts: Vec<u8> = dup.iter().map(|f| f.data[0]).collect();
        assert_eq!(firsts, [0x11, 0x11, 0x22, 0x22]);
        assert!(dup.iter().all(|f| f.fcs_ok));
        // Gaps between the replayed frames stay legal.
        assert!(
            dup.iter()
                .skip(1)
                .all(|f| f.gap.is_some_and(|g| g >= MIN_IFG)),
            "{dup:?}"
        );
        let (swapped, st) = run(Faults {
            reorder: 1.0,
            ..Faults::default()
        });
        assert_eq!(st.reordered, 1);
        let firsts: Vec<u8> = swapped.iter().map(|f| f.data[0]).collect();
        assert_eq!(firsts, [0x22, 0x11]);
    }

    #[test]
    fn lane_delays_and_injects_seeded_faults() {
        let frame = with_fcs(&[0x11u8; 60]);
        let run = |faults: Faults, seed: u64| {
            let mut lane = Lane::new(5, faults, seed, 0);
            let mut out = Vec::new();
            let mut first_en = None;
            let input = symbols(&frame, 7, PacketId(1));
            for c in 0..200usize {
                let s = input.get(c).copied().unwrap_or_default();
                let o = lane.step(s);
                if o.en && first_en.is_none() {
                    first_en = Some(c);
                }
                out.push(o);
            }
            (decode(&out), first_en, lane.stats)
        };
        let (clean, first, _) = run(Faults::default(), 1);
        assert_eq!(first, Some(5));
        assert!(clean[0].fcs_ok);
        let all = Faults {
            bit_flip: 1.0,
            ..Faults::default()
        };
        let (flipped, _, st) = run(all, 1);
        assert_eq!(st.flipped, 1);
        assert!(!flipped[0].fcs_ok);
        let (dropped, _, _) = run(
            Faults {
                drop: 1.0,
                ..Faults::default()
            },
            1,
        );
        assert!(dropped.is_empty());
        // Same seed, same faults.
        let mixed = Faults {
            truncate: 0.5,
            short_preamble: 0.5,
            rx_er: 0.5,
            ..Faults::default()
        };
        assert_eq!(run(mixed, 9).0, run(mixed, 9).0);
    }

    #[test]
    fn phy_respects_the_gap_between_injected_frames() {
        let mut p = PhyEndpoint::new();
        p.inject(&[1u8; 60], PacketId(1));
        p.inject(&[2u8; 60], PacketId(2));
        let syms: Vec<Sym> = (0..300).map(|_| p.next_rx()).collect();
        let f = decode(&syms);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].gap, Some(MIN_IFG));
        assert!(f.iter().all(|f| f.fcs_ok && f.preamble_len == 7));
        assert!(p.idle());
    }
}
