// Package detmath holds the elementary functions whose bits must not depend
// on the CPU, shared by the training loop and the samplers: made of
// correctly rounded +, -, *, /, math.FMA and exact bit operations in a fixed
// order, every product rounded by an explicit conversion so that no
// compiler fuses it.
package detmath
