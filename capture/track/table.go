package track

import (
	"encoding/binary"
	"net/netip"
)

// key is a connection's 4-tuple in canonical order (lo is the smaller
// endpoint), so both directions find the same entry. Addresses are held as
// 16 bytes (IPv4 mapped) to keep the key small and flat: 38 bytes, where two
// netip.AddrPort would take 64.
type key struct {
	lo, hi         [16]byte
	loPort, hiPort uint16
	v6             bool // the addresses are IPv6 (not IPv4 held mapped)
}

// makeKey returns the canonical key of a segment from src to dst, and
// whether src is the key's lo endpoint.
func makeKey(src, dst netip.AddrPort) (k key, srcIsLo bool) {
	a, b := src.Addr().As16(), dst.Addr().As16()
	pa, pb := src.Port(), dst.Port()
	k.v6 = !src.Addr().Is4()
	if less(&a, pa, &b, pb) {
		k.lo, k.loPort, k.hi, k.hiPort = a, pa, b, pb
		return k, true
	}
	k.lo, k.loPort, k.hi, k.hiPort = b, pb, a, pa
	return k, false
}

func less(a *[16]byte, pa uint16, b *[16]byte, pb uint16) bool {
	a0, b0 := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if a0 != b0 {
		return a0 < b0
	}
	a1, b1 := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	if a1 != b1 {
		return a1 < b1
	}
	return pa < pb
}

// addrPort rebuilds one endpoint of the key.
func (k *key) addrPort(lo bool) netip.AddrPort {
	a, p := k.lo, k.loPort
	if !lo {
		a, p = k.hi, k.hiPort
	}
	addr := netip.AddrFrom16(a)
	if !k.v6 {
		addr = addr.Unmap()
	}
	return netip.AddrPortFrom(addr, p)
}

func (k *key) hash() uint64 {
	h := binary.LittleEndian.Uint64(k.lo[:8])*0x9e3779b97f4a7c15 ^
		binary.LittleEndian.Uint64(k.lo[8:])*0xc2b2ae3d27d4eb4f ^
		binary.LittleEndian.Uint64(k.hi[:8])*0x165667b19e3779f9 ^
		binary.LittleEndian.Uint64(k.hi[8:])*0xd6e8feb86659fd93 ^
		(uint64(k.loPort)<<16|uint64(k.hiPort))*0xff51afd7ed558ccd
	// fmix64 of MurmurHash3: every input bit reaches every output bit.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// table maps keys to the newest connection with that 4-tuple: open
// addressing with linear probing. A slot holds the connection's index plus
// one (zero is empty) in its low 32 bits and the top half of the key's hash
// in its high 32, so a probe past another key rarely has to read that
// connection's key (a cache miss) to tell them apart. The key itself lives
// in the connection; the table, at most half full, costs 8–16 bytes per
// connection, against some 70 for a Go map with this key. Nothing is ever
// deleted: a reused 4-tuple points its slot at the new connection.
type table struct {
	slots []uint64
	n     int
}

func slotOf(idx uint32, h uint64) uint64 { return uint64(idx+1) | h&^0xffffffff }

// find returns the slot for k and its hash: holding (in its low 32 bits)
// the index+1 of its connection, or 0 if k is absent (then the slot is
// where to insert it).
func (t *table) find(k *key, conn func(i uint32) *Conn) (*uint64, uint64) {
	if len(t.slots) == 0 {
		t.slots = make([]uint64, 64)
	}
	h := k.hash()
	tag := h &^ 0xffffffff
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if *s == 0 || (*s&^0xffffffff == tag && conn(uint32(*s)-1).key == *k) {
			return s, h
		}
	}
}

// index is the connection index a non-empty slot holds.
func index(slot uint64) uint32 { return uint32(slot) - 1 }

// insert fills an empty slot returned by find and grows the table when it is
// half full. The slot pointer is invalid afterwards.
func (t *table) insert(slot *uint64, idx uint32, h uint64, conn func(i uint32) *Conn) {
	*slot = slotOf(idx, h)
	t.n++
	if t.n*2 <= len(t.slots) {
		return
	}
	old := t.slots
	t.slots = make([]uint64, len(old)*2)
	mask := uint64(len(t.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		for i := conn(index(v)).key.hash() & mask; ; i = (i + 1) & mask {
			if t.slots[i] == 0 {
				t.slots[i] = v
				break
			}
		}
	}
}
