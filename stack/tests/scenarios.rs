//! Stack scenarios over software wires: ARP, ping across a router, UDP
//! fragmentation and reassembly, TTL expiry, port unreachable, checksum
//! offload in both directions, pcap.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Host, cidr, mac, run_for, run_until, until_pings_answered};
use core::net::{Ipv4Addr, SocketAddrV4};
use stack::icmp::PingEvent;
use stack::neighbor::NeighborState;
use stack::pcap::PcapWriter;
use stack::softwire::{SoftWire, WireConfig};
use stack::stack::StackConfig;
use stack::stats::DropReason;
use stack::time::{Duration, Instant};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

const A: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 2);
const R1: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 1);
const R2: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 1);
const B: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);

fn lan(cfg: WireConfig) -> (Host, Host) {
    let (pa, pb) = SoftWire::pair(1, cfg, [mac(1), mac(2)]);
    let a = Host::new("a", vec![pa], &[cidr([10, 0, 1, 2], 24)]);
    let b = Host::new("b", vec![pb], &[cidr([10, 0, 1, 3], 24)]);
    (a, b)
}

/// A — R — B: two subnets, R forwarding, defaults through R.
fn routed(cfg_a: WireConfig, cfg_b: WireConfig) -> (Host, Host, Host) {
    let (pa, pr0) = SoftWire::pair(11, cfg_a, [mac(1), mac(10)]);
    let (pr1, pb) = SoftWire::pair(12, cfg_b, [mac(11), mac(2)]);
    let mut a = Host::new("a", vec![pa], &[cidr([10, 0, 1, 2], 24)]);
    let mut rcfg = StackConfig::new("r");
    rcfg.forwarding = true;
    let r = Host::with_config(
        rcfg,
        vec![pr0, pr1],
        &[cidr([10, 0, 1, 1], 24), cidr([10, 0, 2, 1], 24)],
    );
    let mut b = Host::new("b", vec![pb], &[cidr([10, 0, 2, 2], 24)]);
    a.stack.set_default_gateway(R1).unwrap();
    b.stack.set_default_gateway(R2).unwrap();
    (a, r, b)
}

fn accounting_holds(h: &Host) {
    let s = h.stack.stats();
    assert_eq!(
        s.rx_frames,
        s.rx_consumed + s.rx_drops_total(),
        "{}: {}",
        h.stack.name(),
        h.stack.dump_drops()
    );
}

#[test]
fn arp_resolution_and_ping_on_a_lan() {
    let cfg = WireConfig::default();
    let (mut a, mut b) = lan(cfg);
    let mut now = Instant::ZERO;
    let peer = Ipv4Addr::new(10, 0, 1, 3);
    // Let the gratuitous ARPs pass first: they name only their senders,
    // and a host learns from them only about entries it already has.
    run_for(&mut [&mut a, &mut b], &mut now, Instant::from_millis(1));
    assert!(a.stack.neighbors().is_empty());
    a.stack.ping(now, peer, 1, 56).unwrap();
    assert!(until_pings_answered(
        &mut [&mut a, &mut b],
        &mut now,
        Duration::from_millis(100)
    ));
    // ARP request, ARP reply, echo request, echo reply: four wire delays.
    match a.stack.take_ping_event().unwrap() {
        PingEvent::Reply {
            from,
            seq,
            rtt,
            ttl,
            len,
            data_ok,
        } => {
            assert_eq!((from, seq, ttl, len, data_ok), (peer, 1, 64, 56, true));
            assert_eq!(rtt, cfg.latency.saturating_mul(4));
        }
        other => panic!("{other:?}"),
    }
    let n = a.stack.neighbors().get(0, peer).unwrap();
    assert_eq!(n.state, NeighborState::Reachable);
    assert_eq!(n.mac.unwrap().0, mac(2));
    // The target learnt the requester (RFC 826: it was the target).
    assert_eq!(
        b.stack.neighbors().get(0, A).unwrap().state,
        NeighborState::Reachable
    );
    assert!(
        a.stack
            .dump_neigh()
            .contains("10.0.1.3 dev eth0 lladdr 02:00:00:00:00:02 REACHABLE")
    );
    // Second ping: resolved already, two wire delays.
    let t = now;
    a.stack.ping(now, peer, 2, 8).unwrap();
    assert!(until_pings_answered(
        &mut [&mut a, &mut b],
        &mut now,
        Duration::from_millis(10)
    ));
    match a.stack.take_ping_event().unwrap() {
        PingEvent::Reply { rtt, seq: 2, .. } => assert_eq!(rtt, cfg.latency.saturating_mul(2)),
        other => panic!("{other:?}"),
    }
    // Entries go stale after the reachable time, and a use probes.
    run_for(&mut [&mut a, &mut b], &mut now, t + Duration::from_secs(31));
    assert_eq!(
        a.stack.neighbors().get(0, peer).unwrap().state,
        NeighborState::Stale
    );
    a.stack.ping(now, peer, 3, 8).unwrap();
    let t = now;
    run_for(
        &mut [&mut a, &mut b],
        &mut now,
        t + Duration::from_millis(5),
    );
    assert!(matches!(
        a.stack.take_ping_event(),
        Some(PingEvent::Reply { seq: 3, .. })
    ));
    assert_eq!(
        a.stack.neighbors().get(0, peer).unwrap().state,
        NeighborState::Reachable
    );
    accounting_holds(&a);
    accounting_holds(&b);
}

#[test]
fn ping_across_a_router_and_ttl_expiry() {
    let (mut a, mut r, mut b) = routed(WireConfig::default(), WireConfig::default());
    let mut now = Instant::ZERO;
    a.stack.ping(now, B, 7, 100).unwrap();
    assert!(until_pings_answered(
        &mut [&mut a, &mut r, &mut b],
        &mut now,
        Duration::from_millis(100)
    ));
    match a.stack.take_ping_event().unwrap() {
        PingEvent::Reply {
            from,
            seq,
            ttl,
            data_ok,
            ..
        } => {
            assert_eq!((from, seq, ttl, data_ok), (B, 7, 63, true));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.stack.stats().forwarded, 2);
    // TTL 1 runs out at the router: time exceeded in transit (RFC 792).
    a.stack.ping_ttl(now, B, 8, 10, 1).unwrap();
    assert!(until_pings_answered(
        &mut [&mut a, &mut r, &mut b],
        &mut now,
        Duration::from_millis(10)
    ));
    assert_eq!(
        a.stack.take_ping_event(),
        Some(PingEvent::TimeExceeded {
            from: R1,
            seq: 8,
            code: 0
        })
    );
    assert_eq!(r.stack.stats().rx_drop(DropReason::Ipv4TtlExpired), 1);
    assert_eq!(r.stack.stats().icmp_errors_sent, 1);
    // TTL 2 reaches B.
    a.stack.ping_ttl(now, B, 9, 10, 2).unwrap();
    assert!(until_pings_answered(
        &mut [&mut a, &mut r, &mut b],
        &mut now,
        Duration::from_millis(10)
    ));
    assert!(matches!(
        a.stack.take_ping_event(),
        Some(PingEvent::Reply { seq: 9, .. })
    ));
    // No route: the router answers net unreachable.
    a.stack
        .ping(now, Ipv4Addr::new(192, 0, 2, 1), 10, 10)
        .unwrap();
    assert!(until_pings_answered(
        &mut [&mut a, &mut r, &mut b],
        &mut now,
        Duration::from_millis(10)
    ));
    assert_eq!(
        a.stack.take_ping_event(),
        Some(PingEvent::Unreachable {
            from: R1,
            seq: 10,
            code: 0
        })
    );
    assert!(
        r.stack
            .dump_route()
            .contains("10.0.2.0/24 dev eth1 proto kernel scope link src 10.0.2.1")
    );
    assert!(
        a.stack
            .dump_route()
            .contains("default via 10.0.1.1 dev eth0")
    );
    for h in [&a, &r, &b] {
        accounting_holds(h);
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed))
        .collect()
}

#[test]
fn udp_8000_bytes_fragmented_at_1500_and_refragmented_at_1000() {
    let narrow = WireConfig {
        mtu: 1000,
        ..WireConfig::default()
    };
    let (mut a, mut r, mut b) = routed(WireConfig::default(), narrow);
    let mut now = Instant::ZERO;
    let rx = b
        .stack
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 9000))
        .unwrap();
    let tx = a
        .stack
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
        .unwrap();
    let data = pattern(8000, 5);
    a.stack
        .udp_send_to(now, tx, SocketAddrV4::new(B, 9000), &data)
        .unwrap();
    let mut got = None;
    assert!(run_until(
        &mut [&mut a, &mut r, &mut b],
        &mut now,
        Instant::from_millis(100),
        |h| {
            got = h[2].stack.udp_recv_from(rx);
            got.is_some()
        }
    ));
    let d = got.unwrap();
    assert_eq!(d.payload.data(), &data[..]);
    assert_eq!(d.from.ip(), &A);
    assert_eq!(d.from.port(), a.stack.udp_local(tx).unwrap().port());
    // 8008 bytes of UDP in 1480-byte pieces: six fragments from A.
    assert_eq!(a.stack.stats().fragments_sent, 6);
    // The router refragments each 1500-byte fragment for the MTU 1000 link.
    assert!(r.stack.stats().fragments_sent >= 10);
    assert_eq!(b.stack.stats().reassembled, 1);
    assert!(b.stack.reassembler().is_empty());
    for h in [&a, &r, &b] {
        accounting_holds(h);
    }
}

#[test]
fn udp_on_a_lan_port_unreachable_and_queue_limit() {
    let (mut a, mut b) = lan(WireConfig::default());
    let mut now = Instant::ZERO;
    let peer = Ipv4Addr::new(10, 0, 1, 3);
    let tx = a.stack.udp_bind(SocketAddrV4::new(A, 5000)).unwrap();
    // Nobody listens on 6000: ICMP port unreachable comes back to the socket.
    a.stack
        .udp_send_to(now, tx, SocketAddrV4::new(peer, 6000), b"hello")
        .unwrap();
    assert!(run_until(
        &mut [&mut a, &mut b],
        &mut now,
        Instant::from_millis(10),
        |h| { h[0].stack.udp_take_error(tx).is_some() }
    ));
    assert_eq!(b.stack.stats().rx_drop(DropReason::UdpNoSocket), 1);
    // A bound, connected receiver with a queue of 64: the 65th is dropped.
    let rx = b.stack.udp_bind(SocketAddrV4::new(peer, 6000)).unwrap();
    b.stack.udp_connect(rx, SocketAddrV4::new(A, 5000)).unwrap();
    assert_eq!(
        b.stack
            .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 6000))
            .unwrap_err(),
        stack::udp::BindError::AddrInUse
    );
    for i in 0..65u8 {
        a.stack
            .udp_send_to(now, tx, SocketAddrV4::new(peer, 6000), &[i; 3])
            .unwrap();
    }
    let t = now;
    run_for(
        &mut [&mut a, &mut b],
        &mut now,
        t + Duration::from_millis(5),
    );
    let mut n = 0u8;
    while let Some(d) = b.stack.udp_recv_from(rx) {
        assert_eq!(d.payload.data(), &[n; 3]);
        assert_eq!(d.to, peer);
        n += 1;
    }
    assert_eq!(n, 64);
    assert_eq!(b.stack.udp_rx_drops(rx), 1);
    assert_eq!(b.stack.stats().rx_drop(DropReason::UdpQueueFull), 1);
    accounting_holds(&a);
    accounting_holds(&b);
}

#[test]
fn checksum_offload_both_directions() {
    for offload in [false, true] {
        let cfg = WireConfig {
            tx_checksum: offload,
            rx_checksum: offload,
            ..WireConfig::default()
        };
        let (mut a, mut b) = lan(cfg);
        let mut now = Instant::ZERO;
        let peer = Ipv4Addr::new(10, 0, 1, 3);
        let rx = b
            .stack
            .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 7))
            .unwrap();
        let tx = a
            .stack
            .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
            .unwrap();
        // Odd lengths: the Ethernet padding starts at an odd offset.
        for len in [1usize, 3, 17, 1001, 1472] {
            a.stack
                .udp_send_to(now, tx, SocketAddrV4::new(peer, 7), &pattern(len, 1))
                .unwrap();
        }
        run_for(&mut [&mut a, &mut b], &mut now, Instant::from_millis(5));
        for len in [1usize, 3, 17, 1001, 1472] {
            let d = b.stack.udp_recv_from(rx).unwrap();
            assert_eq!(
                d.payload.data(),
                &pattern(len, 1)[..],
                "offload {offload} len {len}"
            );
        }
        let (sa, sb) = (a.stack.stats(), b.stack.stats());
        if offload {
            assert_eq!((sa.tx_csum_offloaded, sa.tx_csum_software), (5, 0));
            assert_eq!((sb.rx_csum_hardware, sb.rx_csum_software), (5, 0));
        } else {
            assert_eq!((sa.tx_csum_offloaded, sa.tx_csum_software), (0, 5));
            assert_eq!((sb.rx_csum_hardware, sb.rx_csum_software), (0, 5));
        }
        // Corrupt every frame: the UDP checksum catches payload flips,
        // whichever side verifies it.
        let mut c = a.ports[0].config();
        c.corrupt_ppm = 1_000_000;
        a.ports[0].set_config(c);
        for _ in 0..50 {
            a.stack
                .udp_send_to(now, tx, SocketAddrV4::new(peer, 7), &pattern(600, 2))
                .unwrap();
        }
        let t = now;
        run_for(
            &mut [&mut a, &mut b],
            &mut now,
            t + Duration::from_millis(5),
        );
        let mut delivered = 0;
        while let Some(d) = b.stack.udp_recv_from(rx) {
            assert_eq!(
                d.payload.data(),
                &pattern(600, 2)[..],
                "a corrupt datagram was delivered"
            );
            delivered += 1;
        }
        let s = b.stack.stats();
        assert!(
            s.rx_drop(DropReason::UdpBadChecksum) > 10,
            "{}",
            b.stack.dump_drops()
        );
        assert_eq!(s.rx_frames, s.rx_consumed + s.rx_drops_total());
        assert!(delivered < 50);
    }
}

#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);
impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn pcap_tap_records_both_directions() {
    let (mut a, mut b) = lan(WireConfig::default());
    let sink = Sink::default();
    let id = a.iface(0);
    a.stack
        .set_pcap(id, PcapWriter::new(Box::new(sink.clone()), 65535).unwrap());
    let mut now = Instant::ZERO;
    a.stack
        .ping(now, Ipv4Addr::new(10, 0, 1, 3), 1, 32)
        .unwrap();
    run_for(&mut [&mut a, &mut b], &mut now, Instant::from_millis(5));
    let bytes = sink.0.borrow().clone();
    // Walk the records: gratuitous ARP (ours), ARP request, and the echo
    // request out; b's gratuitous ARP, ARP reply and echo reply in.
    let mut off = 24;
    let mut frames = Vec::new();
    while off < bytes.len() {
        let caplen = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        frames.push(bytes[off + 16..off + 16 + caplen].to_vec());
        off += 16 + caplen;
    }
    assert_eq!(off, bytes.len());
    let ethertypes: Vec<u16> = frames
        .iter()
        .map(|f| u16::from_be_bytes([f[12], f[13]]))
        .collect();
    assert_eq!(ethertypes.iter().filter(|t| **t == 0x0806).count(), 4);
    assert_eq!(ethertypes.iter().filter(|t| **t == 0x0800).count(), 2);
    let s = a.stack.stats();
    assert_eq!(frames.len() as u64, s.tx_frames + s.rx_frames);
}

#[test]
fn steady_udp_traffic_does_not_allocate_packet_storage() {
    let (mut a, mut b) = lan(WireConfig::default());
    let mut now = Instant::ZERO;
    let peer = Ipv4Addr::new(10, 0, 1, 3);
    let rx = b
        .stack
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 7))
        .unwrap();
    let tx = a
        .stack
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
        .unwrap();
    let payload = pattern(1000, 3);
    let round = |a: &mut Host, b: &mut Host, now: &mut Instant| {
        for _ in 0..8 {
            a.stack
                .udp_send_to(*now, tx, SocketAddrV4::new(peer, 7), &payload)
                .unwrap();
        }
        let t = *now;
        run_for(&mut [&mut *a, &mut *b], now, t + Duration::from_millis(1));
        let mut n = 0;
        while let Some(d) = b.stack.udp_recv_from(rx) {
            assert_eq!(d.payload.data(), &payload[..]);
            n += 1;
        }
        assert_eq!(n, 8);
    };
    for _ in 0..4 {
        round(&mut a, &mut b, &mut now);
    }
    let before = stack::buf::pool_stats();
    for _ in 0..100 {
        round(&mut a, &mut b, &mut now);
    }
    let after = stack::buf::pool_stats();
    assert_eq!(
        after.allocated, before.allocated,
        "packet storage allocated in steady state"
    );
    assert!(after.reused - before.reused >= 1600);
}

#[test]
fn ping_to_our_own_address_and_dumps() {
    let (mut a, mut b) = lan(WireConfig::default());
    let mut now = Instant::ZERO;
    a.stack.set_promiscuous(a.iface(0), true);
    a.stack.ping(now, A, 1, 16).unwrap();
    run_for(&mut [&mut a, &mut b], &mut now, Instant::from_millis(1));
    match a.stack.take_ping_event().unwrap() {
        PingEvent::Reply { from, rtt, .. } => {
            assert_eq!(from, A);
            assert_eq!(rtt, Duration::ZERO, "loopback takes no wire time");
        }
        other => panic!("{other:?}"),
    }
    let addr = a.stack.dump_addr();
    assert!(
        addr.contains("1: eth0: <BROADCAST,MULTICAST,UP,PROMISC> mtu 1500 dev 0"),
        "{addr}"
    );
    assert!(addr.contains("link/ether 02:00:00:00:00:01"), "{addr}");
    assert!(
        addr.contains("inet 10.0.1.2/24 brd 10.0.1.255 scope global eth0"),
        "{addr}"
    );
    a.stack.set_promiscuous(a.iface(0), false);
    assert!(!a.stack.dump_addr().contains("PROMISC"));
    accounting_holds(&a);
}

#[test]
fn busy_device_keeps_frames_queued_until_it_drains() {
    let cfg = WireConfig {
        tx_burst: 2,
        ..WireConfig::default()
    };
    let (mut a, mut b) = lan(cfg);
    let mut now = Instant::ZERO;
    run_for(&mut [&mut a, &mut b], &mut now, Instant::from_millis(1));
    let peer = Ipv4Addr::new(10, 0, 1, 3);
    let rx = b
        .stack
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 7))
        .unwrap();
    let tx = a
        .stack
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
        .unwrap();
    // Resolve first, so that all ten go straight to the device queue.
    a.stack
        .udp_send_to(now, tx, SocketAddrV4::new(peer, 7), &[0])
        .unwrap();
    let t = now;
    run_for(
        &mut [&mut a, &mut b],
        &mut now,
        t + Duration::from_millis(1),
    );
    assert!(b.stack.udp_recv_from(rx).is_some());
    for i in 1..=10u8 {
        a.stack
            .udp_send_to(now, tx, SocketAddrV4::new(peer, 7), &[i])
            .unwrap();
    }
    a.poll(now);
    // Two went out; eight wait, and the stack asks to be polled again.
    assert_eq!(a.stack.ifaces()[0].tx_queue_len(), 8);
    assert_eq!(a.stack.poll_at(), Some(now));
    let t = now;
    run_for(
        &mut [&mut a, &mut b],
        &mut now,
        t + Duration::from_millis(1),
    );
    let got: Vec<u8> = std::iter::from_fn(|| b.stack.udp_recv_from(rx))
        .map(|d| d.payload.data()[0])
        .collect();
    assert_eq!(
        got,
        (1..=10).collect::<Vec<u8>>(),
        "all delivered, in order"
    );
    assert_eq!(a.stack.stats().tx_drops_total(), 0);
}
