//! `nicsim journey`: follow one packet through every layer, from the
//! application's write to the far application's read, with the simulated
//! time (ns) and clock cycle of each step (issue 11, docs/journey.md).
//!
//! How it works:
//! 1. The scenario runs under a `tracing` subscriber whose [`Collector`]
//!    layer keeps every event with target `journey` (stack, TCP, driver,
//!    `src/system.rs`, sim) as an [`Event`]. Driver events name no host:
//!    the `host` and `nic` spans of `src/system.rs` give them one. Sim
//!    events (layers `wire`, `dma`, `nic`) carry the NIC index in `host`.
//! 2. [`select`] picks the event where the journey starts (a TCP segment
//!    built, an echo request, a UDP send), [`follow`] walks from it layer by
//!    layer. Packet ids survive across layers and the wire
//!    (`ARCHITECTURE.md`, "Where a packet's journey is recorded"), but a
//!    TCP write's id is shared by all segments cut from it, so steps are
//!    matched as follows:
//!    - sender software and driver: the k-th event of its kind with the id
//!      on the host, k being the origin's rank among its own kind;
//!    - DMA: by address (the descriptor and buffer the driver used, from
//!      its `tx_desc`/`rx_desc` events) and time order; buffers are never
//!      reused (sim `hostmem.rs`), descriptors are, so the first access
//!      after the driver wrote the descriptor is taken;
//!    - wire: the first frame with the id after the data DMA; the far side:
//!      the first good frame with the id on another NIC after it started;
//!    - far driver: the j-th `rx_packet` (system.rs: id matched from the
//!      frame bytes) for the j-th good frame with the id, and the driver's
//!      `rx_deliver` with the same running count, whose `rx_desc` events
//!      give the RX buffer and descriptor;
//!    - interrupt raised, ICR read, NAPI poll: not tied to one packet, the
//!      first of each on that NIC after the DD write-back (issue 11);
//!    - far stack: the first event of each kind with the id after the
//!      packet was handed up, TCP by sequence number.
//! 3. The journey prints as a table ([`Journey::table`]), as Chrome/Perfetto
//!    trace JSON ([`Journey::perfetto`]), and the packet ids go on the
//!    waveform's marker inputs (`Hooks::markers`).
//!
//! Frames lost or dropped after the wire shift the pairing of segments
//! that share an id (`stress` with loss): [`Journey::warnings`] says when a
//! TCP receive did not match the sent sequence number.

use crate::config::RunConfig;
use crate::report::Report;
use crate::scenario::{self, Hooks, ScenarioError, ScenarioKind};
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Nanoseconds per clock cycle (125 MHz).
pub const CLK_NS: u64 = sim::world::CLK_NS;

/// The tracing target every journey event uses.
pub const TARGET: &str = "journey";

/// Layers whose events come from the simulated hardware; their `host`
/// field is the NIC index.
const HW_LAYERS: [&str; 3] = ["wire", "dma", "nic"];

/// One field value of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U64(u64),
    I64(i64),
    Bool(bool),
    Str(String),
}

impl Value {
    fn as_u64(&self) -> Option<u64> {
        match self {
            Value::U64(v) => Some(*v),
            Value::I64(v) => u64::try_from(*v).ok(),
            Value::Bool(b) => Some(u64::from(*b)),
            Value::Str(s) => s.parse().ok(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::U64(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Str(v) => f.write_str(v),
        }
    }
}

/// One recorded journey event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the log (program order).
    pub index: usize,
    /// Host name; empty when no host could be told.
    pub host: String,
    /// Hardware NIC index, when known.
    pub nic: Option<usize>,
    pub layer: String,
    pub event: String,
    /// Packet id (`packet` or `id` field); 0 when none.
    pub packet: u64,
    /// Simulated time.
    pub ns: u64,
    /// Clock cycle, for hardware events.
    pub cycle: Option<u64>,
    /// Every other field.
    pub fields: BTreeMap<String, Value>,
}

impl Event {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }
    pub fn u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(Value::as_u64)
    }
    /// The cycle of the event, or for software the cycle its time falls in.
    pub fn at_cycle(&self) -> u64 {
        self.cycle.unwrap_or(self.ns / CLK_NS)
    }
    fn is(&self, layer: &str, event: &str) -> bool {
        self.layer == layer && self.event == event
    }
    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some(Value::Bool(true)))
    }
    /// Whether a DMA burst event covers `addr`.
    fn covers(&self, addr: u64) -> bool {
        self.overlaps(addr, 1)
    }
    /// Whether a DMA burst event touches `[addr, addr + len)` (a write-back
    /// may write only the status half of a descriptor).
    fn overlaps(&self, addr: u64, len: u64) -> bool {
        match (self.u64("addr"), self.u64("bytes")) {
            (Some(a), Some(n)) => a < addr.saturating_add(len) && addr < a.saturating_add(n),
            _ => false,
        }
    }
}

#[derive(Default)]
struct Fields(Vec<(String, Value)>);

impl Visit for Fields {
    fn record_u64(&mut self, f: &Field, v: u64) {
        self.0.push((f.name().to_string(), Value::U64(v)));
    }
    fn record_i64(&mut self, f: &Field, v: i64) {
        self.0.push((f.name().to_string(), Value::I64(v)));
    }
    fn record_bool(&mut self, f: &Field, v: bool) {
        self.0.push((f.name().to_string(), Value::Bool(v)));
    }
    fn record_str(&mut self, f: &Field, v: &str) {
        self.0
            .push((f.name().to_string(), Value::Str(v.to_string())));
    }
    fn record_debug(&mut self, f: &Field, v: &dyn fmt::Debug) {
        self.0
            .push((f.name().to_string(), Value::Str(format!("{v:?}"))));
    }
}

/// Host and NIC named by a `journey` span.
#[derive(Debug, Clone, Default)]
struct SpanTag {
    host: Option<String>,
    nic: Option<usize>,
}

/// The `tracing` layer that keeps journey events.
#[derive(Clone, Default)]
pub struct Collector {
    events: Arc<Mutex<Vec<Event>>>,
}

impl Collector {
    pub fn new() -> Collector {
        Collector::default()
    }

    /// The events so far, with hardware events given the host name their
    /// NIC belongs to.
    pub fn events(&self) -> Vec<Event> {
        let mut ev = self
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut hosts: BTreeMap<usize, String> = BTreeMap::new();
        for e in &ev {
            if let (Some(n), false) = (e.nic, e.host.is_empty()) {
                hosts.entry(n).or_insert_with(|| e.host.clone());
            }
        }
        for e in &mut ev {
            if e.host.is_empty() {
                if let Some(h) = e.nic.and_then(|n| hosts.get(&n)) {
                    e.host = h.clone();
                }
            }
        }
        ev
    }
}

fn journey_only(m: &Metadata<'_>) -> bool {
    m.target() == TARGET
}

impl<S> Layer<S> for Collector
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut f = Fields::default();
        attrs.record(&mut f);
        let mut tag = SpanTag::default();
        for (k, v) in f.0 {
            match k.as_str() {
                "host" => tag.host = Some(v.to_string()),
                "nic" => tag.nic = v.as_u64().and_then(|n| usize::try_from(n).ok()),
                _ => {}
            }
        }
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(tag);
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut f = Fields::default();
        event.record(&mut f);
        let mut e = Event {
            index: 0,
            host: String::new(),
            nic: None,
            layer: String::new(),
            event: String::new(),
            packet: 0,
            ns: 0,
            cycle: None,
            fields: BTreeMap::new(),
        };
        let mut host_field = None;
        for (k, v) in f.0 {
            match k.as_str() {
                "host" => host_field = Some(v),
                "layer" => e.layer = v.to_string(),
                "event" => e.event = v.to_string(),
                "packet" | "id" => e.packet = v.as_u64().unwrap_or(0),
                "ns" => e.ns = v.as_u64().unwrap_or(0),
                "cycle" => e.cycle = v.as_u64(),
                _ => {
                    e.fields.insert(k, v);
                }
            }
        }
        if HW_LAYERS.contains(&e.layer.as_str()) {
            // Hardware events fire while any host's register access ticks
            // the world: their own field names the NIC, spans do not.
            e.nic = host_field
                .and_then(|v| v.as_u64())
                .and_then(|n| usize::try_from(n).ok());
        } else {
            if let Some(scope) = ctx.event_scope(event) {
                for span in scope.from_root() {
                    if let Some(t) = span.extensions().get::<SpanTag>() {
                        if let Some(h) = &t.host {
                            e.host = h.clone();
                        }
                        if t.nic.is_some() {
                            e.nic = t.nic;
                        }
                    }
                }
            }
            if let Some(h) = host_field {
                e.host = h.to_string();
            }
        }
        let mut v = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        e.index = v.len();
        v.push(e);
    }
}

/// Why a journey could not be shown.
#[derive(Debug)]
pub enum JourneyError {
    Scenario(ScenarioError),
    /// `--match` did not parse.
    BadMatch(String),
    /// No event fits the selection.
    NoPacket(String),
    Io(PathBuf, std::io::Error),
}

impl fmt::Display for JourneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JourneyError::Scenario(e) => write!(f, "scenario: {e}"),
            JourneyError::BadMatch(s) => write!(f, "bad --match: {s}"),
            JourneyError::NoPacket(s) => write!(f, "no packet to follow: {s}"),
            JourneyError::Io(p, e) => write!(f, "{}: {e}", p.display()),
        }
    }
}

impl std::error::Error for JourneyError {}

/// Run a scenario and keep its journey events. Packet ids also go on the
/// waveform markers when the configuration asks for a VCD.
pub fn record(kind: ScenarioKind, cfg: &RunConfig) -> Result<(Report, Vec<Event>), JourneyError> {
    let collector = Collector::new();
    let subscriber = tracing_subscriber::registry().with(
        collector
            .clone()
            .with_filter(tracing_subscriber::filter::filter_fn(journey_only)),
    );
    let hooks = Hooks {
        markers: true,
        ..Hooks::default()
    };
    let report = tracing::subscriber::with_default(subscriber, || scenario::run(kind, cfg, &hooks))
        .map_err(JourneyError::Scenario)?;
    Ok((report, collector.events()))
}

// ------------------------------------------------------------- selection

/// One comparison of a `--match` expression.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
struct Term {
    key: String,
    op: Op,
    value: String,
}

/// A parsed `--match` expression: terms separated by commas, all of which
/// must hold for an event. A term is `KEY OP VALUE` with OP one of
/// `= != < <= > >=` (the ordering ones compare numbers), KEY one of
/// `host layer event packet ns cycle nic` or any field of the event (`seq`,
/// `ack`, `win`, `len`, `dst`, ...). Shorthands: `tcp` =
/// `layer=tcp,event=segment_built,len>0`, `icmp` =
/// `layer=icmp,event=echo-request`, `udp` = `layer=udp,event=send`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher(Vec<Term>);

impl Matcher {
    pub fn parse(expr: &str) -> Result<Matcher, JourneyError> {
        let mut terms = Vec::new();
        for raw in expr.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let short = match raw {
                "tcp" => Some("layer=tcp,event=segment_built,len>0"),
                "icmp" => Some("layer=icmp,event=echo-request"),
                "udp" => Some("layer=udp,event=send"),
                _ => None,
            };
            if let Some(s) = short {
                terms.extend(Matcher::parse(s)?.0);
                continue;
            }
            let ops = [
                ("!=", Op::Ne),
                ("<=", Op::Le),
                (">=", Op::Ge),
                ("=", Op::Eq),
                ("<", Op::Lt),
                (">", Op::Gt),
            ];
            let Some((at, len, op)) = ops
                .iter()
                .filter_map(|(s, op)| raw.find(s).map(|i| (i, s.len(), op.clone())))
                .min_by_key(|(i, l, _)| (*i, usize::MAX - l))
            else {
                return Err(JourneyError::BadMatch(format!(
                    "`{raw}`: expected KEY=VALUE, KEY!=VALUE, KEY<N, KEY<=N, KEY>N, KEY>=N or tcp/icmp/udp"
                )));
            };
            let key = raw[..at].trim().to_string();
            let value = raw[at + len..].trim().to_string();
            if key.is_empty() || value.is_empty() {
                return Err(JourneyError::BadMatch(format!(
                    "`{raw}`: empty key or value"
                )));
            }
            if !matches!(op, Op::Eq | Op::Ne) && value.parse::<u64>().is_err() {
                return Err(JourneyError::BadMatch(format!(
                    "`{raw}`: ordering compares numbers"
                )));
            }
            terms.push(Term { key, op, value });
        }
        if terms.is_empty() {
            return Err(JourneyError::BadMatch("empty expression".into()));
        }
        Ok(Matcher(terms))
    }

    pub fn matches(&self, e: &Event) -> bool {
        self.0.iter().all(|t| {
            let v: Option<String> = match t.key.as_str() {
                "host" => Some(e.host.clone()),
                "layer" => Some(e.layer.clone()),
                "event" => Some(e.event.clone()),
                "packet" | "id" => Some(e.packet.to_string()),
                "ns" => Some(e.ns.to_string()),
                "cycle" => Some(e.at_cycle().to_string()),
                "nic" => e.nic.map(|n| n.to_string()),
                k => e.get(k).map(Value::to_string),
            };
            let Some(v) = v else { return false };
            let num = || Some((v.parse::<u64>().ok()?, t.value.parse::<u64>().ok()?));
            match t.op {
                Op::Eq => v == t.value,
                Op::Ne => v != t.value,
                Op::Lt => num().is_some_and(|(a, b)| a < b),
                Op::Le => num().is_some_and(|(a, b)| a <= b),
                Op::Gt => num().is_some_and(|(a, b)| a > b),
                Op::Ge => num().is_some_and(|(a, b)| a >= b),
            }
        })
    }
}

/// Which packet to follow.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Selector {
    /// The first TCP data segment, else the first echo request, else the
    /// first UDP datagram.
    #[default]
    Default,
    /// The first journey start with this packet id.
    Packet(u64),
    /// The first event the expression matches (if it is no journey start,
    /// its packet id is followed).
    Match(Matcher),
}

fn is_origin(e: &Event) -> bool {
    e.is("tcp", "segment_built") || e.is("icmp", "echo-request") || e.is("udp", "send")
}

fn is_data_segment(e: &Event) -> bool {
    e.is("tcp", "segment_built") && e.u64("len").unwrap_or(0) > 0
}

/// Index of the event where the journey starts.
pub fn select(events: &[Event], sel: &Selector) -> Result<usize, JourneyError> {
    let by_packet = |p: u64| {
        events
            .iter()
            .find(|e| e.packet == p && is_data_segment(e))
            .or_else(|| events.iter().find(|e| e.packet == p && is_origin(e)))
            .map(|e| e.index)
            .ok_or_else(|| {
                JourneyError::NoPacket(format!(
                    "packet {p} starts no journey (no TCP segment, echo request or UDP send)"
                ))
            })
    };
    match sel {
        Selector::Default => events
            .iter()
            .find(|e| is_data_segment(e))
            .or_else(|| events.iter().find(|e| e.is("icmp", "echo-request")))
            .or_else(|| events.iter().find(|e| e.is("udp", "send")))
            .map(|e| e.index)
            .ok_or_else(|| {
                JourneyError::NoPacket("no TCP data, echo request or UDP datagram".into())
            }),
        Selector::Packet(p) => by_packet(*p),
        Selector::Match(m) => {
            let e = events
                .iter()
                .find(|e| m.matches(e))
                .ok_or_else(|| JourneyError::NoPacket("no event matches".into()))?;
            if is_origin(e) {
                Ok(e.index)
            } else {
                by_packet(e.packet)
            }
        }
    }
}

// --------------------------------------------------------------- journey

/// What kind of packet a journey follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    TcpData,
    TcpControl,
    IcmpEcho,
    Udp,
}

/// One step of a journey.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What happens (the step list).
    pub label: &'static str,
    pub host: String,
    pub layer: String,
    pub event: String,
    pub ns: u64,
    pub cycle: u64,
    /// Duration, for steps that take time (bus write, frame on the wire,
    /// NAPI poll).
    pub dur_ns: Option<u64>,
    pub detail: String,
}

/// A followed packet.
#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    pub packet: u64,
    pub kind: Kind,
    pub steps: Vec<Step>,
    /// Required steps that were not found.
    pub missing: Vec<&'static str>,
    pub warnings: Vec<String>,
}

// Step labels, in journey order.
pub const S_APPEND: &str = "socket send buffer append";
pub const S_SEGMENT: &str = "TCP segment built";
pub const S_ECHO: &str = "ICMP echo request built";
pub const S_UDP: &str = "UDP datagram built";
pub const S_IP_OUT: &str = "IP header, FIB route chosen";
pub const S_NEIGH: &str = "neighbour lookup";
pub const S_ETH: &str = "Ethernet header";
pub const S_DEV_TX: &str = "device transmit";
pub const S_TX_DESC: &str = "driver TX descriptor";
pub const S_DOORBELL: &str = "tail doorbell (TDT write)";
pub const S_FETCH: &str = "descriptor fetch (DMA read)";
pub const S_DATA_DMA: &str = "data DMA read";
pub const S_PREAMBLE: &str = "GMII preamble start";
pub const S_SFD: &str = "GMII SFD";
pub const S_FCS: &str = "GMII last FCS byte";
pub const S_RX_FIFO: &str = "far side RX FIFO (frame in, FCS checked)";
pub const S_RX_DMA: &str = "RX DMA write";
pub const S_DD: &str = "DD write-back";
pub const S_IRQ: &str = "interrupt raised";
pub const S_ICR: &str = "ICR read";
pub const S_NAPI: &str = "NAPI poll";
pub const S_RX_CLEAN: &str = "driver RX descriptor cleaned";
pub const S_HANDED_UP: &str = "packet id matched, handed up";
pub const S_DEMUX: &str = "protocol demux (EtherType)";
pub const S_IP_RX: &str = "IP receive";
pub const S_L4_DEMUX: &str = "IP protocol demux";
pub const S_TCP_RX: &str = "TCP receive";
pub const S_ACK: &str = "ACK it causes";
pub const S_RCVQ: &str = "socket receive queue";
pub const S_READ: &str = "application read";
pub const S_ICMP_RX: &str = "ICMP receive";
pub const S_REPLY: &str = "echo reply sent";
pub const S_UDP_RX: &str = "UDP deliver";

/// Steps every journey of the kind has (the ACK may be cumulative, caused
/// by a later segment, so it is not required).
pub fn required(kind: Kind) -> Vec<&'static str> {
    let mid = [
        S_IP_OUT,
        S_NEIGH,
        S_ETH,
        S_DEV_TX,
        S_TX_DESC,
        S_DOORBELL,
        S_FETCH,
        S_DATA_DMA,
        S_PREAMBLE,
        S_SFD,
        S_FCS,
        S_RX_FIFO,
        S_RX_DMA,
        S_DD,
        S_IRQ,
        S_ICR,
        S_NAPI,
        S_RX_CLEAN,
        S_HANDED_UP,
        S_DEMUX,
        S_IP_RX,
        S_L4_DEMUX,
    ];
    let mut v = Vec::new();
    match kind {
        Kind::TcpData => {
            v.extend([S_APPEND, S_SEGMENT]);
            v.extend(mid);
            v.extend([S_TCP_RX, S_RCVQ, S_READ]);
        }
        Kind::TcpControl => {
            v.push(S_SEGMENT);
            v.extend(mid);
            v.push(S_TCP_RX);
        }
        Kind::IcmpEcho => {
            v.push(S_ECHO);
            v.extend(mid);
            v.extend([S_ICMP_RX, S_REPLY]);
        }
        Kind::Udp => {
            v.push(S_UDP);
            v.extend(mid);
            v.push(S_UDP_RX);
        }
    }
    v
}

/// Walks the log for one journey.
struct Walk<'a> {
    ev: &'a [Event],
    steps: Vec<Step>,
    warnings: Vec<String>,
}

impl<'a> Walk<'a> {
    fn push(&mut self, label: &'static str, e: &Event, detail: String) {
        self.push_at(label, e, e.ns, e.at_cycle(), None, detail);
    }

    fn push_at(
        &mut self,
        label: &'static str,
        e: &Event,
        ns: u64,
        cycle: u64,
        dur_ns: Option<u64>,
        detail: String,
    ) {
        self.steps.push(Step {
            label,
            host: e.host.clone(),
            layer: e.layer.clone(),
            event: e.event.clone(),
            ns,
            cycle,
            dur_ns,
            detail,
        });
    }

    /// The `k`-th event on `host` with `packet` whose (layer, event) is one
    /// of `kinds`.
    fn nth(&self, host: &str, kinds: &[(&str, &str)], packet: u64, k: usize) -> Option<&'a Event> {
        self.ev
            .iter()
            .filter(|e| {
                e.host == host && e.packet == packet && kinds.iter().any(|(l, v)| e.is(l, v))
            })
            .nth(k)
    }

    /// The first event after log position `after` that `p` accepts.
    fn after(&self, after: usize, p: impl Fn(&Event) -> bool) -> Option<&'a Event> {
        self.ev.iter().skip(after + 1).find(|e| p(e))
    }

    /// The first event at or after simulated time `ns` that `p` accepts.
    fn at_or_after(&self, ns: u64, p: impl Fn(&Event) -> bool) -> Option<&'a Event> {
        self.ev.iter().find(|e| e.ns >= ns && p(e))
    }
}

fn detail(e: &Event, keys: &[&str]) -> String {
    let mut s = String::new();
    for k in keys {
        if let Some(v) = e.get(k) {
            if !s.is_empty() {
                s.push(' ');
            }
            let _ = write!(s, "{k}={v}");
        }
    }
    s
}

/// Follow the packet whose journey starts at log position `origin`.
pub fn follow(events: &[Event], origin: usize) -> Journey {
    let mut w = Walk {
        ev: events,
        steps: Vec::new(),
        warnings: Vec::new(),
    };
    let Some(o) = events.get(origin) else {
        return Journey {
            packet: 0,
            kind: Kind::TcpControl,
            steps: Vec::new(),
            missing: Vec::new(),
            warnings: vec![format!("no event {origin}")],
        };
    };
    let kind = if is_data_segment(o) {
        Kind::TcpData
    } else if o.is("tcp", "segment_built") {
        Kind::TcpControl
    } else if o.is("icmp", "echo-request") {
        Kind::IcmpEcho
    } else {
        Kind::Udp
    };
    let (id, host) = (o.packet, o.host.clone());
    // The origin's rank among its own kind on its host (segments of one
    // write share the id).
    let k = events[..origin]
        .iter()
        .filter(|e| e.host == host && e.packet == id && e.is(&o.layer, &o.event))
        .count();

    if kind == Kind::TcpData {
        if let Some(a) = events[..origin]
            .iter()
            .rev()
            .find(|e| e.host == host && e.packet == id && e.is("socket", "append"))
        {
            w.push(S_APPEND, a, detail(a, &["len"]));
        }
    }
    let origin_label = match kind {
        Kind::TcpData | Kind::TcpControl => S_SEGMENT,
        Kind::IcmpEcho => S_ECHO,
        Kind::Udp => S_UDP,
    };
    w.push(
        origin_label,
        o,
        detail(o, &["seq", "ack", "win", "len", "dst"]),
    );

    // Sender: IP, neighbour, Ethernet, device (source note 004).
    for (label, kinds, keys) in [
        (
            S_IP_OUT,
            &[("ip", "output")][..],
            &["route", "src", "dst", "len"][..],
        ),
        (
            S_NEIGH,
            &[("neigh", "resolved"), ("neigh", "queued")],
            &["next_hop", "mac"],
        ),
        (S_ETH, &[("eth", "queued")], &["dst"]),
        (S_DEV_TX, &[("device", "transmit")], &["len"]),
    ] {
        if let Some(e) = w.nth(&host, kinds, id, k) {
            let mut d = detail(e, keys);
            if e.event == "queued" && e.layer == "neigh" {
                d.push_str(" (waits for ARP)");
            }
            w.push(label, e, d);
        }
    }

    // Driver: descriptors and doorbell (8254x 3.3).
    let bell = w.nth(&host, &[("driver", "tx_doorbell")], id, k);
    let mut first_desc = None;
    if let Some(b) = bell {
        let prev_bell = events[..b.index]
            .iter()
            .rev()
            .find(|e| e.host == host && e.nic == b.nic && e.is("driver", "tx_doorbell"))
            .map_or(0, |e| e.index);
        let descs: Vec<&Event> = events[prev_bell..b.index]
            .iter()
            .filter(|e| e.nic == b.nic && e.packet == id && e.is("driver", "tx_desc"))
            .collect();
        if let Some(d) = descs.first() {
            let idx: Vec<String> = descs
                .iter()
                .filter_map(|d| d.get("idx").map(Value::to_string))
                .collect();
            w.push(
                S_TX_DESC,
                d,
                format!(
                    "nic{} idx {} buf {:#x} len {}",
                    d.nic.unwrap_or(0),
                    idx.join(","),
                    d.u64("buf").unwrap_or(0),
                    d.get("len").map(Value::to_string).unwrap_or_default()
                ),
            );
            first_desc = Some(*d);
        }
        let issued = b.u64("issued_ns").unwrap_or(b.ns);
        w.push_at(
            S_DOORBELL,
            b,
            issued,
            issued / CLK_NS,
            Some(b.ns.saturating_sub(issued)),
            format!(
                "TDT={} AXI-Lite write cycles {}..{}",
                b.get("tail").map(Value::to_string).unwrap_or_default(),
                issued / CLK_NS,
                b.ns / CLK_NS
            ),
        );
    }
    let nic = bell.and_then(|b| b.nic);

    // NIC: descriptor fetch, data DMA, GMII (8254x 3.3, IEEE 802.3 4.2.3).
    let mut t = first_desc.map_or(o.ns, |d| d.ns);
    if let (Some(d), Some(n)) = (first_desc, nic) {
        let desc = d.u64("desc").unwrap_or(0);
        if let Some(f) = w.at_or_after(t, |e| {
            e.nic == Some(n) && e.is("dma", "desc_fetch") && e.covers(desc)
        }) {
            w.push(
                S_FETCH,
                f,
                format!(
                    "{:#x} +{} bytes",
                    f.u64("addr").unwrap_or(0),
                    f.u64("bytes").unwrap_or(0)
                ),
            );
            t = f.ns;
        }
        let buf = d.u64("buf").unwrap_or(0);
        if let Some(f) = w.at_or_after(t, |e| {
            e.nic == Some(n) && e.is("dma", "data_read") && e.covers(buf)
        }) {
            w.push(
                S_DATA_DMA,
                f,
                format!(
                    "{:#x} +{} bytes (first burst)",
                    f.u64("addr").unwrap_or(0),
                    f.u64("bytes").unwrap_or(0)
                ),
            );
            t = f.ns;
        }
    }
    let tx = nic.and_then(|n| {
        w.at_or_after(t, |e| {
            e.nic == Some(n) && e.packet == id && e.is("wire", "tx_frame")
        })
    });
    let mut rx_frame = None;
    if let Some(f) = tx {
        let start = f.at_cycle();
        let sfd = f.u64("sfd_cycle").unwrap_or(start);
        let end = f.u64("end_cycle").unwrap_or(start);
        let len = f.get("len").map(Value::to_string).unwrap_or_default();
        w.push_at(
            S_PREAMBLE,
            f,
            start * CLK_NS,
            start,
            Some((end + 1 - start) * CLK_NS),
            format!("nic{} gmii_tx_en rises", f.nic.unwrap_or(0)),
        );
        w.push_at(
            S_SFD,
            f,
            sfd * CLK_NS,
            sfd,
            None,
            format!("after {} preamble bytes", sfd - start),
        );
        w.push_at(
            S_FCS,
            f,
            end * CLK_NS,
            end,
            None,
            format!("{len} bytes after SFD, FCS included"),
        );
        rx_frame = w.at_or_after(f.ns, |e| {
            e.nic != f.nic && e.packet == id && e.is("wire", "rx_frame") && e.flag("fcs_ok")
        });
    }

    // Far side: RX FIFO, RX DMA, write-back, interrupt (8254x 3.2).
    let mut handed = None;
    if let Some(r) = rx_frame {
        let m = r.nic;
        let start = r.at_cycle();
        let end = r.u64("end_cycle").unwrap_or(start);
        w.push_at(
            S_RX_FIFO,
            r,
            end * CLK_NS,
            end,
            None,
            format!("nic{} gmii_rx_dv cycles {start}..{end}", m.unwrap_or(0)),
        );
        let j = events[..r.index]
            .iter()
            .filter(|e| {
                e.nic == m && e.packet == id && e.is("wire", "rx_frame") && e.flag("fcs_ok")
            })
            .count();
        let rxp = events
            .iter()
            .filter(|e| e.nic == m && e.packet == id && e.is("driver", "rx_packet"))
            .nth(j);
        let deliver = rxp.and_then(|p| {
            let n = p.u64("n");
            events[..p.index].iter().rev().find(|e| {
                e.nic == m && e.host == p.host && e.is("driver", "rx_deliver") && e.u64("n") == n
            })
        });
        // The descriptors of this delivery: the rx_desc events just before
        // it, back to the previous end of packet.
        let mut descs: Vec<&Event> = Vec::new();
        if let Some(dl) = deliver {
            for e in events[..dl.index].iter().rev() {
                if e.nic != m || e.host != dl.host {
                    continue;
                }
                if e.is("driver", "rx_deliver") {
                    break;
                }
                if e.is("driver", "rx_desc") {
                    if !descs.is_empty() && e.flag("eop") {
                        break;
                    }
                    descs.push(e);
                }
            }
            descs.reverse();
        }
        let mut t = r.ns;
        if let (Some(first), Some(eop)) = (descs.first(), descs.last()) {
            let buf = first.u64("buf").unwrap_or(0);
            if let Some(d) = w.at_or_after(t, |e| {
                e.nic == m && e.is("dma", "data_write") && e.covers(buf)
            }) {
                w.push(
                    S_RX_DMA,
                    d,
                    format!(
                        "buffer {buf:#x}, first burst +{} bytes",
                        d.u64("bytes").unwrap_or(0)
                    ),
                );
                t = d.ns;
            }
            let desc = eop.u64("desc").unwrap_or(0);
            let mut dd_ns = None;
            if let Some(d) = w.at_or_after(t, |e| {
                e.nic == m && e.is("dma", "desc_writeback") && e.overlaps(desc, 16)
            }) {
                w.push(
                    S_DD,
                    d,
                    format!(
                        "descriptor idx {} at {desc:#x}",
                        eop.get("idx").map(Value::to_string).unwrap_or_default()
                    ),
                );
                dd_ns = Some(d.ns);
            }
            if let Some(dd) = dd_ns {
                let irq = w.at_or_after(dd, |e| e.nic == m && e.is("nic", "irq_raised"));
                if let Some(i) = irq {
                    w.push(S_IRQ, i, format!("nic{} irq rises", m.unwrap_or(0)));
                }
                let icr = w.at_or_after(irq.map_or(dd, |i| i.ns), |e| {
                    e.nic == m && e.is("driver", "icr_read")
                });
                if let Some(c) = icr {
                    let bits = c.u64("icr").unwrap_or(0);
                    w.push(S_ICR, c, format!("ICR={bits:#x}"));
                }
                let napi = w.at_or_after(icr.map_or(dd, |c| c.ns), |e| {
                    e.nic == m && e.is("driver", "napi_poll")
                });
                if let Some(p) = napi {
                    let end = p.u64("end_ns").unwrap_or(p.ns);
                    w.push_at(
                        S_NAPI,
                        p,
                        p.ns,
                        p.at_cycle(),
                        Some(end.saturating_sub(p.ns)),
                        detail(p, &["work", "budget"]),
                    );
                }
            }
            w.push(
                S_RX_CLEAN,
                eop,
                format!(
                    "idx {} len {}",
                    eop.get("idx").map(Value::to_string).unwrap_or_default(),
                    eop.get("len").map(Value::to_string).unwrap_or_default()
                ),
            );
        }
        if let Some(p) = rxp {
            w.push(
                S_HANDED_UP,
                p,
                format!("delivery {}", p.u64("n").unwrap_or(0)),
            );
            handed = Some(p);
        }
    }

    // Far stack (source note 001 "traffic path", 003).
    if let Some(p) = handed {
        let fh = p.host.clone();
        let mut pos = p.index;
        for (label, layer, event, keys) in [
            (S_DEMUX, "device", "receive", &["len"][..]),
            (S_IP_RX, "ip", "receive", &["src", "dst"][..]),
            (S_L4_DEMUX, "ip", "demux", &["protocol"][..]),
        ] {
            if let Some(e) = w.after(pos, |e| {
                e.host == fh && e.packet == id && e.is(layer, event)
            }) {
                w.push(label, e, detail(e, keys));
                pos = e.index;
            }
        }
        match kind {
            Kind::TcpData | Kind::TcpControl => {
                let seq = o.u64("seq");
                let seg = w.after(pos, |e| {
                    e.host == fh
                        && e.packet == id
                        && e.is("tcp", "segment_received")
                        && e.u64("seq") == seq
                });
                let seg = match seg {
                    Some(s) => Some(s),
                    None => {
                        let s = w.after(pos, |e| {
                            e.host == fh && e.packet == id && e.is("tcp", "segment_received")
                        });
                        if s.is_some() {
                            w.warnings.push(format!(
                                "TCP receive of packet {id} does not have the sent seq {}",
                                seq.unwrap_or(0)
                            ));
                        }
                        s
                    }
                };
                if let Some(s) = seg {
                    w.push(S_TCP_RX, s, detail(s, &["seq", "ack", "win", "len"]));
                    let ack = w.after(s.index, |e| {
                        e.host == fh && e.packet == id && e.is("tcp", "ack_caused")
                    });
                    if kind == Kind::TcpData {
                        let q = w.after(s.index, |e| {
                            e.host == fh && e.packet == id && e.is("tcp", "rx_queued")
                        });
                        if let Some(q) = q {
                            w.push(S_RCVQ, q, detail(q, &["seq", "ack", "win", "len"]));
                            if let Some(r) = w.after(q.index, |e| {
                                e.host == fh && e.packet == id && e.is("socket", "app_read")
                            }) {
                                w.push(S_READ, r, detail(r, &["len"]));
                            }
                        }
                    }
                    // A delayed ACK (RFC 9293 3.8.6.3) leaves after the
                    // read: the step goes where its time falls.
                    if let Some(a) = ack {
                        let at = w
                            .steps
                            .iter()
                            .rposition(|x| x.ns <= a.ns)
                            .map_or(0, |p| p + 1);
                        w.push(S_ACK, a, detail(a, &["seq", "ack", "win"]));
                        if let Some(step) = w.steps.pop() {
                            w.steps.insert(at, step);
                        }
                    }
                }
            }
            Kind::IcmpEcho => {
                if let Some(i) = w.after(pos, |e| {
                    e.host == fh && e.packet == id && e.is("icmp", "receive")
                }) {
                    w.push(S_ICMP_RX, i, String::new());
                    if let Some(r) = w.after(i.index, |e| e.host == fh && e.is("ip", "output")) {
                        w.push(
                            S_REPLY,
                            r,
                            format!("reply packet {} {}", r.packet, detail(r, &["dst", "len"])),
                        );
                    }
                }
            }
            Kind::Udp => {
                if let Some(u) = w.after(pos, |e| {
                    e.host == fh && e.packet == id && e.is("udp", "deliver")
                }) {
                    w.push(S_UDP_RX, u, detail(u, &["port"]));
                }
            }
        }
    }

    let have: Vec<&str> = w.steps.iter().map(|s| s.label).collect();
    let missing = required(kind)
        .into_iter()
        .filter(|r| !have.contains(r))
        .collect();
    Journey {
        packet: id,
        kind,
        steps: w.steps,
        missing,
        warnings: w.warnings,
    }
}

impl Journey {
    /// The journey as a text table: step, host, layer, event, simulated
    /// ns, cycle, delta from the previous step, detail.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "journey of packet {} ({:?}), {} steps",
            self.packet,
            self.kind,
            self.steps.len()
        );
        let wl = self
            .steps
            .iter()
            .map(|x| x.label.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(
            s,
            "{:<wl$}  {:<4} {:<7} {:<16} {:>12} {:>10} {:>9}  detail",
            "step", "host", "layer", "event", "ns", "cycle", "delta ns"
        );
        let mut prev: Option<u64> = None;
        for x in &self.steps {
            let delta = prev.map_or(String::from("-"), |p| {
                if x.ns >= p {
                    format!("+{}", x.ns - p)
                } else {
                    format!("-{}", p - x.ns)
                }
            });
            let _ = writeln!(
                s,
                "{:<wl$}  {:<4} {:<7} {:<16} {:>12} {:>10} {:>9}  {}",
                x.label, x.host, x.layer, x.event, x.ns, x.cycle, delta, x.detail
            );
            prev = Some(x.ns);
        }
        if let (Some(a), Some(b)) = (self.steps.first(), self.steps.last()) {
            let _ = writeln!(
                s,
                "total {} ns ({} cycles)",
                b.ns.saturating_sub(a.ns),
                b.cycle.saturating_sub(a.cycle)
            );
        }
        for m in &self.missing {
            let _ = writeln!(s, "missing step: {m}");
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        s
    }

    /// The journey as Chrome/Perfetto trace JSON: a process (pid) per
    /// host, a thread (tid) per layer, `ts`/`dur` in microseconds of
    /// simulated time; steps with a duration are complete events (`X`),
    /// the others instants (`i`).
    pub fn perfetto(&self) -> serde_json::Value {
        use serde_json::json;
        let mut hosts: Vec<&str> = Vec::new();
        let mut tracks: Vec<(usize, &str)> = Vec::new();
        let mut out = Vec::new();
        for x in &self.steps {
            let pid = match hosts.iter().position(|h| *h == x.host) {
                Some(p) => p + 1,
                None => {
                    hosts.push(&x.host);
                    out.push(
                        json!({"ph": "M", "name": "process_name", "pid": hosts.len(),
                        "args": {"name": format!("host {}", x.host)}}),
                    );
                    hosts.len()
                }
            };
            let tid = match tracks.iter().position(|t| *t == (pid, x.layer.as_str())) {
                Some(t) => t + 1,
                None => {
                    tracks.push((pid, &x.layer));
                    out.push(json!({"ph": "M", "name": "thread_name", "pid": pid,
                        "tid": tracks.len(), "args": {"name": x.layer}}));
                    tracks.len()
                }
            };
            let args = json!({"packet": self.packet, "event": x.event, "ns": x.ns,
                "cycle": x.cycle, "detail": x.detail});
            let ts = x.ns as f64 / 1000.0;
            out.push(match x.dur_ns {
                Some(d) => json!({"ph": "X", "name": x.label, "cat": x.layer, "pid": pid,
                    "tid": tid, "ts": ts, "dur": d as f64 / 1000.0, "args": args}),
                None => json!({"ph": "i", "s": "t", "name": x.label, "cat": x.layer,
                    "pid": pid, "tid": tid, "ts": ts, "args": args}),
            });
        }
        json!({"traceEvents": out, "displayTimeUnit": "ns"})
    }
}

/// Options of `nicsim journey`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JourneyOpts {
    /// Follow this packet id (default: the first TCP data segment, or the
    /// first echo request)
    #[arg(long, conflicts_with = "match_expr")]
    pub packet: Option<u64>,
    /// Follow the first event matching EXPR, e.g. `layer=tcp,event=segment_built,len>0`,
    /// `icmp`, `host=b,layer=ip,event=output` (docs/journey.md)
    #[arg(long = "match", value_name = "EXPR")]
    pub match_expr: Option<String>,
    /// Also write the journey as Chrome/Perfetto trace JSON
    #[arg(long, value_name = "FILE")]
    pub perfetto: Option<PathBuf>,
}

/// `nicsim journey`: run, select, follow, print (and write the trace).
pub fn run_cli(kind: ScenarioKind, cfg: &RunConfig, opts: &JourneyOpts) -> Result<(), String> {
    let sel = match (&opts.packet, &opts.match_expr) {
        (Some(p), _) => Selector::Packet(*p),
        (None, Some(m)) => Selector::Match(Matcher::parse(m).map_err(|e| e.to_string())?),
        (None, None) => Selector::Default,
    };
    let (report, events) = record(kind, cfg).map_err(|e| e.to_string())?;
    let origin = select(&events, &sel).map_err(|e| e.to_string())?;
    let j = follow(&events, origin);
    print!("{}", j.table());
    if let Some(f) = report.failure() {
        println!("note: the scenario itself failed: {f}");
    }
    if let Some(path) = &opts.perfetto {
        let text = serde_json::to_string_pretty(&j.perfetto()).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| JourneyError::Io(path.clone(), e).to_string())?;
        println!(
            "perfetto trace in {} (open in ui.perfetto.dev)",
            path.display()
        );
    }
    if let Some(v) = &cfg.output.vcd {
        println!(
            "waveform in {} (packet id low 32 bits on sim_marker_id at each driver step)",
            v.display()
        );
    }
    // The same report `run --report-json` writes (the journey collector
    // changes nothing the report shows).
    if let Some(path) = &cfg.output.report_json {
        std::fs::write(path, report.to_json() + "\n")
            .map_err(|e| JourneyError::Io(path.clone(), e).to_string())?;
        println!("report in {}", path.display());
    }
    Ok(())
}
