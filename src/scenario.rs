//! Scenarios: whole systems over RTL NICs, each with applications that
//! check their own data, and a report of what happened.

use crate::config::{RunConfig, VcdWindow};
use crate::linux::{KERNEL_IP, Netns, OUR_IP, Scratch};
use crate::report::{Check, HostReport, LinkReport, Report, TcpFlow};
use crate::system::{Host, HostNic, RunError, System};
use driver::nic::{Coalesce, Config as DriverConfig};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};
use sim::axi_mem::MemConfig;
use sim::gmii::Faults;
use sim::world::{Hardware, TraceStart, TraceWindow, WorldConfig};
use stack::device::Device;
use stack::icmp::PingEvent;
use stack::iface::InterfaceConfig;
use stack::stack::{Stack, StackConfig};
use stack::tcp::{SocketHandle, TcpConfig, TcpLayer};
use stack::time::{Duration, Instant};
use stack::wire::Ipv4Cidr;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The scenarios `nicsim run` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioKind {
    /// A pings B.
    Ping,
    /// A sends UDP datagrams to B's echo service and checks the echoes.
    UdpEcho,
    /// A sends `--bytes` to B over TCP, verified by SHA-256.
    TcpBulk,
    /// Request/response latency over one TCP connection.
    TcpRr,
    /// A to R to B: R has two NICs and forwards; ping and a TCP transfer.
    Router,
    /// TCP bulk over a faulty wire (`--loss --dup --reorder --corrupt`).
    Stress,
    /// The far end is the Linux kernel on a TAP device in a network
    /// namespace: it pings us, and TCP runs both ways (needs root).
    Linux,
    /// The newcomer's tour: ARP, ping, a 4 MiB TCP transfer, VCD, pcaps.
    Demo,
}

impl ScenarioKind {
    pub fn name(self) -> &'static str {
        match self {
            ScenarioKind::Ping => "ping",
            ScenarioKind::UdpEcho => "udp-echo",
            ScenarioKind::TcpBulk => "tcp-bulk",
            ScenarioKind::TcpRr => "tcp-rr",
            ScenarioKind::Router => "router",
            ScenarioKind::Stress => "stress",
            ScenarioKind::Linux => "linux",
            ScenarioKind::Demo => "demo",
        }
    }
}

/// Why a scenario could not run at all (as opposed to a failed check).
#[derive(Debug)]
pub enum ScenarioError {
    Setup(String),
    /// The scenario cannot run on this machine (the reason says why).
    Unavailable(String),
    Run(RunError),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Setup(s) => write!(f, "setup: {s}"),
            ScenarioError::Unavailable(s) => write!(f, "cannot run here: {s}"),
            ScenarioError::Run(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

impl From<RunError> for ScenarioError {
    fn from(e: RunError) -> Self {
        ScenarioError::Run(e)
    }
}

/// Per-run hooks of the command line: progress and Ctrl-C.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Set by the Ctrl-C handler; the run stops cleanly at the next round.
    pub stop: Option<Arc<AtomicBool>>,
    /// Called with (bytes done, bytes total) during transfers.
    pub progress: Option<Arc<dyn Fn(u64, u64) + Send + Sync>>,
    /// Packet ids on the waveform's marker inputs at each driver step
    /// (`nicsim journey`).
    pub markers: bool,
}

impl Hooks {
    fn check_stop(&self) -> Result<(), RunError> {
        match &self.stop {
            Some(s) if s.load(Ordering::Relaxed) => Err(RunError::Interrupted),
            _ => Ok(()),
        }
    }
    fn progress(&self, done: u64, total: u64) {
        if let Some(p) = &self.progress {
            p(done, total);
        }
    }
}

type Sys = System<TcpLayer>;

/// A GMII link between two hardware NICs, for the report.
struct LinkInfo {
    name: String,
    nics: [usize; 2],
    link: usize,
}

/// A built topology.
struct World {
    sys: Sys,
    links: Vec<LinkInfo>,
    /// Hardware NIC index -> (host, interface) for names.
    names: Vec<String>,
}

fn mac_for(hw_index: usize) -> [u8; 6] {
    // Locally administered, unicast.
    [0x02, 0x4e, 0x53, 0x00, 0x00, hw_index as u8 + 1]
}

fn cidr(a: [u8; 4], len: u8) -> Ipv4Cidr {
    // Prefix lengths here are constants below 33.
    Ipv4Cidr::new(Ipv4Addr::from(a), len).unwrap_or_else(|| unreachable!())
}

const A_IP: [u8; 4] = [10, 0, 0, 1];
const B_IP: [u8; 4] = [10, 0, 0, 2];
const RA_IP: [u8; 4] = [10, 0, 1, 1];
const RR1_IP: [u8; 4] = [10, 0, 1, 254];
const RR2_IP: [u8; 4] = [10, 0, 2, 254];
const RB_IP: [u8; 4] = [10, 0, 2, 1];
const BULK_PORT: u16 = 5001;
const ECHO_PORT: u16 = 7;

/// A host to build: name, its interfaces (hardware NIC index, address), a
/// default gateway, forwarding.
struct HostSpec {
    name: &'static str,
    ifaces: Vec<(usize, Ipv4Cidr)>,
    gateway: Option<[u8; 4]>,
    forwarding: bool,
}

fn build(
    cfg: &RunConfig,
    nics: usize,
    links: &[(usize, usize)],
    hosts: Vec<HostSpec>,
) -> Result<World, ScenarioError> {
    let mut hw = Hardware::new(WorldConfig {
        seed: cfg.seed,
        fast_forward: cfg.fast_forward,
        full_evals: cfg.full_evals,
        ..WorldConfig::default()
    });
    for _ in 0..nics {
        hw.add_nic(MemConfig {
            read_latency: cfg.memory.read_latency,
            write_latency: cfg.memory.write_latency,
            ..MemConfig::default()
        });
    }
    let faults = Faults {
        drop: cfg.wire.loss,
        bit_flip: cfg.wire.corrupt,
        duplicate: cfg.wire.dup,
        reorder: cfg.wire.reorder,
        ..Faults::default()
    };
    let mut link_info = Vec::new();
    for (i, &(a, b)) in links.iter().enumerate() {
        let link = hw.connect(a, b, cfg.wire.delay_cycles, faults);
        link_info.push(LinkInfo {
            name: format!("link{i}"),
            nics: [a, b],
            link,
        });
    }
    let shared = sim::hal::share(hw);
    let mut sys: Sys = System::new(shared.clone());
    // Let reset finish before the drivers probe.
    shared
        .borrow_mut()
        .run(64)
        .map_err(|e| ScenarioError::Setup(e.to_string()))?;

    let mut names = vec![String::new(); nics];
    for (h, spec) in hosts.into_iter().enumerate() {
        let mut scfg = StackConfig::new(spec.name);
        scfg.forwarding = spec.forwarding;
        scfg.packet_id_base = ((h as u64) + 1) << 40;
        let mut tcfg = TcpConfig {
            host: spec.name.to_string(),
            seed: cfg.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ h as u64,
            packet_id_base: (((h as u64) + 1) << 40) | (1 << 39),
            ..TcpConfig::default()
        };
        cfg.tcp.apply(&mut tcfg);
        let tcp = TcpLayer::new(tcfg);
        let mut stack = Stack::with_transport(scfg, tcp);
        let mut host_nics = Vec::new();
        for (k, &(hw_index, addr)) in spec.ifaces.iter().enumerate() {
            let dcfg = DriverConfig {
                mac: Some(mac_for(hw_index)),
                tx_ring: cfg.nic.tx_ring,
                rx_ring: cfg.nic.rx_ring,
                mtu: cfg.nic.mtu,
                coalesce: Coalesce {
                    itr: cfg.nic.itr,
                    rdtr: cfg.nic.rdtr,
                    radv: cfg.nic.radv,
                    ..Coalesce::default()
                },
                budget: cfg.nic.napi_budget,
                iface: k,
                ..DriverConfig::default()
            };
            let nic = sys.probe(hw_index, dcfg).map_err(ScenarioError::Setup)?;
            let mut caps = nic.caps();
            if !cfg.nic.checksum_offload {
                caps.tx_checksum = false;
                caps.rx_checksum = false;
            }
            let ifname = format!("eth{k}");
            let mut icfg = InterfaceConfig::from_caps(&ifname, k, &caps);
            icfg.caps = Some(caps);
            let id = stack.add_interface(icfg);
            stack.add_address(id, addr).map_err(|e| {
                ScenarioError::Setup(format!("{}: address {addr:?}: {e:?}", spec.name))
            })?;
            names[hw_index] = format!("{}/{ifname}", spec.name);
            host_nics.push(nic);
        }
        if let Some(gw) = spec.gateway {
            stack
                .set_default_gateway(Ipv4Addr::from(gw))
                .map_err(|e| ScenarioError::Setup(format!("{}: gateway: {e:?}", spec.name)))?;
        }
        if let Some(&(_, addr)) = spec.ifaces.first() {
            stack.transport_mut().set_default_source(Some(addr.addr()));
        }
        sys.hosts.push(Host {
            name: spec.name.to_string(),
            nics: host_nics,
            stack,
        });
    }
    Ok(World {
        sys,
        links: link_info,
        names,
    })
}

fn two_hosts(cfg: &RunConfig) -> Result<World, ScenarioError> {
    build(
        cfg,
        2,
        &[(0, 1)],
        vec![
            HostSpec {
                name: "a",
                ifaces: vec![(0, cidr(A_IP, 24))],
                gateway: None,
                forwarding: false,
            },
            HostSpec {
                name: "b",
                ifaces: vec![(1, cidr(B_IP, 24))],
                gateway: None,
                forwarding: false,
            },
        ],
    )
}

fn router_hosts(cfg: &RunConfig) -> Result<World, ScenarioError> {
    build(
        cfg,
        4,
        &[(0, 1), (2, 3)],
        vec![
            HostSpec {
                name: "a",
                ifaces: vec![(0, cidr(RA_IP, 24))],
                gateway: Some(RR1_IP),
                forwarding: false,
            },
            HostSpec {
                name: "r",
                ifaces: vec![(1, cidr(RR1_IP, 24)), (2, cidr(RR2_IP, 24))],
                gateway: None,
                forwarding: true,
            },
            HostSpec {
                name: "b",
                ifaces: vec![(3, cidr(RB_IP, 24))],
                gateway: Some(RR1_IP_FOR_B),
                forwarding: false,
            },
        ],
    )
}

/// B's gateway is R's address on B's subnet.
const RR1_IP_FOR_B: [u8; 4] = RR2_IP;

// ---------------------------------------------------------------- apps

/// Deterministic payload: a ChaCha stream keyed by the seed.
struct Pattern {
    rng: ChaCha8Rng,
    left: u64,
    hash: Sha256,
}

impl Pattern {
    fn new(seed: u64, bytes: u64) -> Pattern {
        Pattern {
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6e69_6373_696d),
            left: bytes,
            hash: Sha256::new(),
        }
    }
    /// Next chunk (at most `max` bytes), hashed as it is produced.
    fn next_chunk(&mut self, buf: &mut Vec<u8>, max: usize) {
        let n = (self.left.min(max as u64)) as usize;
        buf.resize(n, 0);
        self.rng.fill_bytes(buf);
        self.hash.update(&buf[..]);
        self.left -= n as u64;
    }
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Ping: `count` echo requests from host `from` to `dst`, one at a time.
fn run_ping(
    w: &mut World,
    hooks: &Hooks,
    from: usize,
    dst: Ipv4Addr,
    count: u16,
    limit: Instant,
    checks: &mut Vec<Check>,
) -> Result<Vec<Duration>, ScenarioError> {
    let mut rtts = Vec::new();
    let mut failures = Vec::new();
    for seq in 1..=count {
        let now = w.sys.now();
        w.sys.hosts[from]
            .stack
            .ping(now, dst, seq, 56)
            .map_err(|e| ScenarioError::Setup(format!("ping {dst}: {e}")))?;
        let give_up = now + Duration::from_millis(50);
        let mut got = None;
        w.sys.run(limit, "ping", |sys| {
            hooks.check_stop()?;
            while let Some(ev) = sys.hosts[from].stack.take_ping_event() {
                got = Some(ev);
            }
            Ok(got.is_some() || sys.now() >= give_up)
        })?;
        match got {
            Some(PingEvent::Reply {
                seq: s,
                rtt,
                data_ok,
                ..
            }) if s == seq && data_ok => rtts.push(rtt),
            Some(other) => failures.push(format!("seq {seq}: {other:?}")),
            None => failures.push(format!("seq {seq}: no reply within 50 ms")),
        }
    }
    checks.push(Check::new(
        format!("ping {dst}: {count} replies with intact data"),
        failures.is_empty(),
        if failures.is_empty() {
            format!("{} replies", rtts.len())
        } else {
            failures.join("; ")
        },
    ));
    Ok(rtts)
}

/// An echo request from A to B with TTL 1: R must answer with ICMP time
/// exceeded in transit (RFC 792, RFC 1812 5.3.1) instead of forwarding it.
fn run_ttl_expiry(
    w: &mut World,
    hooks: &Hooks,
    limit: Instant,
    checks: &mut Vec<Check>,
) -> Result<(), ScenarioError> {
    const SEQ: u16 = 0x7711;
    let now = w.sys.now();
    w.sys.hosts[0]
        .stack
        .ping_ttl(now, RB_IP.into(), SEQ, 56, 1)
        .map_err(|e| ScenarioError::Setup(format!("ping with ttl 1: {e}")))?;
    let give_up = now + Duration::from_millis(50);
    let mut got = None;
    w.sys.run(limit, "ttl expiry", |sys| {
        hooks.check_stop()?;
        while let Some(ev) = sys.hosts[0].stack.take_ping_event() {
            got = Some(ev);
        }
        Ok(got.is_some() || sys.now() >= give_up)
    })?;
    let router = Ipv4Addr::from(RR1_IP);
    let ok =
        matches!(got, Some(PingEvent::TimeExceeded { from, seq: SEQ, code: 0 }) if from == router);
    checks.push(Check::new(
        "router: TTL 1 answered by R with time exceeded".to_string(),
        ok,
        format!("{got:?}"),
    ));
    Ok(())
}

/// UDP echo: B echoes, A sends `count` datagrams of `size` bytes.
fn run_udp_echo(
    w: &mut World,
    hooks: &Hooks,
    cfg: &RunConfig,
    limit: Instant,
    checks: &mut Vec<Check>,
) -> Result<(), ScenarioError> {
    let b_ip = Ipv4Addr::from(B_IP);
    let server = w.sys.hosts[1]
        .stack
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, ECHO_PORT))
        .map_err(|e| ScenarioError::Setup(format!("udp bind: {e:?}")))?;
    let client = w.sys.hosts[0]
        .stack
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 40000))
        .map_err(|e| ScenarioError::Setup(format!("udp bind: {e:?}")))?;
    let count = cfg.traffic.datagrams;
    let size = cfg.traffic.size;
    let mut sent = 0u32;
    let mut echoed = 0u32;
    let mut bad = 0u32;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut expect: std::collections::VecDeque<Vec<u8>> = std::collections::VecDeque::new();
    w.sys.run(limit, "udp-echo", |sys| {
        hooks.check_stop()?;
        let now = sys.now();
        // Server: echo everything back.
        while let Some(d) = sys.hosts[1].stack.udp_recv_from(server) {
            let _ = sys.hosts[1]
                .stack
                .udp_send_to(now, server, d.from, d.payload.data());
        }
        while let Some(d) = sys.hosts[0].stack.udp_recv_from(client) {
            match expect.pop_front() {
                Some(e) if e == d.payload.data() => echoed += 1,
                _ => bad += 1,
            }
        }
        // Client: keep 4 datagrams in flight.
        while sent < count && expect.len() < 4 {
            let mut data = vec![0u8; size];
            rng.fill_bytes(&mut data);
            if sys.hosts[0]
                .stack
                .udp_send_to(now, client, SocketAddrV4::new(b_ip, ECHO_PORT), &data)
                .is_err()
            {
                break;
            }
            expect.push_back(data);
            sent += 1;
        }
        hooks.progress(u64::from(echoed), u64::from(count));
        Ok(echoed + bad >= count)
    })?;
    checks.push(Check::new(
        format!("udp-echo: {count} datagrams of {size} bytes echoed intact"),
        echoed == count && bad == 0,
        format!("{echoed} intact, {bad} wrong"),
    ));
    Ok(())
}

/// State of one TCP bulk transfer (client `from` sends to server `to`).
struct Bulk {
    from: usize,
    to: usize,
    dst: Ipv4Addr,
    bytes: u64,
    listener: SocketHandle,
    client: SocketHandle,
    server: Option<SocketHandle>,
    pattern: Pattern,
    chunk: Vec<u8>,
    chunk_off: usize,
    sent: u64,
    received: u64,
    rx_hash: Sha256,
    rx_buf: Vec<u8>,
    client_closed: bool,
    server_eof: bool,
    first_send: Option<Instant>,
    last_recv: Option<Instant>,
    error: Option<String>,
}

impl Bulk {
    fn start(
        w: &mut World,
        from: usize,
        to: usize,
        dst: Ipv4Addr,
        bytes: u64,
        seed: u64,
    ) -> Result<Bulk, ScenarioError> {
        let now = w.sys.now();
        let tl = w.sys.hosts[to].stack.transport_mut();
        let listener = tl.socket();
        tl.bind(
            listener,
            SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, BULK_PORT),
        )
        .map_err(|e| ScenarioError::Setup(format!("bind: {e}")))?;
        tl.listen(listener, 8)
            .map_err(|e| ScenarioError::Setup(format!("listen: {e}")))?;
        let tc = w.sys.hosts[from].stack.transport_mut();
        let client = tc.socket();
        tc.connect(client, now, SocketAddrV4::new(dst, BULK_PORT))
            .map_err(|e| ScenarioError::Setup(format!("connect: {e}")))?;
        Ok(Bulk {
            from,
            to,
            dst,
            bytes,
            listener,
            client,
            server: None,
            pattern: Pattern::new(seed, bytes),
            chunk: Vec::new(),
            chunk_off: 0,
            sent: 0,
            received: 0,
            rx_hash: Sha256::new(),
            rx_buf: vec![0; 16384],
            client_closed: false,
            server_eof: false,
            first_send: None,
            last_recv: None,
            error: None,
        })
    }

    /// One round of both applications; true when the transfer is over.
    fn step(&mut self, sys: &mut Sys) -> bool {
        let now = sys.now();
        // Client: write while the send buffer takes data.
        let tc = sys.hosts[self.from].stack.transport_mut();
        while !self.client_closed {
            if self.chunk_off == self.chunk.len() {
                if self.pattern.left == 0 {
                    // Close once the connection is up: a close in
                    // SYN-SENT aborts it (RFC 9293 3.10.4).
                    if !matches!(
                        tc.state(self.client),
                        Some(stack::tcp::State::Established | stack::tcp::State::CloseWait)
                    ) {
                        break;
                    }
                    match tc.close(self.client, now) {
                        Ok(()) => self.client_closed = true,
                        Err(e) => self.error = Some(format!("client close: {e}")),
                    }
                    break;
                }
                self.pattern.next_chunk(&mut self.chunk, 64 * 1024);
                self.chunk_off = 0;
            }
            match tc.send(self.client, now, &self.chunk[self.chunk_off..]) {
                Ok(n) => {
                    self.first_send.get_or_insert(now);
                    self.chunk_off += n;
                    self.sent += n as u64;
                    if n == 0 {
                        break;
                    }
                }
                Err(stack::tcp::SendError::WouldBlock) => break,
                Err(stack::tcp::SendError::NotConnected) => break,
                Err(e) => {
                    self.error = Some(format!("client send: {e}"));
                    return true;
                }
            }
        }
        // Server: accept, then read everything.
        let ts = sys.hosts[self.to].stack.transport_mut();
        if self.server.is_none() {
            if let Ok((h, _)) = ts.accept(self.listener) {
                self.server = Some(h);
            }
        }
        if let Some(h) = self.server {
            let buf = &mut self.rx_buf;
            loop {
                match ts.recv(h, now, buf) {
                    Ok(0) => {
                        if !self.server_eof {
                            self.server_eof = true;
                            let _ = ts.close(h, now);
                        }
                        break;
                    }
                    Ok(n) => {
                        self.rx_hash.update(&buf[..n]);
                        self.received += n as u64;
                        self.last_recv = Some(now);
                    }
                    Err(stack::tcp::RecvError::WouldBlock) => break,
                    Err(e) => {
                        self.error = Some(format!("server recv: {e}"));
                        return true;
                    }
                }
            }
        }
        self.server_eof
    }

    fn finish(self, sys: &mut Sys, checks: &mut Vec<Check>) -> TcpFlow {
        let sent_hash = hex(&self.pattern.hash.finalize());
        let recv_hash = hex(&self.rx_hash.finalize());
        let ok = self.error.is_none() && self.received == self.bytes && sent_hash == recv_hash;
        checks.push(Check::new(
            format!(
                "tcp {} -> {}:{BULK_PORT}: {} bytes, SHA-256 equal",
                sys.hosts[self.from].name, self.dst, self.bytes
            ),
            ok,
            match &self.error {
                Some(e) => e.clone(),
                None => format!(
                    "sent {} received {} sha256 {}..",
                    self.sent,
                    self.received,
                    &recv_hash[..16]
                ),
            },
        ));
        let now = sys.now();
        let _ = sys.hosts[self.to]
            .stack
            .transport_mut()
            .close(self.listener, now);
        let secs = match (self.first_send, self.last_recv) {
            (Some(a), Some(b)) if b > a => (b - a).as_nanos() as f64 / 1e9,
            _ => 0.0,
        };
        TcpFlow {
            from: sys.hosts[self.from].name.clone(),
            to: sys.hosts[self.to].name.clone(),
            bytes: self.received,
            sha256: recv_hash,
            sim_seconds: secs,
            goodput_mbps: if secs > 0.0 {
                self.received as f64 * 8.0 / secs / 1e6
            } else {
                0.0
            },
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_bulk(
    w: &mut World,
    hooks: &Hooks,
    from: usize,
    to: usize,
    dst: Ipv4Addr,
    bytes: u64,
    seed: u64,
    limit: Instant,
    checks: &mut Vec<Check>,
) -> Result<TcpFlow, ScenarioError> {
    let mut bulk = Bulk::start(w, from, to, dst, bytes, seed)?;
    let r = w.sys.run(limit, "tcp transfer", |sys| {
        hooks.check_stop()?;
        let done = bulk.step(sys);
        hooks.progress(bulk.received, bulk.bytes);
        Ok(done)
    });
    if let Err(e) = r {
        if matches!(e, RunError::TimeLimit { .. }) && bulk.error.is_none() {
            bulk.error = Some(format!(
                "{e} ({} of {} bytes received)",
                bulk.received, bulk.bytes
            ));
        } else {
            return Err(e.into());
        }
    }
    Ok(bulk.finish(&mut w.sys, checks))
}

/// Request/response: `n` transactions of `size` bytes each way.
fn run_rr(
    w: &mut World,
    hooks: &Hooks,
    n: u32,
    size: usize,
    limit: Instant,
    checks: &mut Vec<Check>,
) -> Result<Vec<Duration>, ScenarioError> {
    let now = w.sys.now();
    let dst = Ipv4Addr::from(B_IP);
    let tl = w.sys.hosts[1].stack.transport_mut();
    let listener = tl.socket();
    tl.bind(
        listener,
        SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, BULK_PORT),
    )
    .map_err(|e| ScenarioError::Setup(format!("bind: {e}")))?;
    tl.listen(listener, 4)
        .map_err(|e| ScenarioError::Setup(format!("listen: {e}")))?;
    let tc = w.sys.hosts[0].stack.transport_mut();
    let client = tc.socket();
    tc.set_nodelay(client, true);
    tc.connect(client, now, SocketAddrV4::new(dst, BULK_PORT))
        .map_err(|e| ScenarioError::Setup(format!("connect: {e}")))?;
    let mut server: Option<SocketHandle> = None;
    let mut lat = Vec::new();
    let mut started: Option<Instant> = None;
    let mut srv_got = 0usize;
    let mut cli_got = 0usize;
    let mut wrong = 0u32;
    let req: Vec<u8> = (0..size).map(|i| (i * 7 + 1) as u8).collect();
    let mut buf = vec![0u8; size.max(1)];
    w.sys.run(limit, "tcp-rr", |sys| {
        hooks.check_stop()?;
        let now = sys.now();
        let ts = sys.hosts[1].stack.transport_mut();
        if server.is_none() {
            if let Ok((h, _)) = ts.accept(listener) {
                ts.set_nodelay(h, true);
                server = Some(h);
            }
        }
        if let Some(h) = server {
            while let Ok(k) = ts.recv(h, now, &mut buf) {
                if k == 0 {
                    break;
                }
                if buf[..k] != req[srv_got..srv_got + k] {
                    wrong += 1;
                }
                srv_got += k;
                if srv_got == size {
                    srv_got = 0;
                    // Echo the request as the response.
                    let _ = ts.send(h, now, &req);
                }
            }
        }
        let tc = sys.hosts[0].stack.transport_mut();
        if started.is_none() && lat.len() < n as usize {
            if let Ok(k) = tc.send(client, now, &req) {
                if k == size {
                    started = Some(now);
                } else if k > 0 {
                    wrong += 1;
                }
            }
        }
        while let Ok(k) = tc.recv(client, now, &mut buf) {
            if k == 0 {
                break;
            }
            cli_got += k;
            if cli_got == size {
                cli_got = 0;
                if let Some(t0) = started.take() {
                    lat.push(now - t0);
                }
            }
        }
        hooks.progress(lat.len() as u64, u64::from(n));
        Ok(lat.len() >= n as usize || wrong > 0)
    })?;
    let now = w.sys.now();
    let _ = w.sys.hosts[0].stack.transport_mut().close(client, now);
    if let Some(h) = server {
        let _ = w.sys.hosts[1].stack.transport_mut().close(h, now);
    }
    let _ = w.sys.hosts[1].stack.transport_mut().close(listener, now);
    checks.push(Check::new(
        format!("tcp-rr: {n} transactions of {size} bytes"),
        lat.len() == n as usize && wrong == 0,
        format!("{} done, {wrong} wrong", lat.len()),
    ));
    Ok(lat)
}

// --------------------------------------------------------------- linux

fn linux_host(cfg: &RunConfig) -> Result<(World, (Netns, Scratch)), ScenarioError> {
    let setup = |e: String| ScenarioError::Setup(e);
    let mut w = build(
        cfg,
        1,
        &[],
        vec![HostSpec {
            name: "a",
            ifaces: vec![(0, cidr(OUR_IP, 24))],
            gateway: None,
            forwarding: false,
        }],
    )?;
    let pid = std::process::id();
    let ns = Netns::create(&format!("nicsim-{pid}")).map_err(setup)?;
    let dev = w
        .sys
        .hw
        .borrow_mut()
        .attach_tap(0, &format!("nsim{}", pid % 100_000))
        .map_err(|e| setup(e.to_string()))?;
    ns.adopt(&dev, "10.77.0.1/24").map_err(setup)?;
    let scratch = Scratch::new("linux").map_err(setup)?;
    w.names[0] = "a/eth0".to_string();
    Ok((w, (ns, scratch)))
}

/// Run until a kernel-side child exits; its status is the result.
fn wait_child(
    w: &mut World,
    hooks: &Hooks,
    child: &mut std::process::Child,
    limit: Instant,
    what: &str,
    mut also: impl FnMut(&mut Sys) -> bool,
) -> Result<Result<(), String>, ScenarioError> {
    let mut status = None;
    let r = w.sys.run(limit, what, |sys| {
        hooks.check_stop()?;
        let done = also(sys);
        if status.is_none() {
            status = child.try_wait().ok().flatten();
        }
        Ok(done && status.is_some())
    });
    if let Err(e) = r {
        let _ = child.kill();
        let _ = child.wait();
        return match e {
            RunError::TimeLimit { .. } => Ok(Err(e.to_string())),
            e => Err(e.into()),
        };
    }
    Ok(match status {
        Some(s) => crate::linux::outcome(child, s),
        None => Err("did not finish".into()),
    })
}

fn kernel_pings_us(
    w: &mut World,
    hooks: &Hooks,
    ns: &Netns,
    limit: Instant,
    checks: &mut Vec<Check>,
) -> Result<(), ScenarioError> {
    let mut child = ns
        .spawn(&["ping", "-c", "3", "-i", "0.2", "-W", "5", "10.77.0.2"])
        .map_err(ScenarioError::Setup)?;
    let r = wait_child(w, hooks, &mut child, limit, "kernel ping", |_| true)?;
    checks.push(Check::new(
        "linux: the kernel pings our stack (3 replies)".into(),
        r.is_ok(),
        r.err().unwrap_or_else(|| "ping exited 0".into()),
    ));
    Ok(())
}

fn write_pattern(path: &std::path::Path, seed: u64, bytes: u64) -> Result<String, ScenarioError> {
    let mut p = Pattern::new(seed, bytes);
    let mut data = Vec::with_capacity(bytes as usize);
    let mut chunk = Vec::new();
    while p.left > 0 {
        p.next_chunk(&mut chunk, 1 << 16);
        data.extend_from_slice(&chunk);
    }
    std::fs::write(path, &data)
        .map_err(|e| ScenarioError::Setup(format!("{}: {e}", path.display())))?;
    Ok(hex(&p.hash.finalize()))
}

#[allow(clippy::too_many_arguments)]
fn kernel_to_us(
    w: &mut World,
    hooks: &Hooks,
    ns: &Netns,
    dir: &std::path::Path,
    bytes: u64,
    seed: u64,
    limit: Instant,
    checks: &mut Vec<Check>,
) -> Result<TcpFlow, ScenarioError> {
    let file = dir.join("to_us.bin");
    let want = write_pattern(&file, seed, bytes)?;
    let tl = w.sys.hosts[0].stack.transport_mut();
    let l = tl.socket();
    tl.bind(l, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, BULK_PORT))
        .map_err(|e| ScenarioError::Setup(format!("bind: {e}")))?;
    tl.listen(l, 4)
        .map_err(|e| ScenarioError::Setup(format!("listen: {e}")))?;
    let file_s = file.display().to_string();
    let port = BULK_PORT.to_string();
    let mut child = ns
        .spawn(&[
            "python3",
            "-c",
            crate::linux::CLIENT_PY,
            &file_s,
            "10.77.0.2",
            &port,
        ])
        .map_err(ScenarioError::Setup)?;
    let mut conn = None;
    let mut got = 0u64;
    let mut hash = Sha256::new();
    let mut eof = false;
    let (mut t0, mut t1) = (None, None);
    let r = wait_child(w, hooks, &mut child, limit, "kernel -> us", |sys| {
        let now = sys.now();
        let t = sys.hosts[0].stack.transport_mut();
        if conn.is_none() {
            conn = t.accept(l).ok().map(|(h, _)| h);
        }
        if let Some(h) = conn {
            let mut buf = [0u8; 16384];
            while let Ok(n) = t.recv(h, now, &mut buf) {
                if n == 0 {
                    if !eof {
                        eof = true;
                        let _ = t.close(h, now);
                    }
                    break;
                }
                t0.get_or_insert(now);
                t1 = Some(now);
                got += n as u64;
                hash.update(&buf[..n]);
            }
        }
        hooks.progress(got, bytes);
        eof
    })?;
    let now = w.sys.now();
    let _ = w.sys.hosts[0].stack.transport_mut().close(l, now);
    let have = hex(&hash.finalize());
    checks.push(Check::new(
        format!("linux: kernel client sends {bytes} bytes to our server, SHA-256 equal"),
        r.is_ok() && got == bytes && have == want,
        match r {
            Err(e) => format!("kernel client: {e} ({got} bytes received)"),
            Ok(()) => format!("received {got}, sha256 {}..", &have[..16]),
        },
    ));
    Ok(flow("linux", "a", got, have, t0, t1))
}

#[allow(clippy::too_many_arguments)]
fn us_to_kernel(
    w: &mut World,
    hooks: &Hooks,
    ns: &Netns,
    dir: &std::path::Path,
    bytes: u64,
    seed: u64,
    limit: Instant,
    checks: &mut Vec<Check>,
) -> Result<TcpFlow, ScenarioError> {
    let file = dir.join("from_us.bin");
    let ready = dir.join("from_us.bin.ready");
    let file_s = file.display().to_string();
    let port = (BULK_PORT + 1).to_string();
    let mut child = ns
        .spawn(&[
            "python3",
            "-c",
            crate::linux::SERVER_PY,
            &file_s,
            "10.77.0.1",
            &port,
        ])
        .map_err(ScenarioError::Setup)?;
    let mut pattern = Pattern::new(seed, bytes);
    let mut chunk = Vec::new();
    let mut off = 0usize;
    let mut client: Option<SocketHandle> = None;
    let mut closed = false;
    let mut sent = 0u64;
    let mut error = None;
    let mut t0 = None;
    let dst = SocketAddrV4::new(Ipv4Addr::from(KERNEL_IP), BULK_PORT + 1);
    let r = wait_child(w, hooks, &mut child, limit, "us -> kernel", |sys| {
        let now = sys.now();
        let t = sys.hosts[0].stack.transport_mut();
        let h = match client {
            Some(h) => h,
            None if ready.exists() => {
                let h = t.socket();
                if let Err(e) = t.connect(h, now, dst) {
                    error = Some(format!("connect: {e}"));
                    return true;
                }
                client = Some(h);
                h
            }
            None => return false,
        };
        while !closed && error.is_none() {
            if off == chunk.len() {
                if pattern.left == 0 {
                    if matches!(
                        t.state(h),
                        Some(stack::tcp::State::Established | stack::tcp::State::CloseWait)
                    ) {
                        closed = t.close(h, now).is_ok();
                    }
                    break;
                }
                pattern.next_chunk(&mut chunk, 1 << 16);
                off = 0;
            }
            match t.send(h, now, &chunk[off..]) {
                Ok(0) => break,
                Ok(n) => {
                    t0.get_or_insert(now);
                    off += n;
                    sent += n as u64;
                }
                Err(stack::tcp::SendError::WouldBlock | stack::tcp::SendError::NotConnected) => {
                    break;
                }
                Err(e) => error = Some(format!("send: {e}")),
            }
        }
        hooks.progress(sent, bytes);
        closed || error.is_some()
    })?;
    // The kernel server has written everything when it exits.
    let t1 = Some(w.sys.now());
    let want = hex(&pattern.hash.finalize());
    let got = std::fs::read(&file).unwrap_or_default();
    let have = hex(&Sha256::digest(&got));
    let ok = r.is_ok() && error.is_none() && got.len() as u64 == bytes && have == want;
    checks.push(Check::new(
        format!("linux: our client sends {bytes} bytes to a kernel server, SHA-256 equal"),
        ok,
        match (error, r) {
            (Some(e), _) => e,
            (None, Err(e)) => format!("kernel server: {e} ({} bytes written)", got.len()),
            (None, Ok(())) => format!("kernel wrote {} bytes, sha256 {}..", got.len(), &have[..16]),
        },
    ));
    Ok(flow("a", "linux", got.len() as u64, have, t0, t1))
}

fn flow(
    from: &str,
    to: &str,
    bytes: u64,
    sha256: String,
    t0: Option<Instant>,
    t1: Option<Instant>,
) -> TcpFlow {
    let secs = match (t0, t1) {
        (Some(a), Some(b)) if b > a => (b - a).as_nanos() as f64 / 1e9,
        _ => 0.0,
    };
    TcpFlow {
        from: from.into(),
        to: to.into(),
        bytes,
        sha256,
        sim_seconds: secs,
        goodput_mbps: if secs > 0.0 {
            bytes as f64 * 8.0 / secs / 1e6
        } else {
            0.0
        },
    }
}

// ------------------------------------------------------------- running

/// Arm waveforms and captures as the configuration asks.
fn outputs(w: &mut World, cfg: &RunConfig) -> Result<(), ScenarioError> {
    let mut hw = w.sys.hw.borrow_mut();
    if let Some(dir) = &cfg.output.pcap_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| ScenarioError::Setup(format!("{}: {e}", dir.display())))?;
        for l in &w.links {
            // The capture of a link's first NIC sees both directions.
            let path = dir.join(format!("{}.pcap", l.name));
            hw.capture(l.nics[0], &path)
                .map_err(|e| ScenarioError::Setup(e.to_string()))?;
        }
        if w.links.is_empty() {
            for nic in 0..hw.nic_count() {
                let path = dir.join(format!("nic{nic}.pcap"));
                hw.capture(nic, &path)
                    .map_err(|e| ScenarioError::Setup(e.to_string()))?;
            }
        }
    }
    if let Some(path) = &cfg.output.vcd {
        let (start, cycles) = match cfg.vcd_window() {
            Some(VcdWindow::Cycles { start, end }) => (TraceStart::Cycle(start), end - start),
            Some(VcdWindow::FirstFrame { cycles }) => (TraceStart::NextTxFrame, cycles),
            None => (TraceStart::Cycle(0), u64::MAX / 4),
        };
        hw.trace_window(
            0,
            TraceWindow {
                path: path.clone(),
                start,
                cycles,
                depth: cfg.output.vcd_depth,
            },
        );
    }
    Ok(())
}

/// Release every driver (unmapping all DMA) and close the hardware: leaks,
/// violations and unfinished captures fail here.
fn teardown(w: World, checks: &mut Vec<Check>) -> (sim::hal::SharedHardware, Vec<HostReport>) {
    let World { sys, .. } = w;
    let System { hw, hosts } = sys;
    let mut reports = Vec::new();
    for mut h in hosts {
        let mut nics = Vec::new();
        for n in &mut h.nics {
            n.nic.update_stats();
        }
        for n in h.nics {
            let HostNic { nic, hw_index, .. } = n;
            let stats = nic.stats();
            nics.push((hw_index, stats));
            let _ = nic.remove();
        }
        reports.push(HostReport::new(&h.name, &h.stack, nics));
    }
    let fin = hw.borrow_mut().finish();
    checks.push(Check::new(
        "hardware: no protocol, sanitizer or wire violation; no DMA leak".to_string(),
        fin.is_ok(),
        match fin {
            Ok(()) => "clean".to_string(),
            Err(e) => e.to_string(),
        },
    ));
    (hw, reports)
}

/// Run one scenario to its report.
pub fn run(kind: ScenarioKind, cfg: &RunConfig, hooks: &Hooks) -> Result<Report, ScenarioError> {
    cfg.validate()
        .map_err(|e| ScenarioError::Setup(e.to_string()))?;
    let wall = std::time::Instant::now();
    let mut cfg = cfg.clone();
    if kind == ScenarioKind::Demo {
        if cfg.output.pcap_dir.is_none() {
            cfg.output.pcap_dir = Some(PathBuf::from("out/demo"));
        }
        if cfg.output.vcd.is_none() {
            cfg.output.vcd = Some(PathBuf::from("out/demo/first-frames.vcd"));
            cfg.output
                .vcd_window
                .get_or_insert("first-frame+20000".to_string());
        }
    }
    let mut linux_guard = None;
    if kind == ScenarioKind::Linux {
        if let Some(why) = crate::linux::unavailable() {
            return Err(ScenarioError::Unavailable(why));
        }
        // The kernel may send at any time: never skip cycles.
        cfg.fast_forward = false;
    }
    let mut w = match kind {
        ScenarioKind::Router => router_hosts(&cfg)?,
        ScenarioKind::Linux => {
            let (w, g) = linux_host(&cfg)?;
            linux_guard = Some(g);
            w
        }
        _ => two_hosts(&cfg)?,
    };
    outputs(&mut w, &cfg)?;
    for n in w.sys.hosts.iter_mut().flat_map(|h| h.nics.iter_mut()) {
        n.markers = hooks.markers;
    }
    let limit = Instant::from_millis(cfg.time_limit_ms);
    let mut checks = Vec::new();
    let mut flows = Vec::new();
    let mut rtts = Vec::new();
    let mut latencies = Vec::new();
    let result: Result<(), ScenarioError> = (|| {
        match kind {
            ScenarioKind::Ping => {
                rtts = run_ping(
                    &mut w,
                    hooks,
                    0,
                    B_IP.into(),
                    cfg.traffic.pings,
                    limit,
                    &mut checks,
                )?;
            }
            ScenarioKind::UdpEcho => run_udp_echo(&mut w, hooks, &cfg, limit, &mut checks)?,
            ScenarioKind::TcpBulk | ScenarioKind::Stress => {
                flows.push(run_bulk(
                    &mut w,
                    hooks,
                    0,
                    1,
                    B_IP.into(),
                    cfg.traffic.bytes,
                    cfg.seed,
                    limit,
                    &mut checks,
                )?);
            }
            ScenarioKind::TcpRr => {
                latencies = run_rr(
                    &mut w,
                    hooks,
                    cfg.traffic.transactions,
                    cfg.traffic.size,
                    limit,
                    &mut checks,
                )?;
            }
            ScenarioKind::Router => {
                rtts = run_ping(
                    &mut w,
                    hooks,
                    0,
                    RB_IP.into(),
                    cfg.traffic.pings,
                    limit,
                    &mut checks,
                )?;
                run_ttl_expiry(&mut w, hooks, limit, &mut checks)?;
                flows.push(run_bulk(
                    &mut w,
                    hooks,
                    0,
                    2,
                    RB_IP.into(),
                    cfg.traffic.bytes,
                    cfg.seed,
                    limit,
                    &mut checks,
                )?);
            }
            ScenarioKind::Linux => {
                let Some((ns, scratch)) = &linux_guard else {
                    return Err(ScenarioError::Setup("no namespace".into()));
                };
                kernel_pings_us(&mut w, hooks, ns, limit, &mut checks)?;
                rtts = run_ping(
                    &mut w,
                    hooks,
                    0,
                    KERNEL_IP.into(),
                    cfg.traffic.pings,
                    limit,
                    &mut checks,
                )?;
                flows.push(kernel_to_us(
                    &mut w,
                    hooks,
                    ns,
                    &scratch.dir,
                    cfg.traffic.bytes,
                    cfg.seed,
                    limit,
                    &mut checks,
                )?);
                flows.push(us_to_kernel(
                    &mut w,
                    hooks,
                    ns,
                    &scratch.dir,
                    cfg.traffic.bytes,
                    cfg.seed ^ 1,
                    limit,
                    &mut checks,
                )?);
            }
            ScenarioKind::Demo => {
                rtts = run_ping(
                    &mut w,
                    hooks,
                    0,
                    B_IP.into(),
                    cfg.traffic.pings,
                    limit,
                    &mut checks,
                )?;
                flows.push(run_bulk(
                    &mut w,
                    hooks,
                    0,
                    1,
                    B_IP.into(),
                    cfg.traffic.bytes,
                    cfg.seed,
                    limit,
                    &mut checks,
                )?);
            }
        }
        // Let the connections close and the last ACKs land.
        let settle = (w.sys.now() + Duration::from_micros(200)).min(limit);
        if w.sys.now() < settle {
            w.sys.run(limit, "settle", |sys| Ok(sys.now() >= settle))?;
        }
        Ok(())
    })();
    let interrupted = match result {
        Ok(()) => false,
        Err(ScenarioError::Run(RunError::Interrupted)) => true,
        Err(ScenarioError::Run(RunError::Sim(e))) => {
            checks.push(Check::new("hardware run".to_string(), false, e.to_string()));
            false
        }
        Err(e) => return Err(e),
    };
    if interrupted {
        checks.push(Check::new(
            "run completed".to_string(),
            false,
            "interrupted by Ctrl-C".to_string(),
        ));
    }
    let cycles = w.sys.cycle();
    let sim_ns = w.sys.now().as_nanos();
    let (evaluated, skipped) = {
        let hw = w.sys.hw.borrow();
        (hw.evaluated_cycles, hw.skipped_cycles)
    };
    let links: Vec<LinkReport> = {
        let hw = w.sys.hw.borrow();
        w.links
            .iter()
            .map(|l| {
                let a = hw.stats(l.nics[0]);
                let b = hw.stats(l.nics[1]);
                LinkReport {
                    name: l.name.clone(),
                    ends: [w.names[l.nics[0]].clone(), w.names[l.nics[1]].clone()],
                    frames: [a.tx_frames, b.tx_frames],
                    bytes: [a.tx_bytes, b.tx_bytes],
                    faults: [
                        hw.fault_stats(l.link, 0).frames,
                        hw.fault_stats(l.link, 1).frames,
                    ],
                }
            })
            .collect()
    };
    let (_hw, hosts) = teardown(w, &mut checks);
    Ok(Report::new(
        kind.name(),
        &cfg,
        sim_ns,
        cycles,
        evaluated,
        skipped,
        wall.elapsed(),
        links,
        hosts,
        flows,
        rtts,
        latencies,
        checks,
    ))
}
