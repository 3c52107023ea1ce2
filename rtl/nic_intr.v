`resetall
`timescale 1ns / 1ps
`default_nettype none

// Interrupt causes, mask and moderation (8254x 13.4.17 .. 13.4.21, 13.4.30,
// 13.4.31, 13.4.39, 13.4.44): ICR/ICS/IMS/IMC, the ITR minimum interval, the
// RDTR/RADV receive delay timers, the TIDV/TADV transmit delay timers and the
// level irq output.
//
// Timers count clock cycles: one 1.024 us unit is CYCLES_1024NS cycles, one
// 256 ns ITR unit is CYCLES_256NS cycles (128 and 32 at 125 MHz).
module nic_intr #
(
    // clock cycles per 1.024 us (RDTR, RADV, TIDV, TADV unit)
    parameter CYCLES_1024NS = 128,
    // clock cycles per 256 ns (ITR unit)
    parameter CYCLES_256NS = 32
)
(
    input  wire        clk,
    input  wire        rst,

    /*
     * Register accesses (from nic_regs)
     */
    input  wire        icr_rd,
    input  wire        icr_wr,
    input  wire        ics_wr,
    input  wire        ims_wr,
    input  wire        imc_wr,
    input  wire [31:0] wr_data,
    output wire [31:0] icr,
    output wire [31:0] ims,

    /*
     * Moderation configuration
     */
    input  wire [15:0] cfg_itr,
    input  wire [15:0] cfg_rdtr,
    input  wire        cfg_rdtr_fpd,
    input  wire [15:0] cfg_radv,
    input  wire [15:0] cfg_tidv,
    input  wire [15:0] cfg_tadv,

    /*
     * Events (one-cycle pulses)
     */
    input  wire        ev_txdw,        // TX descriptor written back (RS)
    input  wire        ev_txdw_ide,    // ... and its IDE bit asks for a delay
    input  wire        ev_txqe,        // TX ring became empty
    input  wire        ev_rx_frame,    // RX frame written back
    input  wire        ev_rxdmt0,      // free RX descriptors reached the threshold
    input  wire        ev_rxo,         // receive FIFO overrun (frame dropped)
    input  wire        ev_dmaerr,      // DMA bus error
    input  wire        link_up,

    /*
     * Outputs
     */
    output wire        irq,
    // a moderation timer or the ITR interval is running
    output wire        busy
);

`include "nic_defs.vh"

initial begin
    if (CYCLES_1024NS < 1 || CYCLES_256NS < 1) begin
        $error("Error: timer prescalers must be at least 1 (instance %m)");
        $finish;
    end
end

localparam [7:0] UNIT_1024 = CYCLES_1024NS;
localparam [5:0] UNIT_256 = CYCLES_256NS;

reg [31:0] icr_reg, icr_next;
reg [31:0] ims_reg, ims_next;
reg irq_reg, irq_next;
reg link_reg;

// moderation timers, in cycles; running while non-zero
reg [23:0] rdtr_cnt_reg, rdtr_cnt_next;
reg [23:0] radv_cnt_reg, radv_cnt_next;
reg [23:0] tidv_cnt_reg, tidv_cnt_next;
reg [23:0] tadv_cnt_reg, tadv_cnt_next;
reg [21:0] itr_cnt_reg, itr_cnt_next;

wire [23:0] rdtr_load = cfg_rdtr * UNIT_1024;
wire [23:0] radv_load = cfg_radv * UNIT_1024;
wire [23:0] tidv_load = cfg_tidv * UNIT_1024;
wire [23:0] tadv_load = cfg_tadv * UNIT_1024;
wire [21:0] itr_load = cfg_itr * UNIT_256;

reg set_rxt0;
reg set_txdw;

always @* begin
    rdtr_cnt_next = rdtr_cnt_reg;
    radv_cnt_next = radv_cnt_reg;
    tidv_cnt_next = tidv_cnt_reg;
    tadv_cnt_next = tadv_cnt_reg;
    set_rxt0 = 1'b0;
    set_txdw = 1'b0;

    // count down; reaching zero fires the cause
    if (rdtr_cnt_reg != 0) begin
        rdtr_cnt_next = rdtr_cnt_reg - 1;
        if (rdtr_cnt_reg == 1) begin
            set_rxt0 = 1'b1;
        end
    end
    if (radv_cnt_reg != 0) begin
        radv_cnt_next = radv_cnt_reg - 1;
        if (radv_cnt_reg == 1) begin
            set_rxt0 = 1'b1;
        end
    end
    if (tidv_cnt_reg != 0) begin
        tidv_cnt_next = tidv_cnt_reg - 1;
        if (tidv_cnt_reg == 1) begin
            set_txdw = 1'b1;
        end
    end
    if (tadv_cnt_reg != 0) begin
        tadv_cnt_next = tadv_cnt_reg - 1;
        if (tadv_cnt_reg == 1) begin
            set_txdw = 1'b1;
        end
    end

    // 8254x 13.4.30: a received packet restarts the packet timer; the
    // absolute timer (13.4.31) starts with the first packet and is not
    // restarted; with RDTR = 0 RXT0 is immediate and RADV has no effect
    if (ev_rx_frame) begin
        if (cfg_rdtr == 0) begin
            set_rxt0 = 1'b1;
        end else begin
            rdtr_cnt_next = rdtr_load;
            if (radv_cnt_reg == 0 && cfg_radv != 0) begin
                radv_cnt_next = radv_load;
            end
        end
    end
    // FPD: flush the pending delay now
    if (cfg_rdtr_fpd && (rdtr_cnt_reg != 0 || radv_cnt_reg != 0)) begin
        set_rxt0 = 1'b1;
    end

    // 8254x 3.4.3.1: TXDW is delayed by TIDV/TADV only for descriptors with
    // IDE; TIDV = 0 makes it immediate
    if (ev_txdw) begin
        if (!ev_txdw_ide || cfg_tidv == 0) begin
            set_txdw = 1'b1;
        end else begin
            tidv_cnt_next = tidv_load;
            if (tadv_cnt_reg == 0 && cfg_tadv != 0) begin
                tadv_cnt_next = tadv_load;
            end
        end
    end

    // firing a cause stops both of its timers
    if (set_rxt0) begin
        rdtr_cnt_next = 24'd0;
        radv_cnt_next = 24'd0;
    end
    if (set_txdw) begin
        tidv_cnt_next = 24'd0;
        tadv_cnt_next = 24'd0;
    end

    // ICR: read clears everything, a write clears the bits written as 1,
    // ICS sets bits; causes arriving in the same cycle are kept
    icr_next = icr_reg;
    if (icr_rd) begin
        icr_next = 32'd0;
    end
    if (icr_wr) begin
        icr_next = icr_next & ~wr_data;
    end
    if (ics_wr) begin
        icr_next = icr_next | wr_data;
    end
    // (causes are rare: most clocks a simulator skips the bit merging)
    if (set_txdw || ev_txqe || link_up != link_reg || ev_rxdmt0 || ev_rxo || set_rxt0
            || ev_dmaerr) begin
        icr_next = icr_next
            | (set_txdw ? ICR_TXDW : 32'd0)
            | (ev_txqe ? ICR_TXQE : 32'd0)
            | (link_up != link_reg ? ICR_LSC : 32'd0)
            | (ev_rxdmt0 ? ICR_RXDMT0 : 32'd0)
            | (ev_rxo ? ICR_RXO : 32'd0)
            | (set_rxt0 ? ICR_RXT0 : 32'd0)
            | (ev_dmaerr ? ICR_DMAERR : 32'd0);
    end
    icr_next = icr_next & ICR_ALL;

    ims_next = ims_reg;
    if (ims_wr) begin
        ims_next = ims_next | wr_data;
    end
    if (imc_wr) begin
        ims_next = ims_next & ~wr_data;
    end
    ims_next = ims_next & ICR_ALL;

    // 8254x 13.4.18: once asserted, irq stays while a cause is pending and
    // unmasked; a new assertion waits until the ITR interval since the last
    // assertion has passed
    itr_cnt_next = itr_cnt_reg != 0 ? itr_cnt_reg - 1 : 22'd0;
    irq_next = 1'b0;
    if ((icr_reg & ims_reg) != 0) begin
        if (irq_reg) begin
            irq_next = 1'b1;
        end else if (itr_cnt_reg == 0) begin
            irq_next = 1'b1;
            itr_cnt_next = itr_load;
        end
    end
end

always @(posedge clk) begin
    icr_reg <= icr_next;
    ims_reg <= ims_next;
    irq_reg <= irq_next;
    link_reg <= link_up;
    rdtr_cnt_reg <= rdtr_cnt_next;
    radv_cnt_reg <= radv_cnt_next;
    tidv_cnt_reg <= tidv_cnt_next;
    tadv_cnt_reg <= tadv_cnt_next;
    itr_cnt_reg <= itr_cnt_next;

    if (rst) begin
        icr_reg <= RST_ICR;
        ims_reg <= RST_IMS;
        irq_reg <= 1'b0;
        rdtr_cnt_reg <= 24'd0;
        radv_cnt_reg <= 24'd0;
        tidv_cnt_reg <= 24'd0;
        tadv_cnt_reg <= 24'd0;
        itr_cnt_reg <= 22'd0;
    end
end

assign icr = icr_reg;
assign ims = ims_reg;
assign irq = irq_reg;
assign busy = rdtr_cnt_reg != 0 || radv_cnt_reg != 0 || tidv_cnt_reg != 0
    || tadv_cnt_reg != 0 || itr_cnt_reg != 0;

endmodule

`resetall
