`resetall
`timescale 1ns / 1ps
`default_nettype none

// Test harness: the receive path as nic_top wires it (mac_rx_gmii ->
// rx_filter -> rx_fifo) plus a stand-in for the register block's address
// lookups: the MTA RAM (128 x 32 bits, written through mta_wr_*) and the
// RAL/RAH exact match (entries from cfg_ra_*), both one clock latency.
module tb_mac_rx_path #
(
    parameter DEPTH = 4096,
    parameter RA_ENTRIES = 16,
    parameter LPE_MAX_LEN = 16384
)
(
    input  wire                     clk,
    input  wire                     rst,

    input  wire [7:0]               gmii_rxd,
    input  wire                     gmii_rx_dv,
    input  wire                     gmii_rx_er,

    output wire [63:0]              m_axis_tdata,
    output wire [7:0]               m_axis_tkeep,
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready,
    output wire                     m_axis_tlast,
    output wire [15:0]              m_frame_len,
    output wire [15:0]              m_frame_csum,
    output wire [7:0]               m_frame_status,
    output wire [7:0]               m_frame_errors,

    input  wire                     cfg_rx_en,
    input  wire                     cfg_sbp,
    input  wire                     cfg_secrc,
    input  wire                     cfg_lpe,
    input  wire [7:0]               cfg_pcss,
    input  wire                     cfg_bam,
    input  wire [1:0]               cfg_mo,
    input  wire                     cfg_upe,
    input  wire                     cfg_mpe,
    input  wire [48*RA_ENTRIES-1:0] cfg_ra_addr,
    input  wire [RA_ENTRIES-1:0]    cfg_ra_valid,
    input  wire                     flush,
    output wire                     empty,
    output wire                     mac_busy,

    input  wire                     mta_wr_en,
    input  wire [6:0]               mta_wr_addr,
    input  wire [31:0]              mta_wr_data,

    output wire                     stat_rx_total,
    output wire                     stat_rx_good,
    output wire [15:0]              stat_rx_good_bytes,
    output wire                     stat_rx_bcast,
    output wire                     stat_rx_mcast,
    output wire                     stat_rx_crc_err,
    output wire                     stat_rx_er,
    output wire                     stat_rx_runt,
    output wire                     stat_rx_oversize,
    output wire                     stat_rx_missed
);

wire [7:0]  rx_tdata;
wire        rx_tvalid, rx_tlast;
wire        rx_fcs_bad, rx_rx_er, rx_runt, rx_oversize;
wire [11:0] mta_index;
wire [47:0] lookup_da;
wire        mta_req;
reg         mta_bit;
reg         ra_hit;
reg         ra_match;
wire        f_decided, f_accept, f_bcast, f_mcast, f_pif;

reg [31:0] mta [0:127];
integer k;
initial begin
    for (k = 0; k < 128; k = k + 1) begin
        mta[k] = 32'd0;
    end
    mta_bit = 1'b0;
    ra_hit = 1'b0;
end

always @* begin
    ra_match = 1'b0;
    for (k = 0; k < RA_ENTRIES; k = k + 1) begin
        if (cfg_ra_valid[k] && cfg_ra_addr[48*k +: 48] == lookup_da) begin
            ra_match = 1'b1;
        end
    end
end

always @(posedge clk) begin
    if (mta_wr_en) begin
        mta[mta_wr_addr] <= mta_wr_data;
    end
    if (mta_req) begin
        mta_bit <= mta[mta_index[11:5]][mta_index[4:0]];
        ra_hit <= ra_match;
    end
end

mac_rx_gmii #(
    .LPE_MAX_LEN(LPE_MAX_LEN)
) mac_rx_inst (
    .clk(clk),
    .rst(rst),
    .gmii_rxd(gmii_rxd),
    .gmii_rx_dv(gmii_rx_dv),
    .gmii_rx_er(gmii_rx_er),
    .m_axis_tdata(rx_tdata),
    .m_axis_tvalid(rx_tvalid),
    .m_axis_tlast(rx_tlast),
    .m_axis_tuser_fcs_bad(rx_fcs_bad),
    .m_axis_tuser_rx_er(rx_rx_er),
    .m_axis_tuser_runt(rx_runt),
    .m_axis_tuser_oversize(rx_oversize),
    .cfg_lpe(cfg_lpe),
    .busy(mac_busy)
);

rx_filter rx_filter_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(rx_tdata),
    .s_axis_tvalid(rx_tvalid),
    .s_axis_tlast(rx_tlast),
    .cfg_bam(cfg_bam),
    .cfg_mo(cfg_mo),
    .cfg_upe(cfg_upe),
    .cfg_mpe(cfg_mpe),
    .mta_index(mta_index),
    .lookup_da(lookup_da),
    .mta_req(mta_req),
    .mta_bit(mta_bit),
    .ra_hit(ra_hit),
    .decided(f_decided),
    .accept(f_accept),
    .is_bcast(f_bcast),
    .is_mcast(f_mcast),
    .pif(f_pif)
);

rx_fifo #(
    .DEPTH(DEPTH)
) rx_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(rx_tdata),
    .s_axis_tvalid(rx_tvalid),
    .s_axis_tlast(rx_tlast),
    .s_axis_tuser_fcs_bad(rx_fcs_bad),
    .s_axis_tuser_rx_er(rx_rx_er),
    .s_axis_tuser_runt(rx_runt),
    .s_axis_tuser_oversize(rx_oversize),
    .s_filter_accept(f_accept),
    .s_filter_bcast(f_bcast),
    .s_filter_mcast(f_mcast),
    .s_filter_pif(f_pif),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tkeep(m_axis_tkeep),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast),
    .m_frame_len(m_frame_len),
    .m_frame_csum(m_frame_csum),
    .m_frame_status(m_frame_status),
    .m_frame_errors(m_frame_errors),
    .cfg_rx_en(cfg_rx_en),
    .cfg_sbp(cfg_sbp),
    .cfg_secrc(cfg_secrc),
    .cfg_pcss(cfg_pcss),
    .flush(flush),
    .empty(empty),
    .stat_rx_total(stat_rx_total),
    .stat_rx_good(stat_rx_good),
    .stat_rx_good_bytes(stat_rx_good_bytes),
    .stat_rx_bcast(stat_rx_bcast),
    .stat_rx_mcast(stat_rx_mcast),
    .stat_rx_crc_err(stat_rx_crc_err),
    .stat_rx_er(stat_rx_er),
    .stat_rx_runt(stat_rx_runt),
    .stat_rx_oversize(stat_rx_oversize),
    .stat_rx_missed(stat_rx_missed)
);

// f_decided is for waveform inspection only.
wire unused_decided = f_decided;

endmodule

`resetall
