//! The journey events: a UDP datagram's packet id is assigned where the
//! payload enters and is seen at every step on both hosts, with the host,
//! layer, event and simulated time.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Host, cidr, mac, run_for};
use core::net::{Ipv4Addr, SocketAddrV4};
use stack::softwire::{SoftWire, WireConfig};
use stack::time::Instant;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

type Fields = BTreeMap<String, String>;

/// Records every event with target "journey".
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Fields>>>);

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn core::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.target() == "journey"
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, e: &Event<'_>) {
        let mut f = Fields::new();
        e.record(&mut Visitor(&mut f));
        self.0.lock().unwrap().push(f);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn a_datagram_is_followed_across_layers_and_hosts() {
    let rec = Recorder::default();
    let events = rec.0.clone();
    tracing::subscriber::with_default(rec, || {
        let (pa, pb) = SoftWire::pair(3, WireConfig::default(), [mac(1), mac(2)]);
        let mut a = Host::new("alpha", vec![pa], &[cidr([10, 0, 0, 1], 24)]);
        let mut b = Host::new("beta", vec![pb], &[cidr([10, 0, 0, 2], 24)]);
        let rx = b
            .stack
            .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 9))
            .unwrap();
        let tx = a
            .stack
            .udp_bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
            .unwrap();
        let mut now = Instant::ZERO;
        let id = a
            .stack
            .udp_send_to(
                now,
                tx,
                SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 9),
                b"hi",
            )
            .unwrap();
        assert_ne!(id.0, 0);
        run_for(&mut [&mut a, &mut b], &mut now, Instant::from_millis(1));
        let d = b.stack.udp_recv_from(rx).unwrap();
        assert_eq!(d.payload.meta().id, id);
        let steps: Vec<(String, String, String, u64)> = events
            .lock()
            .unwrap()
            .iter()
            .filter(|f| f.get("packet") == Some(&id.0.to_string()))
            .map(|f| {
                (
                    f["host"].clone(),
                    f["layer"].clone(),
                    f["event"].clone(),
                    f["ns"].parse().unwrap(),
                )
            })
            .collect();
        let names: Vec<String> = steps
            .iter()
            .map(|s| format!("{}:{}:{}", s.0, s.1, s.2))
            .collect();
        assert_eq!(
            names,
            [
                "alpha:udp:send",
                "alpha:ip:output",
                "alpha:neigh:queued",
                "alpha:eth:queued",
                "alpha:device:transmit",
                "beta:device:receive",
                "beta:ip:receive",
                "beta:ip:demux",
                "beta:udp:deliver",
            ],
            "{names:#?}"
        );
        // Times never go backwards, and the wire took its latency.
        assert!(steps.windows(2).all(|w| w[0].3 <= w[1].3));
        let sent = steps.iter().find(|s| s.2 == "transmit").unwrap().3;
        let got = steps.iter().find(|s| s.2 == "receive").unwrap().3;
        assert_eq!(got - sent, WireConfig::default().latency.as_nanos());
    });
}
