//! Compare the bare Rust loop, the C++ `main()` loop and the full world loop
//! on the same model: `cargo run --release -p sim --example bench_compare [CYCLES]`.

fn main() {
    let cycles: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let rust = sim::bench::bare_loop(cycles);
    let cpp = std::process::Command::new(sim::bench::cpp_main_path())
        .arg(cycles.to_string())
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| {
            t.trim()
                .rsplit('=')
                .next()
                .and_then(|n| n.parse::<u64>().ok())
        });
    let world = sim::bench::world_loop(cycles);
    let rate = |ns: u128| cycles as f64 / (ns as f64 / 1e9) / 1e6;
    println!("rust bare loop : {:8.2} Mcycles/s", rate(rust.as_nanos()));
    match cpp {
        Some(ns) => println!("c++ main loop  : {:8.2} Mcycles/s", rate(u128::from(ns))),
        None => println!(
            "c++ main loop  : could not run {}",
            sim::bench::cpp_main_path().display()
        ),
    }
    println!("world loop     : {:8.2} Mcycles/s", rate(world.as_nanos()));
}
