package train

// rangeEta is the LR range test's rate at update t of a rise over
// T = Cycles·ns updates: eta(t) = EtaMin·(EtaMax/EtaMin)^(t/T), computed as
// EtaMin·exp((t/T)·(log EtaMax − log EtaMin)) with the package's own exp
// and log, each product rounded, so every CPU gets the same bits. The ends
// are exact (t = 0 gives EtaMin, t = T EtaMax) and every rate is clamped to
// [EtaMin, EtaMax]: exp and log are within 1 ulp, and a rate a rounding
// outside the range the stage asked for would be a surprise in a report.
func rangeEta(c Config, ns, t int) float64 {
	total := ns * c.Cycles
	switch {
	case t <= 0:
		return c.EtaMin
	case t >= total:
		return c.EtaMax
	}
	frac := float64(t) / float64(total)
	span := log(c.EtaMax) - log(c.EtaMin)
	eta := float64(c.EtaMin * exp(float64(frac*span)))
	return min(max(eta, c.EtaMin), c.EtaMax)
}
