`resetall
`timescale 1ns / 1ps
`default_nettype none

// Receive packet FIFO, store and forward: 8-bit frames from mac_rx_gmii (with
// the rx_filter decision) in, 64-bit frames with per-frame descriptor
// information out to the RX DMA. A frame becomes visible to the read side
// only when it is complete and kept; nothing partial ever reaches it.
//
// Write side (one byte per clock at most, no back-pressure):
//   - A frame whose first beat arrives while cfg_rx_en (RCTL.EN) is low is
//     ignored whole: not stored, not counted.
//   - At tlast the frame is classified. Exactly one error counter per faulty
//     frame, by priority (our definition; the 8254x counters overlap):
//       rx_er -> stat_rx_er (RXERRC)       else oversize -> stat_rx_oversize (ROC)
//       else runt -> stat_rx_runt (RUC)    else fcs_bad -> stat_rx_crc_err (CRCERRS)
//     stat_rx_total (TPR) pulses for every frame that was not ignored, bad,
//     filtered or missed alike.
//   - Kept: accepted by the filter, not runt, not oversize, and either free of
//     FCS/rx_er errors or cfg_sbp (RCTL.SBP; runts and oversize frames are
//     never stored: the legacy descriptor has no error bit for them).
//   - A frame to be kept that does not fit the free space (or the frame
//     table) is dropped whole: stat_rx_missed (MPC, the RXO cause). Any frame
//     not kept rewinds the write pointer.
//   - stat_rx_good (GPRC) with stat_rx_good_bytes (GORC, destination address
//     through FCS), stat_rx_bcast (BPRC), stat_rx_mcast (MPRC): kept frames
//     without FCS/rx_er errors only.
//   All statistics are 1-clock pulses, one clock after the tlast beat.
//
// Read side (64-bit AXI-Stream to the RX DMA): bytes packed from lane 0,
// every beat full except the last; m_axis_tkeep contiguous from lane 0.
//   m_frame_len: bytes delivered (FCS stripped when cfg_secrc, RCTL.SECRC)
//   m_frame_csum: 16-bit ones-complement sum, not complemented, of the
//     delivered bytes from offset cfg_pcss (RXCSUM.PCSS) to the end, as
//     big-endian 16-bit words counted from PCSS (RFC 1071), odd tail padded
//     with zero: the RX descriptor checksum field (8254x 3.2.3.1)
//   m_frame_errors: RX descriptor errors (8254x 3.2.3.2): CE b0 = FCS bad,
//     RXE b7 = rx_er; non-zero only for frames kept with SBP
//   m_frame_status: RX descriptor status bits this FIFO knows (8254x 3.2.3.1):
//     PIF b7 (passed the MTA hash only); the DMA adds DD, EOP and IXSM
//   These are stable from the first beat of a frame until its last beat is
//   taken. The 64-bit RAM is read synchronously; a 2-entry output buffer
//   keeps full throughput under m_axis_tready back-pressure.
//
// cfg_secrc and cfg_pcss are sampled at the tlast beat of each frame; keep
// them stable while RCTL.EN is set.
//
// flush (CTRL.RST or RCTL.EN cleared): drops every stored frame and the
// output buffer at once; a frame being written when flush rises is dropped
// up to its tlast (the MAC keeps framing). The read side stops mid-frame
// without tlast: assert flush together with the DMA's own reset.
// empty: no stored frame, no frame being written, nothing pending in the read
// path (quiescence, together with mac_rx_gmii's busy).
module rx_fifo #
(
    // Capacity in bytes (power of two, at least 2048; frames are stored from
    // 8-byte boundaries).
    parameter DEPTH = 16384
)
(
    input  wire        clk,
    input  wire        rst,

    /*
     * Frames from mac_rx_gmii
     */
    input  wire [7:0]  s_axis_tdata,
    input  wire        s_axis_tvalid,
    input  wire        s_axis_tlast,
    input  wire        s_axis_tuser_fcs_bad,
    input  wire        s_axis_tuser_rx_er,
    input  wire        s_axis_tuser_runt,
    input  wire        s_axis_tuser_oversize,

    /*
     * Filter decision from rx_filter, sampled with tlast
     */
    input  wire        s_filter_accept,
    input  wire        s_filter_bcast,
    input  wire        s_filter_mcast,
    input  wire        s_filter_pif,

    /*
     * Frames to the RX DMA
     */
    output wire [63:0] m_axis_tdata,
    output wire [7:0]  m_axis_tkeep,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        m_axis_tlast,
    output wire [15:0] m_frame_len,
    output wire [15:0] m_frame_csum,
    output wire [7:0]  m_frame_status,
    output wire [7:0]  m_frame_errors,

    /*
     * Configuration and control
     */
    input  wire        cfg_rx_en,
    input  wire        cfg_sbp,
    input  wire        cfg_secrc,
    input  wire [7:0]  cfg_pcss,
    input  wire        flush,
    output wire        empty,

    /*
     * Statistics (1-clock pulses)
     */
    output wire        stat_rx_total,
    output wire        stat_rx_good,
    output wire [15:0] stat_rx_good_bytes,
    output wire        stat_rx_bcast,
    output wire        stat_rx_mcast,
    output wire        stat_rx_crc_err,
    output wire        stat_rx_er,
    output wire        stat_rx_runt,
    output wire        stat_rx_oversize,
    output wire        stat_rx_missed
);

localparam WORDS = DEPTH / 8;
localparam AW = $clog2(WORDS);
// Kept frames are at least 64 bytes = 8 words: at most WORDS/8 in the FIFO.
localparam FRAMES = WORDS / 8;
localparam FW = $clog2(FRAMES);
// Frame table entry: end pointer, length, checksum, errors, status.
localparam MW = (AW + 1) + 16 + 16 + 8 + 8;

initial begin
    if (DEPTH < 2048 || (DEPTH & (DEPTH - 1)) != 0 || DEPTH > 65536) begin
        $error("Error: DEPTH must be a power of two in 2048..65536 (instance %m)");
        $finish;
    end
end

// 8254x 3.2.3.2 RX descriptor error bits, 3.2.3.1 status bits.
localparam ERR_CE = 0;
localparam ERR_RXE = 7;
localparam STA_PIF = 7;

/*
 * Storage
 */
reg [63:0] mem [0:WORDS-1];
reg [MW-1:0] meta_mem [0:FRAMES-1];

/*
 * Write side
 */
reg          in_frame_reg, in_frame_next;
reg          drop_reg, drop_next;
reg          ovf_reg, ovf_next;
reg [15:0]   cnt_reg, cnt_next;
reg [AW:0]   wr_ptr_reg, wr_ptr_next;
reg [AW:0]   wr_start_reg, wr_start_next;
reg [63:0]   wbuf_reg, wbuf_next;
// The last four bytes seen (p0 newest): held back from the checksum until
// it is known that they are not the FCS.
reg [7:0]    p0_reg, p0_next;
reg [7:0]    p1_reg, p1_next;
reg [7:0]    p2_reg, p2_next;
reg [7:0]    p3_reg, p3_next;
reg [31:0]   csum_acc_reg, csum_acc_next;

// Frame table write stage (one clock after tlast: fold the checksum).
reg          mp_valid_reg, mp_valid_next;
reg [AW:0]   mp_end_reg, mp_end_next;
reg [15:0]   mp_len_reg, mp_len_next;
reg [31:0]   mp_csum_reg, mp_csum_next;
reg [7:0]    mp_err_reg, mp_err_next;
reg [7:0]    mp_sta_reg, mp_sta_next;
reg [FW:0]   meta_wr_reg, meta_wr_next;

reg stat_total_reg, stat_total_next;
reg stat_good_reg, stat_good_next;
reg stat_bcast_reg, stat_bcast_next;
reg stat_mcast_reg, stat_mcast_next;
reg stat_crc_reg, stat_crc_next;
reg stat_er_reg, stat_er_next;
reg stat_runt_reg, stat_runt_next;
reg stat_over_reg, stat_over_next;
reg stat_missed_reg, stat_missed_next;
reg [15:0] stat_bytes_reg, stat_bytes_next;

/*
 * Read side
 */
localparam [1:0]
    RD_IDLE = 2'd0,
    RD_LOAD = 2'd1,
    RD_SEND = 2'd2;

reg [1:0]    rd_state_reg, rd_state_next;
reg [AW:0]   rd_free_reg, rd_free_next;
reg [AW:0]   rd_addr_reg, rd_addr_next;
reg [12:0]   rd_beats_reg, rd_beats_next;
reg [FW:0]   meta_rd_reg, meta_rd_next;
reg [AW:0]   cur_end_reg, cur_end_next;
reg [15:0]   cur_len_reg, cur_len_next;
reg [15:0]   cur_csum_reg, cur_csum_next;
reg [7:0]    cur_err_reg, cur_err_next;
reg [7:0]    cur_sta_reg, cur_sta_next;
reg [7:0]    cur_keep_last_reg, cur_keep_last_next;
reg [MW-1:0] meta_q_reg;

// RAM read data and what travels with it, one clock after the issue.
reg [63:0]   mem_q_reg;
reg          q_last_reg;
reg [7:0]    q_keep_reg;

// Defined outputs from time 0, before the first reset edge.
initial begin
    rd_state_reg = RD_IDLE;
    stat_total_reg = 1'b0;
    stat_good_reg = 1'b0;
    stat_bcast_reg = 1'b0;
    stat_mcast_reg = 1'b0;
    stat_crc_reg = 1'b0;
    stat_er_reg = 1'b0;
    stat_runt_reg = 1'b0;
    stat_over_reg = 1'b0;
    stat_missed_reg = 1'b0;
end

/*
 * Write side combinational
 */
wire        beat = s_axis_tvalid;
wire        first = !in_frame_reg;
wire        drop_now = first ? (!cfg_rx_en || flush) : drop_reg;
wire [2:0]  lane = cnt_reg[2:0];
wire        word_done = beat && (lane == 3'd7 || s_axis_tlast);
wire [AW:0] used = wr_ptr_reg - rd_free_reg;
wire        full = used[AW];
wire        ovf_now = ovf_reg || (word_done && full);
wire        do_write = word_done && !drop_now && !ovf_now;
wire [AW:0] wr_ptr_adv = do_write ? wr_ptr_reg + 1'b1 : wr_ptr_reg;

// The word being assembled with this beat's byte (used only on a beat).
reg [63:0] merged;
always @* begin
    merged = wbuf_reg;
    if (beat) begin
        merged[lane*8 +: 8] = s_axis_tdata;
    end
end

// Checksum terms: byte at offset k >= PCSS weighs 256 when (k - PCSS) is
// even (high byte of a big-endian word), 1 when odd (RFC 1071).
function [31:0] term(input [7:0] b, input [15:0] off, input [7:0] pcss);
    begin
        if (off < {8'd0, pcss}) begin
            term = 32'd0;
        end else if (((off[0] ^ pcss[0]) == 1'b0)) begin
            term = {16'd0, b, 8'd0};
        end else begin
            term = {24'd0, b};
        end
    end
endfunction

// Byte cnt-4 is summed when byte cnt arrives (it cannot be in the FCS); at
// tlast the last four are summed too unless SECRC strips them. Both are
// computed only in the clocks that use them (a beat; the tlast beat), so a
// simulator skips the terms in the others.
reg [31:0] csum_delayed;
reg [31:0] csum_tail;
always @* begin
    csum_delayed = 32'd0;
    csum_tail = 32'd0;
    if (beat && cnt_reg >= 16'd4) begin
        csum_delayed = term(p3_reg, cnt_reg - 16'd4, cfg_pcss);
    end
    if (beat && s_axis_tlast && !cfg_secrc) begin
        csum_tail = term(p2_reg, cnt_reg - 16'd3, cfg_pcss)
                  + term(p1_reg, cnt_reg - 16'd2, cfg_pcss)
                  + term(p0_reg, cnt_reg - 16'd1, cfg_pcss)
                  + term(s_axis_tdata, cnt_reg, cfg_pcss);
    end
end
wire [31:0] csum_final = csum_acc_reg + csum_delayed + csum_tail;

wire [15:0] len_total = (cnt_reg == 16'hFFFF) ? cnt_reg : cnt_reg + 16'd1;
wire [FW:0] meta_used = meta_wr_reg - meta_rd_reg + {{FW{1'b0}}, mp_valid_reg};
wire        meta_full = meta_used[FW];

wire t_end = beat && s_axis_tlast && !drop_now;
wire t_err = s_axis_tuser_fcs_bad || s_axis_tuser_rx_er;
wire t_len_bad = s_axis_tuser_runt || s_axis_tuser_oversize;
wire t_keep = s_filter_accept && !t_len_bad && (!t_err || cfg_sbp);
wire t_missed = t_keep && (ovf_now || meta_full);
wire t_store = t_keep && !ovf_now && !meta_full;

// Ones-complement fold of the frame table stage's 32-bit sum.
wire [16:0] fold1 = {1'b0, mp_csum_reg[15:0]} + {1'b0, mp_csum_reg[31:16]};
wire [15:0] fold2 = fold1[15:0] + {15'd0, fold1[16]};

always @(posedge clk) begin
    if (do_write) begin
        mem[wr_ptr_reg[AW-1:0]] <= merged;
    end
    if (mp_valid_reg) begin
        meta_mem[meta_wr_reg[FW-1:0]] <= {mp_end_reg, mp_len_reg, fold2, mp_err_reg, mp_sta_reg};
    end
end

always @* begin
    in_frame_next = in_frame_reg;
    drop_next = drop_reg;
    ovf_next = ovf_reg;
    cnt_next = cnt_reg;
    wr_ptr_next = wr_ptr_reg;
    wr_start_next = wr_start_reg;
    wbuf_next = wbuf_reg;
    p0_next = p0_reg;
    p1_next = p1_reg;
    p2_next = p2_reg;
    p3_next = p3_reg;
    csum_acc_next = csum_acc_reg;
    mp_valid_next = 1'b0;
    mp_end_next = mp_end_reg;
    mp_len_next = mp_len_reg;
    mp_csum_next = mp_csum_reg;
    mp_err_next = mp_err_reg;
    mp_sta_next = mp_sta_reg;
    meta_wr_next = meta_wr_reg + {{FW{1'b0}}, mp_valid_reg};
    stat_total_next = 1'b0;
    stat_good_next = 1'b0;
    stat_bcast_next = 1'b0;
    stat_mcast_next = 1'b0;
    stat_crc_next = 1'b0;
    stat_er_next = 1'b0;
    stat_runt_next = 1'b0;
    stat_over_next = 1'b0;
    stat_missed_next = 1'b0;
    stat_bytes_next = stat_bytes_reg;

    if (beat) begin
        wbuf_next = merged;
        p0_next = s_axis_tdata;
        p1_next = p0_reg;
        p2_next = p1_reg;
        p3_next = p2_reg;
        csum_acc_next = (first ? 32'd0 : csum_acc_reg) + csum_delayed;
        if (cnt_reg != 16'hFFFF) begin
            cnt_next = cnt_reg + 16'd1;
        end
        in_frame_next = 1'b1;
        drop_next = drop_now;
        ovf_next = ovf_now;
        wr_ptr_next = wr_ptr_adv;
        if (s_axis_tlast) begin
            in_frame_next = 1'b0;
            drop_next = 1'b0;
            ovf_next = 1'b0;
            cnt_next = 16'd0;
            if (t_end) begin
                // One counter per faulty frame, by priority (see header).
                stat_total_next = 1'b1;
                stat_er_next = s_axis_tuser_rx_er;
                stat_over_next = !s_axis_tuser_rx_er && s_axis_tuser_oversize;
                stat_runt_next = !s_axis_tuser_rx_er && !s_axis_tuser_oversize && s_axis_tuser_runt;
                stat_crc_next = !s_axis_tuser_rx_er && !t_len_bad && s_axis_tuser_fcs_bad;
                stat_missed_next = t_missed;
                stat_good_next = t_store && !t_err;
                stat_bcast_next = t_store && !t_err && s_filter_bcast;
                stat_mcast_next = t_store && !t_err && s_filter_mcast;
                stat_bytes_next = len_total;
            end
            if (t_end && t_store) begin
                wr_start_next = wr_ptr_adv;
                mp_valid_next = 1'b1;
                mp_end_next = wr_ptr_adv;
                mp_len_next = cfg_secrc ? len_total - 16'd4 : len_total;
                mp_csum_next = csum_final;
                mp_err_next = 8'd0;
                mp_err_next[ERR_CE] = s_axis_tuser_fcs_bad;
                mp_err_next[ERR_RXE] = s_axis_tuser_rx_er;
                mp_sta_next = 8'd0;
                mp_sta_next[STA_PIF] = s_filter_pif;
            end else begin
                wr_ptr_next = wr_start_reg;
            end
        end
    end

    if (flush) begin
        // Stored frames go; a frame in progress is dropped up to its tlast.
        wr_ptr_next = {AW+1{1'b0}};
        wr_start_next = {AW+1{1'b0}};
        meta_wr_next = {FW+1{1'b0}};
        mp_valid_next = 1'b0;
        if (beat ? !s_axis_tlast : in_frame_reg) begin
            drop_next = 1'b1;
        end
    end
end

always @(posedge clk) begin
    in_frame_reg <= in_frame_next;
    drop_reg <= drop_next;
    ovf_reg <= ovf_next;
    cnt_reg <= cnt_next;
    wr_ptr_reg <= wr_ptr_next;
    wr_start_reg <= wr_start_next;
    wbuf_reg <= wbuf_next;
    p0_reg <= p0_next;
    p1_reg <= p1_next;
    p2_reg <= p2_next;
    p3_reg <= p3_next;
    csum_acc_reg <= csum_acc_next;
    mp_valid_reg <= mp_valid_next;
    mp_end_reg <= mp_end_next;
    mp_len_reg <= mp_len_next;
    mp_csum_reg <= mp_csum_next;
    mp_err_reg <= mp_err_next;
    mp_sta_reg <= mp_sta_next;
    meta_wr_reg <= meta_wr_next;
    stat_total_reg <= stat_total_next;
    stat_good_reg <= stat_good_next;
    stat_bcast_reg <= stat_bcast_next;
    stat_mcast_reg <= stat_mcast_next;
    stat_crc_reg <= stat_crc_next;
    stat_er_reg <= stat_er_next;
    stat_runt_reg <= stat_runt_next;
    stat_over_reg <= stat_over_next;
    stat_missed_reg <= stat_missed_next;
    stat_bytes_reg <= stat_bytes_next;

    if (rst) begin
        in_frame_reg <= 1'b0;
        drop_reg <= 1'b0;
        ovf_reg <= 1'b0;
        cnt_reg <= 16'd0;
        wr_ptr_reg <= {AW+1{1'b0}};
        wr_start_reg <= {AW+1{1'b0}};
        meta_wr_reg <= {FW+1{1'b0}};
        mp_valid_reg <= 1'b0;
        stat_total_reg <= 1'b0;
        stat_good_reg <= 1'b0;
        stat_bcast_reg <= 1'b0;
        stat_mcast_reg <= 1'b0;
        stat_crc_reg <= 1'b0;
        stat_er_reg <= 1'b0;
        stat_runt_reg <= 1'b0;
        stat_over_reg <= 1'b0;
        stat_missed_reg <= 1'b0;
    end
end

/*
 * Read side: IDLE -> LOAD (frame-table entry read) -> SEND (issue beats)
 */
wire        meta_avail = meta_wr_reg != meta_rd_reg;
wire        can_issue;
wire        buf_idle;
wire        issue = (rd_state_reg == RD_SEND) && (rd_beats_reg != 13'd0) && can_issue;
wire        pop_last = m_axis_tvalid && m_axis_tready && m_axis_tlast;

wire [AW:0] m_end = meta_q_reg[MW-1 -: AW+1];
wire [15:0] m_len = meta_q_reg[47:32];
wire [15:0] m_csum = meta_q_reg[31:16];
wire [7:0]  m_err = meta_q_reg[15:8];
wire [7:0]  m_sta = meta_q_reg[7:0];
wire [15:0] m_len_p7 = m_len + 16'd7;

always @* begin
    rd_state_next = rd_state_reg;
    rd_free_next = rd_free_reg;
    rd_addr_next = rd_addr_reg;
    rd_beats_next = rd_beats_reg;
    meta_rd_next = meta_rd_reg;
    cur_end_next = cur_end_reg;
    cur_len_next = cur_len_reg;
    cur_csum_next = cur_csum_reg;
    cur_err_next = cur_err_reg;
    cur_sta_next = cur_sta_reg;
    cur_keep_last_next = cur_keep_last_reg;

    case (rd_state_reg)
        RD_IDLE: begin
            if (meta_avail) begin
                rd_state_next = RD_LOAD;
            end
        end
        RD_LOAD: begin
            // meta_q_reg holds the entry at meta_rd_reg (read last clock).
            cur_end_next = m_end;
            cur_len_next = m_len;
            cur_csum_next = m_csum;
            cur_err_next = m_err;
            cur_sta_next = m_sta;
            cur_keep_last_next = 8'hFF >> (3'd7 - m_len_p7[2:0]);
            rd_addr_next = rd_free_reg;
            rd_beats_next = m_len_p7[15:3];
            rd_state_next = RD_SEND;
        end
        default: begin
            if (issue) begin
                rd_addr_next = rd_addr_reg + 1'b1;
                rd_beats_next = rd_beats_reg - 13'd1;
            end
            if (pop_last) begin
                // Frames are consecutive: the next one starts at this end.
                rd_free_next = cur_end_reg;
                meta_rd_next = meta_rd_reg + 1'b1;
                rd_state_next = RD_IDLE;
            end
        end
    endcase
end

always @(posedge clk) begin
    meta_q_reg <= meta_mem[meta_rd_reg[FW-1:0]];
    if (issue) begin
        mem_q_reg <= mem[rd_addr_reg[AW-1:0]];
        q_last_reg <= rd_beats_reg == 13'd1;
        q_keep_reg <= (rd_beats_reg == 13'd1) ? cur_keep_last_reg : 8'hFF;
    end
end

always @(posedge clk) begin
    rd_state_reg <= rd_state_next;
    rd_free_reg <= rd_free_next;
    rd_addr_reg <= rd_addr_next;
    rd_beats_reg <= rd_beats_next;
    meta_rd_reg <= meta_rd_next;
    cur_end_reg <= cur_end_next;
    cur_len_reg <= cur_len_next;
    cur_csum_reg <= cur_csum_next;
    cur_err_reg <= cur_err_next;
    cur_sta_reg <= cur_sta_next;
    cur_keep_last_reg <= cur_keep_last_next;

    if (flush || rst) begin
        rd_state_reg <= RD_IDLE;
        rd_free_reg <= {AW+1{1'b0}};
        meta_rd_reg <= {FW+1{1'b0}};
    end
end

fifo_read_buf #(
    .WIDTH(64 + 8 + 1)
) read_buf_inst (
    .clk(clk),
    .rst(rst),
    .issue(issue),
    .can_issue(can_issue),
    .s_data({q_last_reg, q_keep_reg, mem_q_reg}),
    .m_data({m_axis_tlast, m_axis_tkeep, m_axis_tdata}),
    .m_valid(m_axis_tvalid),
    .m_ready(m_axis_tready),
    .flush(flush),
    .idle(buf_idle)
);

assign m_frame_len = cur_len_reg;
assign m_frame_csum = cur_csum_reg;
assign m_frame_status = cur_sta_reg;
assign m_frame_errors = cur_err_reg;

assign empty = !meta_avail && !mp_valid_reg && rd_state_reg == RD_IDLE && buf_idle
               && !in_frame_reg;

assign stat_rx_total = stat_total_reg;
assign stat_rx_good = stat_good_reg;
assign stat_rx_good_bytes = stat_bytes_reg;
assign stat_rx_bcast = stat_bcast_reg;
assign stat_rx_mcast = stat_mcast_reg;
assign stat_rx_crc_err = stat_crc_reg;
assign stat_rx_er = stat_er_reg;
assign stat_rx_runt = stat_runt_reg;
assign stat_rx_oversize = stat_over_reg;
assign stat_rx_missed = stat_missed_reg;

endmodule

`resetall
