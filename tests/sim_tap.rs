//! The TAP endpoint: the Linux host's ARP requests reach the NIC's receiver
//! with a valid FCS, and a frame the NIC transmits reaches the host's TAP
//! device without its FCS. Needs root and /dev/net/tun; otherwise the test
//! prints why it did not run.
#![allow(clippy::unwrap_used)]

mod sim_util;
use sim_util::*;

use driver::hal::{DmaDirection, DmaMemory};
use sim::axi_mem::MemConfig;
use sim::gmii;
use sim::world::{Hardware, WorldConfig};
use std::process::Command;

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

fn counter(dev: &str, name: &str) -> u64 {
    std::fs::read_to_string(format!("/sys/class/net/{dev}/statistics/{name}"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn tap_carries_frames_both_ways() {
    if !std::path::Path::new("/dev/net/tun").exists() {
        println!("skipped: /dev/net/tun is missing");
        return;
    }
    let mut hw = Hardware::new(WorldConfig::default());
    let n = hw.add_nic(MemConfig::default());
    let dev = match hw.attach_tap(n, "nsimtap%d") {
        Ok(d) => d,
        Err(e) => {
            println!("skipped: {e} (needs CAP_NET_ADMIN)");
            return;
        }
    };
    assert!(ip(&["link", "set", "dev", &dev, "up"]));
    assert!(ip(&["addr", "add", "10.213.7.1/24", "dev", &dev]));
    hw.run(40).unwrap();
    let r = rx_setup(&mut hw, n);
    let t = tx_setup(&mut hw, n);

    // Host -> NIC: the kernel resolves a neighbour on the TAP's subnet.
    let mut ping = Command::new("ping")
        .args(["-c", "3", "-i", "0.3", "-W", "1", "-I", &dev, "10.213.7.2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let arp = hw.run_until("an ARP request from the host", 400_000_000, |hw| {
        hw.take_rx_arrivals(0)
            .into_iter()
            .any(|a| a.data.len() >= 14 && a.data[12..14] == [0x08, 0x06] && gmii::fcs_ok(&a.data))
    });
    let _ = ping.kill();
    let _ = ping.wait();
    arp.unwrap();
    assert!(hw.tap_stats(n).unwrap().from_tap >= 1);

    // NIC -> host: a broadcast frame transmitted by the NIC.
    let before = counter(&dev, "rx_packets");
    let f = frame(100, 4);
    let buf = hw.mem(n).map(f.len(), DmaDirection::ToDevice).unwrap();
    hw.mem(n).write(buf, &f).unwrap();
    tx_post(&mut hw, n, &t, 0, buf, f.len());
    hw.run_until("frame handed to the TAP", 100_000, |hw| {
        hw.tap_stats(0).unwrap().to_tap == 1
    })
    .unwrap();
    assert_eq!(hw.tap_stats(n).unwrap().bad_fcs_dropped, 0);
    assert!(
        counter(&dev, "rx_packets") > before,
        "the kernel received it"
    );
    rx_teardown(&mut hw, n, r);
}
