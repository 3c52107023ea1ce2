//! TCP (RFC 9293) with BSD-style sockets.
//!
//! [`TcpLayer`] holds every connection of one stack: TCBs found by the
//! 4-tuple, listeners found by local address and port. It plugs into IPv4
//! as a [`crate::transport::Ipv4Transport`]: IPv4 hands it verified
//! segments, runs its timers with `poll(now)` and drains its output with
//! `dispatch(now)`, filling the checksum (TCP emits a zero checksum field,
//! see [`crate::wire::tcp`]).
//!
//! What is implemented, with the RFC that says how:
//! - the eleven states, the handshake with simultaneous open, orderly
//!   close from either side, half-close, TIME-WAIT for 2 MSL (RFC 9293);
//! - RST and SYN validation with challenge ACKs (RFC 5961);
//! - ISNs of the RFC 6528 shape: a 4 µs clock plus a keyed hash of the
//!   4-tuple; the key comes from [`TcpConfig::seed`], so runs repeat;
//! - window scaling, timestamps and PAWS (RFC 7323), SACK (RFC 2018) with
//!   the RFC 6675 scoreboard and pipe, NewReno (RFC 6582) or CUBIC
//!   (RFC 9438) congestion control (RFC 5681);
//! - RTO per RFC 6298 with Karn's rule and exponential backoff;
//! - delayed ACK, Nagle and `TCP_NODELAY`, silly-window avoidance on both
//!   sides, zero-window probing, keepalive (RFC 9293 3.7.4, 3.8);
//! - receive-buffer auto-tuning.
//!
//! SYN flood behaviour: a listener keeps at most `backlog` connections in
//! SYN-RECEIVED and at most `backlog` established connections waiting for
//! `accept`. A SYN beyond the first limit is dropped silently (counted in
//! [`TcpStats::syn_dropped`]); the peer retransmits it. An ACK completing
//! a handshake while the accept queue is full is ignored (counted in
//! [`TcpStats::accept_overflows`]) and the SYN-ACK is retransmitted later,
//! as Linux does without SYN cookies. No SYN cookies are used.
//!
//! Journey tracing: every event is a `tracing` event with target
//! `"journey"` and fields `host` ([`TcpConfig::host`]), `layer` ("socket"
//! or "tcp"), `event`, `packet` (the packet id), `ns`, and for segments
//! `seq`, `ack`, `win`, `len`. Events:
//! `append` (socket send), `segment_built`, `segment_received`,
//! `ack_caused` (the id of the segment that caused an ACK), `rx_queued`,
//! `app_read`. Payload bytes keep the id of the write that produced them,
//! so the far side's read reports the id of the sender's write.

//! Integration (see `src/scenario.rs` for a user):
//! - build with `Stack::with_transport(cfg, TcpLayer::new(tcp_cfg))` and
//!   reach the sockets through `stack.transport_mut()`;
//! - give [`TcpConfig::packet_id_base`] a range apart from the stack's own
//!   `StackConfig::packet_id_base` (ids of pure ACKs and control segments
//!   come from it; data segments carry the id of their write);
//! - connect() uses the socket's bound address, else
//!   [`TcpLayer::set_default_source`] (for instance from
//!   `Stack::source_for`);
//! - [`TcpConfig::mss`] is what we advertise: set it to the interface MTU
//!   less 40. Every segment is sent with DF (path MTU discovery, RFC 1191,
//!   through `icmp_error`);
//! - `poll_at()` returns the last `now` seen while output is pending, so
//!   poll again at once in that case.

mod buffer;
mod congestion;
mod tcb;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod netsim_tests;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

pub use congestion::CongestionAlgorithm;
pub use tcb::{SocketOptions, State};

use crate::buf::{PacketBuf, PacketId};
use crate::time::{Duration, Instant};
use crate::transport::{Ipv4Transport, TransportIcmpError, TransportTx};
use crate::wire::IpProtocol;
use crate::wire::tcp::{SeqNumber, TcpPacket, TcpRepr};
use tcb::{Ctx, Event, Tcb};

/// Emit one journey event (see the module documentation).
#[allow(clippy::too_many_arguments)]
pub(crate) fn journey(
    host: &str,
    layer: &'static str,
    event: &'static str,
    id: PacketId,
    now: Instant,
    seq: u32,
    ack: u32,
    win: u32,
    len: usize,
) {
    tracing::debug!(target: "journey", host, layer, event, packet = id.0, ns = now.as_nanos(), seq, ack, win, len);
}

/// Per-layer settings. The defaults follow the RFCs cited per field.
#[derive(Debug, Clone)]
pub struct TcpConfig {
    /// Host name in journey events.
    pub host: String,
    /// Seed of the ISN key, the timestamp offsets and the ephemeral ports.
    pub seed: u64,
    /// MSS we advertise: MTU 1500 less 40 (RFC 9293 3.7.1).
    pub mss: u16,
    pub send_buffer: usize,
    /// Initial receive buffer (= receive window).
    pub recv_buffer: usize,
    /// Auto-tuning ceiling for the receive buffer.
    pub recv_buffer_max: usize,
    pub window_scaling: bool,
    pub sack: bool,
    pub timestamps: bool,
    pub congestion: CongestionAlgorithm,
    /// Initial window in segments (RFC 6928: 10).
    pub initial_window_segments: usize,
    /// RFC 6298 2.1: 1 s.
    pub rto_initial: Duration,
    /// RFC 6298 2.4: 1 s.
    pub rto_min: Duration,
    /// RFC 6298 2.5: at least 60 s.
    pub rto_max: Duration,
    /// SYN (and SYN-ACK) retransmissions before giving up.
    pub syn_retries: u32,
    /// Data retransmissions before giving up (RFC 9293 3.8.3 R2).
    pub max_retries: u32,
    /// RFC 5681 3.2 / RFC 6675: 3.
    pub dupthresh: u32,
    /// Delayed-ACK timeout (RFC 9293 3.8.6.3: under 0.5 s); zero disables.
    pub delayed_ack: Duration,
    /// Maximum segment lifetime; TIME-WAIT lasts 2 MSL (RFC 9293 3.4.2).
    pub msl: Duration,
    /// How long an orphaned FIN-WAIT-2 connection waits for the peer's FIN.
    pub fin_wait2_timeout: Duration,
    /// RFC 1122 4.2.3.6: no less than two hours by default.
    pub keepalive_idle: Duration,
    pub keepalive_interval: Duration,
    pub keepalive_count: u32,
    /// RFC 5961 7: challenge ACKs per second per connection.
    pub challenge_ack_limit: u32,
    /// First packet id this layer hands out; ids then count up.
    pub packet_id_base: u64,
    /// Ephemeral port range (RFC 6335 8.1.2: 49152-65535).
    pub ephemeral_ports: (u16, u16),
}

impl Default for TcpConfig {
    fn default() -> TcpConfig {
        TcpConfig {
            host: String::new(),
            seed: 0,
            mss: 1460,
            send_buffer: 512 * 1024,
            recv_buffer: 256 * 1024,
            recv_buffer_max: 4 * 1024 * 1024,
            window_scaling: true,
            sack: true,
            timestamps: true,
            congestion: CongestionAlgorithm::NewReno,
            initial_window_segments: 10,
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_secs(1),
            rto_max: Duration::from_secs(60),
            syn_retries: 6,
            max_retries: 15,
            dupthresh: 3,
            delayed_ack: Duration::from_millis(40),
            msl: Duration::from_secs(30),
            fin_wait2_timeout: Duration::from_secs(60),
            keepalive_idle: Duration::from_secs(7200),
            keepalive_interval: Duration::from_secs(75),
            keepalive_count: 9,
            challenge_ack_limit: 10,
            packet_id_base: 1,
            ephemeral_ports: (49152, 65535),
        }
    }
}

/// Counters, for tests and reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpStats {
    pub segments_received: u64,
    pub segments_sent: u64,
    pub malformed: u64,
    pub retransmits: u64,
    pub fast_retransmits: u64,
    pub timeouts: u64,
    pub pure_acks: u64,
    pub resets_sent: u64,
    pub resets_received: u64,
    pub challenge_acks: u64,
    pub out_of_window: u64,
    pub paws_drops: u64,
    pub window_probes: u64,
    pub keepalive_probes: u64,
    pub syn_dropped: u64,
    pub accept_overflows: u64,
}

/// An error a connection ended with, reported by send and recv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnError {
    /// ECONNREFUSED: RST in answer to our SYN.
    Refused,
    /// ECONNRESET.
    Reset,
    /// ETIMEDOUT: retransmissions or keepalive probes exhausted.
    TimedOut,
}

macro_rules! error_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident $(($inner:ty))? => $msg:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($(#[$vm])* $var $(($inner))?),* }
        impl fmt::Display for $name {
            #[allow(unused_variables)]
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(error_enum!(@pat $name $var inner $(($inner))?) => error_enum!(@msg f inner $msg $(, $inner)?)),*
                }
            }
        }
        impl std::error::Error for $name {}
    };
    (@pat $name:ident $var:ident $e:ident ($inner:ty)) => { $name::$var($e) };
    (@pat $name:ident $var:ident $e:ident) => { $name::$var };
    (@msg $f:ident $e:ident $msg:expr, $inner:ty) => { write!($f, "{}: {}", $msg, $e) };
    (@msg $f:ident $e:ident $msg:expr) => { $f.write_str($msg) };
}

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnError::Refused => "connection refused",
            ConnError::Reset => "connection reset by peer",
            ConnError::TimedOut => "connection timed out",
        })
    }
}

impl std::error::Error for ConnError {}

error_enum!(
    /// bind() failures.
    BindError {
        BadHandle => "no such socket",
        /// Already bound, listening or connected.
        InvalidState => "socket already bound",
        /// EADDRINUSE.
        AddrInUse => "address in use",
        /// No free ephemeral port.
        NoPorts => "no ephemeral port available",
    }
);

error_enum!(
    /// listen() failures.
    ListenError {
        BadHandle => "no such socket",
        InvalidState => "socket is connected",
        NotBound => "socket is not bound",
    }
);

error_enum!(
    /// connect() failures (asynchronous ones come from send/recv).
    ConnectError {
        BadHandle => "no such socket",
        /// EISCONN / EALREADY / listening.
        InvalidState => "socket is already connected or listening",
        /// No source address: bind to one or set a default.
        NoSourceAddress => "no source address",
        /// EADDRINUSE / EADDRNOTAVAIL: the 4-tuple is taken.
        AddrInUse => "address in use",
        NoPorts => "no ephemeral port available",
    }
);

error_enum!(
    /// accept() failures.
    AcceptError {
        BadHandle => "no such socket",
        /// EINVAL: not listening.
        NotListening => "socket is not listening",
        /// EAGAIN.
        WouldBlock => "no connection ready",
    }
);

error_enum!(
    /// send() failures.
    SendError {
        BadHandle => "no such socket",
        /// EAGAIN: the send buffer is full.
        WouldBlock => "send buffer full",
        /// ENOTCONN.
        NotConnected => "socket is not connected",
        /// EPIPE: the write side is shut down.
        Shutdown => "socket shut down for writing",
        Conn(ConnError) => "connection failed",
    }
);

error_enum!(
    /// recv() failures; `Ok(0)` is end of stream.
    RecvError {
        BadHandle => "no such socket",
        /// EAGAIN.
        WouldBlock => "no data ready",
        /// ENOTCONN.
        NotConnected => "socket is not connected",
        Conn(ConnError) => "connection failed",
    }
);

error_enum!(
    /// shutdown() and close() failures.
    ShutdownError {
        BadHandle => "no such socket",
        NotConnected => "socket is not connected",
    }
);

/// Which direction shutdown() closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    Read,
    Write,
    Both,
}

/// poll()-style readiness of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Readiness {
    /// POLLIN: data to read, end of stream, a pending connection (on a
    /// listener) or an error.
    pub readable: bool,
    /// POLLOUT: room in the send buffer of a connected socket.
    pub writable: bool,
    /// POLLHUP: the peer finished sending, or the connection is gone.
    pub hup: bool,
    /// POLLERR.
    pub error: bool,
}

/// A socket in a [`TcpLayer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketHandle {
    index: u32,
    generation: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Quad {
    local: SocketAddrV4,
    remote: SocketAddrV4,
}

struct Listener {
    backlog: usize,
    /// Children in SYN-RECEIVED.
    pending: Vec<usize>,
    /// Established children waiting for accept().
    ready: VecDeque<usize>,
}

enum Kind {
    Fresh,
    Listener(Listener),
    Conn(Box<Tcb>),
}

struct Socket {
    generation: u32,
    local: Option<SocketAddrV4>,
    /// Bound with bind() (takes part in address-in-use checks).
    bound: bool,
    opts: SocketOptions,
    kind: Kind,
    /// Listener index for children not yet accepted.
    parent: Option<usize>,
}

/// All TCP state of one stack.
pub struct TcpLayer {
    cfg: TcpConfig,
    sockets: Vec<Option<Socket>>,
    generations: Vec<u32>,
    conns: HashMap<Quad, usize>,
    tx: VecDeque<TransportTx>,
    next_id: u64,
    default_source: Option<Ipv4Addr>,
    port_cursor: u32,
    stats: TcpStats,
    last_now: Instant,
    /// Ids of the bytes of one `recv` (scratch, kept between calls).
    read_ids: Vec<PacketId>,
}

/// One round of the SplitMix64 finaliser: a keyed mix for the RFC 6528
/// hash F(). Not a cryptographic PRF: the simulation needs repeatable,
/// well-spread ISNs, not secrecy.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn quad_hash(key: u64, q: &Quad) -> u64 {
    let a = (u64::from(u32::from(*q.local.ip())) << 32) | u64::from(u32::from(*q.remote.ip()));
    let b = (u64::from(q.local.port()) << 16) | u64::from(q.remote.port());
    mix(mix(key ^ a) ^ b)
}

impl TcpLayer {
    pub fn new(cfg: TcpConfig) -> TcpLayer {
        let next_id = cfg.packet_id_base.max(1);
        TcpLayer {
            port_cursor: (mix(cfg.seed ^ 0x5eed) & 0xffff) as u32,
            cfg,
            sockets: Vec::new(),
            generations: Vec::new(),
            conns: HashMap::new(),
            tx: VecDeque::new(),
            next_id,
            default_source: None,
            stats: TcpStats::default(),
            last_now: Instant::ZERO,
            read_ids: Vec::new(),
        }
    }

    pub fn config(&self) -> &TcpConfig {
        &self.cfg
    }

    pub fn stats(&self) -> &TcpStats {
        &self.stats
    }

    /// The address connect() uses when the socket is not bound to one.
    pub fn set_default_source(&mut self, addr: Option<Ipv4Addr>) {
        self.default_source = addr;
    }

    /// Where packet ids of this layer start (the world gives each host a
    /// distinct range).
    pub fn set_packet_id_base(&mut self, base: u64) {
        self.next_id = base.max(1);
    }

    // ---- socket table ----

    fn get(&self, h: SocketHandle) -> Option<&Socket> {
        self.sockets
            .get(h.index as usize)?
            .as_ref()
            .filter(|s| s.generation == h.generation)
    }

    fn get_mut(&mut self, h: SocketHandle) -> Option<&mut Socket> {
        self.sockets
            .get_mut(h.index as usize)?
            .as_mut()
            .filter(|s| s.generation == h.generation)
    }

    fn handle_of(&self, idx: usize) -> SocketHandle {
        SocketHandle {
            index: idx as u32,
            generation: self.generations[idx],
        }
    }

    fn alloc(&mut self, local: Option<SocketAddrV4>, opts: SocketOptions, kind: Kind) -> usize {
        let idx = match self.sockets.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.sockets.push(None);
                self.generations.push(0);
                self.sockets.len() - 1
            }
        };
        self.generations[idx] = self.generations[idx].wrapping_add(1);
        self.sockets[idx] = Some(Socket {
            generation: self.generations[idx],
            local,
            bound: false,
            opts,
            kind,
            parent: None,
        });
        idx
    }

    fn free(&mut self, idx: usize) {
        if let Some(Some(s)) = self.sockets.get(idx) {
            if let Kind::Conn(t) = &s.kind {
                let q = Quad {
                    local: t.local,
                    remote: t.remote,
                };
                if self.conns.get(&q) == Some(&idx) {
                    self.conns.remove(&q);
                }
            }
            if let Some(p) = s.parent {
                if let Some(Some(Socket {
                    kind: Kind::Listener(l),
                    ..
                })) = self.sockets.get_mut(p)
                {
                    l.pending.retain(|&c| c != idx);
                    l.ready.retain(|&c| c != idx);
                }
            }
        }
        if let Some(slot) = self.sockets.get_mut(idx) {
            *slot = None;
        }
    }

    fn ctx_parts(&mut self) -> (Ctx<'_>, &mut Vec<Option<Socket>>) {
        (
            Ctx {
                cfg: &self.cfg,
                out: &mut self.tx,
                next_id: &mut self.next_id,
                stats: &mut self.stats,
            },
            &mut self.sockets,
        )
    }

    /// A new socket (socket(AF_INET, SOCK_STREAM)).
    pub fn socket(&mut self) -> SocketHandle {
        let opts = SocketOptions {
            nodelay: false,
            keepalive: false,
            send_buffer: self.cfg.send_buffer,
            recv_buffer: self.cfg.recv_buffer,
        };
        let idx = self.alloc(None, opts, Kind::Fresh);
        self.handle_of(idx)
    }

    fn port_in_use(&self, addr: SocketAddrV4) -> bool {
        self.sockets.iter().flatten().any(|s| match s.local {
            Some(l) if s.bound && l.port() == addr.port() => {
                l.ip().is_unspecified() || addr.ip().is_unspecified() || l.ip() == addr.ip()
            }
            _ => false,
        })
    }

    fn ephemeral_port(&mut self, ip: Ipv4Addr, remote: Option<SocketAddrV4>) -> Option<u16> {
        // RFC 6056 3.3.1 (algorithm 1 shape): a seeded starting point, then
        // sequential search for a free port.
        let (lo, hi) = self.cfg.ephemeral_ports;
        let range = u32::from(hi.saturating_sub(lo)) + 1;
        for i in 0..range {
            let port = lo + ((self.port_cursor + i) % range) as u16;
            let addr = SocketAddrV4::new(ip, port);
            let taken = self.port_in_use(addr)
                || remote.is_some_and(|r| {
                    self.conns.contains_key(&Quad {
                        local: addr,
                        remote: r,
                    })
                });
            if !taken {
                self.port_cursor = self.port_cursor.wrapping_add(i + 1);
                return Some(port);
            }
        }
        None
    }

    /// bind(); port 0 picks an ephemeral port.
    pub fn bind(&mut self, h: SocketHandle, addr: SocketAddrV4) -> Result<SocketAddrV4, BindError> {
        let s = self.get(h).ok_or(BindError::BadHandle)?;
        if s.local.is_some() || !matches!(s.kind, Kind::Fresh) {
            return Err(BindError::InvalidState);
        }
        let addr = if addr.port() == 0 {
            let port = self
                .ephemeral_port(*addr.ip(), None)
                .ok_or(BindError::NoPorts)?;
            SocketAddrV4::new(*addr.ip(), port)
        } else {
            if self.port_in_use(addr) {
                return Err(BindError::AddrInUse);
            }
            addr
        };
        let s = self.get_mut(h).ok_or(BindError::BadHandle)?;
        s.local = Some(addr);
        s.bound = true;
        Ok(addr)
    }

    /// listen() with a backlog (see the module documentation for the SYN
    /// flood behaviour).
    pub fn listen(&mut self, h: SocketHandle, backlog: usize) -> Result<(), ListenError> {
        let s = self.get_mut(h).ok_or(ListenError::BadHandle)?;
        if s.local.is_none() {
            return Err(ListenError::NotBound);
        }
        match &mut s.kind {
            Kind::Fresh => {
                s.kind = Kind::Listener(Listener {
                    backlog: backlog.max(1),
                    pending: Vec::new(),
                    ready: VecDeque::new(),
                });
                Ok(())
            }
            Kind::Listener(l) => {
                l.backlog = backlog.max(1);
                Ok(())
            }
            Kind::Conn(_) => Err(ListenError::InvalidState),
        }
    }

    /// Non-blocking connect(): the SYN leaves at the next dispatch; the
    /// result shows in [`TcpLayer::readiness`] and [`TcpLayer::state`], and
    /// failures in send/recv.
    pub fn connect(
        &mut self,
        h: SocketHandle,
        now: Instant,
        remote: SocketAddrV4,
    ) -> Result<(), ConnectError> {
        self.last_now = now;
        let default_source = self.default_source;
        let s = self.get(h).ok_or(ConnectError::BadHandle)?;
        if !matches!(s.kind, Kind::Fresh) {
            return Err(ConnectError::InvalidState);
        }
        let opts = s.opts;
        let ip = match s.local {
            Some(l) if !l.ip().is_unspecified() => *l.ip(),
            _ => default_source.ok_or(ConnectError::NoSourceAddress)?,
        };
        let port = match s.local {
            Some(l) => l.port(),
            None => self
                .ephemeral_port(ip, Some(remote))
                .ok_or(ConnectError::NoPorts)?,
        };
        let local = SocketAddrV4::new(ip, port);
        let q = Quad { local, remote };
        if self.conns.contains_key(&q) {
            return Err(ConnectError::AddrInUse);
        }
        let (iss, ts_off) = self.isn(now, &q);
        let tcb = Tcb::connect(&self.cfg, now, local, remote, iss, ts_off, opts);
        let idx = h.index as usize;
        self.conns.insert(q, idx);
        if let Some(s) = self.get_mut(h) {
            s.local = Some(local);
            s.kind = Kind::Conn(Box::new(tcb));
        }
        Ok(())
    }

    /// RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport,
    /// secretkey), M a 4 µs clock. Also the RFC 7323 5.4 per-connection
    /// timestamp offset.
    fn isn(&self, now: Instant, q: &Quad) -> (SeqNumber, u32) {
        let f = quad_hash(self.cfg.seed, q);
        let m = (now.as_nanos() / 4_000) as u32;
        (SeqNumber(m.wrapping_add(f as u32)), (f >> 32) as u32)
    }

    /// accept(): the next established connection and its peer.
    pub fn accept(&mut self, h: SocketHandle) -> Result<(SocketHandle, SocketAddrV4), AcceptError> {
        let s = self.get_mut(h).ok_or(AcceptError::BadHandle)?;
        let Kind::Listener(l) = &mut s.kind else {
            return Err(AcceptError::NotListening);
        };
        let idx = l.ready.pop_front().ok_or(AcceptError::WouldBlock)?;
        let child = self
            .sockets
            .get_mut(idx)
            .and_then(Option::as_mut)
            .ok_or(AcceptError::WouldBlock)?;
        child.parent = None;
        let remote = match &child.kind {
            Kind::Conn(t) => t.remote,
            _ => return Err(AcceptError::WouldBlock),
        };
        Ok((self.handle_of(idx), remote))
    }

    fn tcb(&self, h: SocketHandle) -> Option<&Tcb> {
        match &self.get(h)?.kind {
            Kind::Conn(t) => Some(t),
            _ => None,
        }
    }

    /// The connection state (LISTEN for listeners, CLOSED before connect).
    pub fn state(&self, h: SocketHandle) -> Option<State> {
        match &self.get(h)?.kind {
            Kind::Fresh => Some(State::Closed),
            Kind::Listener(_) => Some(State::Listen),
            Kind::Conn(t) => Some(t.state),
        }
    }

    pub fn local_addr(&self, h: SocketHandle) -> Option<SocketAddrV4> {
        self.get(h)?.local
    }

    pub fn peer_addr(&self, h: SocketHandle) -> Option<SocketAddrV4> {
        self.tcb(h).map(|t| t.remote)
    }

    /// The error the connection ended with, if any.
    pub fn error(&self, h: SocketHandle) -> Option<ConnError> {
        self.tcb(h)?.error
    }

    /// Smoothed RTT (RFC 6298), current RTO, congestion window and bytes in
    /// flight, for reports and tests.
    pub fn conn_info(&self, h: SocketHandle) -> Option<ConnInfo> {
        let t = self.tcb(h)?;
        Some(ConnInfo {
            state: t.state,
            srtt: t.srtt(),
            rto: t.rto(),
            backoff: t.backoff(),
            cwnd: t.cc.cwnd,
            ssthresh: t.cc.ssthresh,
            in_flight: t.in_flight(),
            snd_una: t.snd_una(),
            snd_nxt: t.snd_nxt(),
            rcv_nxt: t.rcv_nxt(),
            snd_wnd: t.snd_wnd(),
            eff_mss: t.eff_mss,
            recv_buffer: t.rx.capacity(),
            in_recovery: t.in_recovery(),
        })
    }

    /// TCP_NODELAY.
    pub fn set_nodelay(&mut self, h: SocketHandle, on: bool) -> bool {
        let Some(s) = self.get_mut(h) else {
            return false;
        };
        s.opts.nodelay = on;
        if let Kind::Conn(t) = &mut s.kind {
            t.opts.nodelay = on;
            t.dirty = true;
        }
        true
    }

    /// SO_KEEPALIVE (timing from [`TcpConfig`]).
    pub fn set_keepalive(&mut self, h: SocketHandle, on: bool) -> bool {
        let Some(s) = self
            .sockets
            .get_mut(h.index as usize)
            .and_then(Option::as_mut)
        else {
            return false;
        };
        if s.generation != h.generation {
            return false;
        }
        s.opts.keepalive = on;
        if let Kind::Conn(t) = &mut s.kind {
            t.set_keepalive(on, &self.cfg);
        }
        true
    }

    /// SO_SNDBUF / SO_RCVBUF before connecting or listening.
    pub fn set_buffer_sizes(&mut self, h: SocketHandle, send: usize, recv: usize) -> bool {
        let Some(s) = self.get_mut(h) else {
            return false;
        };
        s.opts.send_buffer = send.max(1);
        s.opts.recv_buffer = recv.max(1);
        if let Kind::Conn(t) = &mut s.kind {
            t.tx.set_capacity(send.max(1));
        }
        true
    }

    /// send(): append to the send buffer; returns how many bytes were taken.
    /// The packet id of the write is allocated here.
    pub fn send(&mut self, h: SocketHandle, now: Instant, data: &[u8]) -> Result<usize, SendError> {
        let id = PacketId(self.next_id);
        let r = self.send_with_id(h, now, data, id);
        if matches!(r, Ok(n) if n > 0) {
            self.next_id += 1;
        }
        r
    }

    /// send() with a packet id chosen by the caller.
    pub fn send_with_id(
        &mut self,
        h: SocketHandle,
        now: Instant,
        data: &[u8],
        id: PacketId,
    ) -> Result<usize, SendError> {
        self.last_now = now;
        let s = self.get_mut(h).ok_or(SendError::BadHandle)?;
        let Kind::Conn(t) = &mut s.kind else {
            return Err(SendError::NotConnected);
        };
        if let Some(e) = t.error {
            return Err(SendError::Conn(e));
        }
        if t.fin_queued() {
            return Err(SendError::Shutdown);
        }
        match t.state {
            // RFC 9293 3.10.2: data may be queued before ESTABLISHED.
            State::SynSent | State::SynReceived | State::Established | State::CloseWait => {}
            _ => return Err(SendError::NotConnected),
        }
        if data.is_empty() {
            return Ok(0);
        }
        let n = t.send(data, id);
        if n == 0 {
            return Err(SendError::WouldBlock);
        }
        tracing::debug!(target: "journey", host = %self.cfg.host, layer = "socket", event = "append", packet = id.0, ns = now.as_nanos(), len = n);
        Ok(n)
    }

    /// recv(): `Ok(0)` is end of stream.
    pub fn recv(
        &mut self,
        h: SocketHandle,
        now: Instant,
        buf: &mut [u8],
    ) -> Result<usize, RecvError> {
        let mut ids = std::mem::take(&mut self.read_ids);
        ids.clear();
        let r = self.recv_ids_into(h, now, buf, &mut ids);
        self.read_ids = ids;
        r
    }

    /// recv() that also returns the packet ids of the writes the bytes came
    /// from.
    pub fn recv_with_ids(
        &mut self,
        h: SocketHandle,
        now: Instant,
        buf: &mut [u8],
    ) -> Result<(usize, Vec<PacketId>), RecvError> {
        let mut ids = Vec::new();
        let n = self.recv_ids_into(h, now, buf, &mut ids)?;
        Ok((n, ids))
    }

    /// recv() appending the packet ids of the bytes to `ids`.
    fn recv_ids_into(
        &mut self,
        h: SocketHandle,
        now: Instant,
        buf: &mut [u8],
        ids: &mut Vec<PacketId>,
    ) -> Result<usize, RecvError> {
        self.last_now = now;
        // Borrow the host name and the socket side by side (no clone per
        // read: this is the hot path of every receiving application).
        let host = &self.cfg.host;
        let s = self
            .sockets
            .get_mut(h.index as usize)
            .and_then(Option::as_mut)
            .filter(|s| s.generation == h.generation)
            .ok_or(RecvError::BadHandle)?;
        let Kind::Conn(t) = &mut s.kind else {
            return Err(RecvError::NotConnected);
        };
        if !t.rx.is_empty() && !buf.is_empty() {
            let start = ids.len();
            let n = t.recv(buf, ids);
            for id in &ids[start..] {
                tracing::debug!(target: "journey", host = %host, layer = "socket", event = "app_read", packet = id.0, ns = now.as_nanos(), len = n);
            }
            return Ok(n);
        }
        if let Some(e) = t.error {
            return Err(RecvError::Conn(e));
        }
        if t.peer_finished() || t.rd_shutdown {
            return Ok(0);
        }
        match t.state {
            State::SynSent
            | State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2 => Err(RecvError::WouldBlock),
            _ => Err(RecvError::NotConnected),
        }
    }

    /// Bytes waiting to be read.
    pub fn recv_queue(&self, h: SocketHandle) -> usize {
        self.tcb(h).map_or(0, |t| t.unread())
    }

    /// Bytes in the send buffer (unacknowledged plus unsent).
    pub fn send_queue(&self, h: SocketHandle) -> usize {
        self.tcb(h).map_or(0, |t| t.tx.len())
    }

    /// shutdown().
    pub fn shutdown(
        &mut self,
        h: SocketHandle,
        now: Instant,
        how: Shutdown,
    ) -> Result<(), ShutdownError> {
        self.last_now = now;
        let s = self.get_mut(h).ok_or(ShutdownError::BadHandle)?;
        let Kind::Conn(t) = &mut s.kind else {
            return Err(ShutdownError::NotConnected);
        };
        if matches!(how, Shutdown::Read | Shutdown::Both) {
            t.rd_shutdown = true;
            t.rx.discard();
            t.dirty = true;
        }
        if matches!(how, Shutdown::Write | Shutdown::Both) {
            t.shutdown_write();
        }
        let idx = h.index as usize;
        self.reap(idx);
        Ok(())
    }

    /// close(): the handle becomes invalid. A connection finishes alone
    /// (FIN, then FIN-WAIT/TIME-WAIT); with unread data it is reset
    /// instead (RFC 9293 3.10.4 allows it; RFC 2525 2.17). A listener
    /// resets its unaccepted connections.
    pub fn close(&mut self, h: SocketHandle, now: Instant) -> Result<(), ShutdownError> {
        self.last_now = now;
        let idx = h.index as usize;
        if self.get(h).is_none() {
            return Err(ShutdownError::BadHandle);
        }
        let (mut ctx, sockets) = self.ctx_parts();
        let mut children = Vec::new();
        if let Some(Some(s)) = sockets.get_mut(idx) {
            match &mut s.kind {
                Kind::Fresh => {}
                Kind::Listener(l) => {
                    children.append(&mut l.pending);
                    children.extend(l.ready.drain(..));
                }
                Kind::Conn(t) => {
                    if t.unread() > 0 {
                        t.abort(now, &mut ctx);
                    } else {
                        t.shutdown_write();
                    }
                    t.set_orphan(now, ctx.cfg);
                }
            }
        }
        for c in children {
            self.abort_conn(c, now);
            self.free(c);
        }
        let is_conn = matches!(
            self.sockets.get(idx),
            Some(Some(Socket {
                kind: Kind::Conn(_),
                ..
            }))
        );
        if is_conn {
            self.reap(idx);
        } else {
            self.free(idx);
        }
        Ok(())
    }

    /// Abort (SO_LINGER 0): send RST and free the socket.
    pub fn abort(&mut self, h: SocketHandle, now: Instant) -> Result<(), ShutdownError> {
        self.last_now = now;
        let idx = h.index as usize;
        if self.get(h).is_none() {
            return Err(ShutdownError::BadHandle);
        }
        if !matches!(
            self.sockets.get(idx),
            Some(Some(Socket {
                kind: Kind::Conn(_),
                ..
            }))
        ) {
            return self.close(h, now);
        }
        self.abort_conn(idx, now);
        self.free(idx);
        Ok(())
    }

    fn abort_conn(&mut self, idx: usize, now: Instant) {
        let (mut ctx, sockets) = self.ctx_parts();
        if let Some(Some(Socket {
            kind: Kind::Conn(t),
            ..
        })) = sockets.get_mut(idx)
        {
            t.abort(now, &mut ctx);
        }
    }

    /// poll()-style readiness.
    pub fn readiness(&self, h: SocketHandle) -> Readiness {
        let Some(s) = self.get(h) else {
            return Readiness {
                error: true,
                hup: true,
                ..Readiness::default()
            };
        };
        match &s.kind {
            Kind::Fresh => Readiness::default(),
            Kind::Listener(l) => Readiness {
                readable: !l.ready.is_empty(),
                ..Readiness::default()
            },
            Kind::Conn(t) => {
                let connected = !matches!(t.state, State::SynSent | State::SynReceived);
                let gone = t.state == State::Closed || t.error.is_some();
                Readiness {
                    readable: t.unread() > 0 || t.peer_finished() || t.error.is_some(),
                    writable: connected
                        && matches!(t.state, State::Established | State::CloseWait)
                        && !t.fin_queued()
                        && t.tx.free() > 0,
                    hup: gone || t.peer_finished(),
                    error: t.error.is_some(),
                }
            }
        }
    }

    /// Free a connection that reached CLOSED and that nobody can see:
    /// orphaned, or a child never accepted.
    fn reap(&mut self, idx: usize) {
        let Some(Some(s)) = self.sockets.get(idx) else {
            return;
        };
        let Kind::Conn(t) = &s.kind else { return };
        if t.state != State::Closed {
            return;
        }
        let q = Quad {
            local: t.local,
            remote: t.remote,
        };
        let invisible = t.orphan || s.parent.is_some();
        if self.conns.get(&q) == Some(&idx) {
            self.conns.remove(&q);
        }
        if invisible {
            self.free(idx);
        }
    }

    // ---- segment arrival ----

    fn find_listener(&self, dst: Ipv4Addr, port: u16) -> Option<usize> {
        let mut wildcard = None;
        for (i, s) in self.sockets.iter().enumerate() {
            let Some(s) = s else { continue };
            if !matches!(s.kind, Kind::Listener(_)) {
                continue;
            }
            let Some(l) = s.local else { continue };
            if l.port() != port {
                continue;
            }
            if *l.ip() == dst {
                return Some(i);
            }
            if l.ip().is_unspecified() {
                wildcard = Some(i);
            }
        }
        wildcard
    }

    /// A verified segment (TCP header and payload) from `src` to `dst`.
    pub fn input_segment(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        bytes: &[u8],
        id: PacketId,
    ) {
        self.last_now = now;
        self.stats.segments_received += 1;
        let Ok(packet) = TcpPacket::new_checked(bytes) else {
            self.stats.malformed += 1;
            return;
        };
        let Ok(seg) = TcpRepr::parse(&packet) else {
            self.stats.malformed += 1;
            return;
        };
        journey(
            &self.cfg.host,
            "tcp",
            "segment_received",
            id,
            now,
            seg.seq_number.0,
            seg.ack_number.map_or(0, |a| a.0),
            u32::from(seg.window_len),
            seg.payload.len(),
        );
        // RFC 9293 3.10.7.2 and RFC 1122 4.2.3.10: never answer segments
        // from broadcast, multicast or unspecified sources, or to port 0.
        if src.is_broadcast()
            || src.is_multicast()
            || src.is_unspecified()
            || dst.is_broadcast()
            || dst.is_multicast()
        {
            return;
        }
        if seg.src_port == 0 || seg.dst_port == 0 {
            return;
        }
        let q = Quad {
            local: SocketAddrV4::new(dst, seg.dst_port),
            remote: SocketAddrV4::new(src, seg.src_port),
        };
        if let Some(&idx) = self.conns.get(&q) {
            let reopen = matches!(
                self.sockets.get(idx),
                Some(Some(Socket { kind: Kind::Conn(t), .. })) if t.syn_reopens_time_wait(&seg)
            );
            if !reopen {
                self.input_conn(now, idx, &seg, id);
                return;
            }
            // The old incarnation goes; the SYN meets the listener.
            self.conns.remove(&q);
            if let Some(Some(Socket {
                kind: Kind::Conn(t),
                ..
            })) = self.sockets.get_mut(idx)
            {
                t.force_closed();
            }
            self.reap(idx);
        }
        if let Some(l) = self.find_listener(dst, seg.dst_port) {
            self.input_listen(now, l, q, &seg, id);
            return;
        }
        // RFC 9293 3.10.7.1: CLOSED.
        let (mut ctx, _) = self.ctx_parts();
        tcb::send_reset_for(now, &mut ctx, dst, src, &seg);
    }

    fn input_conn(&mut self, now: Instant, idx: usize, seg: &TcpRepr<'_>, id: PacketId) {
        let parent = self
            .sockets
            .get(idx)
            .and_then(Option::as_ref)
            .and_then(|s| s.parent);
        let accept_room = match parent
            .and_then(|p| self.sockets.get(p))
            .and_then(Option::as_ref)
        {
            Some(Socket {
                kind: Kind::Listener(l),
                ..
            }) => l.ready.len() < l.backlog,
            _ => true,
        };
        let (mut ctx, sockets) = self.ctx_parts();
        let Some(Some(Socket {
            kind: Kind::Conn(t),
            ..
        })) = sockets.get_mut(idx)
        else {
            return;
        };
        let event = t.input(now, seg, id, &mut ctx, accept_room);
        match event {
            Event::Established => {
                if let Some(p) = parent {
                    if let Some(Some(Socket {
                        kind: Kind::Listener(l),
                        ..
                    })) = self.sockets.get_mut(p)
                    {
                        l.pending.retain(|&c| c != idx);
                        l.ready.push_back(idx);
                    }
                }
            }
            Event::Dropped => self.free(idx),
            Event::Closed | Event::Nothing => {}
        }
        self.reap(idx);
    }

    /// RFC 9293 3.10.7.2: LISTEN.
    fn input_listen(
        &mut self,
        now: Instant,
        lidx: usize,
        q: Quad,
        seg: &TcpRepr<'_>,
        _id: PacketId,
    ) {
        if seg.flags.rst {
            return;
        }
        if seg.ack_number.is_some() {
            let (mut ctx, _) = self.ctx_parts();
            tcb::send_reset_for(now, &mut ctx, *q.local.ip(), *q.remote.ip(), seg);
            return;
        }
        if !seg.flags.syn {
            return;
        }
        let Some(Some(Socket {
            kind: Kind::Listener(l),
            opts,
            ..
        })) = self.sockets.get(lidx)
        else {
            return;
        };
        if l.pending.len() >= l.backlog {
            // SYN queue full: drop (see the module documentation).
            self.stats.syn_dropped += 1;
            return;
        }
        let opts = *opts;
        let (iss, ts_off) = self.isn(now, &q);
        let tcb = Tcb::accept_syn(&self.cfg, now, q.local, q.remote, iss, ts_off, opts, seg);
        let idx = self.alloc(Some(q.local), opts, Kind::Conn(Box::new(tcb)));
        if let Some(Some(s)) = self.sockets.get_mut(idx) {
            s.parent = Some(lidx);
        }
        if let Some(Some(Socket {
            kind: Kind::Listener(l),
            ..
        })) = self.sockets.get_mut(lidx)
        {
            l.pending.push(idx);
        }
        self.conns.insert(q, idx);
    }

    /// Run expired timers of every connection.
    pub fn poll_timers(&mut self, now: Instant) {
        self.last_now = now;
        for idx in 0..self.sockets.len() {
            let (mut ctx, sockets) = self.ctx_parts();
            if let Some(Some(Socket {
                kind: Kind::Conn(t),
                ..
            })) = sockets.get_mut(idx)
            {
                t.on_timers(now, &mut ctx);
                if t.state == State::Closed {
                    self.reap(idx);
                }
            }
        }
    }

    /// Generate output of every connection that has some.
    fn flush(&mut self, now: Instant) {
        for idx in 0..self.sockets.len() {
            let (mut ctx, sockets) = self.ctx_parts();
            if let Some(Some(Socket {
                kind: Kind::Conn(t),
                ..
            })) = sockets.get_mut(idx)
            {
                t.on_timers(now, &mut ctx);
                if t.poll_at(now).is_some_and(|at| at <= now) {
                    t.dispatch(now, &mut ctx);
                }
                if t.state == State::Closed {
                    self.reap(idx);
                }
            }
        }
    }

    /// The next outgoing segment.
    pub fn next_segment(&mut self, now: Instant) -> Option<TransportTx> {
        self.last_now = now;
        if self.tx.is_empty() {
            self.flush(now);
        }
        self.tx.pop_front()
    }

    /// When poll or dispatch next has work.
    pub fn next_poll_at(&self) -> Option<Instant> {
        if !self.tx.is_empty() {
            return Some(self.last_now);
        }
        self.sockets
            .iter()
            .flatten()
            .filter_map(|s| match &s.kind {
                Kind::Conn(t) => t.poll_at(self.last_now),
                _ => None,
            })
            .min()
    }

    /// The connection an ICMP error quotes (RFC 792: the IPv4 header and
    /// the first 8 bytes of our segment), and the quoted sequence number.
    fn quoted_conn(&self, quoted: &[u8]) -> Option<(usize, SeqNumber)> {
        let ihl = usize::from(*quoted.first()? & 0x0f) * 4;
        if ihl < 20 || quoted.len() < ihl + 8 {
            return None;
        }
        let src = Ipv4Addr::new(quoted[12], quoted[13], quoted[14], quoted[15]);
        let dst = Ipv4Addr::new(quoted[16], quoted[17], quoted[18], quoted[19]);
        let tcp = &quoted[ihl..];
        let q = Quad {
            local: SocketAddrV4::new(src, u16::from_be_bytes([tcp[0], tcp[1]])),
            remote: SocketAddrV4::new(dst, u16::from_be_bytes([tcp[2], tcp[3]])),
        };
        let seq = SeqNumber(u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]));
        self.conns.get(&q).map(|&idx| (idx, seq))
    }

    /// An ICMP error about one of our segments (RFC 1122 4.2.3.9, RFC 1191,
    /// RFC 5927).
    pub fn handle_icmp_error(&mut self, now: Instant, error: TransportIcmpError, quoted: &[u8]) {
        self.last_now = now;
        let Some((idx, seq)) = self.quoted_conn(quoted) else {
            return;
        };
        if let Some(Some(Socket {
            kind: Kind::Conn(t),
            ..
        })) = self.sockets.get_mut(idx)
        {
            t.icmp_error(error, seq);
        }
        self.reap(idx);
    }
}

/// A snapshot of a connection's internals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnInfo {
    pub state: State,
    pub srtt: Option<Duration>,
    pub rto: Duration,
    pub backoff: u32,
    pub cwnd: usize,
    pub ssthresh: usize,
    pub in_flight: usize,
    pub snd_una: SeqNumber,
    pub snd_nxt: SeqNumber,
    pub rcv_nxt: SeqNumber,
    pub snd_wnd: usize,
    pub eff_mss: usize,
    pub recv_buffer: usize,
    pub in_recovery: bool,
}

impl Ipv4Transport for TcpLayer {
    fn protocol(&self) -> Option<IpProtocol> {
        Some(IpProtocol::Tcp)
    }

    fn input(&mut self, now: Instant, src: Ipv4Addr, dst: Ipv4Addr, segment: PacketBuf) {
        let id = segment.meta().id;
        self.input_segment(now, src, dst, segment.data(), id);
    }

    fn poll(&mut self, now: Instant) {
        self.poll_timers(now);
    }

    fn poll_at(&self) -> Option<Instant> {
        self.next_poll_at()
    }

    fn dispatch(&mut self, now: Instant) -> Option<TransportTx> {
        self.next_segment(now)
    }

    fn icmp_error(&mut self, now: Instant, error: TransportIcmpError, quoted: &[u8]) {
        self.handle_icmp_error(now, error, quoted);
    }
}
