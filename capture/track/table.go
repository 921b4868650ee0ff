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
// addressing with linear probing over connection indexes (plus one; zero is
// empty). The key lives in the connection, so a slot is 4 bytes and the
// table at most half full costs about 8 bytes per connection, against some
// 70 for a Go map with this key. Nothing is ever deleted: a reused 4-tuple
// points its slot at the new connection.
type table struct {
	slots []uint32
	n     int
}

// find returns the slot for k: holding the index+1 of its connection, or 0
// if k is absent (then the slot is where to insert it).
func (t *table) find(k *key, conn func(i uint32) *Conn) *uint32 {
	if len(t.slots) == 0 {
		t.slots = make([]uint32, 1024)
	}
	mask := uint64(len(t.slots) - 1)
	for i := k.hash() & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if *s == 0 || conn(*s-1).key == *k {
			return s
		}
	}
}

// insert fills an empty slot returned by find and grows the table when it is
// half full. The slot pointer is invalid afterwards.
func (t *table) insert(slot *uint32, idx uint32, conn func(i uint32) *Conn) {
	*slot = idx + 1
	t.n++
	if t.n*2 <= len(t.slots) {
		return
	}
	old := t.slots
	t.slots = make([]uint32, len(old)*2)
	mask := uint64(len(t.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		for i := conn(v-1).key.hash() & mask; ; i = (i + 1) & mask {
			if t.slots[i] == 0 {
				t.slots[i] = v
				break
			}
		}
	}
}
