//! Per-cycle cost of the world loop against the bare model loop, for
//! instruction counting under valgrind (issue 12):
//! `harness_cost frames N` runs `nicsim::bench::nicsim_frames(N)`;
//! `harness_cost bare C` runs `sim::bench::bare_loop(C)`;
//! `harness_cost bare-rx C` runs `nicsim::bench::rust_rx_loop(C, ..)` with
//! the bench's GMII receive symbols (`rx_symbols(12)`, the same bytes as
//! `rx-symbols.bin` for `nic_bench_main C FILE`).
//! Run two sizes under `valgrind --tool=cachegrind --cache-sim=no` and divide
//! the difference in instructions by the difference in cycles.

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "frames".into());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    match mode.as_str() {
        "frames" => match nicsim::bench::nicsim_frames(n as usize) {
            Ok(r) => println!(
                "frames={n} cycles={} wall_s={:.6} cps={:.0}",
                r.cycles,
                r.wall_s,
                r.cycles as f64 / r.wall_s
            ),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        },
        "bare" => {
            let t = sim::bench::bare_loop(n);
            println!(
                "bare cycles={n} wall_s={:.6} cps={:.0}",
                t.as_secs_f64(),
                n as f64 / t.as_secs_f64()
            );
        }
        "bare-rx" => {
            let symbols = nicsim::bench::rx_symbols(12);
            let t = nicsim::bench::rust_rx_loop(n, &symbols);
            println!(
                "bare-rx cycles={n} wall_s={:.6} cps={:.0}",
                t.as_secs_f64(),
                n as f64 / t.as_secs_f64()
            );
        }
        _ => {
            eprintln!("usage: harness_cost frames N | bare CYCLES | bare-rx CYCLES");
            std::process::exit(2);
        }
    }
}
