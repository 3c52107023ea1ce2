`resetall
`timescale 1ns / 1ps
`default_nettype none

// Transmit packet FIFO, store and forward, with legacy checksum insertion:
// 64-bit frames from the TX DMA in, 8-bit frames to mac_tx_gmii out.
//
// Write side (64-bit AXI-Stream from the TX DMA):
//   - s_axis_tkeep is contiguous from lane 0 with 1..8 bytes on ANY beat (the
//     DMA does not realign across descriptor buffers): bytes are packed at
//     byte granularity into 8 byte-wide RAM banks, bank b holding the bytes
//     whose address is b mod 8, each bank with its own row address.
//   - s_axis_tuser_ifcs / _ic / _css / _cso are sampled on the first beat of
//     a frame (8254x 3.3.3 legacy TX descriptor CMD.IFCS, CMD.IC, CSS, CSO);
//     s_axis_tuser_abort is sampled on the tlast beat: the frame is discarded
//     (DMA error), nothing is counted.
//   - Checksum insertion (8254x 3.3.3.1, CMD.IC): the 16-bit ones-complement
//     sum of the bytes from CSS to the end of the frame, big-endian words
//     counted from CSS (RFC 1071, odd tail padded with zero), including the
//     bytes at CSO as software seeded them, is complemented and written
//     big-endian at CSO, CSO+1 before the frame is committed. If CSO + 2 >
//     length or CSS >= length nothing is inserted and stat_tx_csum_skip
//     pulses. The sum is accumulated while the beats are written; the
//     insertion takes one extra clock (tready low) after tlast.
//   - A frame longer than DEPTH bytes can never fit: it is accepted to its
//     tlast, discarded and counted (stat_tx_drop). Otherwise the write side
//     waits (tready low) until there is room (at least 8 free bytes, or the
//     frame alone in the FIFO) and, on a first beat, a free frame-table
//     entry (FRAMES entries).
// Read side (8-bit AXI-Stream to mac_tx_gmii): committed frames in order,
//   m_axis_tuser_ifcs held for the whole frame; one byte per clock sustained
//   under continuous m_axis_tready (synchronous RAM read + 2-entry buffer).
// flush (CTRL.RST): returns to the reset state (all frames dropped, the next
//   beat is a first beat): assert it together with the TX DMA's reset.
// empty: no frame stored, being written or being read (quiescence).
// frame_count: committed frames not yet fully read.
module tx_fifo #
(
    // Capacity in bytes (power of two, 2048..32768).
    parameter DEPTH = 16384,
    // Frame-table entries: committed frames the FIFO can hold at once.
    parameter FRAMES = 256
)
(
    input  wire        clk,
    input  wire        rst,

    /*
     * Frames from the TX DMA
     */
    input  wire [63:0] s_axis_tdata,
    input  wire [7:0]  s_axis_tkeep,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,
    input  wire        s_axis_tuser_ifcs,
    input  wire        s_axis_tuser_ic,
    input  wire [7:0]  s_axis_tuser_css,
    input  wire [7:0]  s_axis_tuser_cso,
    input  wire        s_axis_tuser_abort,

    /*
     * Frames to mac_tx_gmii
     */
    output wire [7:0]  m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        m_axis_tlast,
    output wire        m_axis_tuser_ifcs,

    /*
     * Control and status
     */
    input  wire        flush,
    output wire        empty,
    output wire [15:0] frame_count,
    output wire        stat_tx_csum_skip,
    output wire        stat_tx_drop
);

localparam BA = $clog2(DEPTH);
localparam ROWS = DEPTH / 8;
localparam RA = BA - 3;
localparam FW = $clog2(FRAMES);
localparam [16:0] DEPTH_BYTES = DEPTH[16:0];

initial begin
    if (DEPTH < 2048 || DEPTH > 32768 || (DEPTH & (DEPTH - 1)) != 0) begin
        $error("Error: DEPTH must be a power of two in 2048..32768 (instance %m)");
        $finish;
    end
    if (FRAMES < 2 || FRAMES > 4096 || (FRAMES & (FRAMES - 1)) != 0) begin
        $error("Error: FRAMES must be a power of two in 2..4096 (instance %m)");
        $finish;
    end
end

/*
 * Write side
 */
localparam WR_DATA = 1'b0;
localparam WR_COMMIT = 1'b1;

reg          wr_state_reg, wr_state_next;
reg          in_frame_reg, in_frame_next;
reg          drop_reg, drop_next;
reg [BA:0]   wr_ptr_reg, wr_ptr_next;
reg [BA:0]   wr_start_reg, wr_start_next;
reg [16:0]   off_reg, off_next;
reg          ifcs_reg, ifcs_next;
reg          ic_reg, ic_next;
reg [7:0]    css_reg, css_next;
reg [7:0]    cso_reg, cso_next;
reg [31:0]   csum_acc_reg, csum_acc_next;
reg [FW:0]   meta_wr_reg, meta_wr_next;
reg          stat_skip_reg, stat_skip_next;
reg          stat_drop_reg, stat_drop_next;

/*
 * Read side
 */
localparam [1:0]
    RD_IDLE = 2'd0,
    RD_LOAD = 2'd1,
    RD_SEND = 2'd2;

reg [1:0]    rd_state_reg, rd_state_next;
reg [BA:0]   rd_free_reg, rd_free_next;
reg [BA:0]   rd_addr_reg, rd_addr_next;
reg [15:0]   rd_left_reg, rd_left_next;
reg [FW:0]   meta_rd_reg, meta_rd_next;
reg          cur_ifcs_reg, cur_ifcs_next;
reg [16:0]   meta_q_reg;
// Which bank answers, and whether it is the frame's last byte, one clock
// after the issue (with the bank's read data).
reg [2:0]    q_sel_reg;
reg          q_last_reg;

// Defined handshake outputs from time 0, before the first reset edge.
initial begin
    wr_state_reg = WR_DATA;
    rd_state_reg = RD_IDLE;
    stat_skip_reg = 1'b0;
    stat_drop_reg = 1'b0;
end

reg [16:0] meta_mem [0:FRAMES-1];

// Frame-table entry: {ifcs, length}.
wire [FW:0] meta_used = meta_wr_reg - meta_rd_reg;
wire        meta_full = meta_used[FW];
wire [BA:0] used = wr_ptr_reg - rd_free_reg;
wire [BA+1:0] space = DEPTH_BYTES[BA+1:0] - {1'b0, used};
wire        alone = wr_start_reg == rd_free_reg;
wire        first = !in_frame_reg;

assign s_axis_tready = (wr_state_reg == WR_DATA)
    && !(first && meta_full)
    && (space >= 8 || alone || drop_reg);

wire        beat = s_axis_tvalid && s_axis_tready;

// Contiguous keep: byte count = index of the highest set bit + 1.
reg [3:0] nbytes;
integer j;
always @* begin
    nbytes = 4'd0;
    for (j = 0; j < 8; j = j + 1) begin
        if (s_axis_tkeep[j]) begin
            nbytes = j[3:0] + 4'd1;
        end
    end
end

wire [7:0]  css_now = first ? s_axis_tuser_css : css_reg;
wire [16:0] off_beat = first ? 17'd0 : off_reg;
wire [16:0] off_end = off_beat + {13'd0, nbytes};
wire        drop_now = (first ? 1'b0 : drop_reg) || off_end > DEPTH_BYTES;
wire [BA:0] wr_base = first ? wr_start_reg : wr_ptr_reg;

// Checksum terms of this beat: byte at frame offset k >= CSS weighs 256
// when (k - CSS) is even, 1 when odd. Only a beat uses the sum: the other
// clocks a simulator skips the eight terms.
reg [31:0] beat_sum;
reg [16:0] k_off;
integer l;
always @* begin
    beat_sum = 32'd0;
    k_off = off_beat;
    l = 0;
    if (beat) begin
        for (l = 0; l < 8; l = l + 1) begin
            k_off = off_beat + {14'd0, l[2:0]};
            if ({1'b0, l[2:0]} < nbytes && k_off >= {9'd0, css_now}) begin
                if (k_off[0] == css_now[0]) begin
                    beat_sum = beat_sum + {16'd0, s_axis_tdata[l*8 +: 8], 8'd0};
                end else begin
                    beat_sum = beat_sum + {24'd0, s_axis_tdata[l*8 +: 8]};
                end
            end
        end
    end
end

// Commit stage: checksum fold and insertion.
wire [16:0] len17 = off_reg;
wire [16:0] fold1 = {1'b0, csum_acc_reg[15:0]} + {1'b0, csum_acc_reg[31:16]};
wire [15:0] fold2 = fold1[15:0] + {15'd0, fold1[16]};
wire [15:0] csum_field = ~fold2;
wire        csum_fits = ({9'd0, cso_reg} + 17'd2 <= len17) && ({9'd0, css_reg} < len17);
wire        do_insert = (wr_state_reg == WR_COMMIT) && ic_reg && csum_fits;
wire [BA-1:0] ins_addr0 = wr_start_reg[BA-1:0] + {{(BA-8){1'b0}}, cso_reg};
wire [BA-1:0] ins_addr1 = ins_addr0[BA-1:0] + 1'b1;

// Per-bank write port.
reg [7:0]    bank_we;
reg [8*RA-1:0] bank_waddr;
reg [63:0]   bank_wdata;
reg [2:0]    lane_b;
reg [RA-1:0] addr_b;
integer b;
always @* begin
    bank_we = 8'd0;
    bank_waddr = {8*RA{1'b0}};
    bank_wdata = 64'd0;
    lane_b = 3'd0;
    addr_b = {RA{1'b0}};
    b = 0;
    if (do_insert) begin
        for (b = 0; b < 8; b = b + 1) begin
            if (ins_addr0[2:0] == b[2:0]) begin
                bank_we[b] = 1'b1;
                bank_waddr[b*RA +: RA] = ins_addr0[BA-1:3];
                bank_wdata[b*8 +: 8] = csum_field[15:8];
            end else if (ins_addr1[2:0] == b[2:0]) begin
                bank_we[b] = 1'b1;
                bank_waddr[b*RA +: RA] = ins_addr1[BA-1:3];
                bank_wdata[b*8 +: 8] = csum_field[7:0];
            end
        end
    end else if (beat) begin
        for (b = 0; b < 8; b = b + 1) begin
            // Lane of this beat that lands in bank b.
            lane_b = b[2:0] - wr_base[2:0];
            // Row of wr_base + lane_b: one further when it wraps past lane 7.
            addr_b = wr_base[BA-1:3] + {{(RA-1){1'b0}}, (b[2:0] < wr_base[2:0])};
            bank_we[b] = !drop_now && ({1'b0, lane_b} < nbytes);
            bank_waddr[b*RA +: RA] = addr_b;
            bank_wdata[b*8 +: 8] = s_axis_tdata[lane_b*8 +: 8];
        end
    end
end

/*
 * Read side combinational
 */
wire        meta_avail = meta_wr_reg != meta_rd_reg;
wire        can_issue;
wire        buf_idle;
wire        issue = (rd_state_reg == RD_SEND) && (rd_left_reg != 16'd0) && can_issue;
wire        pop_last = m_axis_tvalid && m_axis_tready && m_axis_tlast;

/*
 * Storage: 8 byte banks and the frame table
 */
wire [63:0] bank_q;

genvar g;
generate
    for (g = 0; g < 8; g = g + 1) begin : g_bank
        reg [7:0] mem [0:ROWS-1];
        reg [7:0] q_reg;
        always @(posedge clk) begin
            if (bank_we[g]) begin
                mem[bank_waddr[g*RA +: RA]] <= bank_wdata[g*8 +: 8];
            end
            if (issue && rd_addr_reg[2:0] == g) begin
                q_reg <= mem[rd_addr_reg[BA-1:3]];
            end
        end
        assign bank_q[g*8 +: 8] = q_reg;
    end
endgenerate

always @(posedge clk) begin
    if (wr_state_reg == WR_COMMIT) begin
        meta_mem[meta_wr_reg[FW-1:0]] <= {ifcs_reg, len17[15:0]};
    end
    meta_q_reg <= meta_mem[meta_rd_reg[FW-1:0]];
end

/*
 * Write side state machine: DATA (beats) -> COMMIT (insertion, frame table)
 */
always @* begin
    wr_state_next = wr_state_reg;
    in_frame_next = in_frame_reg;
    drop_next = drop_reg;
    wr_ptr_next = wr_ptr_reg;
    wr_start_next = wr_start_reg;
    off_next = off_reg;
    ifcs_next = ifcs_reg;
    ic_next = ic_reg;
    css_next = css_reg;
    cso_next = cso_reg;
    csum_acc_next = csum_acc_reg;
    meta_wr_next = meta_wr_reg;
    stat_skip_next = 1'b0;
    stat_drop_next = 1'b0;

    case (wr_state_reg)
        WR_DATA: begin
            if (beat) begin
                if (first) begin
                    ifcs_next = s_axis_tuser_ifcs;
                    ic_next = s_axis_tuser_ic;
                    css_next = s_axis_tuser_css;
                    cso_next = s_axis_tuser_cso;
                end
                in_frame_next = 1'b1;
                drop_next = drop_now;
                off_next = off_end;
                csum_acc_next = (first ? 32'd0 : csum_acc_reg) + beat_sum;
                wr_ptr_next = drop_now ? wr_base : wr_base + {{(BA-3){1'b0}}, nbytes};
                if (s_axis_tlast) begin
                    in_frame_next = 1'b0;
                    drop_next = 1'b0;
                    if (drop_now || s_axis_tuser_abort) begin
                        wr_ptr_next = wr_start_reg;
                        stat_drop_next = drop_now && !s_axis_tuser_abort;
                    end else begin
                        wr_state_next = WR_COMMIT;
                    end
                end
            end
        end
        default: begin
            // WR_COMMIT: insertion write (bank ports), frame-table entry.
            stat_skip_next = ic_reg && !csum_fits;
            wr_start_next = wr_ptr_reg;
            meta_wr_next = meta_wr_reg + 1'b1;
            wr_state_next = WR_DATA;
        end
    endcase
end

always @(posedge clk) begin
    wr_state_reg <= wr_state_next;
    in_frame_reg <= in_frame_next;
    drop_reg <= drop_next;
    wr_ptr_reg <= wr_ptr_next;
    wr_start_reg <= wr_start_next;
    off_reg <= off_next;
    ifcs_reg <= ifcs_next;
    ic_reg <= ic_next;
    css_reg <= css_next;
    cso_reg <= cso_next;
    csum_acc_reg <= csum_acc_next;
    meta_wr_reg <= meta_wr_next;
    stat_skip_reg <= stat_skip_next;
    stat_drop_reg <= stat_drop_next;

    if (flush || rst) begin
        wr_state_reg <= WR_DATA;
        in_frame_reg <= 1'b0;
        drop_reg <= 1'b0;
        wr_ptr_reg <= {BA+1{1'b0}};
        wr_start_reg <= {BA+1{1'b0}};
        meta_wr_reg <= {FW+1{1'b0}};
        stat_skip_reg <= 1'b0;
        stat_drop_reg <= 1'b0;
    end
end

/*
 * Read side state machine: IDLE -> LOAD (frame-table entry) -> SEND
 */
always @* begin
    rd_state_next = rd_state_reg;
    rd_free_next = rd_free_reg;
    rd_addr_next = rd_addr_reg;
    rd_left_next = rd_left_reg;
    meta_rd_next = meta_rd_reg;
    cur_ifcs_next = cur_ifcs_reg;

    case (rd_state_reg)
        RD_IDLE: begin
            if (meta_avail) begin
                rd_state_next = RD_LOAD;
            end
        end
        RD_LOAD: begin
            // meta_q_reg holds the entry at meta_rd_reg (read last clock).
            cur_ifcs_next = meta_q_reg[16];
            rd_left_next = meta_q_reg[15:0];
            rd_addr_next = rd_free_reg;
            rd_state_next = RD_SEND;
        end
        default: begin
            if (issue) begin
                rd_addr_next = rd_addr_reg + 1'b1;
                rd_left_next = rd_left_reg - 16'd1;
            end
            if (pop_last) begin
                // All bytes issued and sent: rd_addr_reg is the frame end.
                rd_free_next = rd_addr_reg;
                meta_rd_next = meta_rd_reg + 1'b1;
                rd_state_next = RD_IDLE;
            end
        end
    endcase
end

always @(posedge clk) begin
    rd_state_reg <= rd_state_next;
    rd_free_reg <= rd_free_next;
    rd_addr_reg <= rd_addr_next;
    rd_left_reg <= rd_left_next;
    meta_rd_reg <= meta_rd_next;
    cur_ifcs_reg <= cur_ifcs_next;
    if (issue) begin
        q_sel_reg <= rd_addr_reg[2:0];
        q_last_reg <= rd_left_reg == 16'd1;
    end

    if (flush || rst) begin
        rd_state_reg <= RD_IDLE;
        rd_free_reg <= {BA+1{1'b0}};
        meta_rd_reg <= {FW+1{1'b0}};
    end
end

fifo_read_buf #(
    .WIDTH(8 + 1)
) read_buf_inst (
    .clk(clk),
    .rst(rst),
    .issue(issue),
    .can_issue(can_issue),
    .s_data({q_last_reg, bank_q[q_sel_reg*8 +: 8]}),
    .m_data({m_axis_tlast, m_axis_tdata}),
    .m_valid(m_axis_tvalid),
    .m_ready(m_axis_tready),
    .flush(flush),
    .idle(buf_idle)
);

assign m_axis_tuser_ifcs = cur_ifcs_reg;

assign empty = !meta_avail && rd_state_reg == RD_IDLE && buf_idle
               && !in_frame_reg && wr_state_reg == WR_DATA;
assign frame_count = {{(15-FW){1'b0}}, meta_used};
assign stat_tx_csum_skip = stat_skip_reg;
assign stat_tx_drop = stat_drop_reg;

endmodule

`resetall
