// Clock edges of the Verilated nic_sim_top without Verilator's per-call
// bookkeeping, shared by shim.cpp and bench_main.cpp.
//
// Vnic_sim_top::eval() runs eval_step(): it marks trace activity, empties
// the model's deleter (a mutex), runs the scheduler, then flushes the
// message queue (another mutex). A model like ours, with no dynamic
// objects and no threads, has nothing to delete or flush, so the edge
// functions below call the scheduler entry directly.
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
    Vnic_sim_top___024root___eval(top->rootp);
}
