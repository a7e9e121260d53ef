package search

// joeKuo holds Joe and Kuo's direction numbers (new-joe-kuo-6.21201,
// https://web.maths.unsw.edu.au/~fkuo/sobol/) for Sobol dimensions 2 to 21:
// the degree s of the primitive polynomial, its coefficients a and the
// initial direction numbers m_1..m_s. Dimension 1 is van der Corput's.
var joeKuo = []struct {
	s, a uint32
	m    []uint32
}{
	{1, 0, []uint32{1}},
	{2, 1, []uint32{1, 3}},
	{3, 1, []uint32{1, 3, 1}},
	{3, 2, []uint32{1, 1, 1}},
	{4, 1, []uint32{1, 1, 3, 3}},
	{4, 4, []uint32{1, 3, 5, 13}},
	{5, 2, []uint32{1, 1, 5, 5, 17}},
	{5, 4, []uint32{1, 1, 5, 5, 5}},
	{5, 7, []uint32{1, 1, 7, 11, 19}},
	{5, 11, []uint32{1, 1, 5, 1, 1}},
	{5, 13, []uint32{1, 1, 1, 3, 11}},
	{5, 14, []uint32{1, 3, 5, 5, 31}},
	{6, 1, []uint32{1, 3, 3, 9, 7, 49}},
	{6, 13, []uint32{1, 1, 1, 15, 21, 21}},
	{6, 16, []uint32{1, 3, 1, 13, 27, 49}},
	{6, 19, []uint32{1, 1, 1, 15, 7, 5}},
	{6, 22, []uint32{1, 3, 1, 15, 13, 25}},
	{6, 25, []uint32{1, 1, 5, 5, 19, 61}},
	{7, 1, []uint32{1, 3, 7, 11, 23, 15, 103}},
	{7, 4, []uint32{1, 3, 7, 13, 13, 15, 69}},
}

// sobolDirections are the 32-bit direction numbers v_1..v_32 of each
// dimension.
var sobolDirections = func() [][32]uint32 {
	dirs := make([][32]uint32, len(joeKuo)+1)
	for k := range dirs[0] {
		dirs[0][k] = 1 << (31 - k)
	}
	for d, jk := range joeKuo {
		v := &dirs[d+1]
		s := int(jk.s)
		for k := 0; k < s; k++ {
			v[k] = jk.m[k] << (31 - k)
		}
		for k := s; k < 32; k++ {
			v[k] = v[k-s] ^ (v[k-s] >> s)
			for j := 1; j < s; j++ {
				if (jk.a>>(s-1-j))&1 == 1 {
					v[k] ^= v[k-j]
				}
			}
		}
	}
	return dirs
}()

// sobol returns coordinate d of Sobol point i as a 32-bit fraction. It uses
// the Gray-code order (Antonov and Saleev), computed directly from i so that
// a point never depends on its predecessors.
func sobol(d int, i uint32) uint32 {
	g := i ^ (i >> 1)
	var x uint32
	for k := 0; g != 0; k, g = k+1, g>>1 {
		if g&1 == 1 {
			x ^= sobolDirections[d][k]
		}
	}
	return x
}
