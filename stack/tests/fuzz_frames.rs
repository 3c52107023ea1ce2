//! At least 100,000 random, truncated and mutated frames fed into a
//! forwarding stack with two interfaces: no panic, and every received frame
//! is accounted for, either consumed or dropped with exactly one reason.
#![allow(clippy::unwrap_used)]

use core::net::{Ipv4Addr, SocketAddrV4};
use stack::buf::PacketBuf;
use stack::device::Device;
use stack::iface::InterfaceConfig;
use stack::softwire::{QueueDevice, SplitMix64};
use stack::stack::{Stack, StackConfig};
use stack::stats::DropReason;
use stack::time::{Duration, Instant};
use stack::wire::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetFrame, EthernetRepr, Icmpv4Packet,
    Icmpv4Repr, IpProtocol, Ipv4Cidr, Ipv4Packet, Ipv4Repr, MacAddr, UdpPacket, UdpRepr,
};

const SEED: u64 = 0x6e69_6373_696d_0006;
const FRAMES: usize = 100_000;
const US0: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 1);
const US1: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 1);
const MAC0: MacAddr = MacAddr([2, 0, 0, 0, 0, 10]);
const MAC1: MacAddr = MacAddr([2, 0, 0, 0, 0, 11]);

fn frame(dst: MacAddr, src: MacAddr, t: EtherType, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 14 + payload.len()];
    let mut f = EthernetFrame::new_unchecked(&mut b[..]);
    EthernetRepr {
        src,
        dst,
        ethertype: t,
    }
    .emit(&mut f);
    f.payload_mut().copy_from_slice(payload);
    b
}

fn ip(
    rng: &mut SplitMix64,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: IpProtocol,
    payload: &[u8],
) -> Vec<u8> {
    let off = if rng.chance(200_000) {
        (rng.below(400) as u16) * 8
    } else {
        0
    };
    let r = Ipv4Repr {
        src,
        dst,
        protocol: proto,
        payload_len: payload.len() as u16,
        ttl: rng.below(4) as u8,
        dscp_ecn: 0,
        ident: rng.below(8) as u16,
        dont_frag: rng.chance(300_000),
        more_frags: rng.chance(200_000),
        frag_offset: off,
    };
    let mut b = vec![0u8; 20 + payload.len()];
    r.emit(&mut Ipv4Packet::new_unchecked(&mut b[..]));
    b[20..].copy_from_slice(payload);
    b
}

fn pick_addr(rng: &mut SplitMix64) -> Ipv4Addr {
    match rng.below(6) {
        0 => US0,
        1 => US1,
        2 => Ipv4Addr::new(10, 0, 1, rng.below(256) as u8),
        3 => Ipv4Addr::new(10, 0, 2, rng.below(256) as u8),
        4 => Ipv4Addr::BROADCAST,
        _ => Ipv4Addr::from(rng.next_u64() as u32),
    }
}

/// Up to `max - 1` random bytes.
fn random_bytes(rng: &mut SplitMix64, max: u64) -> Vec<u8> {
    let n = rng.below(max);
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// One frame: a template (ARP, ICMP, UDP, other protocols, random bytes)
/// that is then maybe truncated and maybe has some bytes flipped.
fn make(rng: &mut SplitMix64) -> Vec<u8> {
    let dst_mac = match rng.below(4) {
        0 => MacAddr::BROADCAST,
        1 => MacAddr([2, 0, 0, 0, 0, rng.below(256) as u8]),
        _ => MAC0,
    };
    let src_mac = MacAddr([2, 0, 0, 0, 1, rng.below(8) as u8]);
    let src = pick_addr(rng);
    let dst = pick_addr(rng);
    let mut f = match rng.below(7) {
        0 => random_bytes(rng, 1600),
        1 => {
            let op = if rng.chance(500_000) {
                ArpOperation::Request
            } else {
                ArpOperation::from(rng.below(4) as u16)
            };
            let repr = ArpRepr {
                operation: op,
                source_hw: src_mac,
                source_ip: src,
                target_hw: MacAddr::ZERO,
                target_ip: dst,
            };
            let mut b = [0u8; 28];
            repr.emit(&mut ArpPacket::new_unchecked(&mut b[..]));
            frame(dst_mac, src_mac, EtherType::Arp, &b)
        }
        2 => {
            let data = random_bytes(rng, 64);
            let repr = Icmpv4Repr::EchoRequest {
                ident: rng.below(4) as u16,
                seq_no: rng.below(4) as u16,
                data: &data,
            };
            let mut b = vec![0u8; repr.buffer_len()];
            repr.emit(&mut Icmpv4Packet::new_unchecked(&mut b[..]));
            let p = ip(rng, src, dst, IpProtocol::Icmp, &b);
            frame(dst_mac, src_mac, EtherType::Ipv4, &p)
        }
        3 | 4 => {
            let data = random_bytes(rng, 1500);
            let repr = UdpRepr {
                src_port: rng.below(3) as u16 + 1000,
                dst_port: rng.below(3) as u16 + 7,
                payload_len: data.len() as u16,
            };
            let mut b = vec![0u8; repr.buffer_len()];
            let mut u = UdpPacket::new_unchecked(&mut b[..]);
            repr.emit(&mut u);
            u.payload_mut().copy_from_slice(&data);
            if rng.chance(800_000) {
                u.fill_checksum(src, dst);
            }
            let p = ip(rng, src, dst, IpProtocol::Udp, &b);
            frame(dst_mac, src_mac, EtherType::Ipv4, &p)
        }
        5 => {
            let data = random_bytes(rng, 100);
            let proto = IpProtocol::from(rng.below(256) as u8);
            let p = ip(rng, src, dst, proto, &data);
            frame(dst_mac, src_mac, EtherType::Ipv4, &p)
        }
        _ => {
            let data = random_bytes(rng, 100);
            frame(
                dst_mac,
                src_mac,
                EtherType::from(rng.next_u64() as u16),
                &data,
            )
        }
    };
    if rng.chance(300_000) {
        let n = rng.below(f.len() as u64 + 1) as usize;
        f.truncate(n);
    }
    if rng.chance(300_000) && !f.is_empty() {
        for _ in 0..=rng.below(3) {
            let i = rng.below(f.len() as u64) as usize;
            f[i] ^= 1 << rng.below(8);
        }
    }
    f
}

#[test]
fn hundred_thousand_frames_all_accounted_for() {
    let mut d0 = QueueDevice::new(MAC0.0, 1500);
    let mut d1 = QueueDevice::new(MAC1.0, 1500);
    let mut cfg = StackConfig::new("fuzz");
    cfg.forwarding = true;
    cfg.neighbor.max_entries = 64;
    let mut s = Stack::new(cfg);
    let i0 = s.add_interface(InterfaceConfig::from_caps("eth0", 0, &d0.caps()));
    let i1 = s.add_interface(InterfaceConfig::from_caps("eth1", 1, &d1.caps()));
    s.add_address(i0, Ipv4Cidr::new(US0, 24).unwrap()).unwrap();
    s.add_address(i1, Ipv4Cidr::new(US1, 24).unwrap()).unwrap();
    let sock = s
        .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 7))
        .unwrap();
    let mut rng = SplitMix64::new(SEED);
    let mut now = Instant::ZERO;
    let mut injected = 0u64;
    let mut delivered = 0u64;
    for batch in 0..FRAMES / 500 {
        for k in 0..500 {
            let bytes = make(&mut rng);
            let dev = if (batch + k) % 5 == 0 {
                &mut d1
            } else {
                &mut d0
            };
            dev.rx.push_back(PacketBuf::from_slice(0, &bytes));
            injected += 1;
        }
        let mut devs: [&mut dyn Device; 2] = [&mut d0, &mut d1];
        s.poll(now, &mut devs);
        while s.udp_recv_from(sock).is_some() {
            delivered += 1;
        }
        d0.tx.clear();
        d1.tx.clear();
        // Timers run too: ARP retries, reassembly timeouts.
        now += Duration::from_millis(700);
    }
    let st = s.stats();
    eprintln!(
        "rx {} consumed {} delivered {delivered}\n{}",
        st.rx_frames,
        st.rx_consumed,
        s.dump_drops()
    );
    // Datagrams to ourselves (an echo request from our own address) come
    // back through the loopback queue and are counted as received too.
    assert!(st.rx_frames >= injected);
    assert_eq!(
        st.rx_frames,
        st.rx_consumed + st.rx_drops_total(),
        "{}",
        s.dump_drops()
    );
    let reasons: Vec<DropReason> = st.rx_drops().map(|(r, _)| r).collect();
    for must in [
        DropReason::EthTruncated,
        DropReason::EthOtherHost,
        DropReason::EthUnknownType,
        DropReason::ArpTruncated,
        DropReason::ArpBadOperation,
        DropReason::ArpNotForUs,
        DropReason::Ipv4Truncated,
        DropReason::Ipv4BadChecksum,
        DropReason::Ipv4TtlExpired,
        DropReason::Ipv4UnknownProtocol,
        DropReason::Ipv4LinkBroadcast,
        DropReason::FragMalformed,
        DropReason::IcmpBadChecksum,
        DropReason::UdpBadChecksum,
        DropReason::UdpNoSocket,
    ] {
        assert!(
            reasons.contains(&must),
            "{must} never seen:\n{}",
            s.dump_drops()
        );
    }
    assert!(delivered > 0, "some valid datagrams got through");
    assert!(st.rx_consumed > 1000);
}
