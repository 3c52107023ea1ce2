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

// The bit-serial definition: eight shift/XOR steps, data LSB first.
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

// The same function in Sarwate's byte-wise form (linearity of the CRC over
// GF(2)): crc_byte(c, d) = (c >> 8) ^ T[c[7:0] ^ d] with T[i] =
// crc_byte(i, 0), a 256 x 32 ROM filled at elaboration. One table read and
// one XOR per byte: a simulator evaluates it in a few instructions where the
// eight dependent steps above cost about ten times as many (the MACs feed
// it every clock of a frame); synthesis maps the ROM to LUTs or a block RAM
// (docs/synthesis.md).
reg [31:0] crc_table [0:255];
integer t;
initial begin
    for (t = 0; t < 256; t = t + 1) begin
        crc_table[t] = crc_byte(t, 8'd0);
    end
end

assign crc_out = (crc_in >> 8) ^ crc_table[crc_in[7:0] ^ data_in];

endmodule

`resetall
