// Package decode turns the bytes of one captured frame into what the TCP
// tracker needs: the two endpoints as netip.AddrPort and the segment's
// header fields as an fsm.Segment.
//
// A Decoder is made for one link type and reused for every packet. It
// decodes the fixed link-layer headers itself (Ethernet with 802.1Q/QinQ
// tags, Linux cooked v1 and v2, BSD null/loop, raw IP) and the IP and TCP
// headers with gopacket's DecodingLayer implementations into layers it owns,
// so decoding a packet allocates nothing.
package decode
