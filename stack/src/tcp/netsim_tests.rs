//! End-to-end tests: two TCP layers exchange data over an impaired channel
//! with seeded loss, duplication, reordering and corruption, over many
//! seeds; every byte must arrive exactly once and in order, and both
//! connections must close cleanly.
//!
//! Part A joins two bare [`TcpLayer`]s through a channel model that fills
//! the TCP checksum at the sender and verifies it at the receiver (the
//! IPv4 layer's job), so corruption is dropped before TCP, as in the real
//! stack. The channel also has a rate and a drop-tail queue, so congestion
//! control sees queueing loss as well as random loss. Part B runs the same
//! over full stacks (Ethernet, ARP, IPv4) joined by the [`SoftWire`], with
//! software checksums and with checksum offload, and checks a pcap of one
//! transfer.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use super::*;
use crate::device::Device;
use crate::iface::InterfaceConfig;
use crate::softwire::{SoftPort, SoftWire, SplitMix64, WireConfig};
use crate::stack::{Stack, StackConfig};
use crate::wire::{Ipv4Cidr, checksum};

const A_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 7, 1);
const B_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 7, 2);
const PORT: u16 = 5001;

/// FNV-1a, to report what was compared in a failure message.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = SplitMix64::new(seed ^ 0xda7a);
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        v.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    v.truncate(len);
    v
}

/// One side's application: writes `to_send` as fast as the socket takes
/// it, shuts the write side when done, and reads until end of stream.
struct App {
    to_send: Vec<u8>,
    sent: usize,
    received: Vec<u8>,
    eof: bool,
    shut: bool,
    /// Write in chunks of this size (varies the segment boundaries).
    chunk: usize,
}

impl App {
    fn new(to_send: Vec<u8>, chunk: usize) -> App {
        App {
            to_send,
            sent: 0,
            received: Vec::new(),
            eof: false,
            shut: false,
            chunk,
        }
    }

    fn pump(&mut self, tcp: &mut TcpLayer, h: SocketHandle, now: Instant, seed: u64) {
        if matches!(tcp.state(h), Some(State::SynSent | State::SynReceived)) {
            return;
        }
        while self.sent < self.to_send.len() {
            let end = (self.sent + self.chunk).min(self.to_send.len());
            match tcp.send(h, now, &self.to_send[self.sent..end]) {
                Ok(n) => self.sent += n,
                Err(SendError::WouldBlock) => break,
                Err(e) => panic!("seed {seed}: send: {e}"),
            }
        }
        if self.sent == self.to_send.len() && !self.shut {
            tcp.shutdown(h, now, Shutdown::Write).unwrap();
            self.shut = true;
        }
        let mut buf = [0u8; 16384];
        while !self.eof {
            match tcp.recv(h, now, &mut buf) {
                Ok(0) => self.eof = true,
                Ok(n) => self.received.extend_from_slice(&buf[..n]),
                Err(RecvError::WouldBlock) => break,
                Err(e) => panic!("seed {seed}: recv: {e} after {} bytes", self.received.len()),
            }
        }
    }
}

/// Channel impairments for part A.
#[derive(Debug, Clone, Copy)]
struct Impair {
    loss_ppm: u32,
    dup_ppm: u32,
    reorder_ppm: u32,
    corrupt_ppm: u32,
    latency: Duration,
    /// Bits per second of each direction.
    rate: u64,
    /// Packets a direction queues before dropping (drop-tail).
    queue: usize,
}

struct InFlight {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    bytes: Vec<u8>,
    id: PacketId,
}

/// A two-way channel: per direction, a serialisation clock; deliveries are
/// kept in time order (ties by a sequence number, so runs repeat).
struct Channel {
    rng: SplitMix64,
    imp: Impair,
    busy_until: [Instant; 2],
    queue: BTreeMap<(Instant, u64), InFlight>,
    seq: u64,
    dropped_by_checksum: u64,
    queue_drops: u64,
}

impl Channel {
    fn queued_towards(&self, dst: Ipv4Addr) -> usize {
        self.queue.values().filter(|p| p.dst == dst).count()
    }

    fn send(&mut self, now: Instant, tx: TransportTx) {
        let dir = usize::from(tx.src == B_IP);
        let mut bytes = tx.segment.data().to_vec();
        // The IPv4 output path fills the TCP checksum (RFC 9293 3.1).
        let off = usize::from(tx.checksum_offset.unwrap());
        let c = checksum::transport_checksum(tx.src, tx.dst, 6, &bytes);
        bytes[off..off + 2].copy_from_slice(&c.to_be_bytes());
        if self.queued_towards(tx.dst) >= self.imp.queue {
            self.queue_drops += 1;
            return;
        }
        let wire_time =
            Duration::from_nanos((bytes.len() as u64 + 58) * 8 * 1_000_000_000 / self.imp.rate);
        let start = self.busy_until[dir].max(now);
        self.busy_until[dir] = start + wire_time;
        if self.rng.chance(self.imp.loss_ppm) {
            return;
        }
        let copies = if self.rng.chance(self.imp.dup_ppm) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut at = start + wire_time + self.imp.latency;
            if self.rng.chance(self.imp.reorder_ppm) {
                at += Duration::from_micros(200 + self.rng.below(3000));
            }
            let mut b = bytes.clone();
            if self.rng.chance(self.imp.corrupt_ppm) {
                let bit = self.rng.below(b.len() as u64 * 8) as usize;
                b[bit / 8] ^= 1 << (bit % 8);
            }
            self.seq += 1;
            self.queue.insert(
                (at, self.seq),
                InFlight {
                    src: tx.src,
                    dst: tx.dst,
                    bytes: b,
                    id: tx.segment.meta().id,
                },
            );
        }
    }

    fn next_arrival(&self) -> Option<Instant> {
        self.queue.keys().next().map(|k| k.0)
    }

    fn pop_due(&mut self, now: Instant) -> Option<InFlight> {
        let (&key, _) = self.queue.iter().next()?;
        if key.0 > now {
            return None;
        }
        let p = self.queue.remove(&key)?;
        // The IPv4 input path verifies it: corrupted segments never reach
        // TCP.
        if !checksum::transport_verifies(p.src, p.dst, 6, &p.bytes) {
            self.dropped_by_checksum += 1;
            return self.pop_due(now);
        }
        Some(p)
    }
}

fn layer_config(seed: u64, variant: u64) -> TcpConfig {
    let mut c = TcpConfig {
        seed,
        msl: Duration::from_secs(2),
        ..TcpConfig::default()
    };
    match variant % 4 {
        0 => {}
        1 => c.sack = false,
        2 => {
            c.timestamps = false;
            c.window_scaling = false;
            c.recv_buffer = 60 * 1024;
        }
        _ => c.congestion = CongestionAlgorithm::Cubic,
    }
    c
}

struct Outcome {
    client_got: Vec<u8>,
    server_got: Vec<u8>,
    end: Instant,
    /// When the server had read every upstream byte.
    up_done: Instant,
    retransmits: u64,
    checksum_drops: u64,
    stats: [TcpStats; 2],
    queue_drops: u64,
}

/// Run one transfer: `up` bytes client -> server, `down` bytes back, both
/// directions at once; then both sides close.
fn run_pair(seed: u64, imp: Impair, up: usize, down: usize) -> Outcome {
    let mut a = TcpLayer::new(TcpConfig {
        packet_id_base: 1 << 40,
        ..layer_config(seed, seed)
    });
    let mut b = TcpLayer::new(TcpConfig {
        packet_id_base: 2 << 40,
        ..layer_config(seed.wrapping_add(1000), seed)
    });
    a.set_default_source(Some(A_IP));
    let mut ch = Channel {
        rng: SplitMix64::new(seed),
        imp,
        busy_until: [Instant::ZERO; 2],
        queue: BTreeMap::new(),
        seq: 0,
        dropped_by_checksum: 0,
        queue_drops: 0,
    };
    let mut now = Instant::from_millis(1);
    let l = b.socket();
    b.bind(l, SocketAddrV4::new(B_IP, PORT)).unwrap();
    b.listen(l, 4).unwrap();
    let c = a.socket();
    a.connect(c, now, SocketAddrV4::new(B_IP, PORT)).unwrap();
    let up_data = pattern(seed, up);
    let down_data = pattern(seed ^ 0xffff, down);
    let mut client = App::new(up_data.clone(), 1000 + (seed as usize * 733) % 9000);
    let mut server = App::new(down_data.clone(), 700 + (seed as usize * 311) % 5000);
    let mut s: Option<SocketHandle> = None;
    let deadline = Instant::from_millis(900_000);
    let mut steps = 0u64;
    let mut up_done = None;
    loop {
        steps += 1;
        assert!(steps < 20_000_000, "seed {seed}: no progress");
        while let Some(p) = ch.pop_due(now) {
            let dst = if p.dst == B_IP { &mut b } else { &mut a };
            dst.input_segment(now, p.src, p.dst, &p.bytes, p.id);
        }
        if s.is_none() {
            if let Ok((h, _)) = b.accept(l) {
                s = Some(h);
            }
        }
        client.pump(&mut a, c, now, seed);
        if let Some(h) = s {
            server.pump(&mut b, h, now, seed);
        }
        a.poll_timers(now);
        b.poll_timers(now);
        while let Some(tx) = a.next_segment(now) {
            ch.send(now, tx);
        }
        while let Some(tx) = b.next_segment(now) {
            ch.send(now, tx);
        }
        if up_done.is_none() && server.received.len() == up {
            up_done = Some(now);
        }
        let done = client.eof
            && server.eof
            && a.state(c) == Some(State::Closed)
            && s.is_some_and(|h| b.state(h) == Some(State::Closed));
        if done {
            break;
        }
        let next = [ch.next_arrival(), a.next_poll_at(), b.next_poll_at()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) if t <= deadline => now = now.max(t),
            _ => panic!(
                "seed {seed}: stuck at {now}: client {:?} sent {}/{} got {}/{}, server {:?} got {}/{}",
                a.state(c),
                client.sent,
                up,
                client.received.len(),
                down,
                s.and_then(|h| b.state(h)),
                server.received.len(),
                up
            ),
        }
    }
    let h = s.unwrap();
    assert_eq!(a.error(c), None, "seed {seed}: client closed cleanly");
    assert_eq!(b.error(h), None, "seed {seed}: server closed cleanly");
    a.close(c, now).unwrap();
    b.close(h, now).unwrap();
    Outcome {
        client_got: client.received,
        server_got: server.received,
        end: now,
        up_done: up_done.unwrap_or(now),
        retransmits: a.stats().retransmits + b.stats().retransmits,
        checksum_drops: ch.dropped_by_checksum,
        stats: [a.stats().clone(), b.stats().clone()],
        queue_drops: ch.queue_drops,
    }
}

fn check(seed: u64, o: &Outcome, up: &[u8], down: &[u8]) {
    assert_eq!(
        (o.server_got.len(), fnv(&o.server_got)),
        (up.len(), fnv(up)),
        "seed {seed}: upstream bytes differ"
    );
    assert!(o.server_got == up, "seed {seed}: upstream content");
    assert_eq!(
        (o.client_got.len(), fnv(&o.client_got)),
        (down.len(), fnv(down)),
        "seed {seed}: downstream bytes differ"
    );
    assert!(o.client_got == down, "seed {seed}: downstream content");
}

fn lossy() -> Impair {
    Impair {
        loss_ppm: 20_000,
        dup_ppm: 10_000,
        reorder_ppm: 20_000,
        corrupt_ppm: 10_000,
        latency: Duration::from_millis(2),
        rate: 100_000_000,
        queue: 64,
    }
}

#[test]
fn lossy_channel_many_seeds_exactly_once_in_order() {
    let up = 300 * 1024;
    let down = 100 * 1024;
    let mut total_rexmit = 0;
    let mut total_csum = 0;
    for seed in 0..24u64 {
        let o = run_pair(seed, lossy(), up, down);
        check(seed, &o, &pattern(seed, up), &pattern(seed ^ 0xffff, down));
        total_rexmit += o.retransmits;
        total_csum += o.checksum_drops;
    }
    // The impairments really happened and were recovered from.
    assert!(total_rexmit > 100, "retransmissions {total_rexmit}");
    assert!(total_csum > 20, "corrupted segments dropped {total_csum}");
}

#[test]
fn heavy_loss_still_delivers() {
    let imp = Impair {
        loss_ppm: 100_000,
        reorder_ppm: 50_000,
        ..lossy()
    };
    for seed in 100..104u64 {
        let o = run_pair(seed, imp, 64 * 1024, 16 * 1024);
        check(
            seed,
            &o,
            &pattern(seed, 64 * 1024),
            &pattern(seed ^ 0xffff, 16 * 1024),
        );
    }
}

#[test]
fn same_seed_same_run() {
    let a = run_pair(5, lossy(), 100_000, 1000);
    let b = run_pair(5, lossy(), 100_000, 1000);
    assert_eq!(a.end, b.end);
    assert_eq!(a.retransmits, b.retransmits);
}

#[test]
fn clean_channel_fills_the_pipe() {
    // 1 Gb/s, 100 µs one way, no loss: a 4 MiB transfer must run near the
    // line rate (the queue is large enough for the window).
    let imp = Impair {
        loss_ppm: 0,
        dup_ppm: 0,
        reorder_ppm: 0,
        corrupt_ppm: 0,
        latency: Duration::from_micros(100),
        rate: 1_000_000_000,
        queue: 1000,
    };
    let size = 4 << 20;
    // Seed 0 runs with timestamps (1448-byte payloads), seed 2 without
    // (1460): payload ceilings of 1 Gb/s * payload / (payload + 40 + options
    // + 38 bytes of Ethernet framing, preamble and gap).
    for (seed, payload) in [(0u64, 1448.0), (2, 1460.0)] {
        let o = run_pair(seed, imp, size, 0);
        check(seed, &o, &pattern(seed, size), &[]);
        let secs = (o.up_done.as_nanos() - 1_000_000) as f64 / 1e9;
        let goodput = size as f64 * 8.0 / secs;
        let ceiling = 1e9 * payload / (1500.0 + 38.0);
        println!("goodput {:.1} Mb/s of {:.1}", goodput / 1e6, ceiling / 1e6);
        // The time includes the handshake and slow start.
        assert!(
            goodput > 0.98 * ceiling,
            "seed {seed}: goodput {:.1} Mb/s of {:.1} in {secs} s, queue drops {}, {:?}",
            goodput / 1e6,
            ceiling / 1e6,
            o.queue_drops,
            o.stats
        );
        assert_eq!(o.retransmits, 0);
    }
}

// ---------------- Part B: full stacks over the software wire ----------------

struct Host {
    stack: Stack<TcpLayer>,
    port: SoftPort,
}

impl Host {
    fn new(name: &str, idx: u64, port: SoftPort, ip: Ipv4Addr, seed: u64) -> Host {
        let mut cfg = StackConfig::new(name);
        cfg.packet_id_base = idx << 40;
        let tcp = TcpLayer::new(TcpConfig {
            packet_id_base: (idx << 40) | (1 << 39),
            ..layer_config(seed ^ idx, seed)
        });
        let mut stack = Stack::with_transport(cfg, tcp);
        let id = stack.add_interface(InterfaceConfig::from_caps("eth0", 0, &port.caps()));
        stack
            .add_address(id, Ipv4Cidr::new(ip, 24).unwrap())
            .unwrap();
        stack.transport_mut().set_default_source(Some(ip));
        Host { stack, port }
    }
    fn poll(&mut self, now: Instant) {
        let mut devs: [&mut dyn Device; 1] = [&mut self.port];
        self.stack.poll(now, &mut devs);
    }
    fn next(&self) -> Option<Instant> {
        [self.stack.poll_at(), self.port.next_arrival()]
            .into_iter()
            .flatten()
            .min()
    }
}

fn run_stacks(
    seed: u64,
    wire: WireConfig,
    up: usize,
    down: usize,
    pcap: Option<&std::path::Path>,
) -> (Vec<u8>, Vec<u8>) {
    let (pa, pb) = SoftWire::pair(seed, wire, [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]]);
    let mut a = Host::new("a", 1, pa, A_IP, seed);
    let mut b = Host::new("b", 2, pb, B_IP, seed);
    if let Some(path) = pcap {
        let f = std::fs::File::create(path).unwrap();
        let w = crate::pcap::PcapWriter::new(Box::new(std::io::BufWriter::new(f)), 65535).unwrap();
        a.stack.set_pcap(crate::iface::IfaceId(0), w);
    }
    let mut now = Instant::from_millis(1);
    let l = {
        let t = b.stack.transport_mut();
        let l = t.socket();
        t.bind(l, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, PORT))
            .unwrap();
        t.listen(l, 4).unwrap();
        l
    };
    let c = a.stack.transport_mut().socket();
    a.stack
        .transport_mut()
        .connect(c, now, SocketAddrV4::new(B_IP, PORT))
        .unwrap();
    let mut client = App::new(pattern(seed, up), 4096);
    let mut server = App::new(pattern(seed ^ 0xffff, down), 3000);
    let mut s = None;
    let deadline = Instant::from_millis(600_000);
    for _ in 0..20_000_000u64 {
        a.poll(now);
        b.poll(now);
        if s.is_none() {
            s = b.stack.transport_mut().accept(l).ok().map(|x| x.0);
        }
        client.pump(a.stack.transport_mut(), c, now, seed);
        if let Some(h) = s {
            server.pump(b.stack.transport_mut(), h, now, seed);
        }
        a.poll(now);
        b.poll(now);
        let done = client.eof
            && server.eof
            && a.stack.transport().state(c) == Some(State::Closed)
            && s.is_some_and(|h| b.stack.transport().state(h) == Some(State::Closed));
        if done {
            assert_eq!(a.stack.transport().error(c), None, "seed {seed}");
            if let Some(mut w) = a.stack.take_pcap(crate::iface::IfaceId(0)) {
                w.flush().unwrap();
            }
            return (client.received, server.received);
        }
        let next = [a.next(), b.next()].into_iter().flatten().min();
        match next {
            Some(t) if t <= deadline => {
                now = if t > now {
                    t
                } else {
                    now + Duration::from_micros(1)
                }
            }
            _ => break,
        }
    }
    panic!(
        "{}",
        format!(
            "seed {seed}: transfer did not finish at {now}: client {:?} got {}, server got {}\nclient {:?}\nserver {:?}\n{:?}\n{:?}",
            a.stack.transport().state(c),
            client.received.len(),
            server.received.len(),
            a.stack.transport().conn_info(c),
            s.and_then(|h| b.stack.transport().conn_info(h)),
            a.stack.transport().stats(),
            b.stack.transport().stats(),
        ) + &format!(
            "\n{}\n{}\n{}\n{}",
            a.stack.dump_drops(),
            a.stack.dump_neigh(),
            b.stack.dump_drops(),
            b.stack.dump_neigh()
        )
    );
}

fn lossy_wire(offload: bool) -> WireConfig {
    WireConfig {
        latency: Duration::from_micros(500),
        loss_ppm: 20_000,
        dup_ppm: 10_000,
        reorder_ppm: 20_000,
        reorder_delay: Duration::from_micros(1500),
        corrupt_ppm: 10_000,
        tx_checksum: offload,
        rx_checksum: offload,
        ..WireConfig::default()
    }
}

#[test]
fn full_stacks_lossy_wire_software_checksums() {
    for seed in 0..8u64 {
        let (got_down, got_up) = run_stacks(seed, lossy_wire(false), 200 * 1024, 50 * 1024, None);
        assert!(got_up == pattern(seed, 200 * 1024), "seed {seed}: upstream");
        assert!(
            got_down == pattern(seed ^ 0xffff, 50 * 1024),
            "seed {seed}: downstream"
        );
    }
}

#[test]
fn full_stacks_lossy_wire_checksum_offload() {
    for seed in 20..28u64 {
        let (got_down, got_up) = run_stacks(seed, lossy_wire(true), 200 * 1024, 50 * 1024, None);
        assert!(got_up == pattern(seed, 200 * 1024), "seed {seed}: upstream");
        assert!(
            got_down == pattern(seed ^ 0xffff, 50 * 1024),
            "seed {seed}: downstream"
        );
    }
}

/// tshark with checksum validation forced on finds no bad IPv4 or TCP
/// checksum in a capture of a transfer (skipped with a message when tshark
/// is not installed).
#[test]
fn tshark_finds_no_bad_checksums() {
    let dir = std::env::temp_dir().join(format!("nicsim-tcp-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("transfer.pcap");
    let clean = WireConfig {
        latency: Duration::from_micros(100),
        tx_checksum: false,
        ..WireConfig::default()
    };
    let (_, up) = run_stacks(3, clean, 300 * 1024, 20 * 1024, Some(&path));
    assert_eq!(up.len(), 300 * 1024);
    let run = |filter: &str| -> Option<usize> {
        let out = std::process::Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&path)
            .args([
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "tcp.check_checksum:TRUE",
                "-Y",
                filter,
            ])
            .output()
            .ok()?;
        assert!(
            out.status.success(),
            "tshark: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8_lossy(&out.stdout).lines().count())
    };
    let Some(tcp_frames) = run("tcp") else {
        println!("SKIPPED: tshark not installed");
        return;
    };
    assert!(
        tcp_frames > 200,
        "capture holds the transfer ({tcp_frames} TCP frames)"
    );
    // tshark exits 0 even on bad frames: count the matches.
    let bad = run("ip.checksum.status==0 || tcp.checksum.status==0").unwrap();
    assert_eq!(bad, 0, "frames with a bad checksum");
    let good = run("tcp.checksum.status==1").unwrap();
    assert_eq!(good, tcp_frames, "every TCP checksum verified good");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Simultaneous open (RFC 9293 3.5 figure 8) and simultaneous close over
/// the lossy channel: both sides connect to each other at once.
#[test]
fn simultaneous_open_and_close_over_lossy_channel() {
    for seed in 40..52u64 {
        let mut layers = [
            TcpLayer::new(layer_config(seed, seed)),
            TcpLayer::new(layer_config(seed + 7, seed)),
        ];
        let ips = [A_IP, B_IP];
        let mut ch = Channel {
            rng: SplitMix64::new(seed),
            imp: lossy(),
            busy_until: [Instant::ZERO; 2],
            queue: BTreeMap::new(),
            seq: 0,
            dropped_by_checksum: 0,
            queue_drops: 0,
        };
        let mut now = Instant::from_millis(1);
        let mut socks = Vec::new();
        for i in 0..2 {
            let t = &mut layers[i];
            let s = t.socket();
            t.bind(s, SocketAddrV4::new(ips[i], 7000)).unwrap();
            t.connect(s, now, SocketAddrV4::new(ips[1 - i], 7000))
                .unwrap();
            socks.push(s);
        }
        let mut apps = [
            App::new(pattern(seed, 50_000), 1000),
            App::new(pattern(seed + 1, 30_000), 1500),
        ];
        let deadline = Instant::from_millis(600_000);
        loop {
            while let Some(p) = ch.pop_due(now) {
                let i = usize::from(p.dst == B_IP);
                layers[i].input_segment(now, p.src, p.dst, &p.bytes, p.id);
            }
            for i in 0..2 {
                apps[i].pump(&mut layers[i], socks[i], now, seed);
                layers[i].poll_timers(now);
                while let Some(tx) = layers[i].next_segment(now) {
                    ch.send(now, tx);
                }
            }
            let closed = (0..2).all(|i| layers[i].state(socks[i]) == Some(State::Closed));
            if closed && apps.iter().all(|a| a.eof) {
                break;
            }
            let next = [
                ch.next_arrival(),
                layers[0].next_poll_at(),
                layers[1].next_poll_at(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(t) if t <= deadline => now = now.max(t),
                _ => panic!(
                    "seed {seed}: stuck: {:?} {:?}",
                    layers[0].conn_info(socks[0]),
                    layers[1].conn_info(socks[1])
                ),
            }
        }
        assert!(apps[1].received == pattern(seed, 50_000), "seed {seed}");
        assert!(apps[0].received == pattern(seed + 1, 30_000), "seed {seed}");
        for i in 0..2 {
            assert_eq!(layers[i].error(socks[i]), None, "seed {seed}: side {i}");
        }
    }
}
