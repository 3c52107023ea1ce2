//! Properties: for every `Repr`, `parse(emit(x)) == x`; emitted checksums
//! verify; parsing arbitrary bytes never panics.
#![allow(clippy::unwrap_used)]

use core::net::Ipv4Addr;
use proptest::prelude::*;
use stack::wire::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetFrame, EthernetRepr, Icmpv4DstUnreachable,
    Icmpv4Packet, Icmpv4Repr, Icmpv4TimeExceeded, IpProtocol, Ipv4Packet, Ipv4Repr, MacAddr,
    UdpPacket, UdpRepr, checksum,
};

fn mac() -> impl Strategy<Value = MacAddr> {
    any::<[u8; 6]>().prop_map(MacAddr)
}

fn ip() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn ipv4_repr() -> impl Strategy<Value = Ipv4Repr> {
    (
        (
            ip(),
            ip(),
            any::<u8>(),
            0u16..=2000,
            any::<u8>(),
            any::<u8>(),
        ),
        (any::<u16>(), any::<bool>(), any::<bool>(), 0u16..=0x1fff),
    )
        .prop_map(
            |((src, dst, proto, payload_len, ttl, dscp_ecn), (ident, df, mf, off))| Ipv4Repr {
                src,
                dst,
                protocol: IpProtocol::from(proto),
                payload_len,
                ttl,
                dscp_ecn,
                ident,
                dont_frag: df,
                more_frags: mf,
                frag_offset: off << 3,
            },
        )
}

#[derive(Debug, Clone)]
enum IcmpCase {
    EchoRequest(u16, u16, Vec<u8>),
    EchoReply(u16, u16, Vec<u8>),
    Unreach(u8, u16, Vec<u8>),
    TimeEx(u8, Vec<u8>),
}

fn icmp_case() -> impl Strategy<Value = IcmpCase> {
    let data = proptest::collection::vec(any::<u8>(), 0..600);
    prop_oneof![
        (any::<u16>(), any::<u16>(), data.clone())
            .prop_map(|(i, s, d)| IcmpCase::EchoRequest(i, s, d)),
        (any::<u16>(), any::<u16>(), data.clone())
            .prop_map(|(i, s, d)| IcmpCase::EchoReply(i, s, d)),
        (any::<u8>(), any::<u16>(), data.clone()).prop_map(|(c, m, d)| IcmpCase::Unreach(c, m, d)),
        (any::<u8>(), data).prop_map(|(c, d)| IcmpCase::TimeEx(c, d)),
    ]
}

fn icmp_repr(c: &IcmpCase) -> Icmpv4Repr<'_> {
    match c {
        IcmpCase::EchoRequest(ident, seq_no, data) => Icmpv4Repr::EchoRequest {
            ident: *ident,
            seq_no: *seq_no,
            data,
        },
        IcmpCase::EchoReply(ident, seq_no, data) => Icmpv4Repr::EchoReply {
            ident: *ident,
            seq_no: *seq_no,
            data,
        },
        IcmpCase::Unreach(code, mtu, data) => {
            let reason = Icmpv4DstUnreachable::from(*code);
            Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu: if reason == Icmpv4DstUnreachable::FragRequired {
                    *mtu
                } else {
                    0
                },
                data,
            }
        }
        IcmpCase::TimeEx(code, data) => Icmpv4Repr::TimeExceeded {
            reason: Icmpv4TimeExceeded::from(*code),
            data,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn ethernet_roundtrip(src in mac(), dst in mac(), t in any::<u16>(), extra in 0usize..64) {
        let repr = EthernetRepr { src, dst, ethertype: EtherType::from(t) };
        let mut b = vec![0u8; repr.buffer_len() + extra];
        repr.emit(&mut EthernetFrame::new_unchecked(&mut b[..]));
        let parsed = EthernetRepr::parse(&EthernetFrame::new_checked(&b[..]).unwrap()).unwrap();
        prop_assert_eq!(parsed, repr);
        prop_assert_eq!(u16::from(parsed.ethertype), t);
    }

    #[test]
    fn arp_roundtrip(op in any::<u16>(), sh in mac(), si in ip(), th in mac(), ti in ip()) {
        let repr = ArpRepr {
            operation: ArpOperation::from(op),
            source_hw: sh,
            source_ip: si,
            target_hw: th,
            target_ip: ti,
        };
        let mut b = vec![0u8; repr.buffer_len()];
        repr.emit(&mut ArpPacket::new_unchecked(&mut b[..]));
        prop_assert_eq!(ArpRepr::parse(&ArpPacket::new_checked(&b[..]).unwrap()).unwrap(), repr);
    }

    #[test]
    fn ipv4_roundtrip(repr in ipv4_repr(), pad in 0usize..32) {
        let mut b = vec![0u8; repr.buffer_len() + usize::from(repr.payload_len) + pad];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut b[..]));
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        prop_assert!(p.verify_checksum());
        prop_assert_eq!(Ipv4Repr::parse(&p).unwrap(), repr);
        prop_assert_eq!(p.payload().len(), usize::from(repr.payload_len));
    }

    #[test]
    fn icmp_roundtrip(case in icmp_case()) {
        let repr = icmp_repr(&case);
        let mut b = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut b[..]));
        let p = Icmpv4Packet::new_checked(&b[..]).unwrap();
        prop_assert!(p.verify_checksum());
        prop_assert_eq!(Icmpv4Repr::parse(&p).unwrap(), repr);
    }

    #[test]
    fn udp_roundtrip(sp in any::<u16>(), dp in 1u16.., data in proptest::collection::vec(any::<u8>(), 0..1500),
                     src in ip(), dst in ip()) {
        let repr = UdpRepr { src_port: sp, dst_port: dp, payload_len: data.len() as u16 };
        let mut b = vec![0u8; repr.buffer_len()];
        let mut p = UdpPacket::new_unchecked(&mut b[..]);
        repr.emit(&mut p);
        p.payload_mut().copy_from_slice(&data);
        p.fill_checksum(src, dst);
        let p = UdpPacket::new_checked(&b[..]).unwrap();
        prop_assert!(p.checksum() != 0);
        prop_assert!(p.verify_checksum(src, dst));
        prop_assert_eq!(UdpRepr::parse(&p).unwrap(), repr);
        prop_assert_eq!(p.payload(), &data[..]);
    }

    #[test]
    fn checksum_of_pieces_combines(data in proptest::collection::vec(any::<u8>(), 0..400), cut in 0usize..200) {
        // Summing an even-length prefix and the rest separately gives the
        // same sum as the whole (RFC 1071 2(C), incremental).
        let cut = (cut.min(data.len())) & !1;
        let whole = checksum::data(&data);
        let parts = checksum::combine(&[checksum::data(&data[..cut]), checksum::data(&data[cut..])]);
        // 0x0000 and 0xffff are the same number in ones-complement.
        prop_assert!(whole == parts || (whole ^ parts) == 0xffff && (whole == 0 || parts == 0));
    }

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(f) = EthernetFrame::new_checked(&bytes[..]) {
            let _ = EthernetRepr::parse(&f);
        }
        if let Ok(p) = ArpPacket::new_checked(&bytes[..]) {
            let _ = ArpRepr::parse(&p);
        }
        if let Ok(p) = Ipv4Packet::new_checked(&bytes[..]) {
            let _ = Ipv4Repr::parse(&p);
            let _ = p.payload();
        }
        if let Ok(p) = Icmpv4Packet::new_checked(&bytes[..]) {
            let _ = Icmpv4Repr::parse(&p);
        }
        if let Ok(p) = UdpPacket::new_checked(&bytes[..]) {
            let _ = UdpRepr::parse(&p);
            let _ = p.payload();
        }
    }
}
