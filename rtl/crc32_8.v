`resetall
`timescale 1ns / 1ps
`default_nettype none

// CRC-32 (IEEE 802.3 clause 3.2.9) next-state function, one byte per step.
//
// Reflected form: polynomial 0x04C11DB7 bit-reversed = 0xEDB88320, data taken
// LSB first (the order bits go on the wire). The caller keeps the register:
// start from 32'hFFFFFFFF, feed every byte from the destination address on;
// the FCS is ~crc_out sent least significant byte first. Fed over a frame
// including a correct FCS, the register ends at the residue 32'hDEBB20E3
// (the complemented form of the 802.3 magic number 0xC704DD7B).
module crc32_8
(
    input  wire [31:0] crc_in,
    input  wire [7:0]  data_in,
    output wire [31:0] crc_out
);

localparam [31:0] POLY_REFLECTED = 32'hEDB88320;

// A function feeding a continuous assignment: the output changes once per
// input change (no intermediate values seen by event-driven simulators).
function [31:0] crc_byte(input [31:0] crc_prev, input [7:0] data);
    integer i;
    begin
        crc_byte = crc_prev;
        for (i = 0; i < 8; i = i + 1) begin
            if (crc_byte[0] ^ data[i]) begin
                crc_byte = (crc_byte >> 1) ^ POLY_REFLECTED;
            end else begin
                crc_byte = crc_byte >> 1;
            end
        end
    end
endfunction

assign crc_out = crc_byte(crc_in, data_in);

endmodule

`resetall
