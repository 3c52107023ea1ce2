//! AXI4-Lite register accesses and AXI4 DMA bursts, with the handshake and
//! burst rules of the AMBA AXI specification (ARM IHI 0022, issue H).

use std::collections::VecDeque;
use std::fmt;

use super::sampler::{Slot, Store};
use super::{Rule, Violation};

/// A signal being watched, with its full name for messages.
#[derive(Clone, Debug)]
pub(crate) struct Sig {
    pub slot: Slot,
    pub name: String,
}

/// AXI response code (A3.4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resp {
    Okay,
    ExOkay,
    SlvErr,
    DecErr,
    /// x/z on the response lines.
    Unknown,
}

impl Resp {
    fn from_store(store: &Store, sig: &Option<Sig>) -> Resp {
        match sig {
            None => Resp::Okay,
            Some(s) if store.is_xz(s.slot) => Resp::Unknown,
            Some(s) => match store.u64(s.slot) & 3 {
                0 => Resp::Okay,
                1 => Resp::ExOkay,
                2 => Resp::SlvErr,
                _ => Resp::DecErr,
            },
        }
    }
}

impl fmt::Display for Resp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resp::Okay => "OKAY",
            Resp::ExOkay => "EXOKAY",
            Resp::SlvErr => "SLVERR",
            Resp::DecErr => "DECERR",
            Resp::Unknown => "X",
        })
    }
}

/// Read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    Read,
    Write,
}

/// One AXI4-Lite register access, complete with its response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegAccess {
    pub dir: Dir,
    pub addr: u64,
    /// Write data, or read data.
    pub data: u64,
    /// Write strobes (0xf for reads).
    pub strb: u8,
    pub resp: Resp,
    /// First cycle the address (or, for writes, data) was valid.
    pub start_cycle: u64,
    /// Cycle of the response handshake.
    pub end_cycle: u64,
}

impl RegAccess {
    pub fn latency(&self) -> u64 {
        self.end_cycle - self.start_cycle
    }
}

/// Burst type (A3.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BurstKind {
    Fixed,
    Incr,
    Wrap,
    Reserved,
}

impl fmt::Display for BurstKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BurstKind::Fixed => "FIXED",
            BurstKind::Incr => "INCR",
            BurstKind::Wrap => "WRAP",
            BurstKind::Reserved => "RESERVED",
        })
    }
}

/// One AXI4 DMA burst, complete with its response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Burst {
    pub dir: Dir,
    pub id: u64,
    pub addr: u64,
    /// AxLEN (beats - 1).
    pub len: u16,
    /// Bytes per beat (2^AxSIZE).
    pub size_bytes: u64,
    pub kind: BurstKind,
    /// Data beats transferred.
    pub beats: u64,
    /// Worst response over the burst (reads) or BRESP (writes).
    pub resp: Resp,
    /// First cycle AxVALID was high.
    pub start_cycle: u64,
    /// Cycle of the first data beat.
    pub first_data_cycle: u64,
    /// Cycle of the B handshake (writes) or the RLAST beat (reads).
    pub end_cycle: u64,
}

impl Burst {
    pub fn latency(&self) -> u64 {
        self.end_cycle.saturating_sub(self.start_cycle)
    }
}

/// A valid/ready channel with the payload that must stay stable while it
/// waits (A3.2.1: once VALID is asserted it stays asserted, with the same
/// information, until the handshake).
pub(crate) struct Channel {
    valid: Sig,
    ready: Sig,
    payload: Vec<Sig>,
    prev_waiting: bool,
    prev_words: Vec<u64>,
    prev_xz: Vec<bool>,
    wait_start: Option<u64>,
}

/// A completed handshake: when valid first rose, and the handshake cycle.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Handshake {
    pub start: u64,
}

/// Where a monitor reports.
pub(crate) struct Ctx<'a> {
    pub cycle: u64,
    pub time_ps: u64,
    pub store: &'a Store,
    /// Rules are not checked during reset (A3.1.2) nor, for x/z, before the
    /// first reset.
    pub in_reset: bool,
    pub check_unknown: bool,
    /// A reset was seen: every transaction since is in the dump. Without
    /// one, the dump may start (a trace window) with transactions in
    /// flight, whose responses have no request to match.
    pub reset_seen: bool,
    pub violations: &'a mut Vec<Violation>,
}

impl Ctx<'_> {
    /// A3.3.1: a response may only be raised after the handshakes it
    /// depends on; `raised` is when its VALID rose, `after` the last of them.
    fn early(&mut self, valid: &Sig, raised: u64, after: u64, what: &str) {
        if raised <= after {
            self.violation(
                &valid.name,
                Rule::EarlyResponse,
                format!("{} raised before {what} (AXI A3.3.1)", valid.name),
            );
        }
    }

    fn violation(&mut self, signal: &str, rule: Rule, message: String) {
        self.violations.push(Violation {
            cycle: self.cycle,
            time_ps: self.time_ps,
            signal: signal.to_string(),
            rule,
            message,
        });
    }
}

impl Channel {
    pub fn new(valid: Sig, ready: Sig, payload: Vec<Sig>) -> Self {
        Channel {
            valid,
            ready,
            payload,
            prev_waiting: false,
            prev_words: Vec::new(),
            prev_xz: Vec::new(),
            wait_start: None,
        }
    }

    fn reset(&mut self) {
        self.prev_waiting = false;
        self.wait_start = None;
    }

    /// Samples the channel at one edge; returns the handshake if one happens.
    pub fn step(&mut self, cx: &mut Ctx<'_>) -> Option<Handshake> {
        if cx.in_reset {
            self.reset();
            return None;
        }
        let store = cx.store;
        let valid = store.bit(self.valid.slot);
        let ready = store.bit(self.ready.slot);
        if cx.check_unknown && valid.is_none() {
            cx.violation(
                &self.valid.name,
                Rule::Unknown,
                format!("{} is x/z out of reset", self.valid.name),
            );
        }
        let valid = valid == Some(true);
        if cx.check_unknown && valid && ready.is_none() {
            cx.violation(
                &self.ready.name,
                Rule::Unknown,
                format!(
                    "{} is x/z while {} is high",
                    self.ready.name, self.valid.name
                ),
            );
        }
        let ready = ready == Some(true);
        if self.prev_waiting {
            if !valid {
                cx.violation(
                    &self.valid.name,
                    Rule::ValidDropped,
                    format!(
                        "{} deasserted before {} (AXI A3.2.1)",
                        self.valid.name, self.ready.name
                    ),
                );
            } else {
                let mut at = 0;
                for (i, p) in self.payload.iter().enumerate() {
                    let w = store.words(p.slot);
                    let same = self.prev_words[at..at + w.len()] == *w
                        && self.prev_xz[i] == store.is_xz(p.slot);
                    at += w.len();
                    if !same {
                        cx.violation(
                            &p.name,
                            Rule::PayloadChanged,
                            format!(
                                "{} changed while {} waited for {} (AXI A3.2.1)",
                                p.name, self.valid.name, self.ready.name
                            ),
                        );
                    }
                }
            }
        }
        if valid && self.wait_start.is_none() {
            self.wait_start = Some(cx.cycle);
        }
        let hs = if valid && ready {
            let start = self.wait_start.take().unwrap_or(cx.cycle);
            Some(Handshake { start })
        } else {
            if !valid {
                self.wait_start = None;
            }
            None
        };
        self.prev_waiting = valid && !ready;
        if self.prev_waiting {
            self.prev_words.clear();
            self.prev_xz.clear();
            for p in &self.payload {
                self.prev_words.extend_from_slice(store.words(p.slot));
                self.prev_xz.push(store.is_xz(p.slot));
            }
        }
        hs
    }
}

fn val(store: &Store, s: &Sig) -> u64 {
    store.u64(s.slot)
}

fn opt_val(store: &Store, s: &Option<Sig>, default: u64) -> u64 {
    s.as_ref().map_or(default, |s| store.u64(s.slot))
}

/// AXI4-Lite register slave signals (`s_axil_*`).
pub(crate) struct AxilSigs {
    pub awaddr: Sig,
    pub awvalid: Sig,
    pub awready: Sig,
    pub wdata: Sig,
    pub wstrb: Sig,
    pub wvalid: Sig,
    pub wready: Sig,
    pub bresp: Option<Sig>,
    pub bvalid: Sig,
    pub bready: Sig,
    pub araddr: Sig,
    pub arvalid: Sig,
    pub arready: Sig,
    pub rdata: Sig,
    pub rresp: Option<Sig>,
    pub rvalid: Sig,
    pub rready: Sig,
    pub awprot: Option<Sig>,
    pub arprot: Option<Sig>,
}

struct LiteAddr {
    addr: u64,
    start: u64,
    cycle: u64,
}

struct LiteData {
    data: u64,
    strb: u8,
    start: u64,
    cycle: u64,
}

pub(crate) struct AxilMonitor {
    aw: Channel,
    w: Channel,
    b: Channel,
    ar: Channel,
    r: Channel,
    s: AxilSigs,
    aws: VecDeque<LiteAddr>,
    ws: VecDeque<LiteData>,
    writes: VecDeque<(LiteAddr, LiteData)>,
    reads: VecDeque<LiteAddr>,
    seen_aw: bool,
    seen_ar: bool,
    pub count: u64,
    /// Responses to requests made before the dump started.
    pub pre_dump: u64,
}

fn with_opt(mut v: Vec<Sig>, o: &[&Option<Sig>]) -> Vec<Sig> {
    v.extend(o.iter().filter_map(|s| (*s).clone()));
    v
}

impl AxilMonitor {
    pub fn new(s: AxilSigs) -> Self {
        AxilMonitor {
            aw: Channel::new(
                s.awvalid.clone(),
                s.awready.clone(),
                with_opt(vec![s.awaddr.clone()], &[&s.awprot]),
            ),
            w: Channel::new(
                s.wvalid.clone(),
                s.wready.clone(),
                vec![s.wdata.clone(), s.wstrb.clone()],
            ),
            b: Channel::new(
                s.bvalid.clone(),
                s.bready.clone(),
                with_opt(vec![], &[&s.bresp]),
            ),
            ar: Channel::new(
                s.arvalid.clone(),
                s.arready.clone(),
                with_opt(vec![s.araddr.clone()], &[&s.arprot]),
            ),
            r: Channel::new(
                s.rvalid.clone(),
                s.rready.clone(),
                with_opt(vec![s.rdata.clone()], &[&s.rresp]),
            ),
            s,
            aws: VecDeque::new(),
            ws: VecDeque::new(),
            writes: VecDeque::new(),
            reads: VecDeque::new(),
            seen_aw: false,
            seen_ar: false,
            count: 0,
            pre_dump: 0,
        }
    }

    /// Requests still waiting for their response.
    pub fn outstanding(&self) -> usize {
        self.aws.len().max(self.ws.len()) + self.writes.len() + self.reads.len()
    }

    pub fn on_edge(&mut self, cx: &mut Ctx<'_>, out: &mut impl FnMut(RegAccess)) {
        if cx.in_reset {
            self.aws.clear();
            self.ws.clear();
            self.writes.clear();
            self.reads.clear();
        }
        let store = cx.store;
        let cycle = cx.cycle;
        if let Some(h) = self.aw.step(cx) {
            self.seen_aw = true;
            self.aws.push_back(LiteAddr {
                addr: val(store, &self.s.awaddr),
                start: h.start,
                cycle,
            });
        }
        if let Some(h) = self.w.step(cx) {
            self.ws.push_back(LiteData {
                data: val(store, &self.s.wdata),
                strb: (val(store, &self.s.wstrb) & 0xff) as u8,
                start: h.start,
                cycle,
            });
        }
        while !self.aws.is_empty() && !self.ws.is_empty() {
            if let (Some(a), Some(d)) = (self.aws.pop_front(), self.ws.pop_front()) {
                self.writes.push_back((a, d));
            }
        }
        if let Some(h) = self.b.step(cx) {
            match self.writes.pop_front() {
                Some((a, d)) => {
                    cx.early(
                        &self.s.bvalid,
                        h.start,
                        a.cycle.max(d.cycle),
                        "the AW and W handshakes completed",
                    );
                    self.count += 1;
                    out(RegAccess {
                        dir: Dir::Write,
                        addr: a.addr,
                        data: d.data,
                        strb: d.strb,
                        resp: Resp::from_store(store, &self.s.bresp),
                        start_cycle: a.start.min(d.start),
                        end_cycle: cycle,
                    });
                }
                None if !cx.reset_seen && !self.seen_aw => self.pre_dump += 1,
                None => cx.violation(
                    &self.s.bvalid.name,
                    Rule::UnexpectedResponse,
                    "write response without an outstanding write".to_string(),
                ),
            }
        }
        if let Some(h) = self.ar.step(cx) {
            self.seen_ar = true;
            self.reads.push_back(LiteAddr {
                addr: val(store, &self.s.araddr),
                start: h.start,
                cycle,
            });
        }
        if let Some(h) = self.r.step(cx) {
            match self.reads.pop_front() {
                Some(a) => {
                    cx.early(&self.s.rvalid, h.start, a.cycle, "the AR handshake");
                    self.count += 1;
                    out(RegAccess {
                        dir: Dir::Read,
                        addr: a.addr,
                        data: val(store, &self.s.rdata),
                        strb: 0xf,
                        resp: Resp::from_store(store, &self.s.rresp),
                        start_cycle: a.start,
                        end_cycle: cycle,
                    });
                }
                None if !cx.reset_seen && !self.seen_ar => self.pre_dump += 1,
                None => cx.violation(
                    &self.s.rvalid.name,
                    Rule::UnexpectedResponse,
                    "read data without an outstanding read".to_string(),
                ),
            }
        }
    }
}

/// AXI4 DMA master signals (`m_axi_*`).
pub(crate) struct AxiSigs {
    pub awid: Option<Sig>,
    pub awaddr: Sig,
    pub awlen: Sig,
    pub awsize: Option<Sig>,
    pub awburst: Option<Sig>,
    pub awvalid: Sig,
    pub awready: Sig,
    pub wdata: Sig,
    pub wstrb: Option<Sig>,
    pub wlast: Sig,
    pub wvalid: Sig,
    pub wready: Sig,
    pub bid: Option<Sig>,
    pub bresp: Option<Sig>,
    pub bvalid: Sig,
    pub bready: Sig,
    pub arid: Option<Sig>,
    pub araddr: Sig,
    pub arlen: Sig,
    pub arsize: Option<Sig>,
    pub arburst: Option<Sig>,
    pub arvalid: Sig,
    pub arready: Sig,
    pub rid: Option<Sig>,
    pub rdata: Sig,
    pub rresp: Option<Sig>,
    pub rlast: Sig,
    pub rvalid: Sig,
    pub rready: Sig,
    /// Bytes per data beat (from the width of WDATA).
    pub bus_bytes: u64,
    pub awlock: Option<Sig>,
    pub awcache: Option<Sig>,
    pub awprot: Option<Sig>,
    pub arlock: Option<Sig>,
    pub arcache: Option<Sig>,
    pub arprot: Option<Sig>,
}

struct Req {
    id: u64,
    addr: u64,
    len: u16,
    size_bytes: u64,
    kind: BurstKind,
    start: u64,
    hs_cycle: u64,
    beats: u64,
    first_data: Option<u64>,
    last_data: u64,
    resp: Resp,
}

/// W data whose AW has not been seen yet (A3.3.1 lets W lead AW).
struct WOnly {
    beats: u64,
    first: u64,
    last: u64,
}

pub(crate) struct AxiMonitor {
    aw: Channel,
    w: Channel,
    b: Channel,
    ar: Channel,
    r: Channel,
    s: AxiSigs,
    /// AWs whose W data is not complete, oldest first.
    aw_wait_w: VecDeque<Req>,
    /// Beats of the W burst in progress (before its WLAST).
    w_cur: Option<WOnly>,
    /// W bursts complete (WLAST seen) before their AW.
    w_done: VecDeque<WOnly>,
    /// Writes waiting for B.
    wait_b: VecDeque<Req>,
    /// Reads waiting for (more) R beats.
    wait_r: VecDeque<Req>,
    seen_aw: bool,
    seen_ar: bool,
    pub count: u64,
    /// Responses and W beats of transactions begun before the dump started.
    pub pre_dump: u64,
}

impl AxiMonitor {
    pub fn new(s: AxiSigs) -> Self {
        let aw = with_opt(
            vec![s.awaddr.clone(), s.awlen.clone()],
            &[
                &s.awid, &s.awsize, &s.awburst, &s.awlock, &s.awcache, &s.awprot,
            ],
        );
        let ar = with_opt(
            vec![s.araddr.clone(), s.arlen.clone()],
            &[
                &s.arid, &s.arsize, &s.arburst, &s.arlock, &s.arcache, &s.arprot,
            ],
        );
        AxiMonitor {
            aw: Channel::new(s.awvalid.clone(), s.awready.clone(), aw),
            w: Channel::new(
                s.wvalid.clone(),
                s.wready.clone(),
                with_opt(vec![s.wdata.clone(), s.wlast.clone()], &[&s.wstrb]),
            ),
            b: Channel::new(
                s.bvalid.clone(),
                s.bready.clone(),
                with_opt(vec![], &[&s.bid, &s.bresp]),
            ),
            ar: Channel::new(s.arvalid.clone(), s.arready.clone(), ar),
            r: Channel::new(
                s.rvalid.clone(),
                s.rready.clone(),
                with_opt(vec![s.rdata.clone(), s.rlast.clone()], &[&s.rid, &s.rresp]),
            ),
            s,
            aw_wait_w: VecDeque::new(),
            w_cur: None,
            w_done: VecDeque::new(),
            wait_b: VecDeque::new(),
            wait_r: VecDeque::new(),
            seen_aw: false,
            seen_ar: false,
            count: 0,
            pre_dump: 0,
        }
    }

    pub fn outstanding(&self) -> usize {
        self.aw_wait_w.len() + self.w_done.len() + self.wait_b.len() + self.wait_r.len()
    }

    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        cx: &mut Ctx<'_>,
        id: &Option<Sig>,
        addr: &Sig,
        len: &Sig,
        size: &Option<Sig>,
        burst: &Option<Sig>,
        start: u64,
    ) -> Req {
        let store = cx.store;
        let full = 63 - u64::leading_zeros(self.s.bus_bytes.max(1)) as u64;
        let size_log = opt_val(store, size, full) & 7;
        let kind = match opt_val(store, burst, 1) & 3 {
            0 => BurstKind::Fixed,
            1 => BurstKind::Incr,
            2 => BurstKind::Wrap,
            _ => BurstKind::Reserved,
        };
        let req = Req {
            id: opt_val(store, id, 0),
            addr: val(store, addr),
            len: (val(store, len) & 0xff) as u16,
            size_bytes: 1 << size_log,
            kind,
            start,
            hs_cycle: cx.cycle,
            beats: 0,
            first_data: None,
            last_data: 0,
            resp: Resp::Okay,
        };
        self.burst_rules(cx, &req, addr, size.as_ref().unwrap_or(len), burst.as_ref());
        req
    }

    /// A3.4.1: burst rules checked at the address handshake.
    fn burst_rules(&self, cx: &mut Ctx<'_>, q: &Req, addr: &Sig, size: &Sig, burst: Option<&Sig>) {
        let beats = u64::from(q.len) + 1;
        if q.size_bytes > self.s.bus_bytes {
            cx.violation(
                &size.name,
                Rule::BurstSize,
                format!(
                    "beat size {} bytes exceeds the {}-byte data bus (AXI A3.4.1)",
                    q.size_bytes, self.s.bus_bytes
                ),
            );
        }
        let burst_name = burst.map_or(addr.name.as_str(), |b| b.name.as_str());
        match q.kind {
            BurstKind::Incr => {
                let aligned = q.addr & !(q.size_bytes - 1);
                let last = aligned.saturating_add(beats * q.size_bytes - 1);
                if q.addr >> 12 != last >> 12 {
                    cx.violation(
                        &addr.name,
                        Rule::Cross4K,
                        format!(
                            "INCR burst 0x{:x}..=0x{last:x} crosses a 4 KiB boundary (AXI A3.4.1)",
                            q.addr
                        ),
                    );
                }
            }
            BurstKind::Wrap => {
                if !matches!(beats, 2 | 4 | 8 | 16) || q.addr % q.size_bytes != 0 {
                    cx.violation(
                        burst_name,
                        Rule::BadWrap,
                        format!(
                            "WRAP burst of {beats} beats at 0x{:x}: needs 2, 4, 8 or 16 beats and an aligned address (AXI A3.4.1)",
                            q.addr
                        ),
                    );
                }
            }
            BurstKind::Fixed => {
                if beats > 16 {
                    cx.violation(
                        burst_name,
                        Rule::BadFixed,
                        format!("FIXED burst of {beats} beats, at most 16 (AXI A3.4.1)"),
                    );
                }
            }
            BurstKind::Reserved => cx.violation(
                burst_name,
                Rule::BadWrap,
                "reserved burst type 0b11 (AXI A3.4.1)".to_string(),
            ),
        }
    }

    /// Matches a finished W burst against its AW (A3.4.1: beats = AxLEN+1).
    fn w_burst_done(&mut self, cx: &mut Ctx<'_>, mut aw: Req, w: &WOnly) {
        let expected = u64::from(aw.len) + 1;
        if w.beats != expected {
            cx.violation(
                &self.s.wlast.name,
                Rule::BeatCount,
                format!(
                    "write burst to 0x{:x}: {} W beats, AWLEN={} means {expected}",
                    aw.addr, w.beats, aw.len
                ),
            );
        }
        aw.beats = w.beats;
        aw.first_data = Some(w.first);
        aw.last_data = w.last;
        self.wait_b.push_back(aw);
    }

    pub fn on_edge(&mut self, cx: &mut Ctx<'_>, out: &mut impl FnMut(Burst)) {
        if cx.in_reset {
            self.aw_wait_w.clear();
            self.w_cur = None;
            self.w_done.clear();
            self.wait_b.clear();
            self.wait_r.clear();
        }
        let cycle = cx.cycle;
        if let Some(h) = self.aw.step(cx) {
            self.seen_aw = true;
            let s = &self.s;
            let req = self.request(
                cx, &s.awid, &s.awaddr, &s.awlen, &s.awsize, &s.awburst, h.start,
            );
            match self.w_done.pop_front() {
                Some(w) => self.w_burst_done(cx, req, &w),
                None => self.aw_wait_w.push_back(req),
            }
        }
        let w_hs = self.w.step(cx).is_some();
        if w_hs && !cx.reset_seen && !self.seen_aw {
            // W data of a write whose AW preceded the dump.
            self.pre_dump += 1;
        } else if w_hs {
            let last = cx.store.high(self.s.wlast.slot);
            let cur = self.w_cur.get_or_insert(WOnly {
                beats: 0,
                first: cycle,
                last: cycle,
            });
            cur.beats += 1;
            cur.last = cycle;
            let beats = cur.beats;
            // A W burst belongs to the oldest AW still without its data;
            // while earlier W bursts wait for their AW, its AW is unknown.
            let expected = if self.w_done.is_empty() {
                self.aw_wait_w.front().map(|q| u64::from(q.len) + 1)
            } else {
                None
            };
            if expected == Some(beats) && !last {
                cx.violation(
                    &self.s.wlast.name,
                    Rule::LastMissing,
                    format!("WLAST low on beat {beats}, the last of the burst (AXI A3.4.1)"),
                );
            }
            if let Some(w) = self.w_cur.take_if(|_| last) {
                match self.aw_wait_w.pop_front() {
                    Some(aw) => self.w_burst_done(cx, aw, &w),
                    None => self.w_done.push_back(w),
                }
            }
        }
        if let Some(h) = self.b.step(cx) {
            let id = opt_val(cx.store, &self.s.bid, 0);
            let resp = Resp::from_store(cx.store, &self.s.bresp);
            match self.wait_b.iter().position(|q| q.id == id) {
                Some(i) => {
                    if let Some(mut q) = self.wait_b.remove(i) {
                        cx.early(
                            &self.s.bvalid,
                            h.start,
                            q.last_data.max(q.hs_cycle),
                            "the last W beat and AW handshake",
                        );
                        q.resp = resp;
                        self.count += 1;
                        out(Burst {
                            dir: Dir::Write,
                            id: q.id,
                            addr: q.addr,
                            len: q.len,
                            size_bytes: q.size_bytes,
                            kind: q.kind,
                            beats: q.beats,
                            resp,
                            start_cycle: q.start,
                            first_data_cycle: q.first_data.unwrap_or(cycle),
                            end_cycle: cycle,
                        });
                    }
                }
                None if !cx.reset_seen && !self.seen_aw => self.pre_dump += 1,
                None => cx.violation(
                    self.s.bid.as_ref().map_or(&self.s.bvalid.name, |s| &s.name),
                    Rule::UnexpectedResponse,
                    format!("write response for ID {id} without an outstanding write"),
                ),
            }
        }
        if let Some(h) = self.ar.step(cx) {
            self.seen_ar = true;
            let s = &self.s;
            let req = self.request(
                cx, &s.arid, &s.araddr, &s.arlen, &s.arsize, &s.arburst, h.start,
            );
            self.wait_r.push_back(req);
        }
        if let Some(h) = self.r.step(cx) {
            let id = opt_val(cx.store, &self.s.rid, 0);
            let resp = Resp::from_store(cx.store, &self.s.rresp);
            let last = cx.store.high(self.s.rlast.slot);
            match self.wait_r.iter().position(|q| q.id == id) {
                Some(i) => {
                    let q = &mut self.wait_r[i];
                    if q.beats == 0 {
                        cx.early(&self.s.rvalid, h.start, q.hs_cycle, "the AR handshake");
                    }
                    q.beats += 1;
                    q.first_data.get_or_insert(cycle);
                    q.resp = q.resp.max(resp);
                    let expected = u64::from(q.len) + 1;
                    if q.beats == expected && !last {
                        cx.violation(
                            &self.s.rlast.name,
                            Rule::LastMissing,
                            format!(
                                "RLAST low on beat {expected}, the last of the burst for ID {id} (AXI A3.4.1)"
                            ),
                        );
                    }
                    if last {
                        if q.beats != expected {
                            cx.violation(
                                &self.s.rlast.name,
                                Rule::BeatCount,
                                format!(
                                    "read burst from 0x{:x}: {} R beats, ARLEN={} means {expected}",
                                    q.addr, q.beats, q.len
                                ),
                            );
                        }
                        if let Some(q) = self.wait_r.remove(i) {
                            self.count += 1;
                            out(Burst {
                                dir: Dir::Read,
                                id: q.id,
                                addr: q.addr,
                                len: q.len,
                                size_bytes: q.size_bytes,
                                kind: q.kind,
                                beats: q.beats,
                                resp: q.resp,
                                start_cycle: q.start,
                                first_data_cycle: q.first_data.unwrap_or(cycle),
                                end_cycle: cycle,
                            });
                        }
                    }
                }
                None if !cx.reset_seen && !self.seen_ar => self.pre_dump += 1,
                None => cx.violation(
                    self.s.rid.as_ref().map_or(&self.s.rvalid.name, |s| &s.name),
                    Rule::UnexpectedResponse,
                    format!("read data for ID {id} without an outstanding read"),
                ),
            }
        }
    }
}
