`resetall
`timescale 1ns / 1ps
`default_nettype none

// GMII transmit MAC: 8-bit AXI-Stream frame in, preamble/SFD/pad/FCS/gap out.
//
// Frame on the wire (IEEE 802.3 clause 3.1.1, clause 4.2.5):
//   7 x 0x55 preamble, 0xD5 SFD, the frame bytes from the stream, zero pad
//   up to 60 bytes when cfg_pad (TCTL.PSP) and the frame asked for an FCS,
//   then the FCS (clause 3.2.9: CRC-32 reflected, init all ones, complemented,
//   least significant byte first) when s_axis_tuser_ifcs (descriptor IFCS).
//   Padding only applies with IFCS: without it software supplies the FCS and
//   padding would land after it.
// Inter-frame gap (clause 4.2.3.2.1, 8254x TIPG.IPGT): tx_en stays low for
//   max(cfg_ipg, 12) clocks between the last FCS byte and the next preamble,
//   so back-to-back 1518-byte frames repeat every 8 + 1518 + 12 = 1538 clocks.
//
// The stream comes from a store-and-forward FIFO (tx_fifo) and must not run
// dry inside a frame. If it does (tvalid low while the MAC needs a byte), the
// MAC sends one byte with gmii_tx_er set (clause 35.2.1.5: the receiver then
// sees the frame as errored), ends the frame there, pulses stat_tx_underrun,
// and discards the rest of the frame from the stream up to tlast. Such a frame
// does not pulse stat_tx_frame.
//
// Timing: tvalid/tuser_ifcs of the first byte are sampled in the idle state;
// the first data byte is taken (tready high) in the clock after the SFD has
// been registered out, one byte per clock, tready high only in the data phase.
// stat_tx_frame pulses in the clock the last byte (FCS or data) is on gmii_txd,
// with stat_tx_bytes = destination address through FCS.
// cfg_enable (TCTL.EN) low: a frame in progress completes, no new one starts.
module mac_tx_gmii
(
    input  wire        clk,
    input  wire        rst,

    /*
     * Frame stream from the TX FIFO
     */
    input  wire [7:0]  s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,
    input  wire        s_axis_tuser_ifcs,

    /*
     * GMII
     */
    output wire [7:0]  gmii_txd,
    output wire        gmii_tx_en,
    output wire        gmii_tx_er,

    /*
     * Configuration
     */
    input  wire [9:0]  cfg_ipg,
    input  wire        cfg_pad,
    input  wire        cfg_enable,

    /*
     * Status
     */
    output wire        stat_tx_frame,
    output wire [15:0] stat_tx_bytes,
    output wire        stat_tx_underrun,
    output wire        busy
);

localparam [7:0] ETH_PRE = 8'h55;
localparam [7:0] ETH_SFD = 8'hD5;
// IEEE 802.3 clause 4.4.2: minimum frame 64 bytes incl. FCS, 60 without it.
localparam [15:0] MIN_NOFCS_LEN = 16'd60;
// IEEE 802.3 clause 4.4.2: interFrameGap 96 bit times = 12 byte times.
localparam [9:0] MIN_IPG = 10'd12;

localparam [2:0]
    STATE_IDLE     = 3'd0,
    STATE_PREAMBLE = 3'd1,
    STATE_DATA     = 3'd2,
    STATE_PAD      = 3'd3,
    STATE_FCS      = 3'd4,
    STATE_IFG      = 3'd5,
    STATE_DRAIN    = 3'd6;

reg [2:0] state_reg, state_next;

reg [2:0]  pre_cnt_reg, pre_cnt_next;
reg [1:0]  fcs_cnt_reg, fcs_cnt_next;
reg [9:0]  ifg_cnt_reg, ifg_cnt_next;
reg [15:0] len_reg, len_next;
reg        ifcs_reg, ifcs_next;
reg        pad_reg, pad_next;
reg [31:0] crc_reg, crc_next;

reg [7:0]  txd_reg, txd_next;
reg        tx_en_reg, tx_en_next;
reg        tx_er_reg, tx_er_next;

reg        s_axis_tready_int;

reg        stat_tx_frame_reg, stat_tx_frame_next;
reg [15:0] stat_tx_bytes_reg, stat_tx_bytes_next;
reg        stat_tx_underrun_reg, stat_tx_underrun_next;

// Byte fed to the CRC: frame data in the data phase, zero pad otherwise.
wire [7:0]  crc_data = (state_reg == STATE_DATA) ? s_axis_tdata : 8'd0;
wire [31:0] crc_step;

crc32_8 crc_inst (
    .crc_in(crc_reg),
    .data_in(crc_data),
    .crc_out(crc_step)
);

// Defined outputs from time 0, before the first reset edge: the GMII and
// status pins are sampled by external models (cocotbext-eth) from the start.
initial begin
    state_reg = STATE_IDLE;
    txd_reg = 8'd0;
    tx_en_reg = 1'b0;
    tx_er_reg = 1'b0;
    stat_tx_frame_reg = 1'b0;
    stat_tx_bytes_reg = 16'd0;
    stat_tx_underrun_reg = 1'b0;
end

wire [31:0] fcs = ~crc_reg;
wire [9:0]  gap = (cfg_ipg > MIN_IPG) ? cfg_ipg : MIN_IPG;

assign s_axis_tready = s_axis_tready_int;
assign gmii_txd = txd_reg;
assign gmii_tx_en = tx_en_reg;
assign gmii_tx_er = tx_er_reg;
assign stat_tx_frame = stat_tx_frame_reg;
assign stat_tx_bytes = stat_tx_bytes_reg;
assign stat_tx_underrun = stat_tx_underrun_reg;
assign busy = (state_reg != STATE_IDLE) || tx_en_reg;

always @* begin
    state_next = state_reg;
    pre_cnt_next = pre_cnt_reg;
    fcs_cnt_next = fcs_cnt_reg;
    ifg_cnt_next = ifg_cnt_reg;
    len_next = len_reg;
    ifcs_next = ifcs_reg;
    pad_next = pad_reg;
    crc_next = crc_reg;

    txd_next = 8'd0;
    tx_en_next = 1'b0;
    tx_er_next = 1'b0;
    s_axis_tready_int = 1'b0;

    stat_tx_frame_next = 1'b0;
    stat_tx_bytes_next = stat_tx_bytes_reg;
    stat_tx_underrun_next = 1'b0;

    case (state_reg)
        STATE_IDLE: begin
            if (s_axis_tvalid && cfg_enable) begin
                // Per-frame request sampled with the first byte.
                ifcs_next = s_axis_tuser_ifcs;
                pad_next = cfg_pad;
                len_next = 16'd0;
                crc_next = 32'hFFFFFFFF;
                pre_cnt_next = 3'd1;
                txd_next = ETH_PRE;
                tx_en_next = 1'b1;
                state_next = STATE_PREAMBLE;
            end
        end
        STATE_PREAMBLE: begin
            // IEEE 802.3 clause 4.2.5: 7 preamble octets then the SFD.
            tx_en_next = 1'b1;
            if (pre_cnt_reg == 3'd7) begin
                txd_next = ETH_SFD;
                state_next = STATE_DATA;
            end else begin
                txd_next = ETH_PRE;
                pre_cnt_next = pre_cnt_reg + 3'd1;
            end
        end
        STATE_DATA: begin
            s_axis_tready_int = 1'b1;
            tx_en_next = 1'b1;
            if (s_axis_tvalid) begin
                txd_next = s_axis_tdata;
                crc_next = crc_step;
                len_next = len_reg + 16'd1;
                if (s_axis_tlast) begin
                    if (ifcs_reg && pad_reg && len_reg + 16'd1 < MIN_NOFCS_LEN) begin
                        state_next = STATE_PAD;
                    end else if (ifcs_reg) begin
                        fcs_cnt_next = 2'd0;
                        state_next = STATE_FCS;
                    end else begin
                        ifg_cnt_next = gap;
                        stat_tx_frame_next = 1'b1;
                        stat_tx_bytes_next = len_reg + 16'd1;
                        state_next = STATE_IFG;
                    end
                end
            end else begin
                // Underrun: one errored byte ends the frame (see header).
                tx_er_next = 1'b1;
                stat_tx_underrun_next = 1'b1;
                state_next = STATE_DRAIN;
            end
        end
        STATE_PAD: begin
            tx_en_next = 1'b1;
            txd_next = 8'd0;
                    crc_next = crc_step;
            len_next = len_reg + 16'd1;
            if (len_reg + 16'd1 >= MIN_NOFCS_LEN) begin
                fcs_cnt_next = 2'd0;
                state_next = STATE_FCS;
            end
        end
        STATE_FCS: begin
            // IEEE 802.3 clause 3.2.9: x^31 coefficient first on the wire,
            // i.e. the complemented reflected register LSB first.
            tx_en_next = 1'b1;
            txd_next = fcs[fcs_cnt_reg*8 +: 8];
            fcs_cnt_next = fcs_cnt_reg + 2'd1;
            if (fcs_cnt_reg == 2'd3) begin
                ifg_cnt_next = gap;
                stat_tx_frame_next = 1'b1;
                stat_tx_bytes_next = len_reg + 16'd4;
                state_next = STATE_IFG;
            end
        end
        STATE_IFG: begin
            // tx_en is low from the clock after the last byte; the next
            // preamble byte is registered out after ifg_cnt clocks.
            if (ifg_cnt_reg <= 10'd1) begin
                state_next = STATE_IDLE;
            end else begin
                ifg_cnt_next = ifg_cnt_reg - 10'd1;
            end
        end
        STATE_DRAIN: begin
            s_axis_tready_int = 1'b1;
            if (s_axis_tvalid && s_axis_tlast) begin
                ifg_cnt_next = gap;
                state_next = STATE_IFG;
            end
        end
        default: begin
            state_next = STATE_IDLE;
        end
    endcase
end

always @(posedge clk) begin
    state_reg <= state_next;
    pre_cnt_reg <= pre_cnt_next;
    fcs_cnt_reg <= fcs_cnt_next;
    ifg_cnt_reg <= ifg_cnt_next;
    len_reg <= len_next;
    ifcs_reg <= ifcs_next;
    pad_reg <= pad_next;
    crc_reg <= crc_next;
    txd_reg <= txd_next;
    tx_en_reg <= tx_en_next;
    tx_er_reg <= tx_er_next;
    stat_tx_frame_reg <= stat_tx_frame_next;
    stat_tx_bytes_reg <= stat_tx_bytes_next;
    stat_tx_underrun_reg <= stat_tx_underrun_next;

    if (rst) begin
        state_reg <= STATE_IDLE;
        tx_en_reg <= 1'b0;
        tx_er_reg <= 1'b0;
        stat_tx_frame_reg <= 1'b0;
        stat_tx_underrun_reg <= 1'b0;
    end
end

endmodule

`resetall
