#![allow(clippy::unwrap_used)]
//! Issue 11 acceptance: every listed step of a packet's journey appears, in
//! order, with non-decreasing simulated times, for a TCP data segment and
//! for an ICMP echo; the Perfetto JSON parses and has a track per layer per
//! host. Small runs (64 KiB tcp-bulk, 2 pings) over the RTL.

use nicsim::config::RunConfig;
use nicsim::journey::{self, Journey, Kind, Matcher, Selector};
use nicsim::scenario::ScenarioKind;

fn cfg() -> RunConfig {
    let mut c = RunConfig::default();
    c.traffic.bytes = 64 * 1024;
    c.traffic.pings = 2;
    c.seed = 11;
    c
}

/// The journey's steps include every required one, in the required order,
/// and times never go back.
fn check(j: &Journey, kind: Kind) {
    assert_eq!(j.kind, kind, "{}", j.table());
    assert!(j.missing.is_empty(), "missing steps:\n{}", j.table());
    assert!(j.warnings.is_empty(), "warnings:\n{}", j.table());
    let req = journey::required(kind);
    let seen: Vec<&str> = j
        .steps
        .iter()
        .map(|s| s.label)
        .filter(|l| req.contains(l))
        .collect();
    assert_eq!(seen, req, "order:\n{}", j.table());
    for w in j.steps.windows(2) {
        assert!(
            w[1].ns >= w[0].ns,
            "time goes back from `{}` to `{}`:\n{}",
            w[0].label,
            w[1].label,
            j.table()
        );
        assert!(w[1].cycle >= w[0].cycle, "cycles go back:\n{}", j.table());
    }
    // The frame crosses from one host to the other.
    let first = &j.steps[0].host;
    let last = &j.steps.last().unwrap().host;
    assert_ne!(first, last, "{}", j.table());
    // The wire steps are exactly 7 cycles apart (preamble) and the frame
    // ends later (IEEE 802.3 4.2.5).
    let at = |l: &str| j.steps.iter().find(|s| s.label == l).unwrap().cycle;
    assert_eq!(at(journey::S_SFD) - at(journey::S_PREAMBLE), 7);
    assert!(at(journey::S_FCS) > at(journey::S_SFD) + 60);
}

fn perfetto_tracks(j: &Journey) {
    let text = serde_json::to_string(&j.perfetto()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let evs = v["traceEvents"].as_array().unwrap();
    let names = |what: &str| -> Vec<(u64, String)> {
        evs.iter()
            .filter(|e| e["ph"] == "M" && e["name"] == what)
            .map(|e| {
                (
                    e["pid"].as_u64().unwrap(),
                    e["args"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let procs = names("process_name");
    assert_eq!(
        procs.iter().map(|p| p.1.as_str()).collect::<Vec<_>>(),
        ["host a", "host b"]
    );
    let threads = names("thread_name");
    for (host, layer) in [
        (1, "ip"),
        (1, "driver"),
        (1, "dma"),
        (1, "wire"),
        (2, "wire"),
        (2, "dma"),
        (2, "nic"),
        (2, "driver"),
        (2, "ip"),
    ] {
        assert!(
            threads.iter().any(|t| t.0 == host && t.1 == layer),
            "no track {layer} for pid {host}: {threads:?}"
        );
    }
    // Every step is one trace event with a timestamp in microseconds.
    let steps: Vec<&serde_json::Value> = evs.iter().filter(|e| e["ph"] != "M").collect();
    assert_eq!(steps.len(), j.steps.len());
    for (e, s) in steps.iter().zip(&j.steps) {
        let ts = e["ts"].as_f64().unwrap();
        assert!((ts * 1000.0 - s.ns as f64).abs() < 1.0);
        assert!(e["ph"] == "X" || e["ph"] == "i");
    }
}

#[test]
fn tcp_data_segment_journey() {
    let (report, events) = journey::record(ScenarioKind::TcpBulk, &cfg()).unwrap();
    assert!(report.failure().is_none(), "{report}");
    let o = journey::select(&events, &Selector::Default).unwrap();
    let j = journey::follow(&events, o);
    check(&j, Kind::TcpData);
    // TCP fields on the segment step.
    let seg = j
        .steps
        .iter()
        .find(|s| s.label == journey::S_SEGMENT)
        .unwrap();
    assert!(seg.detail.contains("seq=") && seg.detail.contains("win="));
    perfetto_tracks(&j);

    // A later segment of the same write (shared packet id) also makes a
    // whole journey, matched by rank and sequence number.
    let m = Matcher::parse(&format!(
        "layer=tcp,event=segment_built,packet={},len>0",
        j.packet
    ))
    .unwrap();
    let later = events
        .iter()
        .filter(|e| m.matches(e))
        .nth(5)
        .expect("a sixth segment of the first write");
    let j6 = journey::follow(&events, later.index);
    check(&j6, Kind::TcpData);
    let seq = |j: &Journey| {
        j.steps
            .iter()
            .find(|s| s.label == journey::S_TCP_RX)
            .unwrap()
            .detail
            .clone()
    };
    assert_ne!(seq(&j), seq(&j6));
}

#[test]
fn icmp_echo_journey() {
    let (report, events) = journey::record(ScenarioKind::Ping, &cfg()).unwrap();
    assert!(report.failure().is_none(), "{report}");
    let o = journey::select(&events, &Selector::Default).unwrap();
    let j = journey::follow(&events, o);
    check(&j, Kind::IcmpEcho);
    perfetto_tracks(&j);
    // The second echo request, chosen by expression.
    let m = Matcher::parse("icmp,seq=2").unwrap();
    let o2 = journey::select(&events, &Selector::Match(m)).unwrap();
    let j2 = journey::follow(&events, o2);
    check(&j2, Kind::IcmpEcho);
    assert_ne!(j.packet, j2.packet);
    // The first waited for ARP; the second found the neighbour.
    let neigh = |j: &Journey| {
        j.steps
            .iter()
            .find(|s| s.label == journey::S_NEIGH)
            .unwrap()
            .event
            .clone()
    };
    assert_eq!(neigh(&j), "queued");
    assert_eq!(neigh(&j2), "resolved");
}

#[test]
fn match_expressions() {
    assert!(Matcher::parse("").is_err());
    assert!(Matcher::parse("layer").is_err());
    assert!(Matcher::parse("len>x").is_err());
    assert!(Matcher::parse("=tcp").is_err());
    let m = Matcher::parse("layer=tcp, event=segment_built, len>=1, host!=b").unwrap();
    let mut e = journey::Event {
        index: 0,
        host: "a".into(),
        nic: None,
        layer: "tcp".into(),
        event: "segment_built".into(),
        packet: 7,
        ns: 80,
        cycle: None,
        fields: Default::default(),
    };
    e.fields.insert("len".into(), journey::Value::U64(1448));
    assert!(m.matches(&e));
    assert!(Matcher::parse("tcp").unwrap().matches(&e));
    assert!(
        Matcher::parse("packet=7,cycle=10,ns<81")
            .unwrap()
            .matches(&e)
    );
    e.fields.insert("len".into(), journey::Value::U64(0));
    assert!(!m.matches(&e));
    assert!(!Matcher::parse("icmp").unwrap().matches(&e));
    // A field the event lacks never matches.
    assert!(!Matcher::parse("seq!=3").unwrap().matches(&e));
}

/// `nicsim journey --report-json` writes the report `nicsim run` writes for
/// the same scenario and options: following a packet changes nothing.
#[test]
fn journey_writes_the_same_report_as_run() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("journey_report");
    std::fs::create_dir_all(&dir).unwrap();
    let go = |cmd: &str| {
        let path = dir.join(format!("{cmd}.json"));
        let _ = std::fs::remove_file(&path);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_nicsim"))
            .args([cmd, "ping", "--pings", "2", "--seed", "4", "--quiet"])
            .arg("--report-json")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&path).unwrap()
    };
    let journey = go("journey");
    assert!(journey.contains("\"ping_rtt\""), "{journey}");
    assert_eq!(journey, go("run"));
}
