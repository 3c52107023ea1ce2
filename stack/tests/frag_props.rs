//! Property: a UDP datagram of any size sent through an interface of any
//! MTU from 68 (RFC 791 minimum) to 1500, its fragments shuffled and some
//! duplicated, is delivered exactly once and byte for byte.
#![allow(clippy::unwrap_used)]

use core::net::{Ipv4Addr, SocketAddrV4};
use proptest::prelude::*;
use stack::buf::PacketBuf;
use stack::device::Device;
use stack::iface::InterfaceConfig;
use stack::softwire::{QueueDevice, SplitMix64};
use stack::stack::{Stack, StackConfig};
use stack::stats::DropReason;
use stack::time::Instant;
use stack::wire::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetFrame, EthernetRepr, Ipv4Cidr, Ipv4Packet,
    MacAddr,
};

const A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const A_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const B_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

fn host(name: &str, mac: MacAddr, ip: Ipv4Addr, mtu: usize) -> (Stack, QueueDevice) {
    let dev = QueueDevice::new(mac.0, mtu);
    let mut s = Stack::new(StackConfig::new(name));
    let id = s.add_interface(InterfaceConfig::from_caps("eth0", 0, &dev.caps()));
    s.add_address(id, Ipv4Cidr::new(ip, 24).unwrap()).unwrap();
    (s, dev)
}

fn poll(s: &mut Stack, dev: &mut QueueDevice, now: Instant) {
    let mut devs: [&mut dyn Device; 1] = [dev];
    s.poll(now, &mut devs);
}

fn arp_reply() -> PacketBuf {
    let repr = ArpRepr {
        operation: ArpOperation::Reply,
        source_hw: B_MAC,
        source_ip: B,
        target_hw: A_MAC,
        target_ip: A,
    };
    let mut b = vec![0u8; 42];
    let mut f = EthernetFrame::new_unchecked(&mut b[..]);
    EthernetRepr {
        src: B_MAC,
        dst: A_MAC,
        ethertype: EtherType::Arp,
    }
    .emit(&mut f);
    repr.emit(&mut ArpPacket::new_unchecked(f.payload_mut()));
    PacketBuf::from_slice(0, &b)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn fragments_in_any_order_reassemble_once(len in 0usize..9000, mtu in 68usize..=1500, seed in any::<u64>()) {
        let (mut a, mut da) = host("a", A_MAC, A, mtu);
        let (mut b, mut db) = host("b", B_MAC, B, 1500);
        let rx = b.udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 4000)).unwrap();
        let tx = a.udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let mut rng = SplitMix64::new(seed);
        let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let now = Instant::ZERO;
        a.udp_send_to(now, tx, SocketAddrV4::new(B, 4000), &data).unwrap();
        da.rx.push_back(arp_reply());
        poll(&mut a, &mut da, now);
        let mut frags: Vec<PacketBuf> = da
            .tx
            .drain(..)
            .filter(|f| EthernetFrame::new_checked(f.data()).unwrap().ethertype() == EtherType::Ipv4)
            .collect();
        // One packet if the whole datagram fits, else pieces of the MTU's
        // payload room rounded down to eight bytes (RFC 791 3.2).
        let expect = if 20 + 8 + len <= mtu { 1 } else { (len + 8).div_ceil((mtu - 20) & !7) };
        prop_assert_eq!(frags.len(), expect);
        for f in &frags {
            prop_assert!(f.len() <= mtu + 14);
            prop_assert!(Ipv4Packet::new_checked(&f.data()[14..]).unwrap().verify_checksum());
        }
        // Fisher-Yates with the seed, then duplicate up to two fragments.
        for i in (1..frags.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            frags.swap(i, j);
        }
        let dups = if frags.len() >= 3 { 2 } else { 0 };
        for _ in 0..dups {
            let k = rng.below(frags.len() as u64) as usize;
            let at = rng.below(frags.len() as u64 + 1) as usize;
            let copy = frags[k].clone();
            frags.insert(at, copy);
        }
        db.rx.extend(frags);
        poll(&mut b, &mut db, now);
        let got = b.udp_recv_from(rx).unwrap();
        prop_assert_eq!(got.payload.data(), &data[..]);
        prop_assert!(b.udp_recv_from(rx).is_none());
        let st = b.stats();
        prop_assert_eq!(st.reassembled, u64::from(expect > 1));
        prop_assert!(st.rx_drop(DropReason::FragDuplicate) <= dups);
        prop_assert_eq!(st.rx_drop(DropReason::FragOverlap), 0);
        prop_assert_eq!(st.rx_frames, st.rx_consumed + st.rx_drops_total());
    }
}
