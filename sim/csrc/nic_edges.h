// Clock edges of the Verilated nic_sim_top without Verilator's per-call
// bookkeeping, shared by shim.cpp and bench_main.cpp.
//
// Vnic_sim_top::eval() runs eval_step(): it marks trace activity, empties
// the model's deleter (a mutex), runs the scheduler, then flushes the
// message queue (another mutex). A model like ours, with no dynamic
// objects and no threads, has nothing to delete or flush, so the edge
// functions below call the scheduler entry directly.
//
// The rising edge, when NIC_FAST_EDGES is 1, runs the two regions the
// scheduler would run for it and nothing else: the input-combinational
// region (logic fed only by input ports, which the harness has just set)
// and the NBA region (every `always @(posedge clk)` block and the logic
// behind it). The scheduler's own loops (trigger vectors, the re-check of
// every region until nothing more fires) always end after these two steps
// when posedge clk is the only trigger; skipping them saves 76 of 5,037
// instructions per world-loop clock (docs/performance.md). sim/build.rs
// checks that shape in the generated code (one trigger bit per region, no
// active-region work).
//
// The falling edge needs no evaluation at all when NIC_FAST_EDGES is 1:
// sim/build.rs sets it only after reading the generated scheduler and
// finding (a) that the only edge trigger is `posedge clk` and (b) that the
// input-combinational region assigns no output port, so nothing the
// outputs show can change at the falling edge. The falling edge then only
// records clk = 0 as the trigger's previous value, which is what the
// scheduler would have done. When either check fails, the build sets
// NIC_FAST_EDGES to 0 and says why, and both edges evaluate in full.
//
// Only with no waveform open: a trace needs the full eval (activity flags)
// and a dump at both edges.

#pragma once

#include "Vnic_sim_top.h"
#include "Vnic_sim_top___024root.h"

#ifndef NIC_FAST_EDGES
#define NIC_FAST_EDGES 0
#endif

// The scheduler that Vnic_sim_top::eval_step() calls (generated code,
// external linkage; a different Verilator version that renames it fails
// to link rather than silently changing behaviour).
void Vnic_sim_top___024root___eval(Vnic_sim_top___024root* vlSelf);
// The region dispatchers the scheduler calls (generated code, external
// linkage like the scheduler itself).
void Vnic_sim_top___024root___eval_ico(Vnic_sim_top___024root* vlSelf);
void Vnic_sim_top___024root___eval_nba(Vnic_sim_top___024root* vlSelf);

// After the first full eval() (which runs the initial and settle regions).
static inline void nic_edge_fall_fast(Vnic_sim_top* top) {
    top->clk = 0;
#if NIC_FAST_EDGES
    top->rootp->__Vtrigprevexpr___TOP__clk__0 = 0;
#else
    Vnic_sim_top___024root___eval(top->rootp);
#endif
}

static inline void nic_edge_rise_fast(Vnic_sim_top* top) {
    top->clk = 1;
#if NIC_FAST_EDGES
    Vnic_sim_top___024root* const r = top->rootp;
    // ico: its only trigger is the first iteration of an eval
    r->__VicoTriggered[0] = 1;
    Vnic_sim_top___024root___eval_ico(r);
    r->__VicoTriggered[0] = 0;
    // act: posedge clk fired (the falling edge recorded clk = 0) and moves
    // to the NBA region; the scheduler leaves every trigger vector clear
    r->__Vtrigprevexpr___TOP__clk__0 = 1;
    r->__VnbaTriggered[0] = 1;
    Vnic_sim_top___024root___eval_nba(r);
    r->__VnbaTriggered[0] = 0;
#else
    Vnic_sim_top___024root___eval(top->rootp);
#endif
}
