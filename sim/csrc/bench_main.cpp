// Bare C++ loop on the same Verilated model as the Rust bridge, for the
// benchmark comparison (sim::bench::bare_loop does the same work from Rust):
// reset, then per cycle clk=0/eval, clk=1/eval, nothing else.
//
// usage: nic_bench_main CYCLES   -> prints "cycles=N ns=T"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "verilated.h"
#include "Vnic_sim_top.h"

int main(int argc, char** argv) {
    uint64_t cycles = 1000000;
    if (argc > 1) cycles = std::strtoull(argv[1], nullptr, 10);
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->randReset(0);
    auto top = std::make_unique<Vnic_sim_top>(ctx.get(), "TOP");
    top->link_up = 1;
    top->rst = 1;
    for (int i = 0; i < 16; i++) {
        top->clk = 0;
        top->eval();
        top->clk = 1;
        top->eval();
    }
    top->rst = 0;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t c = 0; c < cycles; c++) {
        top->clk = 0;
        top->eval();
        top->clk = 1;
        top->eval();
    }
    const auto end = std::chrono::steady_clock::now();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
    top->final();
    std::printf("cycles=%llu ns=%lld\n", static_cast<unsigned long long>(cycles),
                static_cast<long long>(ns));
    return 0;
}
