`resetall
`timescale 1ns / 1ps
`default_nettype none

// GMII receive MAC: finds the SFD, checks the FCS and length, and streams the
// frame bytes (destination address through FCS) as 8-bit AXI-Stream.
//
// - Frame start (IEEE 802.3 clause 4.2.6 / 35.2.3.2): after rx_dv rises, any
//   number (zero included) of 0x55 preamble bytes, then the SFD 0xD5. Any
//   other byte before the SFD, or rx_er before the SFD, makes the MAC ignore
//   the burst until rx_dv falls; a burst whose rx_dv falls before an SFD, or
//   right after it (no data byte), is ignored as well: nothing is output and
//   nothing is counted.
// - Frame end: rx_dv low. The output runs one byte behind the wire so that
//   tlast sits on the last byte; the flags below are valid with tlast.
// - m_axis_tuser_fcs_bad: the CRC over all bytes including the FCS does not
//   leave the residue 0xDEBB20E3 (clause 3.2.9, see crc32_8.v).
// - m_axis_tuser_rx_er: gmii_rx_er was high in a byte of the frame with
//   rx_dv high (clause 35.2.1.7, data reception error).
// - m_axis_tuser_runt: fewer than 64 bytes including FCS (clause 4.4.2).
// - m_axis_tuser_oversize: more than 1518 bytes including FCS, or more than
//   LPE_MAX_LEN when cfg_lpe (8254x RCTL.LPE). Our long-packet limit is
//   16384 bytes including FCS (the manual's 16 KB), a parameter here.
//   The byte counter saturates at 65535; the frame is still streamed whole.
// There is no tready: the receive FIFO accepts one byte per clock always.
// Latency: the GMII inputs are registered, so a byte appears on m_axis two
// clocks after it is on gmii_rxd (the last byte one clock after rx_dv falls).
module mac_rx_gmii #
(
    // Longest frame (incl. FCS) when cfg_lpe is set; up to 65535.
    parameter LPE_MAX_LEN = 16384
)
(
    input  wire        clk,
    input  wire        rst,

    /*
     * GMII
     */
    input  wire [7:0]  gmii_rxd,
    input  wire        gmii_rx_dv,
    input  wire        gmii_rx_er,

    /*
     * Frame stream to the RX FIFO (no back-pressure)
     */
    output wire [7:0]  m_axis_tdata,
    output wire        m_axis_tvalid,
    output wire        m_axis_tlast,
    output wire        m_axis_tuser_fcs_bad,
    output wire        m_axis_tuser_rx_er,
    output wire        m_axis_tuser_runt,
    output wire        m_axis_tuser_oversize,

    /*
     * Configuration
     */
    input  wire        cfg_lpe,

    /*
     * Status: high while a burst is being received or its last byte is out
     */
    output wire        busy
);

initial begin
    if (LPE_MAX_LEN < 1518 || LPE_MAX_LEN > 65535) begin
        $error("Error: LPE_MAX_LEN must be in 1518..65535 (instance %m)");
        $finish;
    end
end

localparam [7:0]  ETH_PRE = 8'h55;
localparam [7:0]  ETH_SFD = 8'hD5;
localparam [31:0] CRC_RESIDUE = 32'hDEBB20E3;
localparam [15:0] MIN_LEN = 16'd64;
localparam [15:0] MAX_LEN = 16'd1518;
localparam [15:0] MAX_LEN_LPE = LPE_MAX_LEN[15:0];

localparam [1:0]
    STATE_IDLE    = 2'd0,
    STATE_FRAME   = 2'd1,
    STATE_DISCARD = 2'd2;

reg [1:0] state_reg, state_next;

// Registered GMII inputs.
reg [7:0] rxd_d;
reg       dv_d, er_d;

reg [7:0]  held_reg, held_next;
reg        have_held_reg, have_held_next;
reg [15:0] len_reg, len_next;
reg        er_seen_reg, er_seen_next;
reg [31:0] crc_reg, crc_next;

reg [7:0]  m_axis_tdata_reg, m_axis_tdata_next;
reg        m_axis_tvalid_reg, m_axis_tvalid_next;
reg        m_axis_tlast_reg, m_axis_tlast_next;
reg        fcs_bad_reg, fcs_bad_next;
reg        rx_er_reg, rx_er_next;
reg        runt_reg, runt_next;
reg        oversize_reg, oversize_next;

wire [31:0] crc_step;

crc32_8 crc_inst (
    .crc_in(crc_reg),
    .data_in(rxd_d),
    .crc_out(crc_step)
);

// Defined outputs from time 0, before the first reset edge.
initial begin
    state_reg = STATE_IDLE;
    dv_d = 1'b0;
    m_axis_tvalid_reg = 1'b0;
    m_axis_tlast_reg = 1'b0;
end

wire [15:0] max_len = cfg_lpe ? MAX_LEN_LPE : MAX_LEN;

assign m_axis_tdata = m_axis_tdata_reg;
assign m_axis_tvalid = m_axis_tvalid_reg;
assign m_axis_tlast = m_axis_tlast_reg;
assign m_axis_tuser_fcs_bad = fcs_bad_reg;
assign m_axis_tuser_rx_er = rx_er_reg;
assign m_axis_tuser_runt = runt_reg;
assign m_axis_tuser_oversize = oversize_reg;
assign busy = dv_d || (state_reg != STATE_IDLE) || m_axis_tvalid_reg;

always @* begin
    state_next = state_reg;
    held_next = held_reg;
    have_held_next = have_held_reg;
    len_next = len_reg;
    er_seen_next = er_seen_reg;
    crc_next = crc_reg;

    m_axis_tdata_next = held_reg;
    m_axis_tvalid_next = 1'b0;
    m_axis_tlast_next = 1'b0;
    fcs_bad_next = 1'b0;
    rx_er_next = 1'b0;
    runt_next = 1'b0;
    oversize_next = 1'b0;

    case (state_reg)
        STATE_IDLE: begin
            have_held_next = 1'b0;
            len_next = 16'd0;
            er_seen_next = 1'b0;
            crc_next = 32'hFFFFFFFF;
            if (dv_d) begin
                if (er_d) begin
                    state_next = STATE_DISCARD;
                end else if (rxd_d == ETH_SFD) begin
                    state_next = STATE_FRAME;
                end else if (rxd_d != ETH_PRE) begin
                    state_next = STATE_DISCARD;
                end
            end
        end
        STATE_FRAME: begin
            if (dv_d) begin
                // One byte behind: the previous byte is not the last.
                if (have_held_reg) begin
                    m_axis_tvalid_next = 1'b1;
                end
                held_next = rxd_d;
                have_held_next = 1'b1;
                crc_next = crc_step;
                if (len_reg != 16'hFFFF) begin
                    len_next = len_reg + 16'd1;
                end
                er_seen_next = er_seen_reg | er_d;
            end else begin
                if (have_held_reg) begin
                    m_axis_tvalid_next = 1'b1;
                    m_axis_tlast_next = 1'b1;
                    fcs_bad_next = crc_reg != CRC_RESIDUE;
                    rx_er_next = er_seen_reg;
                    runt_next = len_reg < MIN_LEN;
                    oversize_next = len_reg > max_len;
                end
                have_held_next = 1'b0;
                state_next = STATE_IDLE;
            end
        end
        STATE_DISCARD: begin
            if (!dv_d) begin
                state_next = STATE_IDLE;
            end
        end
        default: begin
            state_next = STATE_IDLE;
        end
    endcase
end

always @(posedge clk) begin
    rxd_d <= gmii_rxd;
    dv_d <= gmii_rx_dv;
    er_d <= gmii_rx_er;

    state_reg <= state_next;
    held_reg <= held_next;
    have_held_reg <= have_held_next;
    len_reg <= len_next;
    er_seen_reg <= er_seen_next;
    crc_reg <= crc_next;

    m_axis_tdata_reg <= m_axis_tdata_next;
    m_axis_tvalid_reg <= m_axis_tvalid_next;
    m_axis_tlast_reg <= m_axis_tlast_next;
    fcs_bad_reg <= fcs_bad_next;
    rx_er_reg <= rx_er_next;
    runt_reg <= runt_next;
    oversize_reg <= oversize_next;

    if (rst) begin
        dv_d <= 1'b0;
        state_reg <= STATE_IDLE;
        have_held_reg <= 1'b0;
        m_axis_tvalid_reg <= 1'b0;
        m_axis_tlast_reg <= 1'b0;
    end
end

endmodule

`resetall
