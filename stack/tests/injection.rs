//! Frames crafted by hand and injected through a `QueueDevice`: fragment
//! reassembly timeout and overlaps, neighbour table limits, forwarding with
//! DF set, and what the stack sends back, byte by byte.
#![allow(clippy::unwrap_used)]

use core::net::{Ipv4Addr, SocketAddrV4};
use stack::buf::PacketBuf;
use stack::device::Device;
use stack::iface::InterfaceConfig;
use stack::neighbor::{NeighborConfig, NeighborState};
use stack::softwire::QueueDevice;
use stack::stack::{Stack, StackConfig};
use stack::stats::DropReason;
use stack::time::{Duration, Instant};
use stack::udp::SendError;
use stack::wire::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetFrame, EthernetRepr, Icmpv4Packet,
    IpProtocol, Ipv4Cidr, Ipv4Packet, Ipv4Repr, MacAddr, UdpPacket, UdpRepr,
};

const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const US: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const PEER_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const US_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

fn host(cfg: StackConfig) -> (Stack, QueueDevice) {
    let dev = QueueDevice::new(US_MAC.0, 1500);
    let mut s = Stack::new(cfg);
    let id = s.add_interface(InterfaceConfig::from_caps("eth0", 0, &dev.caps()));
    s.add_address(id, Ipv4Cidr::new(US, 24).unwrap()).unwrap();
    (s, dev)
}

fn poll(s: &mut Stack, dev: &mut QueueDevice, now: Instant) {
    let mut devs: [&mut dyn Device; 1] = [dev];
    s.poll(now, &mut devs);
}

fn eth(dst: MacAddr, src: MacAddr, ethertype: EtherType, payload: &[u8]) -> PacketBuf {
    let mut b = vec![0u8; 14 + payload.len()];
    let mut f = EthernetFrame::new_unchecked(&mut b[..]);
    EthernetRepr {
        src,
        dst,
        ethertype,
    }
    .emit(&mut f);
    f.payload_mut().copy_from_slice(payload);
    PacketBuf::from_slice(0, &b)
}

fn arp_reply(from_ip: Ipv4Addr, from_mac: MacAddr, to_ip: Ipv4Addr, to_mac: MacAddr) -> PacketBuf {
    let repr = ArpRepr {
        operation: ArpOperation::Reply,
        source_hw: from_mac,
        source_ip: from_ip,
        target_hw: to_mac,
        target_ip: to_ip,
    };
    let mut b = [0u8; 28];
    repr.emit(&mut ArpPacket::new_unchecked(&mut b[..]));
    eth(to_mac, from_mac, EtherType::Arp, &b)
}

/// A UDP datagram PEER:1000 -> dst:port as a whole IPv4 packet.
fn udp_datagram(src: Ipv4Addr, dst: Ipv4Addr, port: u16, payload: &[u8], ident: u16) -> Vec<u8> {
    let u = UdpRepr {
        src_port: 1000,
        dst_port: port,
        payload_len: payload.len() as u16,
    };
    let mut seg = vec![0u8; u.buffer_len()];
    let mut p = UdpPacket::new_unchecked(&mut seg[..]);
    u.emit(&mut p);
    p.payload_mut().copy_from_slice(payload);
    p.fill_checksum(src, dst);
    ip_packet(src, dst, IpProtocol::Udp, &seg, ident, false, false, 0, 64)
}

#[allow(clippy::too_many_arguments)]
fn ip_packet(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: IpProtocol,
    payload: &[u8],
    ident: u16,
    dont_frag: bool,
    more_frags: bool,
    frag_offset: u16,
    ttl: u8,
) -> Vec<u8> {
    let r = Ipv4Repr {
        src,
        dst,
        protocol,
        payload_len: payload.len() as u16,
        ttl,
        dscp_ecn: 0,
        ident,
        dont_frag,
        more_frags,
        frag_offset,
    };
    let mut b = vec![0u8; 20 + payload.len()];
    r.emit(&mut Ipv4Packet::new_unchecked(&mut b[..]));
    b[20..].copy_from_slice(payload);
    b
}

/// Cut a whole datagram's payload at the given byte boundaries.
fn fragments(whole: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let p = Ipv4Packet::new_checked(whole).unwrap();
    let payload = p.payload();
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(payload.len());
    bounds
        .windows(2)
        .map(|w| {
            let last = w[1] == payload.len();
            ip_packet(
                p.src_addr(),
                p.dst_addr(),
                p.protocol(),
                &payload[w[0]..w[1]],
                p.ident(),
                false,
                !last,
                w[0] as u16,
                p.ttl(),
            )
        })
        .collect()
}

fn ipv4_frames(dev: &QueueDevice) -> Vec<Vec<u8>> {
    dev.tx
        .iter()
        .filter(|f| EthernetFrame::new_checked(f.data()).unwrap().ethertype() == EtherType::Ipv4)
        .map(|f| f.data()[14..].to_vec())
        .collect()
}

fn check_accounting(s: &Stack) {
    let st = s.stats();
    assert_eq!(
        st.rx_frames,
        st.rx_consumed + st.rx_drops_total(),
        "{}",
        s.dump_drops()
    );
}

#[test]
fn reassembly_in_any_order_and_timeout_with_time_exceeded() {
    let (mut s, mut dev) = host(StackConfig::new("b"));
    let sock = s
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 9000))
        .unwrap();
    let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let whole = udp_datagram(PEER, US, 9000, &data, 0x42);
    let frags = fragments(&whole, &[1480, 2960]);
    for f in frags.iter().rev() {
        dev.rx.push_back(eth(US_MAC, PEER_MAC, EtherType::Ipv4, f));
    }
    poll(&mut s, &mut dev, Instant::ZERO);
    let d = s.udp_recv_from(sock).unwrap();
    assert_eq!(d.payload.data(), &data[..]);
    assert_eq!(s.stats().reassembled, 1);

    // Now the middle fragment never comes.
    let whole = udp_datagram(PEER, US, 9000, &data, 0x43);
    let frags = fragments(&whole, &[1480, 2960]);
    let t0 = Instant::from_millis(10);
    for i in [0, 2] {
        dev.rx
            .push_back(eth(US_MAC, PEER_MAC, EtherType::Ipv4, &frags[i]));
    }
    poll(&mut s, &mut dev, t0);
    assert_eq!(s.reassembler().len(), 1);
    assert_eq!(s.poll_at(), Some(t0 + Duration::from_secs(30)));
    poll(&mut s, &mut dev, t0 + Duration::from_millis(29_999));
    assert_eq!(s.stats().reasm_timeouts, 0);
    let t1 = t0 + Duration::from_secs(30);
    poll(&mut s, &mut dev, t1);
    assert_eq!(s.stats().reasm_timeouts, 1);
    assert!(s.reassembler().is_empty());
    // The error waits for ARP; answer it.
    dev.rx.push_back(arp_reply(PEER, PEER_MAC, US, US_MAC));
    poll(&mut s, &mut dev, t1 + Duration::from_micros(10));
    let out = ipv4_frames(&dev);
    assert_eq!(out.len(), 1);
    let ip = Ipv4Packet::new_checked(&out[0][..]).unwrap();
    assert_eq!(
        (ip.src_addr(), ip.dst_addr(), ip.protocol()),
        (US, PEER, IpProtocol::Icmp)
    );
    let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
    assert!(icmp.verify_checksum());
    // Type 11 code 1: fragment reassembly time exceeded, quoting the first
    // fragment's header and eight bytes (RFC 792).
    assert_eq!((u8::from(icmp.msg_type()), icmp.msg_code()), (11, 1));
    assert_eq!(icmp.data(), &frags[0][..28]);
    assert!(s.udp_recv_from(sock).is_none());
    check_accounting(&s);
}

#[test]
fn overlapping_fragments_drop_the_datagram() {
    let (mut s, mut dev) = host(StackConfig::new("b"));
    let sock = s
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 9000))
        .unwrap();
    let data = vec![0x5au8; 3000];
    let whole = udp_datagram(PEER, US, 9000, &data, 0x77);
    let frags = fragments(&whole, &[1480, 2960]);
    // A fragment that starts 8 bytes into the first one.
    let p = Ipv4Packet::new_checked(&whole[..]).unwrap();
    let evil = ip_packet(
        PEER,
        US,
        IpProtocol::Udp,
        &p.payload()[1472..2952],
        0x77,
        false,
        true,
        1472,
        64,
    );
    for f in [&frags[0], &frags[0], &evil, &frags[1], &frags[2]] {
        dev.rx.push_back(eth(US_MAC, PEER_MAC, EtherType::Ipv4, f));
    }
    poll(&mut s, &mut dev, Instant::ZERO);
    let st = s.stats();
    assert_eq!(st.rx_drop(DropReason::FragDuplicate), 1);
    assert_eq!(st.rx_drop(DropReason::FragOverlap), 1);
    assert_eq!(st.reassembled, 0);
    assert!(s.udp_recv_from(sock).is_none());
    // The later fragments wait without a first one and time out silently
    // (no first fragment, so no ICMP: RFC 1122 3.3.2).
    poll(&mut s, &mut dev, Instant::from_millis(30_000));
    assert_eq!(s.stats().reasm_timeouts, 1);
    assert_eq!(s.stats().icmp_errors_sent, 0);
    check_accounting(&s);
}

#[test]
fn neighbour_table_limits_retries_and_failure() {
    let mut cfg = StackConfig::new("a");
    cfg.neighbor = NeighborConfig {
        max_entries: 4,
        max_pending: 2,
        ..NeighborConfig::default()
    };
    let ncfg = cfg.neighbor;
    let (mut s, mut dev) = host(cfg);
    let sock = s
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
        .unwrap();
    let now = Instant::ZERO;
    let to = |n: u8| SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, n), 9);
    for n in 10..14 {
        s.udp_send_to(now, sock, to(n), b"x").unwrap();
    }
    for n in 14..16 {
        assert_eq!(
            s.udp_send_to(now, sock, to(n), b"x").unwrap_err(),
            SendError::Dropped(DropReason::NeighborTableFull)
        );
    }
    s.udp_send_to(now, sock, to(10), b"y").unwrap();
    assert_eq!(
        s.udp_send_to(now, sock, to(10), b"z").unwrap_err(),
        SendError::Dropped(DropReason::NeighborQueueFull)
    );
    assert_eq!(s.neighbors().len(), 4);
    assert_eq!(
        s.neighbors()
            .get(0, Ipv4Addr::new(10, 0, 0, 10))
            .unwrap()
            .pending,
        2
    );
    assert!(
        s.dump_neigh()
            .contains("10.0.0.10 dev eth0 INCOMPLETE (2 queued)")
    );
    // Nobody answers: max_retries requests each, then FAILED.
    let mut t = now;
    for _ in 0..=ncfg.max_retries {
        poll(&mut s, &mut dev, t);
        t += ncfg.retry_interval;
    }
    let requests = dev
        .tx
        .iter()
        .filter(|f| {
            let e = EthernetFrame::new_checked(f.data()).unwrap();
            e.ethertype() == EtherType::Arp && {
                let a = ArpRepr::parse(&ArpPacket::new_checked(e.payload()).unwrap()).unwrap();
                a.operation == ArpOperation::Request && a.target_ip != US
            }
        })
        .count();
    assert_eq!(requests, 4 * usize::from(ncfg.max_retries));
    assert!(
        s.neighbors()
            .iter()
            .all(|n| n.state == NeighborState::Failed)
    );
    assert_eq!(s.stats().tx_drop(DropReason::NeighborFailed), 5);
    assert_eq!(
        s.udp_send_to(t, sock, to(11), b"x").unwrap_err(),
        SendError::Dropped(DropReason::NeighborFailed)
    );
    poll(&mut s, &mut dev, t + ncfg.failed_time);
    assert!(s.neighbors().is_empty());
    assert_eq!(s.poll_at(), None);
}

fn router() -> (Stack, QueueDevice, QueueDevice) {
    let d0 = QueueDevice::new([2, 0, 0, 0, 0, 10], 1500);
    let d1 = QueueDevice::new([2, 0, 0, 0, 0, 11], 1000);
    let mut cfg = StackConfig::new("r");
    cfg.forwarding = true;
    let mut s = Stack::new(cfg);
    let i0 = s.add_interface(InterfaceConfig::from_caps("eth0", 0, &d0.caps()));
    let i1 = s.add_interface(InterfaceConfig::from_caps("eth1", 1, &d1.caps()));
    s.add_address(i0, Ipv4Cidr::new(Ipv4Addr::new(10, 0, 1, 1), 24).unwrap())
        .unwrap();
    s.add_address(i1, Ipv4Cidr::new(Ipv4Addr::new(10, 0, 2, 1), 24).unwrap())
        .unwrap();
    (s, d0, d1)
}

fn poll2(s: &mut Stack, d0: &mut QueueDevice, d1: &mut QueueDevice, now: Instant) {
    let mut devs: [&mut dyn Device; 2] = [d0, d1];
    s.poll(now, &mut devs);
}

#[test]
fn forwarding_fragments_or_reports_frag_needed() {
    let (mut s, mut d0, mut d1) = router();
    let a = Ipv4Addr::new(10, 0, 1, 2);
    let b = Ipv4Addr::new(10, 0, 2, 2);
    let a_mac = MacAddr([2, 0, 0, 0, 0, 1]);
    let b_mac = MacAddr([2, 0, 0, 0, 0, 2]);
    let r0_mac = MacAddr([2, 0, 0, 0, 0, 10]);
    let r1_mac = MacAddr([2, 0, 0, 0, 0, 11]);
    let payload = vec![0xc3u8; 1380];
    let df = ip_packet(a, b, IpProtocol::Udp, &payload, 1, true, false, 0, 9);
    let plain = ip_packet(a, b, IpProtocol::Udp, &payload, 2, false, false, 0, 9);
    d0.rx.push_back(eth(r0_mac, a_mac, EtherType::Ipv4, &df));
    d0.rx.push_back(eth(r0_mac, a_mac, EtherType::Ipv4, &plain));
    poll2(&mut s, &mut d0, &mut d1, Instant::ZERO);
    assert_eq!(s.stats().rx_drop(DropReason::FragNeeded), 1);
    assert_eq!(s.stats().forwarded, 1);
    // Both the error and the forwarded datagram wait for ARP; answer.
    d0.rx
        .push_back(arp_reply(a, a_mac, Ipv4Addr::new(10, 0, 1, 1), r0_mac));
    d1.rx
        .push_back(arp_reply(b, b_mac, Ipv4Addr::new(10, 0, 2, 1), r1_mac));
    poll2(&mut s, &mut d0, &mut d1, Instant::from_micros(20));
    // Back to A: fragmentation needed with the next-hop MTU (RFC 1191 4).
    let back = ipv4_frames(&d0);
    assert_eq!(back.len(), 1);
    let ip = Ipv4Packet::new_checked(&back[0][..]).unwrap();
    let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
    assert_eq!(
        (
            u8::from(icmp.msg_type()),
            icmp.msg_code(),
            icmp.next_hop_mtu()
        ),
        (3, 4, 1000)
    );
    // The quote shows the TTL the router would have forwarded with.
    assert_eq!(Ipv4Packet::new_unchecked(icmp.data()).ttl(), 8);
    // Forward to B: two fragments of at most 1000 bytes, TTL 8.
    let fwd = ipv4_frames(&d1);
    assert_eq!(fwd.len(), 2);
    let f0 = Ipv4Packet::new_checked(&fwd[0][..]).unwrap();
    let f1 = Ipv4Packet::new_checked(&fwd[1][..]).unwrap();
    assert_eq!(
        (f0.total_len(), f0.more_frags(), f0.frag_offset(), f0.ttl()),
        (996, true, 0, 8)
    );
    assert_eq!(
        (f1.total_len(), f1.more_frags(), f1.frag_offset()),
        (20 + 1380 - 976, false, 976)
    );
    assert!(f0.verify_checksum() && f1.verify_checksum());
    let mut joined = f0.payload().to_vec();
    joined.extend_from_slice(f1.payload());
    assert_eq!(joined, payload);
    assert!(
        s.dump_neigh()
            .contains("10.0.2.2 dev eth1 lladdr 02:00:00:00:00:02 REACHABLE")
    );
    check_accounting(&s);
}

#[test]
fn ip_validation_counts_each_reason() {
    let (mut s, mut dev) = host(StackConfig::new("b"));
    let good = udp_datagram(PEER, US, 9, b"abcd", 1);
    let mut cases: Vec<(Vec<u8>, DropReason)> = Vec::new();
    cases.push((good[..19].to_vec(), DropReason::Ipv4Truncated));
    let mut v = good.clone();
    v[0] = 0x65;
    cases.push((v, DropReason::Ipv4BadVersion));
    let mut v = good.clone();
    v[0] = 0x44;
    cases.push((v, DropReason::Ipv4BadHeaderLen));
    let mut v = good.clone();
    v[2..4].copy_from_slice(&10u16.to_be_bytes());
    cases.push((v, DropReason::Ipv4BadTotalLen));
    let mut v = good.clone();
    v[2..4].copy_from_slice(&100u16.to_be_bytes());
    cases.push((v, DropReason::Ipv4Truncated));
    let mut v = good.clone();
    v[10] ^= 0xff;
    cases.push((v, DropReason::Ipv4BadChecksum));
    let v = ip_packet(
        Ipv4Addr::BROADCAST,
        US,
        IpProtocol::Udp,
        &good[20..],
        1,
        false,
        false,
        0,
        64,
    );
    cases.push((v, DropReason::Ipv4BadSource));
    let v = ip_packet(
        PEER,
        Ipv4Addr::new(10, 0, 0, 99),
        IpProtocol::Udp,
        &good[20..],
        1,
        false,
        false,
        0,
        64,
    );
    cases.push((v, DropReason::Ipv4NotForUs));
    let v = ip_packet(
        PEER,
        US,
        IpProtocol::Unknown(99),
        b"zz",
        1,
        false,
        false,
        0,
        64,
    );
    cases.push((v, DropReason::Ipv4UnknownProtocol));
    let mut v = good.clone();
    let n = v.len();
    v[n - 1] ^= 1;
    cases.push((v, DropReason::UdpBadChecksum));
    for (frame, _) in &cases {
        dev.rx
            .push_back(eth(US_MAC, PEER_MAC, EtherType::Ipv4, frame));
    }
    dev.rx.push_back(eth(
        MacAddr([2, 0, 0, 0, 0, 9]),
        PEER_MAC,
        EtherType::Ipv4,
        &good,
    ));
    dev.rx
        .push_back(eth(US_MAC, PEER_MAC, EtherType::Unknown(0x86dd), &good));
    poll(&mut s, &mut dev, Instant::ZERO);
    let st = s.stats();
    for (_, reason) in &cases {
        let expect = cases.iter().filter(|(_, r)| r == reason).count() as u64;
        assert_eq!(st.rx_drop(*reason), expect, "{reason}: {}", s.dump_drops());
    }
    assert_eq!(st.rx_drop(DropReason::EthOtherHost), 1);
    assert_eq!(st.rx_drop(DropReason::EthUnknownType), 1);
    assert_eq!(st.rx_consumed, 0);
    check_accounting(&s);
}

#[test]
fn icmp_errors_are_rate_limited() {
    let (mut s, mut d0, mut d1) = router();
    let a = Ipv4Addr::new(10, 0, 1, 2);
    let b = Ipv4Addr::new(10, 0, 2, 2);
    let a_mac = MacAddr([2, 0, 0, 0, 0, 1]);
    let r0_mac = MacAddr([2, 0, 0, 0, 0, 10]);
    for i in 0..200u16 {
        let p = ip_packet(a, b, IpProtocol::Udp, &[0; 8], i, false, false, 0, 1);
        d0.rx.push_back(eth(r0_mac, a_mac, EtherType::Ipv4, &p));
    }
    poll2(&mut s, &mut d0, &mut d1, Instant::ZERO);
    let st = s.stats();
    assert_eq!(st.rx_drop(DropReason::Ipv4TtlExpired), 200);
    // The default bucket: a burst of 50, then 1000 per second.
    assert_eq!((st.icmp_errors_sent, st.icmp_errors_ratelimited), (50, 150));
    for i in 0..20u16 {
        let p = ip_packet(a, b, IpProtocol::Udp, &[0; 8], i, false, false, 0, 1);
        d0.rx.push_back(eth(r0_mac, a_mac, EtherType::Ipv4, &p));
    }
    poll2(&mut s, &mut d0, &mut d1, Instant::from_millis(10));
    assert_eq!(s.stats().icmp_errors_sent, 60);
    check_accounting(&s);
}

fn arp_frame(
    op: ArpOperation,
    sh: MacAddr,
    si: Ipv4Addr,
    th: MacAddr,
    ti: Ipv4Addr,
    dst: MacAddr,
) -> PacketBuf {
    let repr = ArpRepr {
        operation: op,
        source_hw: sh,
        source_ip: si,
        target_hw: th,
        target_ip: ti,
    };
    let mut b = [0u8; 28];
    repr.emit(&mut ArpPacket::new_unchecked(&mut b[..]));
    eth(dst, sh, EtherType::Arp, &b)
}

#[test]
fn arp_reply_bytes_and_gratuitous_update() {
    let (mut s, mut dev) = host(StackConfig::new("b"));
    // The gratuitous ARP queued when the address was added.
    poll(&mut s, &mut dev, Instant::ZERO);
    assert_eq!(dev.tx.len(), 1);
    let garp: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x06, // Ethernet
        0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, // request
        2, 0, 0, 0, 0, 2, 10, 0, 0, 2, // sender: us
        0, 0, 0, 0, 0, 0, 10, 0, 0, 2, // target: us (RFC 5227 3)
    ];
    assert_eq!(dev.tx[0].data(), &garp[..]);
    dev.tx.clear();
    // A request for our address from a new host: reply, and learn it.
    dev.rx.push_back(arp_frame(
        ArpOperation::Request,
        PEER_MAC,
        PEER,
        MacAddr::ZERO,
        US,
        MacAddr::BROADCAST,
    ));
    poll(&mut s, &mut dev, Instant::from_micros(5));
    let reply: [u8; 42] = [
        2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x06, // Ethernet
        0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02, // reply
        2, 0, 0, 0, 0, 2, 10, 0, 0, 2, // sender: us
        2, 0, 0, 0, 0, 1, 10, 0, 0, 1, // target: the requester
    ];
    assert_eq!(dev.tx.len(), 1);
    assert_eq!(dev.tx[0].data(), &reply[..]);
    assert_eq!(s.neighbors().get(0, PEER).unwrap().mac, Some(PEER_MAC));
    // A gratuitous ARP announcing a new MAC for PEER updates the entry
    // (RFC 826 merge) even though it is not addressed to us.
    let moved = MacAddr([2, 0, 0, 0, 0, 0x31]);
    dev.rx.push_back(arp_frame(
        ArpOperation::Request,
        moved,
        PEER,
        MacAddr::ZERO,
        PEER,
        MacAddr::BROADCAST,
    ));
    // A gratuitous ARP for a host we do not know creates nothing.
    let other = Ipv4Addr::new(10, 0, 0, 77);
    dev.rx.push_back(arp_frame(
        ArpOperation::Request,
        moved,
        other,
        MacAddr::ZERO,
        other,
        MacAddr::BROADCAST,
    ));
    poll(&mut s, &mut dev, Instant::from_micros(10));
    assert_eq!(s.neighbors().get(0, PEER).unwrap().mac, Some(moved));
    assert!(s.neighbors().get(0, other).is_none());
    assert_eq!(s.stats().rx_drop(DropReason::ArpNotForUs), 2);
    // A sender claiming a group MAC is refused.
    dev.rx.push_back(arp_frame(
        ArpOperation::Reply,
        MacAddr::BROADCAST,
        PEER,
        US_MAC,
        US,
        US_MAC,
    ));
    poll(&mut s, &mut dev, Instant::from_micros(15));
    assert_eq!(s.stats().rx_drop(DropReason::ArpBadSource), 1);
    check_accounting(&s);
}

#[test]
fn protocol_unreachable_quotes_the_datagram() {
    let (mut s, mut dev) = host(StackConfig::new("b"));
    let bad = ip_packet(
        PEER,
        US,
        IpProtocol::Unknown(253),
        b"experiment",
        9,
        false,
        false,
        0,
        64,
    );
    dev.rx.push_back(arp_frame(
        ArpOperation::Request,
        PEER_MAC,
        PEER,
        MacAddr::ZERO,
        US,
        MacAddr::BROADCAST,
    ));
    dev.rx
        .push_back(eth(US_MAC, PEER_MAC, EtherType::Ipv4, &bad));
    poll(&mut s, &mut dev, Instant::ZERO);
    let out = ipv4_frames(&dev);
    assert_eq!(out.len(), 1);
    let ip = Ipv4Packet::new_checked(&out[0][..]).unwrap();
    assert_eq!((ip.src_addr(), ip.dst_addr(), ip.ttl()), (US, PEER, 64));
    let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
    assert!(icmp.verify_checksum());
    // Type 3 code 2, the header and eight bytes of the offender (RFC 792).
    assert_eq!((u8::from(icmp.msg_type()), icmp.msg_code()), (3, 2));
    assert_eq!(icmp.data(), &bad[..28]);
    assert_eq!(s.stats().rx_drop(DropReason::Ipv4UnknownProtocol), 1);
    check_accounting(&s);
}

#[test]
fn reassembly_memory_limit_evicts_the_oldest() {
    let mut cfg = StackConfig::new("b");
    cfg.reasm.mem_limit = 4000;
    let (mut s, mut dev) = host(cfg);
    let sock = s
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 9000))
        .unwrap();
    let data = vec![0x11u8; 3000];
    let first = fragments(&udp_datagram(PEER, US, 9000, &data, 1), &[1480, 2960]);
    let second = fragments(&udp_datagram(PEER, US, 9000, &data, 2), &[1480, 2960]);
    // Two fragments of the first (2960 bytes), then the second datagram's:
    // its first fragment needs the room, so the first datagram goes.
    for f in [&first[0], &first[1], &second[0], &second[1], &second[2]] {
        dev.rx.push_back(eth(US_MAC, PEER_MAC, EtherType::Ipv4, f));
    }
    // The rest of the first comes too late.
    dev.rx
        .push_back(eth(US_MAC, PEER_MAC, EtherType::Ipv4, &first[2]));
    poll(&mut s, &mut dev, Instant::ZERO);
    assert_eq!(s.stats().reasm_evicted, 1);
    assert_eq!(s.stats().reassembled, 1);
    assert_eq!(s.udp_recv_from(sock).unwrap().payload.data(), &data[..]);
    assert!(s.udp_recv_from(sock).is_none());
    assert!(s.reassembler().held_bytes() <= 4000);
    check_accounting(&s);
}
