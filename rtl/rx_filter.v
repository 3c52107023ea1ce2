`resetall
`timescale 1ns / 1ps
`default_nettype none

// Receive address filter (8254x SDM 3.x "Packet Address Filtering",
// 13.4.22 RCTL, 13.5.1 MTA, 13.5.2/13.5.3 RAL/RAH): watches the 8-bit frame
// stream from mac_rx_gmii, takes the destination address from its first six
// bytes and decides accept/reject before the end of any frame of 9 bytes or
// more (every frame that is not a runt).
//
// Address order: DA byte 0 is the first on the wire. As a 48-bit number
// da[47:0] = {byte5, byte4, byte3, byte2, byte1, byte0}, the order in which
// RAL/RAH store it (RAL = bytes 0..3 little-endian, RAH[15:0] = bytes 4..5):
// an entry matches when {RAH_i[15:0], RAL_i[31:0]} = da and RAH_i.AV is set.
// Group (I/G) bit: da[0], the first bit on the wire (IEEE 802.3 clause 3.2.3).
//
// Accept when any of (8254x SDM 13.4.22 RCTL):
//   - exact: da equals an entry with AV set (unicast or multicast entries);
//   - unicast (da[0] = 0) and cfg_upe (UPE);
//   - broadcast (all ones) and cfg_bam (BAM);
//   - group address (multicast, broadcast included: it is a group address
//     that may pass the imperfect filters) and cfg_mpe (MPE);
//   - group address and its MTA bit is set (imperfect filter).
// MTA hash (8254x SDM 13.5.1, Figure 13-2; RCTL.MO 13.4.22): 12 bits of da
//   MO 00: da[47:36]   MO 01: da[46:35]   MO 10: da[45:34]   MO 11: da[43:32]
// mta_index[11:5] selects the MTA register (0..127), mta_index[4:0] the bit.
// The register block owns the MTA RAM and the RAL/RAH table: this module
// raises mta_req with mta_index and lookup_da for one clock and reads
// mta_bit and ra_hit (exact match) in the next clock.
//
// Outputs, valid from the clock after the lookup until the frame's tlast
// beat (inclusive), low before the decision:
//   decided: the decision below is valid for the current frame
//   accept, is_bcast, is_mcast (group address but not broadcast),
//   pif: passed only through the MTA hash (8254x RX descriptor status PIF,
//        "passed in-exact filter"): accepted, group address, no exact match,
//        not taken by MPE or BAM.
// A frame ending before the decision (under 9 bytes) is not accepted.
module rx_filter
(
    input  wire                     clk,
    input  wire                     rst,

    /*
     * Frame stream being received (monitor only)
     */
    input  wire [7:0]               s_axis_tdata,
    input  wire                     s_axis_tvalid,
    input  wire                     s_axis_tlast,

    /*
     * Configuration
     */
    input  wire                     cfg_bam,
    input  wire [1:0]               cfg_mo,
    input  wire                     cfg_upe,
    input  wire                     cfg_mpe,

    /*
     * Address lookups (register block's MTA RAM and RAL/RAH table, one
     * clock latency)
     */
    output wire [11:0]              mta_index,
    output wire [47:0]              lookup_da,
    output wire                     mta_req,
    input  wire                     mta_bit,
    input  wire                     ra_hit,

    /*
     * Decision for the current frame
     */
    output wire                     decided,
    output wire                     accept,
    output wire                     is_bcast,
    output wire                     is_mcast,
    output wire                     pif
);

localparam [1:0]
    STATE_ADDR    = 2'd0,
    STATE_LOOKUP  = 2'd1,
    STATE_DECIDE  = 2'd2,
    STATE_DONE    = 2'd3;

reg [1:0]  state_reg, state_next;
reg [2:0]  cnt_reg, cnt_next;
reg [47:0] da_reg, da_next;

reg        accept_reg, accept_next;
reg        bcast_reg, bcast_next;
reg        mcast_reg, mcast_next;
reg        pif_reg, pif_next;

reg [11:0] hash;

// 8254x SDM 13.5.1: the 12 address bits selected by RCTL.MO.
always @* begin
    case (cfg_mo)
        2'd0: hash = da_reg[47:36];
        2'd1: hash = da_reg[46:35];
        2'd2: hash = da_reg[45:34];
        default: hash = da_reg[43:32];
    endcase
end

wire da_group = da_reg[0];
wire da_bcast = &da_reg;

assign mta_index = hash;
assign lookup_da = da_reg;
assign mta_req = state_reg == STATE_LOOKUP;
assign decided = state_reg == STATE_DONE;
assign accept = decided && accept_reg;
assign is_bcast = decided && bcast_reg;
assign is_mcast = decided && mcast_reg;
assign pif = decided && pif_reg;

always @* begin
    state_next = state_reg;
    cnt_next = cnt_reg;
    da_next = da_reg;
    accept_next = accept_reg;
    bcast_next = bcast_reg;
    mcast_next = mcast_reg;
    pif_next = pif_reg;

    case (state_reg)
        STATE_ADDR: begin
            if (s_axis_tvalid) begin
                da_next[cnt_reg*8 +: 8] = s_axis_tdata;
                cnt_next = cnt_reg + 3'd1;
                if (cnt_reg == 3'd5) begin
                    state_next = STATE_LOOKUP;
                end
            end
        end
        STATE_LOOKUP: begin
            state_next = STATE_DECIDE;
        end
        STATE_DECIDE: begin
            // mta_bit and ra_hit answer the request of the previous clock.
            bcast_next = da_bcast;
            mcast_next = da_group && !da_bcast;
            accept_next = ra_hit
                || (!da_group && cfg_upe)
                || (da_bcast && cfg_bam)
                || (da_group && cfg_mpe)
                || (da_group && mta_bit);
            pif_next = da_group && mta_bit && !ra_hit && !cfg_mpe && !(da_bcast && cfg_bam);
            state_next = STATE_DONE;
        end
        default: begin
        end
    endcase

    // Any tlast beat ends the frame: the next beat is a new destination.
    if (s_axis_tvalid && s_axis_tlast) begin
        cnt_next = 3'd0;
        state_next = STATE_ADDR;
    end
end

always @(posedge clk) begin
    state_reg <= state_next;
    cnt_reg <= cnt_next;
    da_reg <= da_next;
    accept_reg <= accept_next;
    bcast_reg <= bcast_next;
    mcast_reg <= mcast_next;
    pif_reg <= pif_next;

    if (rst) begin
        state_reg <= STATE_ADDR;
        cnt_reg <= 3'd0;
    end
end

endmodule

`resetall
